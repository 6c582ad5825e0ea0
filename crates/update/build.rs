//! Puts the trusted release public key into the binary: `keys/cloudpos-release.pub` (the
//! project's key), or the `.pub` file named by `CLOUDPOS_RELEASE_PUBLIC_KEY` for a service
//! provider's own builds.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=CLOUDPOS_RELEASE_PUBLIC_KEY");
    let path = match std::env::var_os("CLOUDPOS_RELEASE_PUBLIC_KEY").filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"))
            .join("keys/cloudpos-release.pub"),
    };
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| {
            panic!(
                "cannot read the release public key {} (give CLOUDPOS_RELEASE_PUBLIC_KEY as an absolute path): {e}",
                path.display()
            )
        });
    // A minisign Ed25519 public key line is 56 base64 characters starting with "RW" ("Ed").
    let ok = text.lines().map(str::trim).any(|l| {
        l.len() == 56
            && l.starts_with("RW")
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=')
    });
    assert!(
        ok,
        "{} is not a minisign public key (.pub written by `cargo xtask keygen`; give CLOUDPOS_RELEASE_PUBLIC_KEY as an absolute path)",
        path.display()
    );
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("release.pub");
    std::fs::write(out, text).expect("write OUT_DIR/release.pub");
}
