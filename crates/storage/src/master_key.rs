//! The master key that seals secrets, kept by the operating system.
//!
//! - Windows: 32 random bytes protected with DPAPI (`CryptProtectData`, current user) in
//!   `master.key.dpapi`; only this Windows account on this machine can unprotect them.
//! - Other systems: 32 random bytes in `master.key`, mode 0600, created atomically (written
//!   to a temporary file, synced, then hard-linked into place) so two processes starting
//!   together agree on one key and a crash never leaves a half-written key.
//!
//! The database never holds the key, so a copied database alone reveals no secret.

use std::path::Path;

use cloudpos_domain::ports::StoreError;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

/// Length of the master key in bytes (AES-256).
pub(crate) const KEY_LEN: usize = 32;

fn random_key() -> Result<Zeroizing<[u8; KEY_LEN]>, StoreError> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    SystemRandom::new()
        .fill(key.as_mut())
        .map_err(|_| StoreError::Backend("the system random generator failed".into()))?;
    Ok(key)
}

/// Loads the master key of data directory `dir`, creating it on first use.
pub(crate) fn load_or_create(dir: &Path) -> Result<Zeroizing<[u8; KEY_LEN]>, StoreError> {
    platform::load_or_create(dir)
}

#[cfg(not(windows))]
mod platform {
    use std::fs::{self, OpenOptions};
    use std::io::{Read, Write};
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    use std::path::Path;

    use cloudpos_domain::ports::StoreError;
    use zeroize::Zeroizing;

    use super::{KEY_LEN, random_key};

    const FILE: &str = "master.key";

    pub(super) fn load_or_create(dir: &Path) -> Result<Zeroizing<[u8; KEY_LEN]>, StoreError> {
        let path = dir.join(FILE);
        if !path.exists() {
            create(dir, &path)?;
        }
        let meta = fs::metadata(&path).map_err(|e| io_err(&path, &e))?;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "master key was readable by others; restricting it to 0600");
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600))
                .map_err(|e| io_err(&path, &e))?;
        }
        let mut file = fs::File::open(&path).map_err(|e| io_err(&path, &e))?;
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        let mut extra = [0u8; 1];
        file.read_exact(key.as_mut()).map_err(|_| {
            StoreError::Corrupt(format!(
                "master key file {} is damaged (expected {KEY_LEN} bytes); stored merchant keys cannot be opened: reconfigure the merchant",
                path.display()
            ))
        })?;
        if file.read(&mut extra).map_err(|e| io_err(&path, &e))? != 0 {
            return Err(StoreError::Corrupt(format!(
                "master key file {} is damaged (longer than {KEY_LEN} bytes)",
                path.display()
            )));
        }
        Ok(key)
    }

    fn create(dir: &Path, path: &Path) -> Result<(), StoreError> {
        let key = random_key()?;
        let tmp = dir.join(format!("{FILE}.tmp.{}", std::process::id()));
        let _ = fs::remove_file(&tmp);
        {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(|e| io_err(&tmp, &e))?;
            f.write_all(key.as_ref()).map_err(|e| io_err(&tmp, &e))?;
            f.sync_all().map_err(|e| io_err(&tmp, &e))?;
        }
        // Hard-linking fails if another process created the key first: then theirs wins.
        let linked = fs::hard_link(&tmp, path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                if let Ok(d) = fs::File::open(dir) {
                    let _ = d.sync_all();
                }
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(io_err(path, &e)),
        }
    }

    fn io_err(path: &Path, e: &std::io::Error) -> StoreError {
        if e.raw_os_error() == Some(28) {
            StoreError::DiskFull(format!("{}: {e}", path.display()))
        } else {
            StoreError::Backend(format!("master key {}: {e}", path.display()))
        }
    }
}

#[cfg(windows)]
#[allow(unsafe_code)]
mod platform {
    use std::fs;
    use std::path::Path;

    use cloudpos_domain::ports::StoreError;
    use windows_sys::Win32::Foundation::LocalFree;
    use windows_sys::Win32::Security::Cryptography::{
        CRYPT_INTEGER_BLOB, CRYPTPROTECT_UI_FORBIDDEN, CryptProtectData, CryptUnprotectData,
    };
    use zeroize::Zeroizing;

    use super::{KEY_LEN, random_key};

    const FILE: &str = "master.key.dpapi";

    pub(super) fn load_or_create(dir: &Path) -> Result<Zeroizing<[u8; KEY_LEN]>, StoreError> {
        let path = dir.join(FILE);
        if !path.exists() {
            let key = random_key()?;
            let blob = protect(key.as_ref())?;
            let tmp = dir.join(format!("{FILE}.tmp.{}", std::process::id()));
            fs::write(&tmp, &blob).map_err(|e| io_err(&tmp, &e))?;
            if fs::hard_link(&tmp, &path).is_err() && !path.exists() {
                let _ = fs::remove_file(&tmp);
                return Err(StoreError::Backend(format!(
                    "cannot create master key {}",
                    path.display()
                )));
            }
            let _ = fs::remove_file(&tmp);
        }
        let blob = fs::read(&path).map_err(|e| io_err(&path, &e))?;
        let plain = unprotect(&blob).map_err(|_| {
            StoreError::Corrupt(format!(
                "master key {} cannot be unprotected by this Windows account; stored merchant keys cannot be opened: reconfigure the merchant",
                path.display()
            ))
        })?;
        if plain.len() != KEY_LEN {
            return Err(StoreError::Corrupt(format!(
                "master key {} has the wrong length",
                path.display()
            )));
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(&plain);
        Ok(key)
    }

    fn protect(data: &[u8]) -> Result<Vec<u8>, StoreError> {
        let len =
            u32::try_from(data.len()).map_err(|_| StoreError::Backend("key too long".into()))?;
        let input = CRYPT_INTEGER_BLOB {
            cbData: len,
            pbData: data.as_ptr().cast_mut(),
        };
        let mut output = CRYPT_INTEGER_BLOB {
            cbData: 0,
            pbData: std::ptr::null_mut(),
        };
        // SAFETY: `input` points at `data` for the duration of the call; `output` is filled
        // by the system and freed with LocalFree below.
        let ok = unsafe {
            CryptProtectData(
                &input,
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
                CRYPTPROTECT_UI_FORBIDDEN,
                &mut output,
            )
        };
        if ok == 0 {
            return Err(StoreError::Backend("CryptProtectData failed".into()));
        }
        // SAFETY: the system returned `cbData` bytes at `pbData`.
        let bytes =
            unsafe { std::slice::from_raw_parts(output.pbData, output.cbData as usize) }.to_vec();
        // SAFETY: `pbData` was allocated by the system with LocalAlloc.
        unsafe { LocalFree(output.pbData.cast()) };
        Ok(bytes)
    }

    fn unprotect(blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, ()> {
        let len = u32::try_from(blob.len()).map_err(|_| ())?;
        let input = CRYPT_INTEGER_BLOB {
            cbData: len,
            pbData: blob.as_ptr().cast_mut(),
        };
        let mut output = CRYPT_INTEGER_BLOB {
            cbData: 0,
            pbData: std::ptr::null_mut(),
        };
        // SAFETY: as in `protect`.
        let ok = unsafe {
            CryptUnprotectData(
                &input,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
                CRYPTPROTECT_UI_FORBIDDEN,
                &mut output,
            )
        };
        if ok == 0 {
            return Err(());
        }
        // SAFETY: the system returned `cbData` bytes at `pbData`.
        let bytes = Zeroizing::new(
            unsafe { std::slice::from_raw_parts(output.pbData, output.cbData as usize) }.to_vec(),
        );
        // SAFETY: the buffer holds key material: wipe it before freeing it.
        unsafe {
            std::ptr::write_bytes(output.pbData, 0, output.cbData as usize);
            LocalFree(output.pbData.cast());
        }
        Ok(bytes)
    }

    fn io_err(path: &Path, e: &std::io::Error) -> StoreError {
        StoreError::Backend(format!("master key {}: {e}", path.display()))
    }
}
