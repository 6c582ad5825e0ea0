//! `cloudpos member …` and `cloudpos config member`: member cards.
//!
//! With `--json` (a contract): `find`/`add` print `card_no`, `name`, `phone`,
//! `balance_fen`, `status`; `recharge` prints `card_no`, `out_trade_no`, `state`,
//! `amount_fen`, `bonus_fen`, `balance_fen` (exit 0 only when paid and credited); `pay`
//! prints `card_no`, `out_trade_no`, `state`, `amount_fen`, `balance_fen`; `ledger` prints
//! an array, oldest first, of `kind`, `amount_fen`, `balance_fen` (after the entry), `at`.
//!
//! With a head office the cards are chain-wide: `find --card` adds `pending_fen` and
//! `pending` (the movements still waiting for the head office, e.g. a paid recharge not yet
//! credited), and `recharge` adds `credit_pending` (paid, the credit queued: exit 4, pending).

use anyhow::anyhow;
use cloudpos_domain::member::{BonusRules, MemberAccount};
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{Order, OrderState};
use cloudpos_terminal::{MemberSettings, Terminal, TerminalError};
use serde_json::{Value, json};

use super::typed_amount;
use crate::cli_member::MemberCommand;
use crate::exit;

/// The JSON object of a card (a contract; fields may be added).
fn account_json(a: &MemberAccount) -> Value {
    json!({
        "card_no": a.card.card_no.as_str(),
        "name": a.card.name,
        "phone": a.card.phone,
        "balance_fen": a.balance.fen(),
        "balance": a.balance.to_string(),
        "status": a.card.status.as_str(),
    })
}

fn account_line(a: &MemberAccount) -> String {
    format!(
        "{}  {}  {}  balance ¥{}  {}",
        a.card.card_no, a.card.name, a.card.phone, a.balance, a.card.status
    )
}

fn state_of(o: &Order) -> &'static str {
    o.status().as_str()
}

/// Runs one `member` command.
pub async fn run(t: &Terminal, cmd: MemberCommand) -> anyhow::Result<u8> {
    match cmd {
        MemberCommand::Add {
            card,
            name,
            phone,
            json,
        } => {
            let a = t.add_member(&card, &name, &phone).await?;
            print(json, &account_json(&a), &account_line(&a));
            Ok(exit::OK)
        }
        MemberCommand::Find { card, phone, json } => {
            if let Some(card) = card {
                let a = t.member(&card).await?;
                let pending = t.pending_member_movements(&card).await?;
                let mut v = account_json(&a);
                let mut line = account_line(&a);
                if !pending.is_empty() {
                    let sum: Money = pending.iter().map(|p| p.amount).sum();
                    v["pending_fen"] = json!(sum.fen());
                    v["pending"] = json!(pending
                        .iter()
                        .map(|p| json!({"key": p.key, "kind": p.kind.as_str(), "amount_fen": p.amount.fen()}))
                        .collect::<Vec<_>>());
                    line.push_str(&format!(
                        "  (¥{sum} waiting for the head office: {} movements)",
                        pending.len()
                    ));
                }
                print(json, &v, &line);
                return Ok(exit::OK);
            }
            let phone = phone.unwrap_or_default();
            let found = t.members_by_phone(&phone).await?;
            if found.is_empty() {
                return Err(anyhow!("no member card with phone {phone}"));
            }
            if json {
                println!("{}", Value::Array(found.iter().map(account_json).collect()));
            } else {
                for a in &found {
                    println!("{}", account_line(a));
                }
            }
            Ok(exit::OK)
        }
        MemberCommand::Recharge {
            card,
            amount,
            code,
            json,
        } => recharge(t, &card, &amount, &code, json).await,
        MemberCommand::Pay {
            card,
            amount,
            remark,
            json,
        } => {
            let amount = typed_amount(&amount)?;
            let order = match t.pay_member(&card, amount, &remark).await {
                Ok(order) => order,
                // The head office's answer was lost: the debit may have been applied. Not a
                // failure — the sync (or `cloudpos recover`) completes it.
                Err(e) => {
                    let TerminalError::ResultUnknown { order, .. } = &e else {
                        return Err(e.into());
                    };
                    let v = json!({
                        "card_no": card.trim(),
                        "out_trade_no": order.no.as_str(),
                        "state": "unknown",
                        "amount_fen": order.amount.fen(),
                        "note": e.to_string(),
                    });
                    let line = format!(
                        "card payment {} ¥{} pending: the head office did not answer; the card \
                         debit will be completed by the head-office sync (`cloudpos hq sync \
                         --once`); do not take the payment again",
                        order.no, order.amount
                    );
                    print(json, &v, &line);
                    eprintln!("cloudpos: {e}");
                    return Ok(exit::PENDING);
                }
            };
            let a = t.member(&card).await?;
            let v = json!({
                "card_no": a.card.card_no.as_str(),
                "out_trade_no": order.no.as_str(),
                "state": state_of(&order),
                "amount_fen": order.amount.fen(),
                "balance_fen": a.balance.fen(),
            });
            let line = format!(
                "paid {} ¥{} from card {}; balance ¥{}",
                order.no, order.amount, a.card.card_no, a.balance
            );
            print(json, &v, &line);
            Ok(exit::OK)
        }
        MemberCommand::Ledger { card, json } => {
            let offset = t.offset_seconds();
            let lines = t.member_ledger(&card).await?;
            if json {
                let arr: Vec<Value> = lines
                    .iter()
                    .map(|l| {
                        json!({
                            "kind": l.entry.kind.as_str(),
                            "amount_fen": l.entry.amount.fen(),
                            "balance_fen": l.balance_after.fen(),
                            "at": l.entry.at.rfc3339(offset),
                            "reference": l.entry.reference,
                            "reason": l.entry.reason,
                            "clerk_id": l.entry.clerk_id.as_ref().map(|c| c.as_str().to_owned()),
                        })
                    })
                    .collect();
                println!("{}", Value::Array(arr));
            } else {
                for l in &lines {
                    println!(
                        "{}  {:<10} {:>10}  balance {:>10}  {}",
                        l.entry.at.format(offset),
                        l.entry.kind,
                        l.entry.amount,
                        l.balance_after,
                        l.entry
                            .reason
                            .as_deref()
                            .or(l.entry.reference.as_deref())
                            .unwrap_or("")
                    );
                }
            }
            Ok(exit::OK)
        }
        MemberCommand::Import { file, json } => {
            let report = t.import_members(&file).await?;
            if json {
                println!("{}", serde_json::to_value(&report)?);
            } else {
                println!(
                    "{} rows read, {} members imported, {} rows skipped",
                    report.rows,
                    report.imported,
                    report.errors.len()
                );
                for e in &report.errors {
                    println!("row {}: {}", e.row, e.reason);
                }
            }
            Ok(if report.errors.is_empty() {
                exit::OK
            } else {
                exit::NOT_DONE
            })
        }
        MemberCommand::Export { file } => {
            let n = t.export_members(&file).await?;
            println!("{n} members written to {}", file.display());
            Ok(exit::OK)
        }
        MemberCommand::Adjust {
            card,
            amount,
            reason,
            json,
        } => {
            let amount =
                Money::parse_signed_yuan(amount.trim()).map_err(|e| anyhow!("bad amount: {e}"))?;
            let a = t.adjust_member(&card, amount, &reason).await?;
            print(json, &account_json(&a), &account_line(&a));
            Ok(exit::OK)
        }
    }
}

async fn recharge(
    t: &Terminal,
    card: &str,
    amount: &str,
    code: &str,
    json: bool,
) -> anyhow::Result<u8> {
    let amount = typed_amount(amount)?;
    let bonus = t.recharge_bonus(amount).await?;
    if !json {
        // The bonus is shown before charging.
        eprintln!("recharging card {card}: ¥{amount}, bonus ¥{bonus}");
    }
    let result = t.recharge_member(card, amount, code).await;
    let offset = t.offset_seconds();
    let mut account = None;
    let (order, status, credited) = match result {
        Ok(r) => {
            account = Some(r.account.clone());
            let status = if r.order.state == OrderState::Paid && r.credited {
                exit::OK
            } else if matches!(r.order.state, OrderState::Failed | OrderState::Reversed) {
                exit::NOT_DONE
            } else {
                exit::PENDING
            };
            (r.order, status, r.credited)
        }
        Err(e) => {
            let (order, status) = match &e {
                TerminalError::PaidNotRecorded { order, .. } => {
                    ((**order).clone(), exit::PAID_NOT_RECORDED)
                }
                TerminalError::ResultUnknown { order, .. } => ((**order).clone(), exit::PENDING),
                _ => return Err(e.into()),
            };
            eprintln!("cloudpos: {e}");
            (order, status, false)
        }
    };
    let a = match account {
        Some(a) => a,
        None => t.member(card).await?,
    };
    let credit_pending = order.state == OrderState::Paid && !credited;
    let v = json!({
        "card_no": a.card.card_no.as_str(),
        "credit_pending": credit_pending,
        "out_trade_no": order.no.as_str(),
        "state": state_of(&order),
        "amount_fen": order.amount.fen(),
        "bonus_fen": bonus.fen(),
        "balance_fen": a.balance.fen(),
        "credited": credited,
        "wallet": order.method.as_str(),
        "created_at": order.created_at.rfc3339(offset),
    });
    let mut line = format!(
        "{} {} ¥{} (bonus ¥{}) card {}; balance ¥{}",
        state_of(&order),
        order.no,
        order.amount,
        bonus,
        a.card.card_no,
        a.balance
    );
    if credit_pending {
        line.push_str(
            "; the credit waits for the head office (it is sent again until it is applied)",
        );
    }
    print(json, &v, &line);
    Ok(status)
}

fn print(json: bool, v: &Value, line: &str) {
    if json {
        println!("{v}");
    } else {
        println!("{line}");
    }
}

/// `cloudpos config member [--bonus 100:10,200:30] [--json]`: shows or sets the bonus
/// rules (empty text clears them).
pub async fn config(t: &Terminal, bonus: Option<&str>, json: bool) -> anyhow::Result<u8> {
    if let Some(text) = bonus {
        let rules = BonusRules::parse(text)?;
        t.set_setting(&MemberSettings { bonus: rules }).await?;
    }
    let s = t.setting::<MemberSettings>().await?;
    if json {
        let rules: Vec<Value> = s
            .bonus
            .rules
            .iter()
            .map(|r| json!({"threshold_fen": r.threshold.fen(), "bonus_fen": r.bonus.fen()}))
            .collect();
        println!("{}", json!({ "bonus": rules }));
    } else if s.bonus.rules.is_empty() {
        println!("no recharge bonus");
    } else {
        for r in &s.bonus.rules {
            println!("充 {} 送 {}", r.threshold, r.bonus);
        }
    }
    Ok(exit::OK)
}
