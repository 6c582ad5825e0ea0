//! The shop's order listing (`client_order_detail`) from the sandbox ledger.

use super::*;

impl Ledger {
    /// `client_order_detail` (scope and window already validated).
    #[must_use]
    pub fn order_detail(&self, m: &MerchantConfig, req: &wire::ClientOrderDetailRequest) -> Value {
        let kind = if req.query_order_type == 0 {
            wire::query_order_type::BOTH
        } else {
            req.query_order_type
        };
        let in_window = |ms: i64| secs(ms) >= req.start_time && secs(ms) <= req.end_time;
        let scope = |shop: &str, device: &str, staff: Option<&str>| {
            req.out_shop_id.as_deref().is_none_or(|s| s == shop)
                && req.device_id.as_deref().is_none_or(|d| d == device)
                && req.staff_id.as_deref().is_none_or(|s| Some(s) == staff)
        };
        // (created, kind rank, number, index) sorted for stable paging.
        let mut records: Vec<(i64, u8, &str, usize)> = Vec::new();
        if kind != wire::query_order_type::REFUNDS {
            for (i, o) in self.orders.iter().enumerate() {
                if o.tombstone
                    || !in_window(o.created_ms)
                    || !scope(&o.out_shop_id, &o.device_id, o.staff_id.as_deref())
                    || req.pay_platform.is_some_and(|p| p != o.pay_platform)
                {
                    continue;
                }
                records.push((o.created_ms, 0, &o.out_trade_no, i));
            }
        }
        if kind != wire::query_order_type::ORDERS {
            for (i, r) in self.refunds.iter().enumerate() {
                if !in_window(r.created_ms)
                    || !scope(&r.out_shop_id, &r.device_id, r.staff_id.as_deref())
                    || req.pay_platform.is_some_and(|p| p != r.pay_platform)
                {
                    continue;
                }
                records.push((r.created_ms, 1, &r.out_refund_no, i));
            }
        }
        records.sort();
        let total = records.len();
        let size = req.page_size as usize;
        let start = (req.page_num.max(1) as usize - 1).saturating_mul(size);
        let shop_info = |id: &str| {
            json!({
                "out_shop_id": id,
                "shop_name": m.shop(id).map(|s| s.name.clone()).unwrap_or_default(),
            })
        };
        let staff_info = |id: Option<&str>| {
            id.map(|id| {
                json!({
                    "staff_id": id,
                    "staff_name": m.staff_member(id).map(|s| s.name.clone()).unwrap_or_default(),
                })
            })
        };
        let details: Vec<Value> = records
            .iter()
            .skip(start)
            .take(size)
            .map(|&(_, rank, _, i)| {
                if rank == 0 {
                    let o = &self.orders[i];
                    let mch = wire::PayMchKey {
                        pay_platform: Some(o.pay_platform),
                        out_mch_id: m.out_mch_id.clone(),
                        out_sub_mch_id: m.out_sub_mch_id.clone(),
                        out_shop_id: o.out_shop_id.clone(),
                        ..wire::PayMchKey::default()
                    };
                    let client = wire::OrderClient {
                        device_id: Some(o.device_id.clone()),
                        staff_id: o.staff_id.clone(),
                        machine_no: o.machine_no.clone(),
                        ..wire::OrderClient::default()
                    };
                    json!({
                        "shop_info": shop_info(&o.out_shop_id),
                        "shop_staff_info": staff_info(o.staff_id.as_deref()),
                        "receipt": { "order": {
                            "order_mch": mch,
                            "order_content": self.order_content(o, true),
                            "order_client": client,
                        }},
                    })
                } else {
                    let r = &self.refunds[i];
                    let mch = wire::PayMchKey {
                        pay_platform: Some(r.pay_platform),
                        out_mch_id: m.out_mch_id.clone(),
                        out_sub_mch_id: m.out_sub_mch_id.clone(),
                        out_shop_id: r.out_shop_id.clone(),
                        ..wire::PayMchKey::default()
                    };
                    let client = wire::OrderClient {
                        device_id: Some(r.device_id.clone()),
                        staff_id: r.staff_id.clone(),
                        ..wire::OrderClient::default()
                    };
                    json!({
                        "shop_info": shop_info(&r.out_shop_id),
                        "shop_staff_info": staff_info(r.staff_id.as_deref()),
                        "receipt": { "refund_order": {
                            "refund_order_mch": mch,
                            "refund_order_content": Ledger::refund_content(r),
                            "order_client": client,
                        }},
                    })
                }
            })
            .collect();
        json!({ "total_count": total, "order_details": details })
    }
}
