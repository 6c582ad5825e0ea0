//! A structural check of compound files (the container of `.xls` workbooks) before the
//! spreadsheet reader sees them.
//!
//! calamine 0.38 follows a compound file's sector chains without looking for loops, so a
//! damaged `.xls` whose chain points back into itself makes it allocate until the process
//! runs out of memory (found by the `excel_import` fuzz target: 6.7 KiB of input, over 2 GiB
//! of memory). The `cfb` crate refuses such files when it opens them: a sector pointed to
//! twice, a chain that returns to its start, a FAT, mini FAT or DIFAT that points outside
//! the file, a directory tree with a loop. Reading every stream through it to the end also
//! checks each stream's own chain, in constant memory.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The first eight bytes of every compound file.
const SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Whether the file at `path` starts with the compound-file signature.
pub(crate) fn is_compound_file(path: &Path) -> io::Result<bool> {
    let mut head = [0u8; 8];
    match File::open(path)?.read_exact(&mut head) {
        Ok(()) => Ok(head == SIGNATURE),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

/// Checks the structure of the compound file at `path`: its allocation tables, its
/// directory, and the sector chain of every stream. The error says what is damaged.
pub(crate) fn check_compound_file(path: &Path) -> Result<(), String> {
    let mut file = cfb::open(path).map_err(|e| e.to_string())?;
    let streams: Vec<PathBuf> = file
        .walk()
        .filter(cfb::Entry::is_stream)
        .map(|e| e.path().to_owned())
        .collect();
    for stream in streams {
        let mut reader = file
            .open_stream(&stream)
            .map_err(|e| format!("stream {}: {e}", stream.display()))?;
        io::copy(&mut reader, &mut io::sink())
            .map_err(|e| format!("stream {}: {e}", stream.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal valid compound file (one stream), written by the `cfb` crate itself.
    fn valid_compound(dir: &Path) -> PathBuf {
        let path = dir.join("ok.xls");
        let mut comp = cfb::create(&path).expect("create");
        let mut s = comp.create_stream("/Workbook").expect("stream");
        std::io::Write::write_all(&mut s, &vec![7u8; 10_000]).expect("write");
        drop(s);
        comp.flush().expect("flush");
        path
    }

    #[test]
    fn accepts_a_sound_compound_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = valid_compound(dir.path());
        assert!(is_compound_file(&path).expect("read"));
        check_compound_file(&path).expect("a sound file passes");
    }

    #[test]
    fn refuses_a_sector_chain_that_loops() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = valid_compound(dir.path());
        let mut bytes = std::fs::read(&path).expect("read");
        // The first FAT sector is listed at header offset 0x4C; sector N starts at
        // (N + 1) × the sector length (the header fills sector "-1"). Find a link i → j of
        // a chain and make j point back to i: a chain that loops.
        let sector_len = 1usize << u16::from_le_bytes([bytes[0x1E], bytes[0x1F]]);
        let fat_sector = u32::from_le_bytes(bytes[0x4C..0x50].try_into().expect("4 bytes"));
        let fat = (fat_sector as usize + 1) * sector_len;
        let entry = |bytes: &[u8], i: usize| {
            u32::from_le_bytes(bytes[fat + 4 * i..fat + 4 * i + 4].try_into().expect("4"))
        };
        let (i, j) = (0..sector_len / 4)
            .map(|i| (i, entry(&bytes, i)))
            .find(|&(_, next)| next < 0xFFFF_FFFA)
            .expect("the 10,000-byte stream spans a chain of several sectors");
        let at = fat + 4 * j as usize;
        bytes[at..at + 4].copy_from_slice(&u32::try_from(i).expect("small").to_le_bytes());
        std::fs::write(&path, &bytes).expect("write");
        let err = check_compound_file(&path).expect_err("a loop is refused");
        assert!(!err.is_empty());
    }

    #[test]
    fn tells_other_files_apart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let short = dir.path().join("short");
        std::fs::write(&short, [0xD0, 0xCF]).expect("write");
        assert!(!is_compound_file(&short).expect("read"));
        let zip = dir.path().join("book.xlsx");
        std::fs::write(&zip, b"PK\x03\x04 not a compound file").expect("write");
        assert!(!is_compound_file(&zip).expect("read"));
    }
}
