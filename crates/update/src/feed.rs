//! Reading a feed over HTTP: the manifest (verified before it is parsed) and the archive
//! (hashed while it streams to disk, refused unless it is the one the manifest signs).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls_platform_verifier::BuilderVerifierExt;
use sha2::{Digest, Sha256};

use crate::manifest::{MANIFEST_FILE, MAX_MANIFEST_BYTES, Manifest, SIGNATURE_FILE};
use crate::{TrustedKey, UpdateError};

/// The largest archive accepted when the manifest gives no size.
pub const MAX_ARTIFACT_BYTES: u64 = 1 << 30;

/// How the till reaches the feed: the terminal's network settings.
#[derive(Clone, Default)]
pub struct HttpSettings {
    /// Proxy URL (`http://HOST:PORT`).
    pub proxy_url: Option<String>,
    /// Proxy user.
    pub proxy_user: Option<String>,
    /// Proxy password.
    pub proxy_password: Option<String>,
    /// Extra trusted root CA (PEM); when set, only it is trusted for https feeds.
    pub root_ca_pem: Option<String>,
    /// Connect timeout (default 10 s).
    pub connect_timeout: Option<Duration>,
    /// Timeout of the manifest and signature requests (default 30 s). The archive has no
    /// overall limit, only a 60 s limit between two reads.
    pub request_timeout: Option<Duration>,
}

impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSettings")
            .field("proxy_url", &self.proxy_url)
            .field("proxy_user", &self.proxy_user)
            .field(
                "proxy_password",
                &self.proxy_password.as_ref().map(|_| "***"),
            )
            .field("root_ca_pem", &self.root_ca_pem.is_some())
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

/// Checks a feed address: `http://` or `https://` with a host. Returns it as a directory
/// URL (ending in `/`), so the feed's files resolve inside it.
pub fn parse_feed_url(text: &str) -> Result<Url, UpdateError> {
    let text = text.trim();
    let bad = || UpdateError::BadFeedUrl(text.to_owned());
    let mut url = Url::parse(text).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad());
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// A feed and the key its manifests must be signed with.
#[derive(Debug, Clone)]
pub struct FeedClient {
    base: Url,
    key: TrustedKey,
    http: reqwest::Client,
    request_timeout: Duration,
}

impl FeedClient {
    /// A client for the feed at `url` (see [`parse_feed_url`]) trusting `key`.
    pub fn new(url: &str, key: TrustedKey, settings: &HttpSettings) -> Result<Self, UpdateError> {
        let base = parse_feed_url(url)?;
        let https = base.scheme() == "https";
        let tls = rustls_config(settings.root_ca_pem.as_deref(), https)?;
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(settings.connect_timeout.unwrap_or(Duration::from_secs(10)))
            .read_timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(concat!("cloudpos-update/", env!("CARGO_PKG_VERSION")));
        builder = match settings
            .proxy_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
        {
            Some(url) => {
                let mut proxy = reqwest::Proxy::all(url)
                    .map_err(|e| UpdateError::Unreachable(format!("bad proxy {url}: {e}")))?;
                if let Some(user) = &settings.proxy_user {
                    proxy =
                        proxy.basic_auth(user, settings.proxy_password.as_deref().unwrap_or(""));
                }
                builder
                    .proxy(proxy.no_proxy(reqwest::NoProxy::from_string("localhost,127.0.0.1,::1")))
            }
            None => builder.no_proxy(),
        };
        let http = builder
            .build()
            .map_err(|e| UpdateError::Unreachable(format!("HTTP client: {e}")))?;
        Ok(FeedClient {
            base,
            key,
            http,
            request_timeout: settings.request_timeout.unwrap_or(Duration::from_secs(30)),
        })
    }

    /// The feed's address (a directory URL).
    #[must_use]
    pub fn url(&self) -> &str {
        self.base.as_str()
    }

    /// The trusted key.
    #[must_use]
    pub fn key(&self) -> &TrustedKey {
        &self.key
    }

    /// Fetches the manifest and its signature, verifies the signature over the exact bytes
    /// with the trusted key, and only then parses and checks the manifest.
    pub async fn manifest(&self) -> Result<Manifest, UpdateError> {
        let bytes = self.small_file(MANIFEST_FILE).await?;
        let signature = self.small_file(SIGNATURE_FILE).await?;
        let signature = String::from_utf8(signature).map_err(|_| UpdateError::BadSignature {
            key_id: self.key.id().to_owned(),
        })?;
        self.key.verify(&bytes, &signature)?;
        let manifest: Manifest = serde_json::from_slice(&bytes)
            .map_err(|e| UpdateError::BadManifest(format!("not the manifest's JSON: {e}")))?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Downloads the manifest's archive into `dir`, hashing it as it streams; refuses
    /// (and deletes) a download whose size or SHA-256 differs from the manifest's.
    pub async fn download(&self, manifest: &Manifest, dir: &Path) -> Result<PathBuf, UpdateError> {
        manifest.validate()?;
        let url = self.file_url(&manifest.artifact)?;
        let limit = manifest.size.unwrap_or(MAX_ARTIFACT_BYTES);
        let path = dir.join(&manifest.artifact);
        let mut response = self.get(&url, None).await?;
        let mut file = std::fs::File::create(&path).map_err(|e| UpdateError::CannotInstall {
            dir: dir.display().to_string(),
            reason: format!("cannot write the download: {e}"),
        })?;
        let mut hasher = Sha256::new();
        let mut received: u64 = 0;
        let result = async {
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| UpdateError::Unreachable(format!("{url}: {}", reason(&e))))?
            {
                received += chunk.len() as u64;
                if received > limit {
                    break;
                }
                hasher.update(&chunk);
                file.write_all(&chunk)
                    .map_err(|e| UpdateError::CannotInstall {
                        dir: dir.display().to_string(),
                        reason: format!("cannot write the download: {e}"),
                    })?;
            }
            file.sync_all().map_err(|e| UpdateError::CannotInstall {
                dir: dir.display().to_string(),
                reason: format!("cannot write the download: {e}"),
            })?;
            if let Some(size) = manifest.size
                && received != size
            {
                return Err(UpdateError::SizeMismatch {
                    artifact: manifest.artifact.clone(),
                    expected: size,
                    actual: received,
                });
            }
            if received > limit {
                return Err(UpdateError::BadArchive(format!(
                    "{} is larger than {limit} bytes",
                    manifest.artifact
                )));
            }
            let actual = hex(&hasher.finalize_reset());
            if actual != manifest.sha256 {
                return Err(UpdateError::HashMismatch {
                    artifact: manifest.artifact.clone(),
                    expected: manifest.sha256.clone(),
                    actual,
                });
            }
            Ok(())
        }
        .await;
        drop(file);
        match result {
            Ok(()) => Ok(path),
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                Err(e)
            }
        }
    }

    fn file_url(&self, name: &str) -> Result<Url, UpdateError> {
        self.base
            .join(name)
            .map_err(|_| UpdateError::BadFeedUrl(format!("{}{name}", self.base)))
    }

    async fn get(
        &self,
        url: &Url,
        timeout: Option<Duration>,
    ) -> Result<reqwest::Response, UpdateError> {
        let mut request = self.http.get(url.clone());
        if let Some(t) = timeout {
            request = request.timeout(t);
        }
        let response = request
            .send()
            .await
            .map_err(|e| UpdateError::Unreachable(format!("{url}: {}", reason(&e))))?;
        if !response.status().is_success() {
            return Err(UpdateError::Unreachable(format!(
                "{url} answered HTTP {}",
                response.status()
            )));
        }
        Ok(response)
    }

    /// A manifest-sized file, refused past [`MAX_MANIFEST_BYTES`].
    async fn small_file(&self, name: &str) -> Result<Vec<u8>, UpdateError> {
        let url = self.file_url(name)?;
        let mut response = self.get(&url, Some(self.request_timeout)).await?;
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| UpdateError::Unreachable(format!("{url}: {}", reason(&e))))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_MANIFEST_BYTES {
                return Err(UpdateError::BadManifest(format!(
                    "{name} is larger than {MAX_MANIFEST_BYTES} bytes"
                )));
            }
        }
        Ok(body)
    }
}

/// A transport error in words, with its causes (reqwest's own message is often just
/// "error sending request").
fn reason(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    if e.is_timeout() && !text.contains("timed out") {
        text.push_str(" (timed out)");
    }
    text
}

/// rustls with the `ring` provider: only `root_ca_pem` when given, else the platform's
/// store for https, else nothing (plain http).
fn rustls_config(
    root_ca_pem: Option<&str>,
    https: bool,
) -> Result<rustls::ClientConfig, UpdateError> {
    let tls = |e: String| UpdateError::Unreachable(format!("TLS setup: {e}"));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(e.to_string()))?;
    Ok(if let Some(pem) = root_ca_pem {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| tls(format!("extra root CA: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| tls(format!("extra root CA: {e}")))?;
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    } else if https {
        builder
            .with_platform_verifier()
            .map_err(|e| tls(e.to_string()))?
            .with_no_client_auth()
    } else {
        builder
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth()
    })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_urls_are_http_directories() {
        assert_eq!(
            parse_feed_url("http://127.0.0.1:8080/feed")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/feed/"
        );
        assert_eq!(
            parse_feed_url(" https://updates.example.com/cloudpos/linux/ ")
                .unwrap()
                .as_str(),
            "https://updates.example.com/cloudpos/linux/"
        );
        for bad in [
            "",
            "ftp://h/x",
            "file:///tmp/feed",
            "feed",
            "http://",
            "http://h/x?y=1",
        ] {
            assert!(
                matches!(parse_feed_url(bad), Err(UpdateError::BadFeedUrl(_))),
                "{bad:?}"
            );
        }
    }
}
