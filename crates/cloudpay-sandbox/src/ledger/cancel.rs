//! Cancelling orders in the sandbox ledger: `reverse` (撤单) and `close_order`.

use super::*;

impl Ledger {
    /// `reverse` from `device_id`.
    pub fn reverse(
        &mut self,
        req: &wire::ReverseRequest,
        device_id: &str,
        now_ms: i64,
        timings: &Timings,
    ) -> Result<Done, Fail> {
        let ack = Done::answer(json!({ "nonce_str": cloudpay_api::new_nonce() }));
        let Some(i) = self.find_order(&req.out_trade_no) else {
            // Unknown number: remember it as closed so a late micro_pay is refused.
            let transaction_id = self.transaction_id(now_ms);
            self.orders.push(Order {
                out_trade_no: req.out_trade_no.clone(),
                author_code: String::new(),
                pay_platform: req.pay_mch_key.pay_platform.unwrap_or(pay_platform::WECHAT),
                total_fee: 0,
                fee_type: wire::CNY.to_owned(),
                body: String::new(),
                remark: None,
                out_shop_id: req.pay_mch_key.out_shop_id.clone(),
                device_id: device_id.to_owned(),
                staff_id: None,
                machine_no: req.order_client.machine_no.clone(),
                state: OrderState::Reversed,
                script: Script::Pay,
                failure: None,
                query_count: 0,
                created_ms: now_ms,
                paid_ms: None,
                updated_ms: now_ms,
                transaction_id,
                reversed_refund_fee: 0,
                auto_revoked: false,
                tombstone: true,
                duplicate: false,
                injected: false,
                refunded_override: None,
                fingerprint: String::new(),
                held: None,
                qr_code: None,
            });
            return Ok(ack);
        };
        same_platform(&self.orders[i], req.pay_mch_key.pay_platform)?;
        let has_refunds = self.reserved_refunds(&req.out_trade_no) > 0;
        let o = &mut self.orders[i];
        if o.device_id != device_id {
            return Err(Fail::failed(
                "撤单必须由原下单设备发起 (reverse must come from the device that charged)",
            ));
        }
        if matches!(o.state, OrderState::Reversed | OrderState::Closed) || o.tombstone {
            return Ok(ack);
        }
        let window = i64::try_from(timings.reverse_window.as_millis()).unwrap_or(i64::MAX);
        if now_ms > o.created_ms.saturating_add(window) {
            return Err(Fail::failed(
                "订单已超过撤销期限, 请使用退款 (REVERSE_EXPIRED)",
            ));
        }
        match o.state {
            OrderState::UserPaying => {
                if o.script == Script::RevokeRace {
                    // The customer confirmed just as the reverse arrived: the payment
                    // completes, and the reverse refunds it.
                    o.paid_ms = Some(now_ms);
                    o.reversed_refund_fee = o.total_fee;
                }
                o.state = OrderState::Reversed;
            }
            OrderState::Paid => {
                if has_refunds {
                    return Err(Fail::failed(
                        "订单已发生退款, 不能撤销, 请继续使用退款 (ORDER_REFUNDED)",
                    ));
                }
                o.state = OrderState::Reversed;
                o.reversed_refund_fee = o.total_fee;
            }
            // A failed order is already final: acknowledge.
            OrderState::Failed | OrderState::Reversed | OrderState::Closed => return Ok(ack),
        }
        o.updated_ms = now_ms;
        Ok(ack)
    }

    /// `close_order`.
    pub fn close_order(
        &mut self,
        req: &wire::CloseOrderRequest,
        now_ms: i64,
    ) -> Result<Done, Fail> {
        let Some(i) = self.find_order(&req.out_trade_no) else {
            return Err(Fail::not_found("订单不存在 (ORDERNOTEXIST)"));
        };
        same_platform(&self.orders[i], req.pay_mch_key.pay_platform)?;
        let o = &mut self.orders[i];
        match o.state {
            OrderState::Paid => return Err(Fail::failed("订单已支付, 不能关闭 (ORDERPAID)")),
            OrderState::UserPaying => {
                o.state = OrderState::Closed;
                o.updated_ms = now_ms;
            }
            OrderState::Failed | OrderState::Reversed | OrderState::Closed => {}
        }
        Ok(Done::answer(
            json!({ "nonce_str": cloudpay_api::new_nonce() }),
        ))
    }

    // ───────────────────────────── refunds ─────────────────────────────
}
