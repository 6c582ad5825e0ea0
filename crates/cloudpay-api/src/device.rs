//! The device's own calls beside payments: unbinding (解绑设备) and the notices (公告) of
//! the service provider or the merchant. Both are sandbox extensions in the protocol's
//! style (`x_` names, the HMAC envelope, `pay_mch_key` + `order_client` + `nonce_str`),
//! because the protocol notes publish no endpoint for either **[U]**.

use cloudpos_domain::ports::GatewayError;
use serde::{Deserialize, Serialize};

use crate::client::{CloudPayClient, new_nonce};
use crate::wire::{OrderClient, PayMchKey};

/// `x_unbind_device`: the cloud marks the asking device unbound.
pub const X_UNBIND_DEVICE: &str = "x_unbind_device";
/// `x_query_notice_list`: the notices for the asking device's shop.
pub const X_QUERY_NOTICE_LIST: &str = "x_query_notice_list";

/// `x_unbind_device` request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnbindDeviceRequest {
    /// Merchant keys (no wallet).
    pub pay_mch_key: PayMchKey,
    /// The device (its `device_id` required) and the admin (`staff_id`).
    pub order_client: OrderClient,
    /// Nonce.
    pub nonce_str: String,
}

/// `x_unbind_device` response object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnbindDeviceResponse {
    /// The device now unbound.
    pub device_id: String,
    /// When, Unix seconds.
    pub unbound_at: i64,
}

/// `x_query_notice_list` request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NoticeListRequest {
    /// Merchant keys (no wallet).
    pub pay_mch_key: PayMchKey,
    /// The asking device.
    pub order_client: OrderClient,
    /// Only notices published at or after this time (Unix seconds); absent: all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    /// Nonce.
    pub nonce_str: String,
}

/// One notice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WireNotice {
    /// Stable id.
    pub notice_id: String,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// Published at, Unix seconds.
    pub publish_time: i64,
}

/// `x_query_notice_list` response object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NoticeListResponse {
    /// How many.
    pub total_count: u32,
    /// Newest first.
    pub notices: Vec<WireNotice>,
}

impl CloudPayClient {
    /// The `x_unbind_device` request for this device, by `staff_id`.
    #[must_use]
    pub fn unbind_device_request(&self, staff_id: &str, nonce: String) -> UnbindDeviceRequest {
        UnbindDeviceRequest {
            pay_mch_key: self.pay_mch_key(None),
            order_client: self.order_client(Some(staff_id)),
            nonce_str: nonce,
        }
    }

    /// The `x_query_notice_list` request for this device.
    #[must_use]
    pub fn notice_list_request(&self, start_time: Option<i64>, nonce: String) -> NoticeListRequest {
        NoticeListRequest {
            pay_mch_key: self.pay_mch_key(None),
            order_client: self.order_client(None),
            start_time,
            nonce_str: nonce,
        }
    }

    /// Asks the cloud to mark this device unbound (by the admin `staff_id`).
    pub async fn unbind_device(
        &self,
        staff_id: &str,
    ) -> Result<UnbindDeviceResponse, GatewayError> {
        let req = self.unbind_device_request(staff_id, new_nonce());
        self.call(X_UNBIND_DEVICE, &req, false).await.into_result()
    }

    /// The notices for this device's shop, newest first.
    pub async fn notices(
        &self,
        start_time: Option<i64>,
    ) -> Result<NoticeListResponse, GatewayError> {
        let req = self.notice_list_request(start_time, new_nonce());
        self.call(X_QUERY_NOTICE_LIST, &req, false)
            .await
            .into_result()
    }
}

#[async_trait::async_trait]
impl cloudpos_domain::device_ports::DeviceCloud for CloudPayClient {
    async fn unbind(&self, staff_id: &str) -> Result<(), GatewayError> {
        self.unbind_device(staff_id).await.map(|_| ())
    }

    async fn fetch_notices(
        &self,
    ) -> Result<Vec<cloudpos_domain::device_ports::Notice>, GatewayError> {
        let list = self.notices(None).await?;
        Ok(list
            .notices
            .into_iter()
            .map(|n| cloudpos_domain::device_ports::Notice {
                id: n.notice_id,
                title: n.title,
                body: n.body,
                published_at: cloudpos_domain::Timestamp::from_unix_seconds(n.publish_time),
                read_at: None,
            })
            .collect())
    }
}
