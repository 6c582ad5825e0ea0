//! Helpers for tests of update flows (feature `testkit`): a static HTTP server for a feed,
//! release archives laid out as `cargo xtask dist` lays them out around a given `cloudpos`
//! program, shell-script programs that report a version, and directory snapshots.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest as _, Sha256};

use crate::this_target;

/// Serves the files under `root` over HTTP on a loopback port until the runtime ends;
/// returns `http://127.0.0.1:PORT`.
pub async fn serve_dir(root: PathBuf) -> String {
    use axum::extract::{Path as UrlPath, State};
    use axum::http::StatusCode;
    async fn file(
        State(root): State<Arc<PathBuf>>,
        UrlPath(path): UrlPath<String>,
    ) -> Result<Vec<u8>, StatusCode> {
        if path.split('/').any(|p| p == ".." || p.is_empty()) {
            return Err(StatusCode::BAD_REQUEST);
        }
        std::fs::read(root.join(path)).map_err(|_| StatusCode::NOT_FOUND)
    }
    let app = axum::Router::new()
        .route("/{*path}", axum::routing::get(file))
        .with_state(Arc::new(root));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// A `/bin/sh` program running `body`.
#[must_use]
pub fn shell_program(body: &str) -> Vec<u8> {
    format!("#!/bin/sh\n{body}\n").into_bytes()
}

/// A `/bin/sh` program that answers `--version` as `cloudpos` does.
#[must_use]
pub fn version_program(version: &str) -> Vec<u8> {
    shell_program(&format!("echo \"cloudpos {version}\""))
}

/// Writes `DIR/cloudpos-VERSION-TARGET.tar.gz` holding one folder with `cloudpos` (the given
/// bytes), `cashier`, `快速上手.txt`, `licenses/font.txt` and a matching `SHA256SUMS`.
pub fn release_tar_gz(dir: &Path, version: &str, cloudpos: &[u8]) -> PathBuf {
    let stem = format!("cloudpos-{version}-{}", this_target());
    let mut files: Vec<(String, Vec<u8>, u32)> = vec![
        ("cashier".into(), shell_program("echo cashier new"), 0o755),
        ("cloudpos".into(), cloudpos.to_vec(), 0o755),
        (
            "快速上手.txt".into(),
            format!("新版本 {version}\n").into_bytes(),
            0o644,
        ),
        ("licenses/font.txt".into(), b"OFL\n".to_vec(), 0o644),
    ];
    let sums: String = files
        .iter()
        .map(|(name, bytes, _)| format!("{} *{name}\n", sha256_hex(bytes)))
        .collect();
    files.push(("SHA256SUMS".into(), sums.into_bytes(), 0o644));
    tar_gz(dir, &stem, &files)
}

/// Writes `DIR/STEM.tar.gz` with `files` (name, bytes, mode) under the folder `STEM/`.
pub fn tar_gz(dir: &Path, stem: &str, files: &[(String, Vec<u8>, u32)]) -> PathBuf {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for (name, bytes, mode) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(*mode);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, format!("{stem}/{name}"), bytes.as_slice())
            .expect("tar entry");
    }
    let bytes = tar
        .into_inner()
        .and_then(flate2::write::GzEncoder::finish)
        .expect("tar.gz");
    let path = dir.join(format!("{stem}.tar.gz"));
    std::fs::write(&path, bytes).expect("write the archive");
    path
}

/// SHA-256 in lowercase hex.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::feed::hex(&Sha256::digest(bytes))
}

/// Every file under `dir` (relative path → bytes).
#[must_use]
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if let (Ok(rel), Ok(bytes)) = (p.strip_prefix(base), std::fs::read(&p)) {
                out.insert(rel.to_path_buf(), bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}
