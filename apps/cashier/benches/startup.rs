//! GUI cold start to first frame, and idle memory, of the cashier beside the smallest iced
//! window (`examples/empty_window.rs`), measured in the same run on the same X server.
//!
//! `cargo bench -p cashier --bench startup [-- RUNS]` (needs Xvfb, xdotool and ImageMagick;
//! uses `$DISPLAY` when set, else starts `Xvfb :93`). Build with `--release` figures in mind:
//! `cargo bench` uses the bench profile (optimised).
//!
//! * start → first frame: from `spawn` until the window is mapped and shows more than two
//!   colours (polled every ~20 ms with `xdotool` and `import`, so ±20 ms);
//! * idle memory: resident set (VmRSS) and proportional set (Pss) after 5 s of idling.
//!
//! Each cashier start uses a fresh data directory (the embedded sandbox and demo merchant are
//! created, as on a first start).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn exe(name: &str) -> PathBuf {
    // target/<profile>/deps/startup-HASH → target/<profile>/
    let me = std::env::current_exe().expect("current exe");
    let dir = me.parent().and_then(Path::parent).expect("target dir");
    dir.join(name)
}

fn build(display: &str) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--profile", "bench", "-p", "cashier"])
        .args(["--bin", "cashier", "--example", "empty_window"])
        .env("DISPLAY", display)
        .status()
        .expect("cargo build");
    assert!(status.success(), "building the cashier failed");
}

fn window_of(pid: u32, display: &str) -> Option<String> {
    let out = Command::new("xdotool")
        .args(["search", "--onlyvisible", "--pid", &pid.to_string()])
        .env("DISPLAY", display)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(str::to_owned)
}

fn colours(window: &str, display: &str) -> u32 {
    Command::new("import")
        .args(["-window", window, "-format", "%k", "info:"])
        .env("DISPLAY", display)
        .stderr(Stdio::null())
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(0)
}

fn memory_kib(pid: u32) -> (u64, u64) {
    let field = |text: &str, name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    (field(&status, "VmRSS:"), field(&rollup, "Pss:"))
}

struct Sample {
    first_frame: Duration,
    rss_kib: u64,
    pss_kib: u64,
}

fn measure(mut cmd: Command, display: &str) -> Sample {
    let started = Instant::now();
    let mut child: Child = cmd
        .env("DISPLAY", display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let deadline = started + Duration::from_secs(60);
    let first_frame = loop {
        assert!(Instant::now() < deadline, "no first frame within 60 s");
        if let Some(w) = window_of(pid, display)
            && colours(&w, display) > 2
        {
            break started.elapsed();
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    std::thread::sleep(Duration::from_secs(5));
    let (rss_kib, pss_kib) = memory_kib(pid);
    let _ = child.kill();
    let _ = child.wait();
    Sample {
        first_frame,
        rss_kib,
        pss_kib,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn report(name: &str, samples: &[Sample]) {
    let ms = median(
        samples
            .iter()
            .map(|s| s.first_frame.as_secs_f64() * 1e3)
            .collect(),
    );
    let best = samples
        .iter()
        .map(|s| s.first_frame.as_secs_f64() * 1e3)
        .fold(f64::INFINITY, f64::min);
    #[allow(clippy::cast_precision_loss)]
    let rss = median(samples.iter().map(|s| s.rss_kib as f64 / 1024.0).collect());
    #[allow(clippy::cast_precision_loss)]
    let pss = median(samples.iter().map(|s| s.pss_kib as f64 / 1024.0).collect());
    println!(
        "{name:<14} first frame median {ms:>7.0} ms (best {best:.0} ms)   idle RSS {rss:>6.1} MiB   PSS {pss:>6.1} MiB   ({} runs)",
        samples.len()
    );
}

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let mut xvfb = None;
    let display = match std::env::var("DISPLAY") {
        Ok(d) if !d.is_empty() => d,
        _ => {
            xvfb = Some(
                Command::new("Xvfb")
                    .args([":93", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("Xvfb (apt install xvfb)"),
            );
            std::thread::sleep(Duration::from_millis(700));
            ":93".to_owned()
        }
    };
    build(&display);
    let (cashier, peer) = (exe("cashier"), exe("examples/empty_window"));
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let home = tempfile::tempdir().expect("tempdir");
        let mut c = Command::new(&cashier);
        c.arg("--home").arg(home.path()).arg("--no-devices");
        ours.push(measure(c, &display));
        theirs.push(measure(Command::new(&peer), &display));
    }
    println!("GUI start-up on {display}:");
    report("cashier", &ours);
    report("empty iced", &theirs);
    if let Some(mut x) = xvfb {
        let _ = x.kill();
        let _ = x.wait();
    }
}
