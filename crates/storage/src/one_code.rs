//! The [`OneCodeJournal`] port: handled one-code payments (一码支付), claim → done.

use async_trait::async_trait;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::one_code::{OneCodeEntry, OneCodeJournal, OneCodePayment, OneCodeState};
use cloudpos_domain::ports::StoreError;
use cloudpos_domain::timestamp::Timestamp;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::Store;
use crate::error::{corrupt, db};

macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT out_trade_no, amount_fen, wallet, paid_at, qr_code, transaction_id, state, \
             printed, claimed_at FROM one_code_payments ",
            $rest
        )
    };
}

fn entry(r: &SqliteRow) -> Result<OneCodeEntry, StoreError> {
    let no: String = r.try_get("out_trade_no").map_err(db)?;
    let wallet: Option<String> = r.try_get("wallet").map_err(db)?;
    let wallet = match wallet {
        None => None,
        Some(w) => Some(
            w.parse::<Wallet>()
                .map_err(|e| corrupt(&format!("one-code payment {no}"), e))?,
        ),
    };
    let state: String = r.try_get("state").map_err(db)?;
    let state = OneCodeState::parse(&state).ok_or_else(|| {
        corrupt(
            &format!("one-code payment {no}"),
            format!("unknown state {state}"),
        )
    })?;
    Ok(OneCodeEntry {
        payment: OneCodePayment {
            amount: Money::from_fen(r.try_get("amount_fen").map_err(db)?),
            wallet,
            paid_at: Timestamp::from_unix_millis(r.try_get("paid_at").map_err(db)?),
            qr_code: r.try_get("qr_code").map_err(db)?,
            transaction_id: r.try_get("transaction_id").map_err(db)?,
            out_trade_no: no,
        },
        state,
        printed: r.try_get::<i64, _>("printed").map_err(db)? != 0,
        claimed_at: Timestamp::from_unix_millis(r.try_get("claimed_at").map_err(db)?),
    })
}

#[async_trait]
impl OneCodeJournal for Store {
    async fn claim_one_code(
        &self,
        payment: &OneCodePayment,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "INSERT INTO one_code_payments (out_trade_no, amount_fen, wallet, paid_at, qr_code, \
             transaction_id, state, printed, claimed_at) VALUES (?, ?, ?, ?, ?, ?, 'claimed', 0, ?) \
             ON CONFLICT (out_trade_no) DO NOTHING",
        )
        .bind(&payment.out_trade_no)
        .bind(payment.amount.fen())
        .bind(payment.wallet.map(Wallet::as_str))
        .bind(payment.paid_at.unix_millis())
        .bind(&payment.qr_code)
        .bind(&payment.transaction_id)
        .bind(at.unix_millis())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn finish_one_code(
        &self,
        out_trade_no: &str,
        printed: bool,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE one_code_payments SET state = 'done', printed = ?, finished_at = ? \
             WHERE out_trade_no = ? AND state IN ('claimed', 'interrupted')",
        )
        .bind(i64::from(printed))
        .bind(at.unix_millis())
        .bind(out_trade_no)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound(format!(
                "one-code payment {out_trade_no} (not claimed)"
            )))
        }
    }

    async fn interrupt_open_one_code(
        &self,
        at: Timestamp,
    ) -> Result<Vec<OneCodeEntry>, StoreError> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(select!("WHERE state = 'claimed' ORDER BY paid_at"))
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query(
            "UPDATE one_code_payments SET state = 'interrupted', finished_at = ? \
             WHERE state = 'claimed'",
        )
        .bind(at.unix_millis())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.iter()
            .map(|r| {
                entry(r).map(|mut e| {
                    e.state = OneCodeState::Interrupted;
                    e
                })
            })
            .collect()
    }

    async fn last_one_code_paid(&self) -> Result<Option<Timestamp>, StoreError> {
        let row = sqlx::query("SELECT MAX(paid_at) AS last FROM one_code_payments")
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        let last: Option<i64> = row.try_get("last").map_err(db)?;
        Ok(last.map(Timestamp::from_unix_millis))
    }

    async fn recent_one_code(&self, limit: u32) -> Result<Vec<OneCodeEntry>, StoreError> {
        let rows = sqlx::query(select!("ORDER BY paid_at DESC, out_trade_no DESC LIMIT ?"))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(entry).collect()
    }
}
