//! `cloudpos handover`, `summary`, `shifts`.

use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::order::PaymentMethod;
use cloudpos_domain::shift::{Shift, Summary};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::Terminal;
use serde_json::{Value, json};

use crate::cli::SummaryArgs;
use crate::exit;

/// JSON of a summary: totals per method in fen.
pub fn summary_json(s: &Summary, offset: i32) -> Value {
    let methods: serde_json::Map<String, Value> = s
        .methods
        .iter()
        .map(|(m, t)| {
            (
                m.as_str().to_owned(),
                json!({"pay_count": t.pay_count, "paid_fen": t.paid.fen(), "refund_count": t.refund_count,
                       "refunded_fen": t.refunded.fen(), "net_fen": t.net.fen()}),
            )
        })
        .collect();
    json!({
        "from": s.from.rfc3339(offset),
        "to": s.to.rfc3339(offset),
        "clerk": s.clerk.as_ref().map(ClerkId::as_str),
        "methods": methods,
        "total": {"pay_count": s.total.pay_count, "paid_fen": s.total.paid.fen(), "refund_count": s.total.refund_count,
                  "refunded_fen": s.total.refunded.fen(), "net_fen": s.total.net.fen()},
        "cash": {"tendered_fen": s.cash.tendered.fen(), "change_fen": s.cash.change.fen()},
    })
}

/// The summary as a small table.
pub fn print_summary(s: &Summary, offset: i32) {
    println!(
        "summary {} → {}{}",
        s.from.format(offset),
        s.to.format(offset),
        s.clerk
            .as_ref()
            .map_or_else(|| "  all clerks".into(), |c| format!("  clerk {c}"))
    );
    println!(
        "{:<12} {:>6} {:>12} {:>6} {:>12} {:>12}",
        "method", "paid#", "paid", "ref#", "refunded", "net"
    );
    let row = |name: &str, t: &cloudpos_domain::shift::MethodTotals| {
        println!(
            "{:<12} {:>6} {:>12} {:>6} {:>12} {:>12}",
            name,
            t.pay_count,
            t.paid.to_string(),
            t.refund_count,
            t.refunded.to_string(),
            t.net.to_string()
        );
    };
    for m in PaymentMethod::ALL {
        if let Some(t) = s.methods.get(&m) {
            row(m.as_str(), t);
        }
    }
    row("total", &s.total);
    if s.cash.tendered.is_positive() {
        println!(
            "cash tendered {}  change {}",
            s.cash.tendered, s.cash.change
        );
    }
}

fn shift_json(sh: &Shift, offset: i32) -> Value {
    json!({
        "id": sh.id,
        "clerk_id": sh.clerk_id.as_str(),
        "opened_at": sh.opened_at.rfc3339(offset),
        "closed_at": sh.closed_at.map(|t| t.rfc3339(offset)),
    })
}

/// `handover`.
pub async fn handover(t: &Terminal, as_json: bool, print: bool) -> anyhow::Result<u8> {
    let r = t.handover().await?;
    let offset = t.offset_seconds();
    if print {
        let slip = t.summary_receipt(&r.summary).await?;
        if let Err(e) = t.print_receipt(&slip, None).await {
            eprintln!(
                "cloudpos: the handover slip was not printed ({e}); re-print it with `cloudpos summary --shift {} --print`",
                r.shift.id
            );
        }
    }
    if as_json {
        println!(
            "{}",
            json!({"shift": shift_json(&r.shift, offset), "summary": summary_json(&r.summary, offset)})
        );
    } else {
        println!("shift {} of clerk {} closed", r.shift.id, r.shift.clerk_id);
        print_summary(&r.summary, offset);
        println!("logged out; the next clerk logs in with `cloudpos login`");
    }
    Ok(exit::OK)
}

fn parse_time(t: &Terminal, text: Option<&str>) -> anyhow::Result<Option<Timestamp>> {
    Ok(text
        .map(|s| Timestamp::parse_local(s, t.offset_seconds()))
        .transpose()?)
}

/// `summary`.
pub async fn summary(t: &Terminal, args: SummaryArgs) -> anyhow::Result<u8> {
    let offset = t.offset_seconds();
    let summary = match args.shift {
        Some(id) => t.shift_summary(id).await?.summary,
        None => {
            let clerk = args.clerk.as_deref().map(ClerkId::parse).transpose()?;
            t.summary(
                parse_time(t, args.from.as_deref())?,
                parse_time(t, args.to.as_deref())?,
                clerk.as_ref(),
            )
            .await?
        }
    };
    if args.print {
        let slip = t.summary_receipt(&summary).await?;
        t.print_receipt(&slip, None).await?;
        eprintln!("summary printed");
    }
    if let Some(path) = &args.png {
        crate::commands::export::write_stats_png(t, &summary, path).await?;
        eprintln!("statistics picture written to {}", path.display());
    }
    if args.json {
        println!("{}", summary_json(&summary, offset));
    } else {
        print_summary(&summary, offset);
    }
    Ok(exit::OK)
}

/// `shifts`.
pub async fn shifts(t: &Terminal, limit: u32, as_json: bool) -> anyhow::Result<u8> {
    let list = t.shifts(limit).await?;
    let offset = t.offset_seconds();
    if as_json {
        println!(
            "{}",
            Value::Array(list.iter().map(|s| shift_json(s, offset)).collect())
        );
    } else {
        for s in &list {
            println!(
                "shift {:<5} clerk {:<8} {} → {}",
                s.id,
                s.clerk_id,
                s.opened_at.format(offset),
                s.closed_at
                    .map_or_else(|| "open".to_owned(), |c| c.format(offset))
            );
        }
    }
    Ok(exit::OK)
}
