//! One function per command; each calls the terminal and prints.

mod basic;
mod capture;
mod clerk;
mod deposit;
mod device;
pub mod export;
mod halt;
mod hq;
mod keys;
mod member;
mod network;
mod onecode;
mod print;
mod qr;
mod reconcile;
mod shift;
mod update;
mod voice;

use std::time::Duration;

use anyhow::{Context, bail};
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{OrderState, OrderStatus};
use cloudpos_domain::order_no::OrderNo;
use cloudpos_domain::ports::OrderFilter;
use cloudpos_domain::refund::RefundState;
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::{
    Authorization, MerchantCredentials, PayInput, PayPolicy, RefundInput, Terminal, TerminalError,
    resolve_home,
};
use serde_json::json;

use crate::cli::{
    Cli, Command, ConfigCommand, OrdersArgs, PayArgs, PaymentConfigArgs, RefundArgs, SetupCommand,
};
use crate::exit;
use crate::input::read_password;
use crate::output::{order_json, order_line, refund_json};

/// Runs the parsed command; returns the exit status.
pub async fn run(cli: Cli) -> anyhow::Result<u8> {
    let home = resolve_home(cli.home.as_deref());
    // `setup` configures a real merchant: never start the demo for it. Everything else runs
    // on the embedded sandbox when no merchant is configured (design §4).
    // `voice` needs no Cloud Pay either.
    // Finish what an earlier software update left (an interrupted one is rolled back).
    let _ = cloudpos_terminal::finish_update_at_start();
    // `update` needs no Cloud Pay either.
    let (terminal, sandbox) = if matches!(
        cli.command,
        Command::Setup(_)
            | Command::Voice(_)
            | Command::Update(_)
            | Command::Config(ConfigCommand::Update(_))
    ) {
        (Terminal::open(&home).await, None)
    } else {
        match Terminal::open_or_demo(&home).await {
            Ok((t, sb)) => (Ok(t), sb),
            Err(e) => (Err(e), None),
        }
    };
    let terminal =
        terminal.with_context(|| format!("cannot open the terminal data in {}", home.display()))?;
    if sandbox.is_some() && !matches!(cli.command, Command::Demo) {
        eprintln!(
            "cloudpos: SANDBOX — no merchant is configured in {}, using the embedded sandbox (demo clerks 01/0101, 02/0202)",
            home.display()
        );
    }
    let status = match cli.command {
        Command::Demo => crate::demo::run(&terminal, sandbox.as_ref()).await,
        Command::Setup(SetupCommand::Merchant {
            credentials,
            sandbox,
        }) => setup_merchant(&terminal, &credentials, sandbox).await,
        Command::Setup(SetupCommand::Bind { config_qr, json }) => {
            device::bind(&terminal, &config_qr, json).await
        }
        Command::Setup(SetupCommand::Unbind) => device::unbind(&terminal).await,
        Command::Setup(SetupCommand::ResetKey) => device::reset_key(&terminal).await,
        Command::Notices {
            json,
            mark_read,
            mark_all_read,
        } => device::notices(&terminal, json, mark_read.as_deref(), mark_all_read).await,
        Command::Login { staff, qr } => login(&terminal, staff.as_deref(), qr).await,
        Command::Logout => {
            terminal.logout().await?;
            println!("logged out");
            Ok(exit::OK)
        }
        Command::Status { json } => status(&terminal, json).await,
        Command::Pay(args) => pay(&terminal, args).await,
        Command::Refund(args) => refund(&terminal, args).await,
        Command::Deposit(cmd) => deposit::run(&terminal, cmd).await,
        Command::Member(cmd) => member::run(&terminal, cmd).await,
        Command::Config(ConfigCommand::Member { bonus, json }) => {
            member::config(&terminal, bonus.as_deref(), json).await
        }
        Command::Query { order, json } => query(&terminal, &order, json).await,
        Command::Orders(args) => orders(&terminal, args).await,
        Command::Recover { json } => recover(&terminal, json).await,
        Command::Config(ConfigCommand::Basic(args)) => basic::config(&terminal, &args).await,
        Command::Config(ConfigCommand::Payment(args)) => config_payment(&terminal, &args).await,
        Command::Config(ConfigCommand::Printer(args)) => print::config(&terminal, &args).await,
        Command::Config(ConfigCommand::Network(args)) => network::config(&terminal, &args).await,
        Command::Config(ConfigCommand::Voice(args)) => voice::config(&terminal, &args).await,
        Command::Voice(cmd) => voice::run(&terminal, cmd).await,
        Command::Config(ConfigCommand::Onecode(args)) => onecode::config(&terminal, &args).await,
        Command::Onecode(cmd) => onecode::run(&terminal, cmd).await,
        Command::Config(ConfigCommand::Update(args)) => update::config(&terminal, &args).await,
        Command::Update(args) => update::run(&terminal, args, &home).await,
        Command::Config(ConfigCommand::Hq { url, enrol_token }) => {
            hq::config(&terminal, &url, &enrol_token).await
        }
        Command::Hq(cmd) => hq::run(&terminal, cmd).await,
        Command::Config(ConfigCommand::Reconcile {
            interval_secs,
            grace_ms,
            reset,
            json,
        }) => reconcile::config(&terminal, interval_secs, grace_ms, reset, json).await,
        Command::Reconcile(args) => reconcile::run(&terminal, args).await,
        Command::Print(cmd) => print::run(&terminal, cmd).await,
        Command::Clerk(cmd) => clerk::run(&terminal, cmd).await,
        Command::Halt(cmd) => halt::halt(&terminal, cmd).await,
        Command::Capture(cmd) => capture::run(&terminal, cmd).await,
        Command::Keys(cmd) => keys::run(&terminal, cmd).await,
        Command::Audit(cmd) => halt::audit(&terminal, cmd).await,
        Command::Handover { json, print } => shift::handover(&terminal, json, print).await,
        Command::Summary(args) => shift::summary(&terminal, args).await,
        Command::Shifts { limit, json } => shift::shifts(&terminal, limit, json).await,
        Command::Void {
            order,
            manager,
            json,
        } => void(&terminal, &order, manager.as_deref(), json).await,
    };
    // Receipts print in the background: let them finish before the process exits.
    terminal.flush_prints().await;
    status
}

fn clerk_id(text: &str) -> anyhow::Result<ClerkId> {
    Ok(ClerkId::parse(text)?)
}

fn order_no(text: &str) -> anyhow::Result<OrderNo> {
    OrderNo::parse(text.trim()).map_err(|e| anyhow::anyhow!("bad order number: {e}"))
}

async fn setup_merchant(t: &Terminal, path: &std::path::Path, sandbox: bool) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read credentials file {}", path.display()))?;
    let creds: MerchantCredentials = serde_json::from_str(&text)
        .with_context(|| format!("credentials file {} is not valid", path.display()))?;
    let password = read_password("Admin password: ")?;
    let profile = t.configure_merchant(&creds, &password, sandbox).await?;
    println!(
        "merchant configured: sub-merchant {}, store {}, device {}; admin clerk {} (log in with `cloudpos login --staff {}`)",
        profile.out_sub_mch_id,
        profile.out_shop_id,
        profile.device_id,
        profile.staff_id,
        profile.staff_id
    );
    Ok(exit::OK)
}

async fn login(t: &Terminal, staff: Option<&str>, qr: bool) -> anyhow::Result<u8> {
    let session = if qr {
        let ticket = t.start_qr_login().await?;
        qr::show(&ticket, "QR login", t);
        loop {
            if let Some(s) = t.finish_qr_login(&ticket.token).await? {
                break s;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    } else {
        let id = clerk_id(staff.unwrap_or_default())?;
        let password = read_password("Password: ")?;
        t.login(&id, &password).await?
    };
    println!(
        "logged in as {} (shift {} opened {})",
        session.clerk_id,
        session.shift_id,
        session.since.format(t.offset_seconds())
    );
    Ok(exit::OK)
}

async fn status(t: &Terminal, as_json: bool) -> anyhow::Result<u8> {
    let merchant = t.merchant().await?;
    let session = t.session().await?;
    let halt = t.halt_state().await?;
    if as_json {
        println!(
            "{}",
            json!({"merchant": merchant, "session": session, "halt": halt, "machine_no": t.machine_no().await?, "device": t.device_state().await?})
        );
        return Ok(exit::OK);
    }
    match &merchant {
        Some(m) => println!(
            "merchant: {} store {} device {} at {}{}",
            m.out_sub_mch_id,
            m.out_shop_id,
            m.device_id,
            m.base_url,
            if m.sandbox { " (SANDBOX)" } else { "" }
        ),
        None => println!("merchant: not configured"),
    }
    match &session {
        Some(s) => println!(
            "session: {} since {} (shift {})",
            s.clerk_id,
            s.since.format(t.offset_seconds()),
            s.shift_id
        ),
        None => println!("session: nobody logged in"),
    }
    match &halt {
        Some(h) => println!(
            "HALTED since {}: {}",
            h.since.format(t.offset_seconds()),
            h.reason
        ),
        None => println!("halt: no"),
    }
    Ok(exit::OK)
}

/// An amount typed on the command line (full-width digits and `。` accepted, see
/// [`Money::parse_typed`]).
fn typed_amount(text: &str) -> anyhow::Result<Money> {
    Money::parse_typed(text).map_err(|e| anyhow::anyhow!("bad amount: {e}"))
}

async fn pay(t: &Terminal, args: PayArgs) -> anyhow::Result<u8> {
    let amount = typed_amount(&args.amount)?;
    if args.speak {
        t.start_voice().await?;
    }
    let result = t
        .pay(PayInput {
            amount,
            code: args.code,
            remark: args.remark,
            body: None,
            timeout: args.timeout.map(Duration::from_secs),
        })
        .await;
    let offset = t.offset_seconds();
    let order = match result {
        Ok(order) => order,
        Err(e) => {
            // The request left: print the order as recorded (state `unknown`) and say what
            // is known, rather than an error that reads as "not charged".
            let (order, cloud_state, status) = match &e {
                TerminalError::PaidNotRecorded { order, .. } => {
                    (order, "paid", exit::PAID_NOT_RECORDED)
                }
                TerminalError::ResultUnknown { order, .. } => (order, "unknown", exit::PENDING),
                _ => return Err(e.into()),
            };
            if args.json {
                let mut v = order_json(order, offset);
                if let serde_json::Value::Object(map) = &mut v {
                    map.insert("cloud_state".into(), json!(cloud_state));
                    map.insert("note".into(), json!(e.to_string()));
                }
                println!("{v}");
            } else {
                println!("{}", order_line(order, offset));
            }
            eprintln!("cloudpos: {e}");
            return Ok(status);
        }
    };
    if args.json {
        println!("{}", order_json(&order, offset));
    } else {
        println!("{}", order_line(&order, offset));
    }
    // The result is printed; let the announcement be heard before the process ends.
    t.flush_voice(Duration::from_secs(10)).await;
    Ok(match order.state {
        OrderState::Paid => exit::OK,
        OrderState::Failed | OrderState::Reversed => exit::NOT_DONE,
        _ => exit::PENDING,
    })
}

async fn refund(t: &Terminal, args: RefundArgs) -> anyhow::Result<u8> {
    let amount = typed_amount(&args.amount)?;
    let no = order_no(&args.order)?;
    let authorization = match (args.manager, args.qr, args.approval) {
        (Some(m), _, _) => Some(Authorization::ManagerPassword {
            manager: clerk_id(&m)?,
            password: read_password("Manager password: ")?,
        }),
        (None, true, _) => {
            let ticket = t.request_refund_approval(&no, amount).await?;
            qr::show(
                &ticket,
                &format!("Refund of ¥{amount} on order {no}: manager approval"),
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
    let result = t
        .refund(RefundInput {
            order_no: no,
            amount,
            reason: args.reason,
            authorization,
        })
        .await?;
    if args.json {
        println!(
            "{}",
            refund_json(&result.refund, &result.order, t.offset_seconds())
        );
    } else {
        println!(
            "refund {} {}  ¥{}  of order {} ({} refunded of ¥{})",
            result.refund.no,
            result.refund.state,
            result.refund.amount,
            result.order.no,
            result.order.refunded,
            result.order.amount
        );
    }
    Ok(match result.refund.state {
        RefundState::Succeeded => exit::OK,
        RefundState::Failed => exit::NOT_DONE,
        _ => exit::PENDING,
    })
}

async fn query(t: &Terminal, order: &str, as_json: bool) -> anyhow::Result<u8> {
    let o = t.query(&order_no(order)?).await?;
    if as_json {
        println!("{}", order_json(&o, t.offset_seconds()));
    } else {
        println!("{}", order_line(&o, t.offset_seconds()));
    }
    Ok(exit::OK)
}

fn parse_time(t: &Terminal, text: Option<&str>) -> anyhow::Result<Option<Timestamp>> {
    text.map(|s| Timestamp::parse_local(s, t.offset_seconds()))
        .transpose()
        .map_err(Into::into)
}

async fn orders(t: &Terminal, args: OrdersArgs) -> anyhow::Result<u8> {
    let status = match args.state.as_deref() {
        None => None,
        Some(s) => Some(s.parse::<OrderStatus>().map_err(|_| {
            anyhow::anyhow!(
                "unknown state \"{s}\" (expected paid, failed, reversed, partially_refunded, refunded or unknown)"
            )
        })?),
    };
    let filter = OrderFilter {
        from: parse_time(t, args.from.as_deref())?,
        to: parse_time(t, args.to.as_deref())?,
        status,
        clerk: args.clerk.as_deref().map(clerk_id).transpose()?,
        ..OrderFilter::default()
    };
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from > to
    {
        bail!("--from is after --to");
    }
    if let Some(path) = args.xlsx {
        export::export(t, &filter, cloudpos_terminal::ExportTarget::Xlsx(path)).await?;
        return Ok(exit::OK);
    }
    if let Some(path) = args.csv {
        export::export(t, &filter, cloudpos_terminal::ExportTarget::Csv(path)).await?;
        return Ok(exit::OK);
    }
    let page = t.orders(&filter).await?;
    if args.json {
        let items: Vec<_> = page
            .items
            .iter()
            .map(|o| order_json(o, t.offset_seconds()))
            .collect();
        println!("{}", serde_json::Value::Array(items));
    } else {
        for o in &page.items {
            println!("{}", order_line(o, t.offset_seconds()));
        }
        println!("{} order(s)", page.total);
    }
    Ok(exit::OK)
}

async fn recover(t: &Terminal, as_json: bool) -> anyhow::Result<u8> {
    let report = t.recover_pending().await?;
    if as_json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "payments: {} found, {} paid, {} failed, {} reversed, {} still open; refunds: {} found, {} still open; deposits: {} found, {} frozen, {} failed, {} consumed, {} released, {} still open",
            report.orders_found,
            report.paid,
            report.failed,
            report.reversed,
            report.still_open,
            report.refunds_found,
            report.refunds_open,
            report.deposits.found,
            report.deposits.frozen,
            report.deposits.failed,
            report.deposits.consumed,
            report.deposits.unfrozen,
            report.deposits.still_open
        );
    }
    Ok(
        if report.still_open + report.refunds_open + report.deposits.still_open > 0 {
            exit::PENDING
        } else {
            exit::OK
        },
    )
}

async fn config_payment(t: &Terminal, args: &PaymentConfigArgs) -> anyhow::Result<u8> {
    let ms = Duration::from_millis;
    let mut policy = if args.reset {
        PayPolicy::default()
    } else {
        t.policy()
    };
    let changes = [
        (args.poll_ms, &mut policy.poll_interval),
        (args.timeout_ms, &mut policy.pay_timeout),
        (args.min_reverse_ms, &mut policy.min_reverse_after),
        (args.reverse_backoff_ms, &mut policy.reverse_backoff),
        (args.reverse_budget_ms, &mut policy.reverse_budget),
        (args.refund_poll_ms, &mut policy.refund_poll_interval),
        (args.refund_timeout_ms, &mut policy.refund_timeout),
    ];
    let mut changed = args.reset;
    for (value, field) in changes {
        if let Some(v) = value {
            *field = ms(v);
            changed = true;
        }
    }
    for (value, field) in [
        (&args.max_payment, &mut policy.max_payment),
        (&args.max_refund, &mut policy.max_refund),
    ] {
        if let Some(text) = value {
            *field = typed_amount(text)?;
            changed = true;
        }
    }
    if policy.reverse_backoff_max < policy.reverse_backoff {
        policy.reverse_backoff_max = policy.reverse_backoff;
    }
    if changed {
        t.set_setting(&policy).await?;
    }
    let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let shown = json!({
        "poll_ms": millis(policy.poll_interval),
        "timeout_ms": millis(policy.pay_timeout),
        "min_reverse_ms": millis(policy.min_reverse_after),
        "reverse_backoff_ms": millis(policy.reverse_backoff),
        "reverse_backoff_max_ms": millis(policy.reverse_backoff_max),
        "reverse_budget_ms": millis(policy.reverse_budget),
        "refund_poll_ms": millis(policy.refund_poll_interval),
        "refund_timeout_ms": millis(policy.refund_timeout),
        "duplicate_scan_window_ms": millis(policy.duplicate_scan_window),
        "max_payment": policy.max_payment.to_string(),
        "max_payment_fen": policy.max_payment.fen(),
        "max_refund": policy.max_refund.to_string(),
        "max_refund_fen": policy.max_refund.fen(),
    });
    if args.json {
        println!("{shown}");
    } else if let serde_json::Value::Object(map) = shown {
        for (k, v) in map {
            println!("{k:<24} {v}");
        }
    }
    Ok(exit::OK)
}

async fn void(
    t: &Terminal,
    order: &str,
    manager: Option<&str>,
    as_json: bool,
) -> anyhow::Result<u8> {
    let no = order_no(order)?;
    let authorization = match manager {
        Some(m) => Some(Authorization::ManagerPassword {
            manager: clerk_id(m)?,
            password: read_password("Manager password: ")?,
        }),
        None => None,
    };
    let o = t.void(&no, authorization).await?;
    if as_json {
        println!("{}", order_json(&o, t.offset_seconds()));
    } else {
        println!("{}", order_line(&o, t.offset_seconds()));
    }
    Ok(if o.state == OrderState::Reversed {
        exit::OK
    } else {
        exit::PENDING
    })
}
