//! The deposit request builders: every deposit `request_content` this crate sends, as pure
//! functions of the client's settings and the call's arguments (the nonce passed in).
//!
//! ## Audit against the protocol notes' field tables (§11.2–§11.8)
//! - `micro_freeze`: `pay_mch_key` with `pay_platform` (+ the matching `sub_pay_platform`)
//!   from the code; `freeze_content` with `out_freeze_no`, `author_code`, `freeze_fee`,
//!   `fee_type` `CNY`, `body` (clipped to 128 bytes) and `remark` (clipped to 127, the
//!   length FreezeOrderContent gives it); no wallet ext (both are optional); `order_client`
//!   with `device_id`, `terminal_type`, `machine_no`, `sdk_version`, `spbill_create_ip`
//!   (all required here), `staff_id` when known.
//! - `query_freeze_order`: `pay_platform` and the three ids (required), `order_client`,
//!   `out_freeze_no` at the top level.
//! - `deposit_consume`: the three ids and **no** `pay_platform` (in neither the table nor
//!   the example: the freeze decides the wallet); `pay_content` with a new `out_trade_no`,
//!   `total_fee`, `fee_type`, `body`, `remark` (127), `out_freeze_no` and
//!   `is_confirm_unfreeze`: `true` for WeChat, which requires it, and `true` for Alipay too,
//!   so one consume ends every deposit and nothing is left frozen by accident;
//!   `order_client` (its `machine_no` is not in the table but the example sends it).
//! - `unfreeze`: `pay_platform`, `out_shop_id` and, though the table marks them optional,
//!   `out_mch_id` / `out_sub_mch_id` (every example sends them); the refund-permission
//!   fields always (there is no `api_version` switch): `is_sub_admin`, and
//!   `authorization_staff_id` exactly when `is_sub_admin` is false (the authoriser's
//!   `staff_id`, else the terminal's configured one); `unfreeze_content` with
//!   `out_freeze_no`, a new `out_unfreeze_no`, `unfreeze_fee` and `remark` (128).
//! - `query_unfreeze_order`: `pay_platform` (required), `out_freeze_no`, `out_unfreeze_no`
//!   (optional; sent, since the terminal follows one release).
//! - `refund` after a consume: the ordinary refund request with
//!   `refund_content.out_freeze_no` (required in deposit mode).
//! - `query_order_list`: the required `out_sub_mch_id`, `order_type` (4 freezes, 5
//!   releases), `start_time`, `end_time`, `page_num`, `page_size`, `nonce_str`; scoped to
//!   this shop and device (`out_shop_id` comes with `device_id`), `time_filter` 1 (by
//!   creation, as the ledger is read) and `status` 1 (all records, not only successes).

use cloudpos_domain::code::Wallet;
use cloudpos_domain::ports::{
    ConsumeRequest, FreezeRequest, RefundRequest, UnfreezeAuthority, UnfreezeRequest,
};
use cloudpos_domain::{FreezeNo, Timestamp, UnfreezeNo};

use super::wire;
use crate::client::{CloudPayClient, clip};
use crate::requests::{MAX_BODY, MAX_REMARK};
use crate::wire::{CNY, PayMchKey};

/// `unfreeze_content.remark`: String(128) (§11.5).
pub const MAX_UNFREEZE_REMARK: usize = 128;

fn remark(text: &str, max: usize) -> Option<String> {
    Some(clip(text, max)).filter(|r| !r.is_empty())
}

impl CloudPayClient {
    /// The `micro_freeze` request (§11.2).
    #[must_use]
    pub fn micro_freeze_request(
        &self,
        request: &FreezeRequest,
        nonce: String,
    ) -> wire::MicroFreezeRequest {
        wire::MicroFreezeRequest {
            pay_mch_key: self.pay_mch_key(Some(request.code.wallet())),
            freeze_content: wire::FreezeContent {
                out_freeze_no: request.no.as_str().to_owned(),
                author_code: request.code.as_str().to_owned(),
                freeze_fee: request.amount.fen(),
                fee_type: CNY.to_owned(),
                body: clip(&request.body, MAX_BODY),
                remark: remark(&request.remark, MAX_REMARK),
                ..wire::FreezeContent::default()
            },
            order_client: self.order_client(request.staff_id.as_deref()),
            nonce_str: nonce,
        }
    }

    /// The `query_freeze_order` request (§11.3) of a freeze made with `wallet`.
    #[must_use]
    pub fn query_freeze_request(
        &self,
        no: &FreezeNo,
        wallet: Wallet,
        nonce: String,
    ) -> wire::QueryFreezeOrderRequest {
        wire::QueryFreezeOrderRequest {
            pay_mch_key: self.pay_mch_key(Some(wallet)),
            order_client: self.order_client(None),
            out_freeze_no: no.as_str().to_owned(),
            nonce_str: nonce,
        }
    }

    /// The `deposit_consume` request (§11.4): no `pay_platform`, `is_confirm_unfreeze`
    /// always `true` (see the module notes).
    #[must_use]
    pub fn deposit_consume_request(
        &self,
        request: &ConsumeRequest,
        nonce: String,
    ) -> wire::DepositConsumeRequest {
        wire::DepositConsumeRequest {
            pay_mch_key: self.pay_mch_key(None),
            pay_content: wire::ConsumeContent {
                out_trade_no: request.order_no.as_str().to_owned(),
                total_fee: request.amount.fen(),
                fee_type: CNY.to_owned(),
                body: clip(&request.body, MAX_BODY),
                remark: remark(&request.remark, MAX_REMARK),
                out_freeze_no: request.freeze_no.as_str().to_owned(),
                is_confirm_unfreeze: confirm_unfreeze(request.wallet),
                ..wire::ConsumeContent::default()
            },
            order_client: self.order_client(request.staff_id.as_deref()),
            nonce_str: nonce,
        }
    }

    /// The `unfreeze` request (§11.5) with its refund-permission fields.
    #[must_use]
    pub fn unfreeze_request(
        &self,
        request: &UnfreezeRequest,
        nonce: String,
    ) -> wire::UnfreezeRequest {
        let (is_sub_admin, staff) = match &request.authority {
            UnfreezeAuthority::Admin => (true, None),
            UnfreezeAuthority::Staff(staff) => (
                false,
                staff.clone().or_else(|| self.config().staff_id.clone()),
            ),
        };
        wire::UnfreezeRequest {
            pay_mch_key: PayMchKey {
                is_sub_admin: Some(is_sub_admin),
                authorization_staff_id: staff,
                ..self.pay_mch_key(Some(request.wallet))
            },
            unfreeze_content: wire::UnfreezeContent {
                out_freeze_no: request.freeze_no.as_str().to_owned(),
                out_unfreeze_no: request.unfreeze_no.as_str().to_owned(),
                unfreeze_fee: request.amount.fen(),
                remark: remark(&request.remark, MAX_UNFREEZE_REMARK),
            },
            order_client: self.order_client(None),
            nonce_str: nonce,
        }
    }

    /// The `query_unfreeze_order` request (§11.5) of one release (`None`: every release of
    /// the freeze).
    #[must_use]
    pub fn query_unfreeze_request(
        &self,
        freeze_no: &FreezeNo,
        wallet: Wallet,
        unfreeze_no: Option<&UnfreezeNo>,
        nonce: String,
    ) -> wire::QueryUnfreezeOrderRequest {
        wire::QueryUnfreezeOrderRequest {
            pay_mch_key: self.pay_mch_key(Some(wallet)),
            order_client: self.order_client(None),
            out_freeze_no: freeze_no.as_str().to_owned(),
            out_unfreeze_no: unfreeze_no.map(|u| u.as_str().to_owned()),
            nonce_str: nonce,
        }
    }

    /// The `refund` request of a consume order (§11.7): the ordinary one with
    /// `refund_content.out_freeze_no`.
    #[must_use]
    pub fn deposit_refund_request(
        &self,
        request: &RefundRequest,
        freeze_no: &FreezeNo,
        nonce: String,
    ) -> crate::wire::RefundRequest {
        let mut req = self.refund_request(request, nonce);
        req.refund_content.out_freeze_no = Some(freeze_no.as_str().to_owned());
        req
    }

    /// The `query_order_list` request (§11.8) for this shop and device: `order_type` 4
    /// (freezes) or 5 (releases), by creation time, every record.
    #[must_use]
    pub fn order_list_request(
        &self,
        from: Timestamp,
        to: Timestamp,
        order_type: i32,
        page_num: u32,
        page_size: u32,
        nonce: String,
    ) -> wire::QueryOrderListRequest {
        let c = self.config();
        wire::QueryOrderListRequest {
            out_sub_mch_id: c.out_sub_mch_id.clone(),
            out_shop_id: Some(c.out_shop_id.clone()),
            device_id: Some(c.device_id.clone()),
            order_type,
            time_filter: Some(1),
            status: Some(1),
            start_time: from.unix_seconds(),
            end_time: to.unix_seconds(),
            page_num,
            page_size,
            nonce_str: nonce,
            ..wire::QueryOrderListRequest::default()
        }
    }
}

/// `is_confirm_unfreeze` for a consume: WeChat requires `true`; Alipay allows `false`, but
/// CloudPOS ends every deposit with its one consume, so `true` for every wallet.
#[must_use]
pub const fn confirm_unfreeze(wallet: Wallet) -> bool {
    match wallet {
        Wallet::WeChat | Wallet::Alipay | Wallet::MemberCard => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CloudPayConfig, Secrets};
    use cloudpos_domain::code::CodeTable;
    use cloudpos_domain::{Money, OrderNo};
    use serde_json::{Value, json};

    fn client(staff: Option<&str>) -> CloudPayClient {
        let mut c = CloudPayConfig::new(
            "http://127.0.0.1:9/cpay/",
            "sz01lXKA6DKGjNzr2l4B",
            "sz01KzuCUOmw8yjtPite",
            "sz011biKxOguirmBqiFR",
            "824",
        );
        c.staff_id = staff.map(str::to_owned);
        c.terminal_type = 1;
        c.machine_no = "1111".into();
        c.sdk_version = "1.0".into();
        c.spbill_create_ip = "90.0.00.0".into();
        CloudPayClient::new(c, Secrets::new("k")).unwrap()
    }

    fn json_of<T: serde::Serialize>(v: &T) -> Value {
        serde_json::to_value(v).unwrap()
    }

    fn freeze_no() -> FreezeNo {
        FreezeNo::parse("sz010002cz1F0001").unwrap()
    }

    #[test]
    fn micro_freeze_sends_every_required_field() {
        let c = client(Some("1206"));
        let req = c.micro_freeze_request(
            &FreezeRequest {
                no: freeze_no(),
                code: CodeTable::default().classify("134520273825387649").unwrap(),
                amount: Money::from_fen(10),
                body: "押".repeat(50),
                remark: String::new(),
                staff_id: None,
            },
            "N".repeat(32),
        );
        let v = json_of(&req);
        assert_eq!(v["pay_mch_key"]["pay_platform"], 1);
        assert_eq!(v["pay_mch_key"]["sub_pay_platform"], 100);
        assert_eq!(v["freeze_content"]["out_freeze_no"], "sz010002cz1F0001");
        assert_eq!(v["freeze_content"]["author_code"], "134520273825387649");
        assert_eq!(v["freeze_content"]["freeze_fee"], 10);
        assert_eq!(v["freeze_content"]["fee_type"], "CNY");
        assert_eq!(v["freeze_content"]["body"].as_str().unwrap().len(), 126);
        assert!(
            v["freeze_content"].get("remark").is_none(),
            "empty remark left out"
        );
        for f in [
            "device_id",
            "terminal_type",
            "machine_no",
            "sdk_version",
            "spbill_create_ip",
        ] {
            assert!(v["order_client"].get(f).is_some(), "{f}");
        }
        assert_eq!(v["order_client"]["staff_id"], "1206");
    }

    #[test]
    fn consume_confirms_the_release_and_leaves_the_wallet_to_the_freeze() {
        let c = client(None);
        for wallet in [Wallet::WeChat, Wallet::Alipay] {
            let v = json_of(&c.deposit_consume_request(
                &ConsumeRequest {
                    freeze_no: freeze_no(),
                    wallet,
                    order_no: OrderNo::parse("sz010002cz1C0001").unwrap(),
                    amount: Money::from_fen(1),
                    body: "押金消费".into(),
                    remark: "room 302".into(),
                    staff_id: None,
                },
                "N".repeat(32),
            ));
            assert!(v["pay_mch_key"].get("pay_platform").is_none());
            assert_eq!(v["pay_content"]["is_confirm_unfreeze"], true);
            assert_eq!(v["pay_content"]["out_freeze_no"], "sz010002cz1F0001");
            assert_eq!(v["pay_content"]["out_trade_no"], "sz010002cz1C0001");
            assert_eq!(v["pay_content"]["total_fee"], 1);
            assert_eq!(v["pay_content"]["fee_type"], "CNY");
            assert_eq!(v["pay_content"]["remark"], "room 302");
        }
    }

    #[test]
    fn unfreeze_always_carries_the_refund_permission() {
        let request = |authority| UnfreezeRequest {
            freeze_no: freeze_no(),
            wallet: Wallet::Alipay,
            unfreeze_no: UnfreezeNo::parse("sz010002cz1U0001").unwrap(),
            amount: Money::from_fen(9),
            remark: String::new(),
            authority,
        };
        let c = client(Some("1206"));
        let admin = json_of(&c.unfreeze_request(&request(UnfreezeAuthority::Admin), "N".into()));
        assert_eq!(admin["pay_mch_key"]["is_sub_admin"], true);
        assert!(admin["pay_mch_key"].get("authorization_staff_id").is_none());
        assert_eq!(admin["pay_mch_key"]["pay_platform"], 2);
        assert_eq!(admin["pay_mch_key"]["out_mch_id"], "sz01lXKA6DKGjNzr2l4B");
        assert_eq!(
            admin["unfreeze_content"],
            json!({"out_freeze_no": "sz010002cz1F0001", "out_unfreeze_no": "sz010002cz1U0001", "unfreeze_fee": 9})
        );
        let staff = json_of(&c.unfreeze_request(
            &request(UnfreezeAuthority::Staff(Some("07".into()))),
            "N".into(),
        ));
        assert_eq!(staff["pay_mch_key"]["is_sub_admin"], false);
        assert_eq!(staff["pay_mch_key"]["authorization_staff_id"], "07");
        let configured =
            json_of(&c.unfreeze_request(&request(UnfreezeAuthority::Staff(None)), "N".into()));
        assert_eq!(configured["pay_mch_key"]["authorization_staff_id"], "1206");
    }

    #[test]
    fn queries_refund_and_listing() {
        let c = client(None);
        let q = json_of(&c.query_freeze_request(&freeze_no(), Wallet::WeChat, "N".into()));
        assert_eq!(q["out_freeze_no"], "sz010002cz1F0001");
        assert_eq!(q["pay_mch_key"]["pay_platform"], 1);
        let u = json_of(&c.query_unfreeze_request(
            &freeze_no(),
            Wallet::WeChat,
            Some(&UnfreezeNo::parse("sz010002cz1U0001").unwrap()),
            "N".into(),
        ));
        assert_eq!(u["out_unfreeze_no"], "sz010002cz1U0001");
        assert_eq!(u["pay_mch_key"]["pay_platform"], 1);
        let r = json_of(&c.deposit_refund_request(
            &RefundRequest {
                order_no: OrderNo::parse("sz010002cz1C0001").unwrap(),
                wallet: Wallet::WeChat,
                refund_no: cloudpos_domain::RefundNo::parse("sz010002cz1R0001").unwrap(),
                order_amount: Money::from_fen(3),
                amount: Money::from_fen(1),
                reason: String::new(),
                staff_id: None,
            },
            &freeze_no(),
            "N".into(),
        ));
        assert_eq!(r["refund_content"]["out_freeze_no"], "sz010002cz1F0001");
        assert_eq!(r["refund_content"]["total_fee"], 3);
        let l = json_of(&c.order_list_request(
            Timestamp::from_unix_seconds(1),
            Timestamp::from_unix_seconds(2),
            wire::order_type::FREEZE,
            1,
            50,
            "N".into(),
        ));
        assert_eq!(
            l,
            json!({"out_sub_mch_id": "sz01KzuCUOmw8yjtPite", "out_shop_id": "sz011biKxOguirmBqiFR",
                   "device_id": "824", "order_type": 4, "time_filter": 1, "status": 1,
                   "start_time": 1, "end_time": 2, "page_num": 1, "page_size": 50, "nonce_str": "N"})
        );
    }
}
