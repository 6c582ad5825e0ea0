//! `query_order_list` of freezes and releases, and the deposits as `/control/ledger` shows
//! them.

use cloudpay_api::deposit::wire::{self as dw, unfreeze_state};
use cloudpay_api::wire::pay_platform;
use serde_json::{Value, json};

use super::{FreezeState, secs};
use crate::config::MerchantConfig;
use crate::ledger::Ledger;

impl Ledger {
    /// `query_order_list` of freezes (4) or releases (5); scope and window validated.
    #[must_use]
    pub fn order_list(&self, m: &MerchantConfig, req: &dw::QueryOrderListRequest) -> Value {
        let all = req.status == Some(1);
        let by_update = req.time_filter != Some(1);
        let in_window = |ms: i64| (req.start_time..=req.end_time).contains(&secs(ms));
        let scoped = |shop: &str, device: &str, staff: Option<&str>| {
            req.out_shop_id
                .as_deref()
                .is_none_or(|s| s.is_empty() || s == shop)
                && req
                    .device_id
                    .as_deref()
                    .is_none_or(|d| d.is_empty() || d == device)
                && req
                    .staff_id
                    .as_deref()
                    .is_none_or(|s| s.is_empty() || Some(s) == staff)
        };
        let platforms = req.sub_pay_platforms.clone().unwrap_or_default();
        let wallet_ok = |p: i32| platforms.is_empty() || platforms.contains(&(p * 100));
        let mut rows: Vec<Value> = Vec::new();
        if req.order_type == dw::order_type::FREEZE {
            for f in &self.deposits.freezes {
                let success = f.frozen_ms.is_some()
                    || (f.state == FreezeState::Finished && f.manual_unfrozen > 0);
                let t = if by_update {
                    f.updated_ms
                } else {
                    f.created_ms
                };
                if f.tombstone
                    || !(all || success)
                    || !in_window(t)
                    || !scoped(&f.out_shop_id, &f.device_id, f.staff_id.as_deref())
                    || !wallet_ok(f.pay_platform)
                {
                    continue;
                }
                let c = self.freeze_content(f);
                let row = dw::FreezeListRow {
                    out_freeze_no: f.out_freeze_no.clone(),
                    freeze_id: c.freeze_id.clone(),
                    freeze_fee: f.freeze_fee,
                    total_consume_fee: f.consumed,
                    total_manual_unfreeze_fee: f.manual_unfrozen,
                    total_auto_unfreeze_fee: f.auto_unfrozen,
                    total_refund_fee: self.freeze_refunded(f),
                    create_time: secs(f.created_ms),
                    time_end: c.time_end,
                    wxpay_current_trade_state: c
                        .wxpay_freeze_order_content_ext
                        .map(|w| w.current_trade_state),
                    alipay_current_trade_state: c
                        .alipay_freeze_order_content_ext
                        .map(|a| a.current_trade_state),
                    out_shop_id: Some(f.out_shop_id.clone()),
                    staff_id: f.staff_id.clone(),
                    device_id: Some(f.device_id.clone()),
                };
                rows.push(json!({ "freeze_order": row }));
            }
        } else {
            for u in &self.deposits.unfreezes {
                let Some(f) = self
                    .deposits
                    .find(&u.out_freeze_no)
                    .map(|i| &self.deposits.freezes[i])
                else {
                    continue;
                };
                if !in_window(u.created_ms)
                    || !scoped(&u.out_shop_id, &u.device_id, None)
                    || !wallet_ok(f.pay_platform)
                {
                    continue;
                }
                let state = Some(unfreeze_state::SUCCESS);
                let alipay = f.pay_platform == pay_platform::ALIPAY;
                let row = dw::UnfreezeListRow {
                    out_freeze_no: u.out_freeze_no.clone(),
                    out_unfreeze_no: u.out_unfreeze_no.clone(),
                    unfreeze_id: Some(u.unfreeze_id.clone()),
                    unfreeze_fee: u.unfreeze_fee,
                    create_time: secs(u.created_ms),
                    time_end: Some(secs(u.created_ms)),
                    wxpay_current_trade_state: state.filter(|_| !alipay),
                    alipay_current_trade_state: state.filter(|_| alipay),
                    out_shop_id: Some(u.out_shop_id.clone()),
                    staff_id: None,
                    device_id: Some(u.device_id.clone()),
                };
                rows.push(json!({ "unfreeze_order": row }));
            }
        }
        let total = rows.len();
        let size = usize::try_from(req.page_size).unwrap_or(100);
        let start = usize::try_from(req.page_num.saturating_sub(1))
            .unwrap_or(0)
            .saturating_mul(size);
        let page: Vec<Value> = rows.into_iter().skip(start).take(size).collect();
        let _ = m;
        json!({ "total_count": total, "order_details": page })
    }

    /// The deposits as `/control/ledger` shows them.
    #[must_use]
    pub fn deposits_view(&self) -> Value {
        json!({
            "freezes": self.deposits.freezes.iter().filter(|f| !f.tombstone).map(|f| json!({
                "out_freeze_no": f.out_freeze_no,
                "wallet": if f.pay_platform == pay_platform::ALIPAY { "alipay" } else { "wechat" },
                "state": f.state,
                "freeze_fee": f.freeze_fee,
                "held": f.held(),
                "consumed": f.consumed,
                "manual_unfrozen": f.manual_unfrozen,
                "auto_unfrozen": f.auto_unfrozen,
                "refunded": self.freeze_refunded(f),
                "consume_no": f.consume_no,
                "author_code": f.author_code,
                "device_id": f.device_id,
                "created_at": secs(f.created_ms),
                "frozen_at": f.frozen_ms.map(secs),
            })).collect::<Vec<_>>(),
            "unfreezes": self.deposits.unfreezes.iter().map(|u| json!({
                "out_unfreeze_no": u.out_unfreeze_no,
                "out_freeze_no": u.out_freeze_no,
                "unfreeze_fee": u.unfreeze_fee,
                "authority": u.authority,
                "created_at": secs(u.created_ms),
            })).collect::<Vec<_>>(),
        })
    }
}
