//! Cloud Pay (`PaymentGateway`, `Approvals` and `DeviceCloud`; and the binding exchange): one client built from the stored merchant,
//! its sealed keys and the network settings, and rebuilt whenever any of them changes.

use std::sync::Arc;

use cloudpay_api::binding::{BoundDevice, BoundKeyCipher, ConfigQr, bind_device};
use cloudpay_api::{CloudPayClient, CloudPayConfig, ProxyConfig, Secrets, Timeouts};
use cloudpos_domain::device_ports::DeviceCloud;
use cloudpos_domain::ports::{Approvals, PaymentGateway};

use crate::merchant::{AUTHEN_KEY_SECRET, PRIVATE_KEY_SECRET};
use crate::network::PROXY_PASSWORD_SECRET;
use crate::{MerchantProfile, Result, Terminal, TerminalError};

/// Checks that `pem` is an RSA private key the client can sign refunds and reverses with,
/// before anything is stored.
pub(crate) fn check_signing_key(authen_key: &str, pem: &str) -> Result<()> {
    Secrets::new(authen_key)
        .with_private_key_pem(pem)
        .map(|_| ())
        .map_err(|e| TerminalError::Invalid(format!("credentials: private key: {e}")))
}

impl Terminal {
    /// Builds the Cloud Pay client from the stored merchant, secrets and network settings
    /// (none without a merchant) and installs it as the gateway and the approvals.
    pub(crate) async fn rebuild_gateway(&self) -> Result<()> {
        let key_sealed = self
            .inner
            .ports
            .vault
            .load(AUTHEN_KEY_SECRET)
            .await?
            .is_some();
        match self.merchant().await? {
            // No merchant, or its key was reset (重置密钥): no Cloud Pay until bound again.
            None => {
                self.set_cloud(None, None);
                self.set_device_cloud(None);
            }
            Some(_) if !key_sealed && self.device_state().await?.key_reset_at.is_some() => {
                self.set_cloud(None, None);
                self.set_device_cloud(None);
            }
            Some(m) => {
                let client = self.build_client(&m).await?;
                let gateway: Arc<dyn PaymentGateway> = client.clone();
                let approvals: Arc<dyn Approvals> = client.clone();
                let device: Arc<dyn DeviceCloud> = client;
                self.set_cloud(Some(gateway), Some(approvals));
                self.set_device_cloud(Some(device));
            }
        }
        Ok(())
    }

    /// Exchanges a configuration QR for the bound device's ids and key (in memory only),
    /// through the network settings in force (proxy, root CA, timeouts).
    pub(crate) async fn exchange_config_qr(&self, qr: &ConfigQr, sn: &str) -> Result<BoundDevice> {
        let mut config = CloudPayConfig::new(&qr.base_url, "-", "-", &qr.out_shop_id, "-");
        self.apply_network(&mut config).await?;
        bind_device(&config, qr, sn, BoundKeyCipher::DEFAULT)
            .await
            .map_err(|e| TerminalError::from(crate::BindFailure::from(e)))
    }

    async fn apply_network(&self, config: &mut CloudPayConfig) -> Result<()> {
        let net = self.setting::<crate::NetworkSettings>().await?;
        config.root_ca_pem.clone_from(&net.root_ca_pem);
        let defaults = Timeouts::default();
        config.timeouts = Timeouts {
            connect_ms: net.connect_timeout_ms.unwrap_or(defaults.connect_ms),
            request_ms: net.request_timeout_ms.unwrap_or(defaults.request_ms),
        };
        if let Some(url) = net.proxy_url.filter(|u| !u.trim().is_empty()) {
            let password = self
                .inner
                .ports
                .vault
                .load(PROXY_PASSWORD_SECRET)
                .await?
                .and_then(|p| String::from_utf8(p).ok());
            config.proxy = Some(ProxyConfig {
                url,
                username: net.proxy_user,
                password,
            });
        }
        Ok(())
    }

    async fn build_client(&self, m: &MerchantProfile) -> Result<Arc<CloudPayClient>> {
        let vault = &self.inner.ports.vault;
        let key = vault.load(AUTHEN_KEY_SECRET).await?.ok_or_else(|| {
            TerminalError::Invalid(
                "the merchant's authentication key is missing: run setup again".into(),
            )
        })?;
        let key = String::from_utf8(key)
            .map_err(|_| TerminalError::Invalid("stored authentication key is not text".into()))?;
        let mut secrets = Secrets::new(&key);
        if let Some(pem) = vault.load(PRIVATE_KEY_SECRET).await? {
            let pem = String::from_utf8(pem)
                .map_err(|_| TerminalError::Invalid("stored private key is not text".into()))?;
            secrets = secrets
                .with_private_key_pem(&pem)
                .map_err(|e| TerminalError::Invalid(format!("stored private key: {e}")))?;
        }
        let mut config = CloudPayConfig::new(
            &m.base_url,
            &m.out_mch_id,
            &m.out_sub_mch_id,
            &m.out_shop_id,
            &m.device_id,
        );
        config.base_urls.clone_from(&m.base_urls);
        config.machine_no = self.machine_no().await?;
        self.apply_network(&mut config).await?;
        let client = CloudPayClient::new(config, secrets)
            .map_err(|e| TerminalError::Invalid(format!("Cloud Pay client: {e}")))?;
        Ok(Arc::new(client))
    }
}
