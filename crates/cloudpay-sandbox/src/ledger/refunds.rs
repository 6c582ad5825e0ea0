//! Refunds in the sandbox ledger: reserving, settling and answering `refund` and `query_refund_order`.

use super::*;

impl Ledger {
    /// Sum of the order's refunds that are not failed (what is no longer refundable).
    #[must_use]
    pub fn reserved_refunds(&self, no: &str) -> i64 {
        self.refunds
            .iter()
            .filter(|r| r.out_trade_no == no && r.state != RefundRecState::Failed)
            .map(|r| r.refund_fee)
            .sum()
    }

    /// The refunded amount reported for an order (successful refunds, or the injected
    /// override).
    #[must_use]
    pub fn refunded(&self, order: &Order) -> i64 {
        if let Some(v) = order.refunded_override {
            return v;
        }
        if order.duplicate {
            return 0;
        }
        self.refunds
            .iter()
            .filter(|r| {
                r.out_trade_no == order.out_trade_no && r.state == RefundRecState::Succeeded
            })
            .map(|r| r.refund_fee)
            .sum()
    }

    /// The wire `refund_order_content` of a refund.
    #[must_use]
    pub fn refund_content(r: &RefundRec) -> RefundOrderContent {
        let code = match r.state {
            RefundRecState::Processing => refund_state::PROCESSING,
            RefundRecState::Succeeded => refund_state::SUCCESS,
            RefundRecState::Failed => refund_state::FAILED,
        };
        let mut c = RefundOrderContent {
            out_refund_no: r.out_refund_no.clone(),
            refund_id: Some(r.refund_id.clone()),
            out_trade_no: r.out_trade_no.clone(),
            trade_type: Some(wire::trade_type::MICROPAY),
            create_time: Some(secs(r.created_ms)),
            last_update_time: Some(secs(r.succeeded_ms.unwrap_or(r.created_ms))),
            is_transforming: Some(r.state == RefundRecState::Processing),
            total_fee: r.total_fee,
            refund_fee: r.refund_fee,
            refund_fee_type: Some(wire::CNY.to_owned()),
            refund_reason: r.reason.clone(),
            refund_success_time: r.succeeded_ms.map(secs),
            ..RefundOrderContent::default()
        };
        match r.pay_platform {
            pay_platform::ALIPAY => {
                c.alipay_refund_order_content_ext = Some(wire::AliRefundOrderContentExt {
                    refund_status: Some(code),
                    fund_change: Some("Y".to_owned()),
                    gmt_refund_pay: r.succeeded_ms.map(secs),
                });
            }
            pay_platform::MEMBER_CARD => {
                let state = match r.state {
                    RefundRecState::Processing => refund_state::INITIAL,
                    RefundRecState::Succeeded => refund_state::SUCCESS,
                    RefundRecState::Failed => refund_state::FAILED,
                };
                c.card_refund_order_content_ext = Some(wire::CardRefundOrderContentExt { state });
            }
            _ => {
                c.wxpay_refund_order_content_ext = Some(wire::WxRefundOrderContentExt {
                    state: code,
                    cash_refund_fee: Some(r.refund_fee),
                    refund_account: Some("REFUND_SOURCE_UNSETTLED_FUNDS".to_owned()),
                    refund_channel: Some("ORIGINAL".to_owned()),
                    refund_recv_account: Some("支付用户零钱".to_owned()),
                    ..wire::WxRefundOrderContentExt::default()
                });
            }
        }
        c
    }

    /// `refund` (§10.7 rules), atomically.
    pub fn refund(
        &mut self,
        m: &MerchantConfig,
        req: &wire::RefundRequest,
        device_id: &str,
        now_ms: i64,
        timings: &Timings,
    ) -> Result<Done, Fail> {
        let rc = &req.refund_content;
        let answer = |r: &RefundRec| {
            Done::answer(json!({
                "pay_mch_key": pay_mch_key_echo(m, &req.pay_mch_key),
                "refund_order_content": Ledger::refund_content(r),
                "nonce_str": cloudpay_api::new_nonce(),
            }))
        };
        if let Some(existing) = self
            .refunds
            .iter()
            .find(|r| r.out_refund_no == rc.out_refund_no)
        {
            if existing.out_trade_no == rc.out_trade_no && existing.refund_fee == rc.refund_fee {
                return Ok(answer(existing));
            }
            return Err(Fail::new_number(
                "退款单号已使用, 参数与原退款不一致, 请使用新的退款单号 (OUT_REFUND_NO_USED)",
            ));
        }
        let Some(i) = self.find_order(&rc.out_trade_no) else {
            return Err(Fail::not_found("订单不存在 (ORDERNOTEXIST)"));
        };
        let o = &self.orders[i];
        same_platform(o, req.pay_mch_key.pay_platform)?;
        if o.tombstone || o.state != OrderState::Paid {
            return Err(Fail::failed(format!(
                "订单状态不允许退款: {} (only paid orders can be refunded)",
                match o.state {
                    OrderState::UserPaying => "未支付",
                    OrderState::Paid => "不存在",
                    OrderState::Failed => "支付失败",
                    OrderState::Reversed => "已撤销",
                    OrderState::Closed => "已关闭",
                }
            )));
        }
        if rc.total_fee != o.total_fee {
            return Err(Fail::failed(format!(
                "total_fee 与订单金额不一致 (order total is {} fen)",
                o.total_fee
            )));
        }
        let count = self
            .refunds
            .iter()
            .filter(|r| r.out_trade_no == rc.out_trade_no)
            .count();
        if count >= MAX_REFUNDS_PER_ORDER {
            return Err(Fail::failed(format!(
                "退款次数超过上限 {MAX_REFUNDS_PER_ORDER} 次 (too many partial refunds)"
            )));
        }
        let reserved = self.reserved_refunds(&rc.out_trade_no);
        let left = o.total_fee - reserved;
        if rc.refund_fee > left {
            return Err(Fail::failed(format!(
                "退款金额超过可退金额: 剩余可退 {left} 分 (refund exceeds the refundable amount)"
            )));
        }
        let settle_ms = now_ms.saturating_add(
            i64::try_from(timings.refund_settle_after.as_millis()).unwrap_or(i64::MAX),
        );
        let (shop, platform) = (o.out_shop_id.clone(), o.pay_platform);
        let seq = self.next_seq();
        let rec = RefundRec {
            out_refund_no: rc.out_refund_no.clone(),
            out_trade_no: rc.out_trade_no.clone(),
            refund_fee: rc.refund_fee,
            total_fee: rc.total_fee,
            state: RefundRecState::Processing,
            refund_id: format!(
                "50300{:010}{seq:011}",
                secs(now_ms).rem_euclid(10_000_000_000)
            ),
            reason: rc.refund_reason.clone(),
            out_shop_id: shop,
            device_id: device_id.to_owned(),
            staff_id: req.order_client.staff_id.clone(),
            pay_platform: platform,
            created_ms: now_ms,
            settle_ms,
            succeeded_ms: None,
        };
        let done = answer(&rec);
        self.refunds.push(rec);
        Ok(done)
    }

    /// `query_refund_order`: one refund, or all of the order's refunds.
    pub fn query_refund(
        &mut self,
        m: &MerchantConfig,
        req: &wire::QueryRefundOrderRequest,
        now_ms: i64,
        timings: &Timings,
    ) -> Result<Done, Fail> {
        let Some(i) = self.find_order(&req.out_trade_no) else {
            return Err(Fail::not_found("订单不存在 (ORDERNOTEXIST)"));
        };
        same_platform(&self.orders[i], req.pay_mch_key.pay_platform)?;
        let wanted = |r: &RefundRec| {
            r.out_trade_no == req.out_trade_no
                && req
                    .out_refund_no
                    .as_deref()
                    .is_none_or(|no| r.out_refund_no == no)
        };
        if !self.refunds.iter().any(wanted) {
            return Err(Fail::not_found("退款单不存在 (REFUNDNOTEXIST)"));
        }
        let mut list = Vec::new();
        for r in self.refunds.iter_mut().filter(|r| wanted(r)) {
            if timings.refund_settles_on_query && r.state == RefundRecState::Processing {
                r.state = RefundRecState::Succeeded;
                r.succeeded_ms = Some(now_ms);
            }
            list.push(Ledger::refund_content(r));
        }
        Ok(Done::answer(json!({
            "pay_mch_key": pay_mch_key_echo(m, &req.pay_mch_key),
            "refund_order_content": list,
            "order_client": [req.order_client],
            "nonce_str": cloudpay_api::new_nonce(),
        })))
    }

    // ───────────────────────────── listing ─────────────────────────────
}
