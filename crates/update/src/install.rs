//! Installing an unpacked release over the program directory, with a journal so that a
//! failed or interrupted install is rolled back.
//!
//! The program directory is the folder holding the running programs (`cashier`,
//! `cloudpos`). Only the files the release ships are written; anything else there — and the
//! data directory, wherever it is — is never touched. The work happens in
//! `PROGRAM_DIR/.cloudpos-update/` (the staged new files, the backups on Unix, the journal),
//! under the lock file `PROGRAM_DIR/.cloudpos-update.lock`, so one update runs at a time.
//!
//! Order: stage every new file beside its destination (same file system), write the journal
//! (state `installing`, every file and whether it existed), replace the files one by one
//! (`swap.rs`), run `PROGRAM_DIR/cloudpos --version` and compare with the release's version,
//! then mark the journal `done` and delete the backups. Any failure after the first
//! replacement restores every file from its backup; a crash leaves the journal `installing`
//! and the next start ([`finish_at_start`]) rolls back the same way.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use semver::Version;
use serde::{Deserialize, Serialize};

use crate::UpdateError;
use crate::archive::{Unpacked, cli_program};
use crate::swap;

/// The update's work folder inside the program directory.
pub const WORK_DIR: &str = ".cloudpos-update";
/// The lock file inside the program directory.
pub const LOCK_FILE: &str = ".cloudpos-update.lock";
const JOURNAL: &str = "journal.json";

/// What [`install`] needs besides the release.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// The directory holding the programs.
    pub program_dir: PathBuf,
    /// Directories never written (the data directory, when it lies inside the program
    /// directory).
    pub protect: Vec<PathBuf>,
    /// The version the new `cloudpos --version` must report.
    pub expected_version: Version,
    /// The version running now (to say what a rollback put back).
    pub current_version: String,
    /// How long the new program may take to report its version.
    pub version_timeout: Duration,
}

/// A finished install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The files written, relative to the program directory.
    pub files: Vec<PathBuf>,
    /// Previous files that could not be deleted yet (Windows: programs still running);
    /// the next start deletes them.
    pub leftovers: usize,
}

/// What [`finish_at_start`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartCleanup {
    /// Nothing to do.
    Nothing,
    /// Another process holds the update lock (an update is running); nothing was touched.
    Busy,
    /// The previous files of a finished update (or rollback) were deleted.
    Cleaned,
    /// An interrupted update was rolled back to `version`.
    RolledBack {
        /// The version put back.
        version: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum State {
    Installing,
    Done,
    RolledBack,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Journal {
    from: String,
    to: String,
    state: State,
    files: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    path: PathBuf,
    existed: bool,
}

/// The folder holding this running program (symbolic links resolved).
pub fn program_dir() -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let exe = exe.canonicalize().unwrap_or(exe);
    exe.parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| std::io::Error::other("the program has no parent directory"))
}

/// Installs `release` into the program directory; see the module documentation.
pub fn install(release: &Unpacked, opts: &InstallOptions) -> Result<Installed, UpdateError> {
    let dir = &opts.program_dir;
    let cannot = |reason: String| UpdateError::CannotInstall {
        dir: dir.display().to_string(),
        reason,
    };
    let _lock = lock(dir)?.ok_or_else(|| UpdateError::Busy(dir.display().to_string()))?;
    // A previous update's leftovers first (an interrupted one is rolled back).
    recover(dir).map_err(|e| cannot(format!("an earlier update's files: {e}")))?;

    let canonical = dir
        .canonicalize()
        .map_err(|e| cannot(format!("the directory: {e}")))?;
    // A data directory strictly inside the program directory is fenced off; one that is
    // the program directory itself (or holds it) shares no names with a release.
    let protected: Vec<PathBuf> = opts
        .protect
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .filter(|p| p.starts_with(&canonical) && *p != canonical)
        .collect();
    for rel in &release.files {
        let target = canonical.join(rel);
        if let Some(p) = protected.iter().find(|p| target.starts_with(p)) {
            return Err(cannot(format!(
                "the release would write {} inside the data directory {}",
                rel.display(),
                p.display()
            )));
        }
        if target.is_dir() {
            return Err(cannot(format!("{} is a directory", target.display())));
        }
    }

    // Stage the new files beside their destinations.
    let work = dir.join(WORK_DIR);
    let staged_root = work.join("new");
    let stage = || -> std::io::Result<()> {
        std::fs::create_dir_all(&staged_root)?;
        for rel in &release.files {
            let to = staged_root.join(rel);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(release.root.join(rel), &to)?;
            std::fs::File::open(&to)?.sync_all()?;
        }
        Ok(())
    };
    if let Err(e) = stage() {
        let _ = std::fs::remove_dir_all(&work);
        return Err(cannot(format!("cannot stage the new files: {e}")));
    }
    let mut journal = Journal {
        from: opts.current_version.clone(),
        to: opts.expected_version.to_string(),
        state: State::Installing,
        files: release
            .files
            .iter()
            .map(|rel| Entry {
                path: rel.clone(),
                existed: dir.join(rel).exists(),
            })
            .collect(),
    };
    if let Err(e) = write_journal(&work, &journal) {
        let _ = std::fs::remove_dir_all(&work);
        return Err(cannot(format!("cannot write the journal: {e}")));
    }

    // Replace, then prove the new program starts.
    let mut failure = None;
    for entry in &journal.files {
        let target = dir.join(&entry.path);
        let backup = swap::backup_path(&work, dir, &entry.path);
        if let Err(e) = swap::replace(&target, &staged_root.join(&entry.path), &backup) {
            failure = Some(format!("cannot replace {}: {e}", entry.path.display()));
            break;
        }
    }
    let replaced_all = failure.is_none();
    if replaced_all
        && let Err(reason) = check_version(
            &dir.join(cli_program()),
            &opts.expected_version,
            opts.version_timeout,
        )
    {
        failure = Some(reason);
    }
    if let Some(reason) = failure {
        tracing::warn!("update to {}: {reason}; rolling back", journal.to);
        return match roll_back(dir, &work, &mut journal) {
            Ok(()) if replaced_all => Err(UpdateError::RolledBack {
                reason,
                current: opts.current_version.clone(),
            }),
            Ok(()) => Err(cannot(reason)),
            Err(rollback) => Err(UpdateError::RollbackFailed {
                dir: dir.display().to_string(),
                reason,
                rollback,
            }),
        };
    }
    journal.state = State::Done;
    if let Err(e) = write_journal(&work, &journal) {
        // Installed and verified, but not recorded as done: the next start would roll back,
        // so roll back now and say so rather than claim success.
        let reason = format!("the update journal could not be marked done ({e})");
        journal.state = State::Installing;
        return match roll_back(dir, &work, &mut journal) {
            Ok(()) => Err(cannot(reason)),
            Err(rollback) => Err(UpdateError::RollbackFailed {
                dir: dir.display().to_string(),
                reason,
                rollback,
            }),
        };
    }
    let leftovers = clean(dir, &work, &journal);
    Ok(Installed {
        files: journal.files.iter().map(|e| e.path.clone()).collect(),
        leftovers,
    })
}

/// At a program's start: deletes a finished update's previous files (Windows `.old`
/// programs) and rolls back an update that was interrupted. Cheap when there is nothing
/// (one `stat`). Call it from every program's start; a failure is worth a log line, not a
/// refusal to start.
pub fn finish_at_start(program_dir: &Path) -> Result<StartCleanup, UpdateError> {
    if !program_dir.join(WORK_DIR).exists() {
        return Ok(StartCleanup::Nothing);
    }
    let Some(_lock) = lock(program_dir)? else {
        return Ok(StartCleanup::Busy);
    };
    recover(program_dir).map_err(|rollback| UpdateError::RollbackFailed {
        dir: program_dir.display().to_string(),
        reason: "an update was interrupted".into(),
        rollback,
    })
}

/// Takes the update lock, `None` when another process holds it.
fn lock(dir: &Path) -> Result<Option<std::fs::File>, UpdateError> {
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| UpdateError::CannotInstall {
            dir: dir.display().to_string(),
            reason: format!("cannot open {}: {e}", path.display()),
        })?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(UpdateError::CannotInstall {
            dir: dir.display().to_string(),
            reason: format!("cannot lock {}: {e}", path.display()),
        }),
    }
}

/// Under the lock: finishes whatever an earlier update left in the work folder.
fn recover(dir: &Path) -> Result<StartCleanup, String> {
    let work = dir.join(WORK_DIR);
    if !work.exists() {
        return Ok(StartCleanup::Nothing);
    }
    let journal = match std::fs::read(work.join(JOURNAL)) {
        Ok(bytes) => Some(
            serde_json::from_slice::<Journal>(&bytes)
                .map_err(|e| format!("unreadable update journal: {e}"))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read the update journal: {e}")),
    };
    match journal {
        // Staged files only (a crash before the journal): nothing was replaced.
        None => {
            std::fs::remove_dir_all(&work).map_err(|e| e.to_string())?;
            Ok(StartCleanup::Cleaned)
        }
        Some(mut j) if j.state == State::Installing => {
            tracing::warn!(
                "an update to {} was interrupted; rolling back to {}",
                j.to,
                j.from
            );
            roll_back(dir, &work, &mut j)?;
            Ok(StartCleanup::RolledBack { version: j.from })
        }
        Some(j) => {
            clean(dir, &work, &j);
            Ok(StartCleanup::Cleaned)
        }
    }
}

/// Restores every journal entry (in reverse order), marks the journal rolled back and
/// deletes what can be deleted.
fn roll_back(dir: &Path, work: &Path, journal: &mut Journal) -> Result<(), String> {
    let mut errors = Vec::new();
    for entry in journal.files.iter().rev() {
        let target = dir.join(&entry.path);
        let backup = swap::backup_path(work, dir, &entry.path);
        if let Err(e) = swap::restore(&target, &backup, entry.existed) {
            errors.push(format!("{}: {e}", entry.path.display()));
        }
    }
    if !errors.is_empty() {
        return Err(errors.join("; "));
    }
    journal.state = State::RolledBack;
    write_journal(work, journal).map_err(|e| format!("cannot write the journal: {e}"))?;
    clean(dir, work, journal);
    Ok(())
}

/// Deletes the backups and the staged files of a finished (or rolled back) update, and the
/// work folder once nothing is left; returns how many files had to stay.
fn clean(dir: &Path, work: &Path, journal: &Journal) -> usize {
    let mut left = 0;
    for entry in &journal.files {
        let target = dir.join(&entry.path);
        for kept in [
            swap::backup_path(work, dir, &entry.path),
            swap::failed_path(&target),
        ] {
            if !swap::discard(&kept) {
                left += 1;
            }
        }
    }
    let _ = std::fs::remove_dir_all(work.join("new"));
    if left == 0 {
        let _ = std::fs::remove_dir_all(work);
    }
    left
}

fn write_journal(work: &Path, journal: &Journal) -> std::io::Result<()> {
    let bytes = serde_json::to_vec_pretty(journal).map_err(std::io::Error::other)?;
    let tmp = work.join("journal.tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        std::io::Write::write_all(&mut f, &bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, work.join(JOURNAL))
}

/// Runs `program --version` and checks it reports `expected` ("cloudpos X.Y.Z").
pub fn check_version(program: &Path, expected: &Version, timeout: Duration) -> Result<(), String> {
    let mut command = Command::new(program);
    command
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt as _;
        // CREATE_NO_WINDOW: no console flashes up when the cashier applies an update.
        command.creation_flags(0x0800_0000);
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("{} cannot be started: {e}", program.display()))?;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(o) = stdout.as_mut() {
            let _ = o.take(64 * 1024).read_to_string(&mut s);
        }
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(e) = stderr.as_mut() {
            let _ = e.take(64 * 1024).read_to_string(&mut s);
        }
        s
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{} --version` did not answer within {} s",
                    program.display(),
                    timeout.as_secs()
                ));
            }
            Err(e) => return Err(format!("waiting for {}: {e}", program.display())),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if !status.success() {
        let detail = stderr.lines().next().unwrap_or("").trim();
        return Err(format!(
            "`{} --version` exited with {status}{}",
            program.display(),
            if detail.is_empty() {
                String::new()
            } else {
                format!(" ({detail})")
            }
        ));
    }
    let reported = stdout
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or("");
    match Version::parse(reported) {
        Ok(v) if v == *expected => Ok(()),
        Ok(v) => Err(format!(
            "it reports version {v}, but the signed manifest says {expected}"
        )),
        Err(_) => Err(format!(
            "it printed {:?} instead of its version",
            stdout.trim()
        )),
    }
}
