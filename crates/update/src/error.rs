//! What can stop an update, each case named so the person applying it knows what happened.

/// An update was refused or failed. `Display` is one English line naming the problem;
/// [`UpdateError::chinese`] is the cashier's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    /// No feed is configured.
    #[error("no update feed is configured: run `cloudpos config update --feed URL`")]
    NoFeed,
    /// The feed address is not an http(s) URL.
    #[error("bad update feed address \"{0}\": write it as http://HOST[:PORT]/PATH/ or https://…")]
    BadFeedUrl(String),
    /// The public key text is not a minisign public key.
    #[error("bad public key: {0} (give the .pub file written by `cargo xtask keygen`)")]
    BadPublicKey(String),
    /// The feed could not be reached or answered with an error.
    #[error("update feed unreachable: {0}")]
    Unreachable(String),
    /// The manifest's signature does not verify with the trusted key: the manifest was
    /// changed after signing, or the signature is damaged.
    #[error(
        "bad signature: the update manifest does not verify with the trusted key {key_id} (changed after signing, or a damaged signature); nothing was installed"
    )]
    BadSignature {
        /// The trusted key's id.
        key_id: String,
    },
    /// The manifest is signed by another key than the trusted one.
    #[error(
        "wrong key: the update is signed by key {signed_by}, but this till trusts key {trusted}; nothing was installed (a service provider's own builds need `cloudpos config update --public-key FILE`)"
    )]
    WrongKey {
        /// The trusted key's id.
        trusted: String,
        /// The id of the key that signed.
        signed_by: String,
    },
    /// The signed manifest is malformed.
    #[error("bad manifest: {0}")]
    BadManifest(String),
    /// The release is not newer than what runs.
    #[error("not newer: the feed offers {offered} and this till already runs {current}")]
    NotNewer {
        /// The running version.
        current: String,
        /// The feed's version.
        offered: String,
    },
    /// The release must be applied over a newer installed version.
    #[error(
        "min_version: {offered} can only be applied over {min_version} or later, and this till runs {current}; install an intermediate release first"
    )]
    BelowMinVersion {
        /// The running version.
        current: String,
        /// The feed's version.
        offered: String,
        /// The manifest's minimum.
        min_version: String,
    },
    /// The release is for another platform.
    #[error("wrong platform: the release is for {release}, this till is {this}")]
    WrongTarget {
        /// The manifest's target.
        release: String,
        /// This build's target.
        this: String,
    },
    /// The downloaded archive is not the one the manifest signs.
    #[error(
        "hash mismatch: the downloaded {artifact} has sha256 {actual} but the signed manifest says {expected}; nothing was installed"
    )]
    HashMismatch {
        /// The artifact's name.
        artifact: String,
        /// The manifest's hash.
        expected: String,
        /// The downloaded bytes' hash.
        actual: String,
    },
    /// The download is longer or shorter than the manifest's size.
    #[error(
        "size mismatch: the downloaded {artifact} has {actual} bytes but the signed manifest says {expected}; nothing was installed"
    )]
    SizeMismatch {
        /// The artifact's name.
        artifact: String,
        /// The manifest's size.
        expected: u64,
        /// Bytes received (at least; the download stops past the expected size).
        actual: u64,
    },
    /// The archive cannot be read or lacks what a release holds.
    #[error("bad archive: {0}; nothing was installed")]
    BadArchive(String),
    /// Another update holds the program directory.
    #[error("another update is being installed in {0}")]
    Busy(String),
    /// A payment or refund is open on this till.
    #[error(
        "a payment is open ({0}): finish it (or run `cloudpos recover`) before updating; nothing was installed"
    )]
    PaymentOpen(String),
    /// The program directory could not be prepared; nothing was replaced.
    #[error("cannot install into {dir}: {reason}; nothing was replaced")]
    CannotInstall {
        /// The program directory.
        dir: String,
        /// What failed.
        reason: String,
    },
    /// The new version was installed but did not start and report its version; the previous
    /// version was put back.
    #[error("the new version did not start: {reason}; rolled back, {current} is installed again")]
    RolledBack {
        /// Why the new version was judged broken.
        reason: String,
        /// The version put back.
        current: String,
    },
    /// The install failed and putting the previous files back failed too: the program
    /// directory needs a manual reinstall.
    #[error(
        "the update failed ({reason}) and the rollback failed too ({rollback}): reinstall CloudPOS into {dir} from the release archive; the data directory was not touched"
    )]
    RollbackFailed {
        /// The program directory.
        dir: String,
        /// What failed first.
        reason: String,
        /// What failed while rolling back.
        rollback: String,
    },
}

impl UpdateError {
    /// The cashier's text (Chinese) for this error.
    #[must_use]
    pub fn chinese(&self) -> String {
        match self {
            UpdateError::NoFeed => "未配置更新服务器（更新源）".into(),
            UpdateError::BadFeedUrl(u) => format!("更新源地址无效：{u}"),
            UpdateError::BadPublicKey(e) => format!("更新公钥无效：{e}"),
            UpdateError::Unreachable(e) => format!("无法连接更新服务器：{e}"),
            UpdateError::BadSignature { .. } => {
                "签名无效：更新清单被改动或签名损坏，未安装任何文件".into()
            }
            UpdateError::WrongKey { signed_by, .. } => {
                format!("签名密钥不符：此更新由密钥 {signed_by} 签名，不是本机信任的密钥，未安装")
            }
            UpdateError::BadManifest(e) => format!("更新清单有误：{e}"),
            UpdateError::NotNewer { current, offered } => {
                format!("不是新版本：更新源提供 {offered}，本机已是 {current}")
            }
            UpdateError::BelowMinVersion {
                min_version,
                offered,
                ..
            } => format!("{offered} 需先升级到 {min_version} 或更高版本"),
            UpdateError::WrongTarget { release, this } => {
                format!("平台不符：更新包适用于 {release}，本机是 {this}")
            }
            UpdateError::HashMismatch { .. } | UpdateError::SizeMismatch { .. } => {
                "更新包校验失败（SHA-256 不符），未安装任何文件".into()
            }
            UpdateError::BadArchive(e) => format!("更新包损坏：{e}"),
            UpdateError::Busy(_) => "另一个更新正在安装".into(),
            UpdateError::PaymentOpen(_) => "有未完成的收款或退款，请先处理完毕再更新".into(),
            UpdateError::CannotInstall { dir, reason } => {
                format!("无法写入程序目录 {dir}：{reason}（未替换任何文件）")
            }
            UpdateError::RolledBack { current, .. } => {
                format!("新版本无法启动，已回滚到 {current}")
            }
            UpdateError::RollbackFailed { dir, .. } => {
                format!("更新失败且回滚失败：请用安装包重新安装到 {dir}（数据目录未受影响）")
            }
        }
    }
}
