//! `cargo xtask dist`: the archive a service provider installs from.
//!
//! `cargo xtask dist [--target TRIPLE] [--profile P] [--out DIR] [--no-build]` builds
//! `cashier` and `cloudpos` for the target (default: this machine) with the profile (default
//! `dist`: fat LTO, stripped) and writes `DIR/cloudpos-VERSION-OS-ARCH.zip` for Windows
//! targets or `.tar.gz` for the others, holding one folder `cloudpos-VERSION-OS-ARCH/` with:
//!
//! - `cashier(.exe)` and `cloudpos(.exe)` (the OCR models are embedded in them);
//! - `快速上手.txt`: the Chinese quick start (how to start, the demo accounts, how to configure
//!   a real merchant); on Windows UTF-8 with a byte-order mark and CRLF line ends, so that
//!   every Notepad opens it right;
//! - the licences: `LICENSE-MIT`, `LICENSE-APACHE`, and `licenses/` for the embedded fonts;
//! - `SHA256SUMS`: the SHA-256 of every other file, in `sha256sum` format.
//!
//! Beside the archive it writes `ARCHIVE.sha256` (the archive's own hash). Entries are
//! written in a fixed order with a fixed time stamp, so the same binaries give the same
//! archive bytes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

/// `cargo xtask dist` options.
#[derive(Debug, clap::Args)]
pub struct DistArgs {
    /// Target triple (default: this machine's), e.g. x86_64-pc-windows-gnu.
    #[arg(long, value_name = "TRIPLE")]
    pub target: Option<String>,
    /// Cargo profile of the binaries (`dist` ships; `dev` and `release` for tests).
    #[arg(long, value_name = "NAME", default_value = "dist")]
    pub profile: String,
    /// Where to write the archive.
    #[arg(long, value_name = "DIR", default_value = "dist")]
    pub out: PathBuf,
    /// Use the binaries already built instead of running `cargo build`.
    #[arg(long)]
    pub no_build: bool,
}

/// One file of the archive: its name inside the folder, its bytes, whether it is a program.
struct Entry {
    name: String,
    bytes: Vec<u8>,
    executable: bool,
}

/// The licences of the embedded fonts, shipped beside the programs.
const FONT_LICENSES: [(&str, &str); 3] = [
    (
        "licenses/unifont-OFL-1.1.txt",
        "crates/fonts/fonts/OFL-1.1.txt",
    ),
    (
        "licenses/cloudpos-cjk-fallback-OFL.txt",
        "crates/fonts/fonts/cloudpos-cjk-fallback-OFL.txt",
    ),
    (
        "licenses/cloudpos-mono-fallback-LICENSE.txt",
        "crates/fonts/fonts/cloudpos-mono-fallback-LICENSE.txt",
    ),
];

/// 2026-01-01 00:00:00, the time stamp of every entry (reproducible archives).
const ENTRY_TIME: (u16, u8, u8) = (2026, 1, 1);
const ENTRY_UNIX_TIME: u64 = 1_767_225_600;

/// Builds (unless told not to) and writes the archive; returns its path.
pub fn run(args: &DistArgs) -> Result<PathBuf> {
    let root = workspace_root()?;
    let target = match &args.target {
        Some(t) => t.clone(),
        None => host_triple()?,
    };
    let windows = target.contains("windows");
    let os = if windows {
        "windows"
    } else if target.contains("linux") {
        "linux"
    } else if target.contains("apple") {
        "macos"
    } else {
        bail!("no archive layout for target {target}: use a Windows, Linux or macOS triple")
    };
    let arch = target.split('-').next().unwrap_or("unknown");
    let version = env!("CARGO_PKG_VERSION");
    let stem = format!("cloudpos-{version}-{os}-{arch}");

    if !args.no_build {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        eprintln!(
            "dist: cargo build --profile {} ({target}) -p cloudpos -p cashier",
            args.profile
        );
        let mut build = Command::new(cargo);
        build
            .current_dir(&root)
            .args(["build", "--profile", &args.profile]);
        // This machine's own target is built without --target, into the directory the
        // other builds and tests use (an explicit --target rebuilds every dependency).
        if args.target.is_some() {
            build.args(["--target", &target]);
        }
        let status = build
            .args(["-p", "cloudpos", "-p", "cashier"])
            .status()
            .context("cannot run cargo")?;
        if !status.success() {
            bail!("cargo build failed ({status})");
        }
    }
    let profile_dir = match args.profile.as_str() {
        "dev" | "test" => "debug",
        "bench" => "release",
        other => other,
    };
    let bin_dir = if args.target.is_some() {
        target_dir(&root)?.join(&target).join(profile_dir)
    } else {
        target_dir(&root)?.join(profile_dir)
    };
    let exe = if windows { ".exe" } else { "" };

    let mut entries = Vec::new();
    for name in ["cashier", "cloudpos"] {
        let file = format!("{name}{exe}");
        let path = bin_dir.join(&file);
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "cannot read {} (build it, or leave out --no-build)",
                path.display()
            )
        })?;
        entries.push(Entry {
            name: file,
            bytes,
            executable: true,
        });
    }
    entries.push(Entry {
        name: "快速上手.txt".into(),
        bytes: quick_start(version, windows),
        executable: false,
    });
    for name in ["LICENSE-MIT", "LICENSE-APACHE"] {
        entries.push(Entry {
            name: name.into(),
            bytes: read_text(&root.join(name), windows)?,
            executable: false,
        });
    }
    for (name, source) in FONT_LICENSES {
        entries.push(Entry {
            name: name.into(),
            bytes: read_text(&root.join(source), windows)?,
            executable: false,
        });
    }
    let sums = sha256sums(&entries);
    entries.push(Entry {
        name: "SHA256SUMS".into(),
        bytes: sums.into_bytes(),
        executable: false,
    });

    let out_dir = if args.out.is_absolute() {
        args.out.clone()
    } else {
        root.join(&args.out)
    };
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let archive = out_dir.join(format!("{stem}.{}", if windows { "zip" } else { "tar.gz" }));
    let bytes = if windows {
        zip_bytes(&stem, &entries)?
    } else {
        tar_gz_bytes(&stem, &entries)?
    };
    std::fs::write(&archive, &bytes)
        .with_context(|| format!("cannot write {}", archive.display()))?;
    let file_name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let digest = hex(&Sha256::digest(&bytes));
    std::fs::write(
        out_dir.join(format!("{file_name}.sha256")),
        format!("{digest}  {file_name}\n"),
    )?;
    println!("{}", archive.display());
    eprintln!(
        "dist: {} ({} bytes, sha256 {digest})",
        archive.display(),
        bytes.len()
    );
    Ok(archive)
}

/// The workspace root (the parent of this crate's directory).
fn workspace_root() -> Result<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent directory")
}

/// `rustc -vV`'s host triple.
fn host_triple() -> Result<String> {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .context("cannot run rustc -vV")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .context("rustc -vV printed no host triple")
}

/// Cargo's target directory (`CARGO_TARGET_DIR`, else `cargo metadata`'s).
fn target_dir(root: &Path) -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        return Ok(if dir.is_absolute() {
            dir
        } else {
            root.join(dir)
        });
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("cannot run cargo metadata")?;
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("cargo metadata printed no JSON")?;
    meta["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("cargo metadata names no target directory")
}

/// A text file of the repository, with CRLF line ends for Windows.
fn read_text(path: &Path, windows: bool) -> Result<Vec<u8>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(if windows {
        crlf(&text).into_bytes()
    } else {
        text.into_bytes()
    })
}

fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// `sha256sum` lines for the entries (binary mode marker `*`, as `sha256sum -b` prints and
/// `sha256sum -c` reads on every system).
fn sha256sums(entries: &[Entry]) -> String {
    entries
        .iter()
        .map(|e| format!("{} *{}\n", hex(&Sha256::digest(&e.bytes)), e.name))
        .collect()
}

fn zip_bytes(stem: &str, entries: &[Entry]) -> Result<Vec<u8>> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let (y, m, d) = ENTRY_TIME;
    let time = zip::DateTime::from_date_and_time(y, m, d, 0, 0, 0)
        .map_err(|e| anyhow::anyhow!("bad archive time: {e}"))?;
    for e in entries {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(time)
            .unix_permissions(if e.executable { 0o755 } else { 0o644 });
        zip.start_file(format!("{stem}/{}", e.name), options)?;
        zip.write_all(&e.bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

fn tar_gz_bytes(stem: &str, entries: &[Entry]) -> Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for e in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(e.bytes.len() as u64);
        header.set_mode(if e.executable { 0o755 } else { 0o644 });
        header.set_mtime(ENTRY_UNIX_TIME);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(
            &mut header,
            format!("{stem}/{}", e.name),
            e.bytes.as_slice(),
        )?;
    }
    Ok(tar.into_inner()?.finish()?)
}

/// The Chinese quick start, for Windows or for Linux.
fn quick_start(version: &str, windows: bool) -> Vec<u8> {
    let (cashier, cloudpos, folder, data, shell) = if windows {
        (
            "cashier.exe",
            "cloudpos.exe",
            r"C:\CloudPOS",
            r"%APPDATA%\CloudPOS",
            "命令提示符（cmd）",
        )
    } else {
        (
            "./cashier",
            "./cloudpos",
            "/opt/cloudpos",
            "~/.local/share/cloudpos",
            "终端",
        )
    };
    let platform = if windows { "Windows" } else { "Linux" };
    let text = format!(
        "\
CloudPOS 云支付收银台 {version}（{platform}）快速上手
================================================

一、启动
1. 把整个文件夹解压到收银电脑上，例如 {folder}。
2. 打开 {cashier}（收银台）。第一次启动、还没有配置商户时，它自动进入“沙箱演示”
   （界面上标着 SANDBOX 沙箱演示）：收款走本机的模拟云支付，不会扣任何人的钱。
3. 命令行工具 {cloudpos} 与收银台共用同一个数据目录和账本，在{shell}里运行
   `{cloudpos} --help` 可看全部命令；`{cloudpos} demo` 演示一遍收款和退款。
4. 数据目录默认在 {data}；要放在别处，两个程序都加 `--home 目录`，
   或设置环境变量 CLOUDPOS_HOME。

二、演示账号（仅沙箱演示）
  店员号 01，密码 0101：王店长，商户管理员（可配置、可退款）
  店员号 02，密码 0202：李收银，店员
插件模式下按 ~ 键（数字 1 左边）唤起收银窗口：输入金额，扫顾客的付款码（或输入后回车）。

三、配置真实商户
1. 向服务商索取云支付商户凭证文件（JSON），其中有 base_url、out_mch_id、
   out_sub_mch_id、out_shop_id、device_id、staff_id、order_prefix、authen_key，
   以及退款和撤销签名用的私钥 private_key_pem。凭证文件含密钥，请妥善保管，用完删除。
2. 在收银台：用管理员登录 → 基础配置（F4）→「重新配置」，填写凭证文件路径和管理员密码；
   或在{shell}里运行：
       {cloudpos} setup merchant --credentials 凭证文件.json
   按提示输入新管理员（凭证里的 staff_id）的密码，至少 4 位。
3. 重新打开收银台，用 staff_id 和刚设的密码登录。界面不再显示 SANDBOX，
   收款即真实扣款。先用一笔小额（例如 0.01 元）收款并退款，确认一切正常。
4. 商户密钥只以加密形式保存在数据目录里，主密钥由操作系统保管{key_note}。

四、校验文件
SHA256SUMS 列出本包每个文件的 SHA-256。{verify}

五、许可
CloudPOS 以 MIT 或 Apache-2.0 许可发布（LICENSE-MIT、LICENSE-APACHE）；
内嵌字体的许可在 licenses 文件夹里。
",
        key_note = if windows {
            "（Windows 数据保护 DPAPI，仅本机本账户可解开）"
        } else {
            "（数据目录里的 master.key，权限 0600）"
        },
        verify = if windows {
            "在 PowerShell 里运行 `Get-FileHash cashier.exe` 对照。"
        } else {
            "在终端里运行 `sha256sum -c SHA256SUMS` 检查。"
        },
    );
    if windows {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(crlf(&text).as_bytes());
        bytes
    } else {
        text.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Vec<Entry> {
        vec![
            Entry {
                name: "cloudpos.exe".into(),
                bytes: b"MZ program".to_vec(),
                executable: true,
            },
            Entry {
                name: "快速上手.txt".into(),
                bytes: quick_start("9.9.9", true),
                executable: false,
            },
        ]
    }

    #[test]
    fn sums_are_sha256sum_lines() {
        let sums = sha256sums(&entries());
        let first = sums.lines().next().expect("a line");
        // sha256("MZ program")
        let expected = hex(&Sha256::digest(b"MZ program"));
        assert_eq!(first, format!("{expected} *cloudpos.exe"));
        assert_eq!(sums.lines().count(), 2);
    }

    #[test]
    fn windows_quick_start_has_bom_crlf_and_the_demo_accounts() {
        let bytes = quick_start("9.9.9", true);
        assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
        let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
        assert!(
            !text.replace("\r\n", "").contains('\n'),
            "only CRLF line ends"
        );
        for needle in [
            "9.9.9",
            "cashier.exe",
            "01，密码 0101",
            "02，密码 0202",
            "setup merchant --credentials",
            "Get-FileHash",
        ] {
            assert!(text.contains(needle), "quick start lacks {needle:?}");
        }
        let linux = String::from_utf8(quick_start("9.9.9", false)).expect("UTF-8");
        assert!(linux.contains("./cashier") && linux.contains("sha256sum -c"));
    }

    #[test]
    fn zip_holds_the_folder_with_permissions_and_is_reproducible() {
        let a = zip_bytes("cloudpos-9.9.9-windows-x86_64", &entries()).expect("zip");
        let b = zip_bytes("cloudpos-9.9.9-windows-x86_64", &entries()).expect("zip");
        assert_eq!(a, b, "same input, same archive bytes");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(a)).expect("reads back");
        let mut exe = zip
            .by_name("cloudpos-9.9.9-windows-x86_64/cloudpos.exe")
            .expect("the program is in the folder");
        assert_eq!(exe.unix_mode().map(|m| m & 0o777), Some(0o755));
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut exe, &mut body).expect("reads");
        assert_eq!(body, b"MZ program");
        drop(exe);
        assert!(
            zip.by_name("cloudpos-9.9.9-windows-x86_64/快速上手.txt")
                .is_ok()
        );
    }

    #[test]
    fn tar_gz_holds_the_folder_with_modes() {
        let bytes = tar_gz_bytes("cloudpos-9.9.9-linux-x86_64", &entries()).expect("tar");
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
        let mut seen = Vec::new();
        for entry in tar.entries().expect("entries") {
            let entry = entry.expect("entry");
            let path = entry.path().expect("path").to_string_lossy().into_owned();
            seen.push((path, entry.header().mode().expect("mode")));
        }
        assert_eq!(
            seen,
            [
                ("cloudpos-9.9.9-linux-x86_64/cloudpos.exe".to_owned(), 0o755),
                ("cloudpos-9.9.9-linux-x86_64/快速上手.txt".to_owned(), 0o644),
            ]
        );
    }
}
