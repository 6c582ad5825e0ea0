//! Deposit slips: freeze, consume and release (押金冻结 / 消费 / 解冻凭证), built from the
//! ledger's record like every receipt.

use cloudpos_domain::deposit::{Deposit, DepositState};
use cloudpos_domain::order::PaymentMethod;
use cloudpos_domain::order_no::FreezeNo;
use cloudpos_domain::receipt::{Receipt, ReceiptKind};

use crate::{PrinterSettings, Result, Terminal, TerminalError};

impl Terminal {
    /// The slip of a deposit as it stands: a freeze slip while frozen (or open), a consume
    /// slip once consumed (what was taken and what went back), a release slip once
    /// released. A failed freeze has no slip.
    pub async fn deposit_receipt(&self, deposit: &Deposit) -> Result<Receipt> {
        let kind = match deposit.state {
            DepositState::Consumed => ReceiptKind::DepositConsume,
            DepositState::Unfrozen => ReceiptKind::DepositRelease,
            DepositState::Failed => {
                return Err(TerminalError::Invalid(format!(
                    "deposit {} failed: nothing was frozen, there is no slip to print",
                    deposit.no
                )));
            }
            _ => ReceiptKind::DepositFreeze,
        };
        let mut r = self.receipt_base(kind).await?;
        r.order_no = Some(deposit.no.to_string());
        r.transaction_id.clone_from(&deposit.freeze_id);
        r.time = match kind {
            ReceiptKind::DepositFreeze => deposit.frozen_at.unwrap_or(deposit.created_at),
            _ => deposit.finished_at.unwrap_or(deposit.updated_at),
        };
        let clerk = deposit.settled_by.as_ref().unwrap_or(&deposit.clerk_id);
        r.clerk = self.clerk_label(clerk).await?;
        r.device_id.clone_from(&deposit.device_id);
        r.method = Some(PaymentMethod::Wallet(deposit.wallet));
        r.amount = deposit.frozen;
        r.remark.clone_from(&deposit.remark);
        match kind {
            ReceiptKind::DepositConsume => {
                r.extra
                    .push(("本次消费".to_owned(), deposit.consumed.to_string()));
                r.extra
                    .push(("解冻返还".to_owned(), deposit.unfrozen.to_string()));
                if let Some(no) = &deposit.consume_no {
                    r.extra.push(("消费订单号".to_owned(), no.to_string()));
                }
                if deposit.refunded.is_positive() {
                    r.extra
                        .push(("已退款".to_owned(), deposit.refunded.to_string()));
                }
            }
            ReceiptKind::DepositRelease => {
                r.extra
                    .push(("解冻金额".to_owned(), deposit.unfrozen.to_string()));
                if let Some(m) = &deposit.authorized_by {
                    r.extra
                        .push(("授权人".to_owned(), self.clerk_label(m).await?));
                }
            }
            _ if deposit.state != DepositState::Frozen => {
                r.extra
                    .push(("状态".to_owned(), deposit.state.display_name().to_owned()));
            }
            _ => {}
        }
        Ok(r)
    }

    /// Prints (or re-prints) a deposit's slip with the configured printer, or `settings`.
    pub async fn print_deposit(
        &self,
        no: &FreezeNo,
        settings: Option<PrinterSettings>,
    ) -> Result<()> {
        let deposit = self.stored_deposit(no).await?;
        let receipt = self.deposit_receipt(&deposit).await?;
        self.print_receipt(&receipt, settings).await
    }
}
