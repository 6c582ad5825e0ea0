//! Replacing one program file, per platform.
//!
//! - **Linux and other Unix**: the previous file is hard-linked (copied if links are not
//!   possible) into the update's work folder as the backup, then the new file is renamed over
//!   the old name. `rename(2)` is atomic: a process starting at any moment finds the old file
//!   or the new one, never none; running processes keep executing the old inode.
//! - **Windows**: a running `.exe` cannot be overwritten or deleted, but it can be renamed.
//!   So the old `foo.exe` is renamed to `foo.exe.old` (the backup, beside it), and the new
//!   file is renamed to `foo.exe`. The `.old` file of a program still running cannot be
//!   deleted now; it is deleted at the next start ([`crate::finish_at_start`]). A rollback
//!   renames the new file aside (`foo.exe.failed`, deleted likewise) and `foo.exe.old` back.

use std::io;
use std::path::{Path, PathBuf};

/// Where the previous version of `program_dir/rel` is kept while an update is installed.
pub(crate) fn backup_path(work: &Path, program_dir: &Path, rel: &Path) -> PathBuf {
    if cfg!(windows) {
        let _ = work;
        with_suffix(&program_dir.join(rel), ".old")
    } else {
        let _ = program_dir;
        work.join("backup").join(rel)
    }
}

/// Where a new file that failed is put aside on Windows (it may be running).
pub(crate) fn failed_path(target: &Path) -> PathBuf {
    with_suffix(target, ".failed")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Puts `staged` in place of `target`; the previous `target`, if any, is kept at `backup`.
#[cfg(not(windows))]
pub(crate) fn replace(target: &Path, staged: &Path, backup: &Path) -> io::Result<()> {
    if target.exists() {
        if let Some(parent) = backup.parent() {
            std::fs::create_dir_all(parent)?;
        }
        remove_if_exists(backup)?;
        if std::fs::hard_link(target, backup).is_err() {
            std::fs::copy(target, backup)?;
        }
    } else if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::rename(staged, target)?;
    sync_dir(target);
    Ok(())
}

/// Puts `staged` in place of `target`; the previous `target`, if any, is kept at `backup`.
#[cfg(windows)]
pub(crate) fn replace(target: &Path, staged: &Path, backup: &Path) -> io::Result<()> {
    if target.exists() {
        // A stale .old from an earlier update whose program still runs cannot be removed:
        // then this update cannot keep a backup, and stops here.
        remove_if_exists(backup)?;
        std::fs::rename(target, backup)?;
        if let Err(e) = std::fs::rename(staged, target) {
            // Put the old file back under its name before reporting.
            let _ = std::fs::rename(backup, target);
            return Err(e);
        }
    } else {
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::rename(staged, target)?;
    }
    Ok(())
}

/// Puts the previous file back (or removes a file the previous version did not have).
/// Idempotent: safe to repeat after a crash at any point of [`replace`] or of itself.
#[cfg(not(windows))]
pub(crate) fn restore(target: &Path, backup: &Path, existed: bool) -> io::Result<()> {
    if existed {
        if backup.exists() {
            std::fs::rename(backup, target)?;
            sync_dir(target);
        } else if !target.exists() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("both {} and its backup are missing", target.display()),
            ));
        }
        // No backup and the file present: this file was never replaced.
        Ok(())
    } else {
        remove_if_exists(target)
    }
}

/// Puts the previous file back (or removes a file the previous version did not have).
/// Idempotent: safe to repeat after a crash at any point of [`replace`] or of itself.
#[cfg(windows)]
pub(crate) fn restore(target: &Path, backup: &Path, existed: bool) -> io::Result<()> {
    if existed && !backup.exists() {
        if target.exists() {
            return Ok(()); // never replaced
        }
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("both {} and its backup are missing", target.display()),
        ));
    }
    if target.exists() && std::fs::remove_file(target).is_err() {
        // The new program is running (it cannot be deleted): rename it aside.
        let failed = failed_path(target);
        remove_if_exists(&failed)?;
        std::fs::rename(target, &failed)?;
    }
    if existed {
        std::fs::rename(backup, target)?;
    }
    Ok(())
}

/// Deletes a kept file; `false` when it cannot be deleted now (on Windows, a program that
/// is still running) and must wait for the next start.
pub(crate) fn discard(path: &Path) -> bool {
    match std::fs::remove_file(path) {
        Ok(()) => true,
        Err(e) => e.kind() == io::ErrorKind::NotFound,
    }
}

pub(crate) fn remove_if_exists(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Makes a rename durable (the directory entry), best effort.
#[cfg(not(windows))]
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_keeps_a_backup_and_restore_puts_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join(".work");
        let target = dir.path().join("prog");
        let staged = dir.path().join("staged");
        std::fs::write(&target, b"old").unwrap();
        std::fs::write(&staged, b"new").unwrap();
        let backup = backup_path(&work, dir.path(), Path::new("prog"));
        replace(&target, &staged, &backup).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(std::fs::read(&backup).unwrap(), b"old");
        restore(&target, &backup, true).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        // Repeating a restore changes nothing.
        restore(&target, &backup, true).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
    }

    /// Windows: a running program is replaced by the rename dance and put back, while it
    /// runs (the copy of this test binary waits in `waits_while_replaced`).
    #[cfg(windows)]
    #[test]
    fn a_running_program_is_replaced_and_restored() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("running.exe");
        std::fs::copy(std::env::current_exe().unwrap(), &target).unwrap();
        let old = std::fs::read(&target).unwrap();
        let mut child = std::process::Command::new(&target)
            .args(["--exact", "swap::tests::waits_while_replaced", "--ignored"])
            .env("CLOUDPOS_SWAP_TEST_WAIT", "1")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        // Overwriting a running program fails on Windows; the dance does not.
        let staged = dir.path().join("staged.exe");
        std::fs::write(&staged, b"new program").unwrap();
        let backup = backup_path(&dir.path().join(".w"), dir.path(), Path::new("running.exe"));
        assert_eq!(backup, dir.path().join("running.exe.old"));
        replace(&target, &staged, &backup).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new program");
        restore(&target, &backup, true).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), old);
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Helper process of `a_running_program_is_replaced_and_restored`.
    #[test]
    #[ignore = "run by another test as a running program"]
    fn waits_while_replaced() {
        if std::env::var_os("CLOUDPOS_SWAP_TEST_WAIT").is_some() {
            std::thread::sleep(std::time::Duration::from_secs(20));
        }
    }

    #[test]
    fn a_file_the_old_version_lacked_is_removed_on_restore() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sub/new.txt");
        let staged = dir.path().join("staged");
        std::fs::write(&staged, b"new").unwrap();
        let backup = backup_path(&dir.path().join(".w"), dir.path(), Path::new("sub/new.txt"));
        replace(&target, &staged, &backup).unwrap();
        assert!(target.exists() && !backup.exists());
        restore(&target, &backup, false).unwrap();
        assert!(!target.exists());
    }
}
