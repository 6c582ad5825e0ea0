//! One cashier GUI per data directory: an OS file lock held while the GUI runs, and the
//! request a second start leaves for the running GUI to come to the front.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Name of the lock file that marks the GUI running on a data directory.
pub const INSTANCE_LOCK_FILE: &str = "cashier.lock";
/// Name of the file a second start leaves to ask the running GUI to come forward.
pub const RAISE_REQUEST_FILE: &str = "cashier.raise";

/// Holds the data directory's GUI lock while alive: a second GUI on the same directory is
/// refused (two windows taking payments on one ledger and one device id would confuse the
/// cashier, and the CLI beside the GUI needs no lock). The lock is an OS file lock, so it is
/// released when the process dies, even by a crash.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    raise: PathBuf,
}

/// Another GUI holds the lock of this data directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the cashier is already running on {home} (process {pid}); it was asked to come to the front"
)]
pub struct AlreadyRunning {
    /// The data directory.
    pub home: String,
    /// The process id written by the running GUI (`?` when unreadable).
    pub pid: String,
}

impl InstanceLock {
    /// Takes the lock of `home` (created if missing). When another GUI holds it, leaves a
    /// request for that GUI to come to the front (see [`InstanceLock::take_raise_request`])
    /// and returns [`AlreadyRunning`].
    pub fn acquire(home: &Path) -> std::result::Result<InstanceLock, LockError> {
        std::fs::create_dir_all(home)
            .map_err(|e| LockError::Io(format!("{}: {e}", home.display())))?;
        let path = home.join(INSTANCE_LOCK_FILE);
        let raise = home.join(RAISE_REQUEST_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| LockError::Io(format!("{}: {e}", path.display())))?;
        if file.try_lock().is_err() {
            let pid = std::fs::read_to_string(&path)
                .ok()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "?".to_owned());
            std::fs::write(&raise, std::process::id().to_string())
                .map_err(|e| LockError::Io(format!("{}: {e}", raise.display())))?;
            return Err(LockError::AlreadyRunning(AlreadyRunning {
                home: home.display().to_string(),
                pid,
            }));
        }
        // Ours: record the pid for the message a second start prints. A stale raise request
        // from before a crash is dropped.
        file.set_len(0)
            .and_then(|()| file.write_all(std::process::id().to_string().as_bytes()))
            .and_then(|()| file.flush())
            .map_err(|e| LockError::Io(format!("{}: {e}", path.display())))?;
        let _ = std::fs::remove_file(&raise);
        Ok(InstanceLock { _file: file, raise })
    }

    /// Whether a second start asked this GUI to come to the front since the last call (the
    /// request is consumed).
    #[must_use]
    pub fn take_raise_request(&self) -> bool {
        std::fs::remove_file(&self.raise).is_ok()
    }
}

/// Why the GUI lock could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    /// Another GUI runs on the directory.
    #[error(transparent)]
    AlreadyRunning(#[from] AlreadyRunning),
    /// The lock file could not be created.
    #[error("cannot create the lock file: {0}")]
    Io(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_gui_per_data_directory_and_a_second_start_raises_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let first = InstanceLock::acquire(dir.path()).unwrap();
        assert!(!first.take_raise_request());
        match InstanceLock::acquire(dir.path()) {
            Err(LockError::AlreadyRunning(e)) => {
                assert_eq!(e.pid, std::process::id().to_string());
                assert!(e.to_string().contains("already running"), "{e}");
            }
            other => panic!("expected AlreadyRunning, got {other:?}"),
        }
        assert!(first.take_raise_request());
        assert!(!first.take_raise_request(), "the request is consumed");
        drop(first);
        let again = InstanceLock::acquire(dir.path()).unwrap();
        assert!(!again.take_raise_request());
    }
}
