//! Manager approvals (a sandbox extension, not in Cloud Pay's protocol).

#[allow(unused_imports)]
use super::*;

/// What a manager approves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalKind {
    /// A QR login of a staff member on this terminal.
    Login,
    /// A refund of a given amount on a given order.
    Refund,
}

/// Where an approval challenge stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    /// Nobody approved yet.
    Pending,
    /// Approved; may be consumed once.
    Approved,
    /// Not consumed in time.
    Expired,
    /// Consumed.
    Used,
}

/// `x_create_approval` request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CreateApprovalRequest {
    /// Merchant keys.
    pub pay_mch_key: PayMchKey,
    /// Who asks.
    pub order_client: OrderClient,
    /// `login` or `refund`.
    pub kind: String,
    /// Refund: the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<String>,
    /// Refund: the amount, fen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// Nonce.
    pub nonce_str: String,
}

/// `x_create_approval` response object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApprovalTicket {
    /// The challenge token.
    pub token: String,
    /// The page a manager opens (shown as a QR code).
    pub approve_url: String,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
}

/// `x_query_approval` / `x_consume_approval` request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApprovalTokenRequest {
    /// Merchant keys.
    pub pay_mch_key: PayMchKey,
    /// Who asks (must be the device that created the challenge).
    pub order_client: OrderClient,
    /// The challenge token.
    pub token: String,
    /// Nonce.
    pub nonce_str: String,
}

/// `x_query_approval` / `x_consume_approval` response object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalStatus {
    /// The challenge token.
    pub token: String,
    /// Where it stands.
    pub status: ApprovalState,
    /// What it approves.
    pub kind: ApprovalKind,
    /// Who approved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_id: Option<String>,
    /// The approver's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_name: Option<String>,
    /// Refund: the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<String>,
    /// Refund: the amount, fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
}
