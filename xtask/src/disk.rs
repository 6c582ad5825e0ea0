//! Disk full and damaged files.
//!
//! * Disk full: the terminal's data directory lives on a small tmpfs; after some normal
//!   trade the disk is filled to within 0–256 KiB of full and the cashier carries on
//!   (payments, refunds, recovery, queries). Pass: no panic, every refusal names the
//!   problem, and once space is freed every order recorded before is still there and the
//!   ledgers agree (a payment whose result could not be written is resolved by recovery).
//! * Damage: a copy of a terminal with some trade has its database, master key or a
//!   setting damaged at random (bytes flipped, truncated, a page zeroed, a foreign file,
//!   a key file garbled, shortened or gone, a setting that is not JSON). Pass: no panic;
//!   trading is refused with a message naming the damage — or, where the damage touched
//!   nothing in use, the terminal works and every earlier order reads back unchanged;
//!   nothing is charged that the terminal did not record.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::Ctx;
use crate::env::{Cloud, EXIT_PANIC, Till, code, status_of, yuan};
use crate::report::Outcome;

/// Size of the small file system the disk-full runs use.
const TMPFS_SIZE: &str = "24m";

/// Runs the campaign: half the runs disk-full, half damage.
pub fn run(ctx: &Ctx) -> Result<Outcome> {
    let mut out = Outcome::new("disk", ctx);
    let mut rng = StdRng::seed_from_u64(ctx.seed);
    let full_runs = ctx.runs / 2;
    // One cloud per phase: the tills of the two phases share a device id, and two devices
    // with one id would collide on order numbers (anti-reentry), which is not what is tested.
    for phase in 0..2 {
        let cloud = Cloud::start(ctx.scale)?;
        if phase == 0 {
            disk_full(ctx, &cloud, &mut rng, full_runs, &mut out)?;
        } else {
            damage(ctx, &cloud, &mut rng, full_runs, ctx.runs, &mut out)?;
        }
        let (_, problems) = crate::check::compare(&cloud.ledger()?, &[]);
        // Only the double-charge check applies across all the homes: the per-order checks
        // ran per home above.
        for p in problems.into_iter().filter(|p| p.contains("charged")) {
            out.problem(ctx.runs, p);
        }
    }
    Ok(out)
}

/// A mounted tmpfs, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount() -> Result<Tmpfs> {
        let dir = tempfile::tempdir()?;
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={TMPFS_SIZE}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .context("running mount")?;
        if !status.success() {
            bail!("cannot mount a tmpfs (the disk-full campaign needs root)");
        }
        Ok(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Fills the file system holding `dir` until at most `leave` bytes are free.
fn fill(file: &Path, leave: u64) -> Result<()> {
    let mut f = std::fs::File::create(file)?;
    let chunk = vec![0xA5u8; 64 * 1024];
    let mut written = 0u64;
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
            Err(e) => return Err(e.into()),
        }
    }
    // Top up with small writes, then give back `leave` bytes.
    let small = [0xA5u8; 512];
    while let Ok(n) = f.write(&small) {
        if n == 0 {
            break;
        }
        written += n as u64;
    }
    f.set_len(written.saturating_sub(leave))?;
    f.sync_all()?;
    Ok(())
}

/// The words a refusal must contain when the disk is full.
fn names_disk_problem(stderr: &str) -> bool {
    let s = stderr.to_lowercase();
    ["disk", "space", "full", "storage", "write"]
        .iter()
        .any(|w| s.contains(w))
}

fn disk_full(
    ctx: &Ctx,
    cloud: &Cloud,
    rng: &mut StdRng,
    runs: u64,
    out: &mut Outcome,
) -> Result<()> {
    let fs = match Tmpfs::mount() {
        Ok(fs) => fs,
        Err(e) => {
            out.problem(0, format!("disk full not exercised: {e:#}"));
            return Ok(());
        }
    };
    let home = fs.path().join("home");
    std::fs::create_dir_all(&home)?;
    let till = Till::at(&ctx.bin, &home);
    till.setup(cloud, ctx.scale)
        .context("setting up a till on the small file system")?;
    let filler = fs.path().join("filler");
    let (mut refused, mut went_through) = (0u64, 0u64);
    for run in 0..runs {
        for _ in 0..rng.random_range(1..=2) {
            let (s, _, err) = till.json(&[
                "pay",
                "--amount",
                &yuan(rng.random_range(1..50_000)),
                "--code",
                &code("00"),
                "--json",
            ])?;
            if s != 0 {
                out.problem(run, format!("payment with free space failed ({s}): {err}"));
            }
        }
        let before = till.orders()?;
        fill(&filler, rng.random_range(0..256 * 1024))?;
        for _ in 0..3 {
            let paid: Vec<&Value> = before
                .iter()
                .filter(|o| {
                    o["payment_state"] == "paid"
                        && o["amount_fen"].as_i64() > o["refunded_fen"].as_i64()
                })
                .collect();
            let args: Vec<String> = match rng.random_range(0..5) {
                0 | 1 => vec![
                    "pay".into(),
                    "--amount".into(),
                    yuan(rng.random_range(1..50_000)),
                    "--code".into(),
                    code("00"),
                    "--json".into(),
                ],
                2 if !paid.is_empty() => {
                    let o = paid[rng.random_range(0..paid.len())];
                    vec![
                        "refund".into(),
                        "--order".into(),
                        o["out_trade_no"].as_str().unwrap_or_default().to_owned(),
                        "--amount".into(),
                        "0.01".into(),
                        "--json".into(),
                    ]
                }
                3 => vec!["recover".into(), "--json".into()],
                _ => vec!["summary".into(), "--json".into()],
            };
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let output = till.run(&argv, None)?;
            let s = status_of(&output);
            let err = String::from_utf8_lossy(&output.stderr);
            match s {
                0 => went_through += 1,
                1 | 4 => {
                    refused += 1;
                    if !names_disk_problem(&err) {
                        out.problem(run, format!("`{}` refused unclearly: {err}", args[0]));
                    }
                }
                // Paid in the cloud, not recorded: `recover_all` below completes it.
                5 => {
                    went_through += 1;
                    if !names_disk_problem(&err) {
                        out.problem(run, format!("`{}` left open unclearly: {err}", args[0]));
                    }
                }
                _ => out.problem(run, format!("`{}` ended {s}: {err}", args[0])),
            }
        }
        std::fs::remove_file(&filler)?;
        till.recover_all(ctx.scale.dur(600_000))?;
        let after: HashMap<String, Value> = till
            .orders()?
            .into_iter()
            .filter_map(|o| Some((o["out_trade_no"].as_str()?.to_owned(), o)))
            .collect();
        for o in &before {
            let no = o["out_trade_no"].as_str().unwrap_or_default();
            match after.get(no) {
                None => out.problem(run, format!("{no} lost after the disk filled")),
                Some(a) if a["amount_fen"] != o["amount_fen"] => {
                    out.problem(run, format!("{no} changed: {o} → {a}"));
                }
                Some(_) => {}
            }
        }
    }
    let (_, problems) = crate::check::compare(&cloud.ledger()?, &till.orders()?);
    // Orders of the other homes are not this terminal's.
    for p in problems
        .into_iter()
        .filter(|p| !p.contains("the terminal does not"))
    {
        out.problem(runs, p);
    }
    out.metric("disk_full_refusals", refused);
    out.metric("disk_full_went_through", went_through);
    drop(till);
    drop(fs);
    Ok(())
}

/// The kinds of damage.
const DAMAGE: [&str; 8] = [
    "db_bytes_flipped",
    "db_truncated",
    "db_page_zeroed",
    "db_foreign_file",
    "key_garbled",
    "key_truncated",
    "key_missing",
    "setting_not_json",
];

/// Settings whose damage must be noticed.
const SETTINGS: [&str; 4] = ["merchant", "pay_policy", "network", "session"];

fn damage(
    ctx: &Ctx,
    cloud: &Cloud,
    rng: &mut StdRng,
    first_run: u64,
    end_run: u64,
    out: &mut Outcome,
) -> Result<()> {
    let template = Till::temp(&ctx.bin)?;
    template.setup(cloud, ctx.scale)?;
    for i in 0..12 {
        let (s, v, err) = template.json(&[
            "pay",
            "--amount",
            &yuan(1_000 + i),
            "--code",
            &code("00"),
            "--json",
        ])?;
        if s != 0 {
            bail!("template payment failed: {err}");
        }
        if i % 4 == 0 {
            template.ok(
                &[
                    "refund",
                    "--order",
                    v["out_trade_no"].as_str().unwrap_or_default(),
                    "--amount",
                    "1.00",
                    "--json",
                ],
                None,
            )?;
        }
    }
    let reference = snapshot(&template.orders()?);
    let mut kinds: HashMap<&str, [u64; 3]> = HashMap::new();
    let mut last_pay: Option<Instant> = None;
    for run in first_run..end_run {
        let kind = DAMAGE[rng.random_range(0..DAMAGE.len())];
        let copy = tempfile::tempdir()?;
        copy_dir(template.home(), copy.path())?;
        apply(kind, copy.path(), rng)?;
        let till = Till::at(&ctx.bin, copy.path());
        let c = code("00");
        // Every copy continues the template's order-number sequence, and the numbers carry
        // the second: pay in a new second so two copies never send one number.
        if let Some(at) = last_pay {
            std::thread::sleep(Duration::from_millis(1_100).saturating_sub(at.elapsed()));
        }
        last_pay = Some(Instant::now());
        let pay = till.run(&["pay", "--amount", "8.88", "--code", &c, "--json"], None)?;
        let listing = till.run(&["orders", "--json"], None)?;
        let counts = kinds.entry(kind).or_default();
        let mut crashed = false;
        for (what, o) in [("pay", &pay), ("orders", &listing)] {
            let s = status_of(o);
            if s == EXIT_PANIC || s < 0 {
                crashed = true;
                out.problem(
                    run,
                    format!(
                        "{kind}: {what} crashed ({s}): {}",
                        String::from_utf8_lossy(&o.stderr)
                    ),
                );
            }
        }
        if crashed {
            continue;
        }
        let ps = status_of(&pay);
        let ls = status_of(&listing);
        if ps == 0 && ls != 0 {
            // The payment wrote only new records; the damage sits in an old one, and reading
            // it back is refused: noticed where it is read, never passed on as data.
            counts[0] += 1;
            let err = String::from_utf8_lossy(&listing.stderr).to_lowercase();
            if !["corrupt", "damaged", "malformed"]
                .iter()
                .any(|w| err.contains(w))
            {
                out.problem(
                    run,
                    format!(
                        "{kind}: the order list refused ({ls}) without naming the damage: {}",
                        err.trim()
                    ),
                );
            }
        } else if ps == 0 {
            // The damage touched nothing in use: everything must read back unchanged.
            counts[1] += 1;
            let now: Vec<Value> = serde_json::from_slice(&listing.stdout).unwrap_or_default();
            let mut now = snapshot(&now);
            now.retain(|(no, ..)| reference.iter().any(|r| &r.0 == no));
            if now != reference {
                counts[2] += 1;
                let gone: Vec<_> = reference.iter().filter(|r| !now.contains(r)).collect();
                let became: Vec<_> = now.iter().filter(|r| !reference.contains(r)).collect();
                out.problem(
                    run,
                    format!(
                        "{kind}: trading went on over silently changed records \
                         (was {gone:?}, now {became:?}; orders ended {}: {})",
                        status_of(&listing),
                        String::from_utf8_lossy(&listing.stderr).trim()
                    ),
                );
            }
        } else {
            counts[0] += 1;
            let err = String::from_utf8_lossy(&pay.stderr).to_lowercase();
            if err.trim().is_empty() {
                out.problem(run, format!("{kind}: pay refused ({ps}) without a message"));
            }
            // Nothing charged that the terminal did not record.
            let ledger = cloud.ledger()?;
            let charged = ledger["orders"].as_array().is_some_and(|l| {
                l.iter()
                    .any(|o| o["author_code"] == c.as_str() && o["state"] == "paid")
            });
            if charged {
                out.problem(
                    run,
                    format!("{kind}: charged although pay failed ({ps}): {err}"),
                );
            }
        }
    }
    let by_kind: serde_json::Map<String, Value> = kinds
        .into_iter()
        .map(|(k, [refused, worked, silent])| {
            (
                k.to_owned(),
                json!({"refused": refused, "harmless": worked - silent, "silent": silent}),
            )
        })
        .collect();
    out.metric("damage", Value::Object(by_kind));
    Ok(())
}

/// What must survive: number, state, amount and refunded amount of every order.
fn snapshot(orders: &[Value]) -> Vec<(String, String, i64, i64)> {
    let mut v: Vec<_> = orders
        .iter()
        .map(|o| {
            (
                o["out_trade_no"].as_str().unwrap_or_default().to_owned(),
                o["payment_state"].as_str().unwrap_or_default().to_owned(),
                o["amount_fen"].as_i64().unwrap_or(-1),
                o["refunded_fen"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    v.sort();
    v
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

fn db(home: &Path) -> PathBuf {
    home.join("cloudpos.db")
}

fn key(home: &Path) -> PathBuf {
    home.join("master.key")
}

fn apply(kind: &str, home: &Path, rng: &mut StdRng) -> Result<()> {
    match kind {
        "db_bytes_flipped" => {
            let mut bytes = std::fs::read(db(home))?;
            for _ in 0..rng.random_range(1..=16) {
                let i = rng.random_range(0..bytes.len());
                bytes[i] ^= rng.random_range(1..=255u8);
            }
            std::fs::write(db(home), bytes)?;
        }
        "db_truncated" => {
            let f = std::fs::OpenOptions::new().write(true).open(db(home))?;
            let len = f.metadata()?.len();
            f.set_len(rng.random_range(0..len))?;
        }
        "db_page_zeroed" => {
            let mut bytes = std::fs::read(db(home))?;
            let pages = bytes.len() / 4096;
            let p = rng.random_range(0..pages.max(1));
            let end = ((p + 1) * 4096).min(bytes.len());
            bytes[p * 4096..end].fill(0);
            std::fs::write(db(home), bytes)?;
        }
        "db_foreign_file" => std::fs::write(db(home), "这不是数据库 / not a database\n")?,
        "key_garbled" => {
            let len = std::fs::metadata(key(home))?.len();
            let junk: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            std::fs::write(key(home), junk)?;
        }
        "key_truncated" => {
            let f = std::fs::OpenOptions::new().write(true).open(key(home))?;
            let len = f.metadata()?.len();
            f.set_len(rng.random_range(0..len))?;
        }
        "key_missing" => std::fs::remove_file(key(home))?,
        "setting_not_json" => {
            let setting = SETTINGS[rng.random_range(0..SETTINGS.len())];
            damage_setting(home, setting)?;
        }
        other => bail!("unknown damage {other}"),
    }
    Ok(())
}

/// Overwrites one settings row with text that is not JSON, with SQLite itself (the file
/// stays a valid database).
fn damage_setting(home: &Path, setting: &str) -> Result<()> {
    use sqlx::ConnectOptions;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(db(home))
            .connect()
            .await?;
        let done = sqlx::query("UPDATE settings SET value = '{\"damaged' WHERE key = ?")
            .bind(setting)
            .execute(&mut conn)
            .await?;
        if done.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO settings (key, value, updated_at) VALUES (?, '{\"damaged', 0)",
            )
            .bind(setting)
            .execute(&mut conn)
            .await?;
        }
        Ok::<_, anyhow::Error>(())
    })
}
