//! `cloudpos halt …` and `audit …`.

use cloudpos_domain::ports::AuditVerdict;
use cloudpos_terminal::{Terminal, TerminalError};
use serde_json::json;

use crate::cli::{AuditCommand, HaltCommand};
use crate::exit;
use crate::input::read_password;

/// Runs a halt command.
pub async fn halt(t: &Terminal, cmd: HaltCommand) -> anyhow::Result<u8> {
    match cmd {
        HaltCommand::Status { json } => {
            let h = t.halt_state().await?;
            if json {
                println!("{}", json!({"halted": h.is_some(), "halt": h}));
            } else {
                match &h {
                    None => println!("not halted"),
                    Some(h) => {
                        println!(
                            "HALTED since {}: {}",
                            h.since.format(t.offset_seconds()),
                            h.reason
                        );
                        for d in &h.details {
                            println!("  - {d}");
                        }
                    }
                }
            }
            Ok(if h.is_some() {
                exit::NOT_DONE
            } else {
                exit::OK
            })
        }
        HaltCommand::Clear => {
            let (_, me) = t.current_clerk().await?;
            let password = read_password(&format!("Password of {}: ", me.id))?;
            t.clear_halt(&me.id, &password).await?;
            println!("halt cleared by {}", me.id);
            Ok(exit::OK)
        }
    }
}

/// Runs an audit command.
pub async fn audit(t: &Terminal, cmd: AuditCommand) -> anyhow::Result<u8> {
    match cmd {
        AuditCommand::Verify { json } => {
            let verdict = t.verify_audit().await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_value(&verdict)
                        .map_err(|e| TerminalError::Invalid(e.to_string()))?
                );
            }
            match verdict {
                AuditVerdict::Intact { records } => {
                    if !json {
                        println!("audit chain intact: {records} record(s)");
                    }
                    Ok(exit::OK)
                }
                AuditVerdict::Broken { seq, reason } => {
                    eprintln!("cloudpos: audit chain broken at record {seq}: {reason}");
                    Ok(exit::ERROR)
                }
            }
        }
        AuditCommand::List { limit, json } => {
            let records = t.audit_log(limit).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_value(&records)
                        .map_err(|e| TerminalError::Invalid(e.to_string()))?
                );
            } else {
                for r in &records {
                    println!(
                        "{:>6} {} {:<8} {:<20} {}",
                        r.seq,
                        r.entry.at.format(t.offset_seconds()),
                        r.entry.actor,
                        r.entry.action,
                        r.entry.detail
                    );
                }
            }
            Ok(exit::OK)
        }
    }
}
