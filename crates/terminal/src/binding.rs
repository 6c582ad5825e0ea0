//! The device's binding to Cloud Pay (seed 002): binding by configuration QR (配置扫码),
//! unbinding (解绑设备) and resetting the key (重置密钥).
//!
//! - **Bind** ([`Terminal::bind_by_config_qr`]): the QR's text is exchanged with the cloud
//!   (GET `use_device_setting` with this installation's `machine_no` as serial number) for
//!   the merchant's ids and the sub-merchant's key, which travels encrypted and is sealed in
//!   the vault at once, through the same path as `setup merchant` (nothing plain touches
//!   disk). The admin clerk whose id is the bound `staff_id` is created with the password
//!   given. A device bound to another terminal is refused (internal status 3214).
//! - **Unbind** ([`Terminal::unbind_device`], admin only, audited): the cloud marks the
//!   device unbound, then the till records it; from then on every payment, refund and
//!   deposit is refused with [`TerminalError::Unbound`], checked where the halt switch is
//!   checked (before any I/O). Records stay readable and exportable.
//! - **Reset the key** ([`Terminal::reset_key`], admin only, audited): the sealed keys are
//!   deleted; binding again must be with the same device (the manual's warning), which
//!   [`Terminal::bind_by_config_qr`] checks before it stores anything.

use cloudpay_api::binding::{BindError, ConfigQr};
use cloudpos_domain::Timestamp;
use serde::{Deserialize, Serialize};

use crate::merchant::{AUTHEN_KEY_SECRET, MerchantCredentials, PRIVATE_KEY_SECRET};
use crate::{Result, Terminal, TerminalError};

/// Settings key of the [`DeviceState`].
pub const DEVICE_STATE_KEY: &str = "device.binding";

/// Where the device stands with the cloud, beside the merchant profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceState {
    /// When an admin unbound the device (`None`: bound).
    pub unbound_at: Option<Timestamp>,
    /// When an admin reset the key (`None`: the key is sealed in the vault).
    pub key_reset_at: Option<Timestamp>,
}

/// What binding gives (`cloudpos setup bind --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindReport {
    /// Service provider.
    pub out_mch_id: String,
    /// Sub-merchant.
    pub out_sub_mch_id: String,
    /// Shop.
    pub out_shop_id: String,
    /// This device.
    pub device_id: String,
    /// The admin clerk created (the merchant admin who configured the device).
    pub staff_id: String,
}

/// Why binding failed, by kind (the cashier words each).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindFailure {
    /// The scanned text is not a configuration QR.
    #[error("not a configuration QR: {0}")]
    NotAConfigQr(String),
    /// The device is bound to another terminal (internal status 3214).
    #[error(
        "device {device_id} is already bound to another terminal (Cloud Pay internal status 3214): generate the QR on the terminal it is bound to and bind there, or unbind it there first"
    )]
    BoundElsewhere {
        /// The device (empty when the cloud did not name it).
        device_id: String,
    },
    /// The QR was used already or is older than five minutes.
    #[error("the configuration QR has expired or was used already: generate a new one ({0})")]
    QrSpent(String),
    /// The cloud refused for another reason.
    #[error("Cloud Pay refused the binding (status {status}): {description}")]
    Refused {
        /// Envelope status.
        status: i64,
        /// Cloud Pay's words.
        description: String,
    },
    /// The key could not be decrypted or the answer did not verify.
    #[error("the binding answer could not be trusted: {0}")]
    Untrusted(String),
    /// Cloud Pay could not be reached.
    #[error("Cloud Pay could not be reached for binding: {0}")]
    Unreachable(String),
    /// After a key reset, a QR of another device was scanned.
    #[error(
        "the key was reset for device {expected}: bind again with a configuration QR of that same device, not of {got}"
    )]
    OtherDevice {
        /// The device the till was bound as.
        expected: String,
        /// The device of the QR.
        got: String,
    },
}

impl From<BindError> for BindFailure {
    fn from(e: BindError) -> Self {
        match e {
            BindError::BadQr(why) => BindFailure::NotAConfigQr(why),
            BindError::BoundElsewhere { device_id } => BindFailure::BoundElsewhere { device_id },
            BindError::Refused {
                status,
                description,
                ..
            } if description.contains("过期")
                || description.contains("已使用")
                || description.contains("expired")
                || description.contains("used") =>
            {
                let _ = status;
                BindFailure::QrSpent(description)
            }
            BindError::Refused {
                status,
                description,
                ..
            } => BindFailure::Refused {
                status,
                description,
            },
            BindError::BadKey(why) | BindError::Forged(why) => BindFailure::Untrusted(why),
            BindError::Unreachable(why) => BindFailure::Unreachable(why),
        }
    }
}

impl From<BindFailure> for TerminalError {
    fn from(e: BindFailure) -> Self {
        TerminalError::Bind(e)
    }
}

impl Terminal {
    /// Where the device stands (bound, unbound, key reset).
    pub async fn device_state(&self) -> Result<DeviceState> {
        Ok(
            match self.inner.ports.settings.get(DEVICE_STATE_KEY).await? {
                None => DeviceState::default(),
                Some(v) => serde_json::from_value(v).unwrap_or(DeviceState {
                    // Unreadable: refuse to trade rather than trade unbound.
                    unbound_at: Some(Timestamp::EPOCH),
                    key_reset_at: None,
                }),
            },
        )
    }

    async fn put_device_state(&self, state: &DeviceState) -> Result<()> {
        let value =
            serde_json::to_value(state).map_err(|e| TerminalError::Invalid(e.to_string()))?;
        self.inner
            .ports
            .settings
            .put(DEVICE_STATE_KEY, &value)
            .await?;
        Ok(())
    }

    /// Fails with [`TerminalError::Unbound`] while the device is unbound or its key reset.
    pub(crate) async fn ensure_bound(&self) -> Result<()> {
        let state = self.device_state().await?;
        if state.key_reset_at.is_some() {
            return Err(TerminalError::Unbound { key_reset: true });
        }
        if state.unbound_at.is_some() {
            return Err(TerminalError::Unbound { key_reset: false });
        }
        Ok(())
    }

    /// Binds this till with the text of a configuration QR (`setup bind --config-qr`):
    /// exchanges it with the cloud, seals the key, stores the merchant and creates (or
    /// updates) the admin clerk whose id is the bound `staff_id`, with `admin_password`.
    /// Binding again over an existing merchant needs that merchant's admin password, as
    /// `setup merchant` does. After a key reset only the same device may be bound.
    pub async fn bind_by_config_qr(
        &self,
        qr_text: &str,
        admin_password: &str,
    ) -> Result<BindReport> {
        let qr = ConfigQr::parse(qr_text).map_err(BindFailure::from)?;
        if admin_password.chars().count() < 4 {
            return Err(TerminalError::Invalid(
                "the admin password must have at least 4 characters".into(),
            ));
        }
        let existing = self.merchant().await?;
        let state = self.device_state().await?;
        if let Some(m) = &existing {
            // Check the password before the QR (single use) is spent.
            let admin = cloudpos_domain::ClerkId::parse(&m.staff_id)
                .map_err(|e| TerminalError::Invalid(e.to_string()))?;
            self.authenticate(&admin, admin_password).await?;
        }
        let sn = self.machine_no().await?;
        let bound = self.exchange_config_qr(&qr, &sn).await?;
        let s = &bound.setting;
        if state.key_reset_at.is_some()
            && let Some(m) = &existing
            && m.device_id != s.device_id
        {
            return Err(BindFailure::OtherDevice {
                expected: m.device_id.clone(),
                got: s.device_id.clone(),
            }
            .into());
        }
        let credentials = MerchantCredentials {
            base_url: bound.base_url.clone(),
            base_urls: Vec::new(),
            out_mch_id: s.out_mch_id.clone(),
            out_sub_mch_id: s.out_sub_mch_id.clone(),
            out_shop_id: s.out_shop_id.clone(),
            device_id: s.device_id.clone(),
            staff_id: s.staff_id.clone(),
            order_prefix: s.cloud_cashier_id.clone(),
            authen_key: bound.authen_key.clone(),
            private_key_pem: None,
            store_name: s.shop_name.clone(),
        };
        let sandbox = s.sandbox.unwrap_or(false);
        // The key goes from memory into the sealed vault (and nowhere else) here.
        let profile = self
            .configure_merchant(&credentials, admin_password, sandbox)
            .await?;
        self.inner.ports.settings.remove(DEVICE_STATE_KEY).await?;
        self.audit(
            &profile.staff_id,
            "device_bound",
            serde_json::json!({
                "device_id": profile.device_id,
                "out_shop_id": profile.out_shop_id,
                "machine_no": sn,
                "after_key_reset": state.key_reset_at.is_some(),
                "after_unbind": state.unbound_at.is_some(),
            }),
        )
        .await?;
        Ok(BindReport {
            out_mch_id: profile.out_mch_id,
            out_sub_mch_id: profile.out_sub_mch_id,
            out_shop_id: profile.out_shop_id,
            device_id: profile.device_id,
            staff_id: profile.staff_id,
        })
    }

    /// Unbinds the device (解绑设备; admin only, audited): the cloud marks it unbound first,
    /// then the till refuses every payment, refund and deposit until bound again.
    pub async fn unbind_device(&self) -> Result<DeviceState> {
        let me = self.admin_guard("unbind the device").await?;
        let merchant = self.merchant().await?.ok_or(TerminalError::NotConfigured)?;
        let mut state = self.device_state().await?;
        if state.key_reset_at.is_none() {
            let cloud = self.device_cloud()?;
            let (_, clerk) = self.current_clerk().await?;
            let staff = clerk
                .cloud_staff_id
                .unwrap_or_else(|| merchant.staff_id.clone());
            cloud.unbind(&staff).await?;
        }
        // With the key reset the till cannot sign the request; the device is cut off
        // locally and the back office unbinds it in the cloud.
        state.unbound_at = Some(self.now());
        self.put_device_state(&state).await?;
        self.audit(
            me.as_str(),
            "device_unbound",
            serde_json::json!({
                "device_id": merchant.device_id,
                "out_shop_id": merchant.out_shop_id,
                "in_cloud": state.key_reset_at.is_none(),
            }),
        )
        .await?;
        Ok(state)
    }

    /// Resets the key (重置密钥; admin only, audited): deletes the sealed keys. Binding again
    /// must be with the same device.
    pub async fn reset_key(&self) -> Result<DeviceState> {
        let me = self.admin_guard("reset the key").await?;
        let merchant = self.merchant().await?.ok_or(TerminalError::NotConfigured)?;
        let vault = &self.inner.ports.vault;
        vault.delete(AUTHEN_KEY_SECRET).await?;
        vault.delete(PRIVATE_KEY_SECRET).await?;
        let mut state = self.device_state().await?;
        state.key_reset_at = Some(self.now());
        self.put_device_state(&state).await?;
        self.audit(
            me.as_str(),
            "device_key_reset",
            serde_json::json!({ "device_id": merchant.device_id }),
        )
        .await?;
        self.rebuild_gateway().await?;
        Ok(state)
    }
}
