//! `cloudpos deposit …`: freeze, consume, unfreeze, query, list and the cashier mode.
//!
//! With `--json` each prints one object (a contract): `out_freeze_no`, `state` (`frozen`,
//! `failed`, `unknown`, `consumed`, `unfrozen`), `wallet`, `frozen_fen`, `consumed_fen`,
//! `unfrozen_fen`, `created_at`, and after a consume `out_trade_no` (the paid order the
//! consume created); `list` prints an array of them. The exit status is 0 only when the
//! asked-for operation succeeded.

use std::time::Duration;

use anyhow::bail;
use cloudpos_domain::deposit::{Deposit, DepositState, DepositStatus};
use cloudpos_domain::order_no::FreezeNo;
use cloudpos_domain::ports::DepositFilter;
use cloudpos_terminal::{
    Authorization, CashierMode, ConsumeInput, FreezeInput, Terminal, UnfreezeInput,
};
use serde_json::{Value, json};

use super::{clerk_id, parse_time, qr, typed_amount};
use crate::cli_deposit::{DepositCommand, DepositListArgs, FreezeArgs, UnfreezeArgs};
use crate::exit;
use crate::input::read_password;

/// Runs one `deposit` command.
pub async fn run(t: &Terminal, cmd: DepositCommand) -> anyhow::Result<u8> {
    match cmd {
        DepositCommand::Freeze(args) => freeze(t, args).await,
        DepositCommand::Consume {
            freeze,
            amount,
            remark,
            json,
        } => consume(t, &freeze, &amount, remark, json).await,
        DepositCommand::Unfreeze(args) => unfreeze(t, args).await,
        DepositCommand::Query { freeze, json } => {
            let d = t.query_deposit(&freeze_no(&freeze)?).await?;
            show(t, &d, json);
            Ok(exit::OK)
        }
        DepositCommand::List(args) => list(t, args).await,
        DepositCommand::Receipt { freeze, png } => {
            let no = freeze_no(&freeze)?;
            match png {
                Some(path) => {
                    let d = t
                        .deposit(&no)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("deposit {no} not found"))?;
                    let receipt = t.deposit_receipt(&d).await?;
                    let bytes = t.receipt_preview(&receipt, None).await?;
                    std::fs::write(&path, bytes)?;
                    println!("slip of deposit {no} written to {}", path.display());
                }
                None => {
                    t.print_deposit(&no, None).await?;
                    println!("slip of deposit {no} printed");
                }
            }
            Ok(exit::OK)
        }
        DepositCommand::Mode { set, json } => mode(t, set.as_deref(), json).await,
    }
}

fn freeze_no(text: &str) -> anyhow::Result<FreezeNo> {
    FreezeNo::parse(text.trim()).map_err(|e| anyhow::anyhow!("bad deposit number: {e}"))
}

/// The JSON object of a deposit (a contract; fields may be added).
pub fn deposit_json(d: &Deposit, offset: i32) -> Value {
    json!({
        "out_freeze_no": d.no.as_str(),
        "state": d.status().as_str(),
        "deposit_state": d.state.as_str(),
        "wallet": d.wallet.as_str(),
        "frozen_fen": d.frozen.fen(),
        "frozen": d.frozen.to_string(),
        "consumed_fen": d.consumed.fen(),
        "unfrozen_fen": d.unfrozen.fen(),
        "refunded_fen": d.refunded.fen(),
        "remaining_fen": d.remaining().fen(),
        "pending_fen": d.pending.fen(),
        "out_trade_no": d.consume_no.as_ref().map(|n| n.as_str().to_owned()),
        "out_unfreeze_no": d.unfreeze_no.as_ref().map(|n| n.as_str().to_owned()),
        "freeze_id": d.freeze_id,
        "created_at": d.created_at.rfc3339(offset),
        "frozen_at": d.frozen_at.map(|t| t.rfc3339(offset)),
        "finished_at": d.finished_at.map(|t| t.rfc3339(offset)),
        "reason": d.reason,
        "remark": d.remark,
        "clerk_id": d.clerk_id.as_str(),
        "settled_by": d.settled_by.as_ref().map(|c| c.as_str().to_owned()),
        "authorized_by": d.authorized_by.as_ref().map(|c| c.as_str().to_owned()),
        "store_id": d.store_id,
        "device_id": d.device_id,
        "code": d.code_masked,
    })
}

/// One line for people.
fn deposit_line(d: &Deposit, offset: i32) -> String {
    let mut line = format!(
        "{:<9} {}  frozen ¥{}  consumed ¥{}  released ¥{}  {}  {}",
        d.status().as_str(),
        d.no,
        d.frozen,
        d.consumed,
        d.unfrozen,
        d.wallet.display_name(),
        d.created_at.format(offset),
    );
    if let Some(no) = &d.consume_no {
        line.push_str(&format!("  order {no}"));
    }
    if d.state != DepositState::Frozen
        && let Some(r) = &d.reason
    {
        line.push_str(&format!("  ({r})"));
    }
    line
}

fn show(t: &Terminal, d: &Deposit, as_json: bool) {
    if as_json {
        println!("{}", deposit_json(d, t.offset_seconds()));
    } else {
        println!("{}", deposit_line(d, t.offset_seconds()));
    }
}

async fn freeze(t: &Terminal, args: FreezeArgs) -> anyhow::Result<u8> {
    let amount = typed_amount(&args.amount)?;
    let d = t
        .freeze(FreezeInput {
            amount,
            code: args.code,
            remark: args.remark,
            body: None,
            timeout: args.timeout.map(Duration::from_secs),
        })
        .await?;
    show(t, &d, args.json);
    Ok(match d.status() {
        DepositStatus::Frozen => exit::OK,
        DepositStatus::Unknown => {
            eprintln!(
                "cloudpos: deposit {}: result unknown, still being resolved (run `cloudpos recover`)",
                d.no
            );
            exit::PENDING
        }
        DepositStatus::Failed | DepositStatus::Unfrozen | DepositStatus::Consumed => {
            eprintln!(
                "cloudpos: deposit {} not frozen: {}",
                d.no,
                d.reason.as_deref().unwrap_or("refused")
            );
            exit::NOT_DONE
        }
    })
}

async fn consume(
    t: &Terminal,
    freeze: &str,
    amount: &str,
    remark: String,
    as_json: bool,
) -> anyhow::Result<u8> {
    let amount = typed_amount(amount)?;
    let result = t
        .consume_deposit(ConsumeInput {
            freeze_no: freeze_no(freeze)?,
            amount,
            remark,
        })
        .await?;
    show(t, &result.deposit, as_json);
    Ok(match result.deposit.state {
        DepositState::Consumed => exit::OK,
        _ => {
            eprintln!(
                "cloudpos: deposit {}: the consume's result is unknown, still being resolved (run `cloudpos recover`)",
                result.deposit.no
            );
            exit::PENDING
        }
    })
}

async fn unfreeze(t: &Terminal, args: UnfreezeArgs) -> anyhow::Result<u8> {
    let no = freeze_no(&args.freeze)?;
    let authorization = match (args.manager, args.qr, args.approval) {
        (Some(m), _, _) => Some(Authorization::ManagerPassword {
            manager: clerk_id(&m)?,
            password: read_password("Manager password: ")?,
        }),
        (None, true, _) => {
            let ticket = t.request_unfreeze_approval(&no).await?;
            qr::show(
                &ticket,
                &format!("Release of deposit {no}: manager approval"),
                t,
            );
            qr::wait_approved(t, &ticket.token).await?;
            Some(Authorization::Approval {
                token: ticket.token,
            })
        }
        (None, false, Some(token)) => Some(Authorization::Approval { token }),
        (None, false, None) => None,
    };
    let d = t
        .unfreeze_deposit(UnfreezeInput {
            freeze_no: no,
            authorization,
            reason: args.reason,
        })
        .await?;
    show(t, &d, args.json);
    Ok(match d.state {
        DepositState::Unfrozen => exit::OK,
        _ => {
            eprintln!(
                "cloudpos: deposit {}: the release is not acknowledged yet (run `cloudpos recover`)",
                d.no
            );
            exit::PENDING
        }
    })
}

async fn list(t: &Terminal, args: DepositListArgs) -> anyhow::Result<u8> {
    let status = match args.state.as_deref() {
        None => None,
        Some(s) => Some(s.parse::<DepositStatus>().map_err(|_| {
            anyhow::anyhow!(
                "unknown state \"{s}\" (expected frozen, failed, unknown, consumed or unfrozen)"
            )
        })?),
    };
    let filter = DepositFilter {
        from: parse_time(t, args.from.as_deref())?,
        to: parse_time(t, args.to.as_deref())?,
        status,
        clerk: args.clerk.as_deref().map(clerk_id).transpose()?,
        ..DepositFilter::default()
    };
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from > to
    {
        bail!("--from is after --to");
    }
    let page = t.deposits(&filter).await?;
    if args.json {
        let items: Vec<Value> = page
            .items
            .iter()
            .map(|d| deposit_json(d, t.offset_seconds()))
            .collect();
        println!("{}", Value::Array(items));
    } else {
        for d in &page.items {
            println!("{}", deposit_line(d, t.offset_seconds()));
        }
        println!("{} deposit(s)", page.total);
    }
    Ok(exit::OK)
}

async fn mode(t: &Terminal, set: Option<&str>, as_json: bool) -> anyhow::Result<u8> {
    if let Some(text) = set {
        let mode: CashierMode = text.parse()?;
        t.set_setting(&mode).await?;
    }
    let mode = t.setting::<CashierMode>().await?;
    if as_json {
        println!(
            "{}",
            json!({"mode": mode.as_str(), "name": mode.display_name(),
                   "payments": mode.payments(), "deposits": mode.deposits()})
        );
    } else {
        println!("{} ({})", mode.as_str(), mode.display_name());
    }
    Ok(exit::OK)
}
