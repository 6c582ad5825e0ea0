//! Unpacking a release archive (`cargo xtask dist`'s `.zip` or `.tar.gz`) safely: regular
//! files only, every path inside the destination, sizes bounded, and the archive's own
//! `SHA256SUMS` checked.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::feed::hex;
use crate::{ArchiveKind, UpdateError};

/// Most files an archive may hold.
const MAX_ENTRIES: usize = 10_000;
/// Most bytes an archive may unpack to.
const MAX_UNPACKED_BYTES: u64 = 4 << 30;

/// The name of the command-line program in a release (the one asked for its version).
#[must_use]
pub fn cli_program() -> String {
    format!("cloudpos{}", std::env::consts::EXE_SUFFIX)
}

/// An unpacked release: its folder and its files, relative to it.
#[derive(Debug, Clone)]
pub struct Unpacked {
    /// The release's folder (the archive's single top folder, if it has one).
    pub root: PathBuf,
    /// Every file, relative to `root`, in a fixed order.
    pub files: Vec<PathBuf>,
}

/// Unpacks `archive` into the empty directory `into`, checks `SHA256SUMS` when the release
/// has one, and requires the `cloudpos` program.
pub fn unpack(archive: &Path, kind: ArchiveKind, into: &Path) -> Result<Unpacked, UpdateError> {
    let file = std::fs::File::open(archive)
        .map_err(|e| UpdateError::BadArchive(format!("cannot open {}: {e}", archive.display())))?;
    let mut written: Vec<PathBuf> = Vec::new();
    let mut total: u64 = 0;
    let mut put = |name: &Path, reader: &mut dyn Read, executable: bool| {
        let rel = safe_relative(name)?;
        if written.len() >= MAX_ENTRIES {
            return Err(UpdateError::BadArchive(format!(
                "more than {MAX_ENTRIES} files"
            )));
        }
        let dest = into.join(&rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(&dest, &e))?;
        }
        let mut out = std::fs::File::create(&dest).map_err(|e| io(&dest, &e))?;
        let n = std::io::copy(&mut reader.take(MAX_UNPACKED_BYTES - total + 1), &mut out)
            .map_err(|e| UpdateError::BadArchive(format!("{}: {e}", rel.display())))?;
        total += n;
        if total > MAX_UNPACKED_BYTES {
            return Err(UpdateError::BadArchive(format!(
                "unpacks to more than {MAX_UNPACKED_BYTES} bytes"
            )));
        }
        out.sync_all().map_err(|e| io(&dest, &e))?;
        set_executable(&dest, executable)?;
        written.push(rel);
        Ok(())
    };
    match kind {
        ArchiveKind::Zip => {
            let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
                .map_err(|e| UpdateError::BadArchive(format!("not a zip file: {e}")))?;
            for i in 0..zip.len() {
                let mut entry = zip
                    .by_index(i)
                    .map_err(|e| UpdateError::BadArchive(format!("zip entry {i}: {e}")))?;
                if entry.is_dir() {
                    continue;
                }
                let name = PathBuf::from(
                    entry
                        .name()
                        .map_err(|e| UpdateError::BadArchive(format!("zip entry {i}: {e}")))?
                        .into_owned(),
                );
                if entry.is_symlink() || !entry.is_file() {
                    return Err(UpdateError::BadArchive(format!(
                        "{} is not a regular file",
                        name.display()
                    )));
                }
                let executable = entry.unix_mode().is_some_and(|m| m & 0o111 != 0);
                put(&name, &mut entry, executable)?;
            }
        }
        ArchiveKind::TarGz => {
            let mut tar =
                tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
            let entries = tar
                .entries()
                .map_err(|e| UpdateError::BadArchive(format!("not a .tar.gz: {e}")))?;
            for entry in entries {
                let mut entry =
                    entry.map_err(|e| UpdateError::BadArchive(format!("not a .tar.gz: {e}")))?;
                let kind = entry.header().entry_type();
                let name = entry
                    .path()
                    .map_err(|e| UpdateError::BadArchive(format!("bad entry name: {e}")))?
                    .into_owned();
                if kind.is_dir() {
                    continue;
                }
                if !kind.is_file() {
                    return Err(UpdateError::BadArchive(format!(
                        "{} is not a regular file",
                        name.display()
                    )));
                }
                let executable = entry.header().mode().is_ok_and(|m| m & 0o111 != 0);
                put(&name, &mut entry, executable)?;
            }
        }
    }
    // `cargo xtask dist` puts everything in one folder named after the release.
    let tops: BTreeSet<_> = written
        .iter()
        .filter_map(|p| p.components().next())
        .collect();
    let single_top = tops.len() == 1 && written.iter().all(|p| p.components().count() > 1);
    let (root, mut files) = if single_top {
        let top = PathBuf::from(
            written[0]
                .components()
                .next()
                .map_or_else(Default::default, |c| c.as_os_str().to_owned()),
        );
        let files = written
            .iter()
            .filter_map(|p| p.strip_prefix(&top).ok().map(Path::to_path_buf))
            .collect();
        (into.join(top), files)
    } else {
        (into.to_path_buf(), written)
    };
    files.sort();
    files.dedup();
    if !files.iter().any(|f| *f == Path::new(&cli_program())) {
        return Err(UpdateError::BadArchive(format!(
            "the release has no {} program",
            cli_program()
        )));
    }
    check_sums(&root, &files)?;
    #[cfg(unix)]
    for program in ["cloudpos", "cashier"] {
        if files.iter().any(|f| *f == Path::new(program)) {
            set_executable(&root.join(program), true)?;
        }
    }
    Ok(Unpacked { root, files })
}

/// Checks the release's `SHA256SUMS` (`sha256sum` lines, text or binary mode): every file it
/// names must be present and match.
fn check_sums(root: &Path, files: &[PathBuf]) -> Result<(), UpdateError> {
    let sums_path = root.join("SHA256SUMS");
    if !files.iter().any(|f| *f == Path::new("SHA256SUMS")) {
        return Ok(());
    }
    let text = std::fs::read_to_string(&sums_path)
        .map_err(|e| UpdateError::BadArchive(format!("SHA256SUMS: {e}")))?;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (hash, name) = line
            .split_once(' ')
            .map(|(h, rest)| (h, rest.trim_start_matches([' ', '*'])))
            .ok_or_else(|| UpdateError::BadArchive(format!("SHA256SUMS line \"{line}\"")))?;
        let rel = safe_relative(Path::new(name))?;
        let bytes = std::fs::read(root.join(&rel)).map_err(|_| {
            UpdateError::BadArchive(format!("{name} is listed in SHA256SUMS but missing"))
        })?;
        if hex(&Sha256::digest(&bytes)) != hash.to_ascii_lowercase() {
            return Err(UpdateError::BadArchive(format!(
                "{name} does not match SHA256SUMS"
            )));
        }
    }
    Ok(())
}

/// A path made only of normal components (no root, no `..`, no drive).
pub(crate) fn safe_relative(name: &Path) -> Result<PathBuf, UpdateError> {
    let mut out = PathBuf::new();
    for c in name.components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => {
                return Err(UpdateError::BadArchive(format!(
                    "unsafe path {} in the archive",
                    name.display()
                )));
            }
        }
    }
    if out.as_os_str().is_empty() {
        return Err(UpdateError::BadArchive("an entry without a name".into()));
    }
    Ok(out)
}

fn io(path: &Path, e: &std::io::Error) -> UpdateError {
    UpdateError::BadArchive(format!("cannot unpack {}: {e}", path.display()))
}

#[cfg(unix)]
fn set_executable(path: &Path, executable: bool) -> Result<(), UpdateError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| io(path, &e))
}

#[cfg(not(unix))]
#[allow(clippy::unnecessary_wraps)]
fn set_executable(_path: &Path, _executable: bool) -> Result<(), UpdateError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_pass() {
        assert_eq!(
            safe_relative(Path::new("cloudpos-1/licenses/a.txt")).unwrap(),
            PathBuf::from("cloudpos-1/licenses/a.txt")
        );
        for bad in ["../x", "/etc/passwd", "a/../../b", ""] {
            assert!(safe_relative(Path::new(bad)).is_err(), "{bad:?}");
        }
    }
}
