//! The terminal's life as the cloud sees it: devices added by the back office, their
//! configuration QRs (配置扫码), the binding of a device to one terminal's serial number,
//! unbinding (解绑设备), and the notices (公告) of the service provider.
//!
//! - `POST /sandbox/device-config-qr` (body optional: `{"device_id"}` for an existing device
//!   of the demo shop; without it a new device is added) answers `{"qr", "device_id",
//!   "expires_at"}`: the QR text `…/cpay/use_device_setting?osi=&si=`, valid five minutes,
//!   usable once.
//! - `GET /cpay/use_device_setting?osi=&si=&sn=` binds: each of `osi`, `si`, `sn` is required
//!   (101 naming it); an unknown setting id, an expired or used QR are 104; a device bound to
//!   another serial number is 104 with internal status 3214. The answer carries the ids and
//!   `e_authen_key` (AES-128-CBC under the initial key, `cloudpay_api::binding`), MAC'd with
//!   the key it delivers.
//! - `x_unbind_device` marks the asking device unbound; every later call from it is 104
//!   "设备已解绑" until it is bound again by a new QR.
//! - `POST /sandbox/notice` `{"title","body"}` publishes a notice; `x_query_notice_list`
//!   lists them, newest first.

use std::borrow::Cow;

use cloudpay_api::binding::{self, BoundKeyCipher, UseDeviceSetting};
use cloudpay_api::device::{NoticeListResponse, UnbindDeviceResponse, WireNotice};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::MerchantConfig;
use crate::ledger::{After, Done, Fail, Ledger};

/// Devices, QRs, bindings and notices (persisted with the ledger).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceBook {
    /// Devices the back office added, with their shop.
    pub added: Vec<(String, String)>,
    /// Configuration QRs handed out.
    pub qrs: Vec<ConfigQrRec>,
    /// `device_id` → the serial number it is bound to.
    pub bound: Vec<(String, String)>,
    /// Devices unbound (refused until bound again).
    pub unbound: Vec<String>,
    /// Notices, oldest first.
    pub notices: Vec<WireNotice>,
    /// Sequence for ids.
    pub seq: u64,
}

/// One configuration QR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigQrRec {
    /// `si`.
    pub setting_id: String,
    /// `osi`.
    pub out_shop_id: String,
    /// The device it configures.
    pub device_id: String,
    /// Created, sandbox ms.
    pub created_ms: i64,
    /// Used, sandbox ms.
    pub used_ms: Option<i64>,
}

impl DeviceBook {
    /// The merchant with the devices the back office added.
    #[must_use]
    pub fn merchant<'a>(&self, m: &'a MerchantConfig) -> Cow<'a, MerchantConfig> {
        if self.added.is_empty() {
            return Cow::Borrowed(m);
        }
        let mut m = m.clone();
        for (shop, device) in &self.added {
            if let Some(s) = m.shops.iter_mut().find(|s| &s.out_shop_id == shop)
                && !s.devices.contains(device)
            {
                s.devices.push(device.clone());
            }
        }
        Cow::Owned(m)
    }

    /// Whether a device was unbound.
    #[must_use]
    pub fn is_unbound(&self, device_id: &str) -> bool {
        self.unbound.iter().any(|d| d == device_id)
    }

    fn bound_sn(&self, device_id: &str) -> Option<&str> {
        self.bound
            .iter()
            .find(|(d, _)| d == device_id)
            .map(|(_, sn)| sn.as_str())
    }
}

impl Ledger {
    /// `POST /sandbox/device-config-qr`: a QR for `device_id` (of the first shop) or for a
    /// new device of it.
    pub fn device_config_qr(
        &mut self,
        m: &MerchantConfig,
        device_id: Option<&str>,
        now_ms: i64,
        http_base: &str,
    ) -> Result<Value, String> {
        let shop = m
            .shops
            .first()
            .ok_or_else(|| "the sandbox has no shop".to_owned())?
            .out_shop_id
            .clone();
        let book = &mut self.devices;
        let device = match device_id.map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => {
                if !book
                    .merchant(m)
                    .shop(&shop)
                    .is_some_and(|s| s.devices.iter().any(|x| x == d))
                {
                    return Err(format!("\"{d}\" is not a device of shop {shop}"));
                }
                d.to_owned()
            }
            None => loop {
                book.seq += 1;
                let d = format!("POS-{}", 100 + book.seq);
                if !book
                    .merchant(m)
                    .shop(&shop)
                    .is_some_and(|s| s.devices.contains(&d))
                {
                    book.added.push((shop.clone(), d.clone()));
                    break d;
                }
            },
        };
        let setting_id = cloudpay_api::new_nonce();
        book.qrs.push(ConfigQrRec {
            setting_id: setting_id.clone(),
            out_shop_id: shop.clone(),
            device_id: device.clone(),
            created_ms: now_ms,
            used_ms: None,
        });
        let qr = format!(
            "{http_base}/cpay/{}?osi={shop}&si={setting_id}",
            binding::USE_DEVICE_SETTING
        );
        Ok(json!({
            "qr": qr,
            "device_id": device,
            "expires_at": (now_ms / 1000) + binding::CONFIG_QR_TTL_SECS,
        }))
    }

    /// `GET /cpay/use_device_setting`: checks the QR, binds the device to `sn`, and returns
    /// the answer object (the caller MACs it with the merchant's key).
    pub fn use_device_setting(
        &mut self,
        m: &MerchantConfig,
        query: &[(String, String)],
        now_ms: i64,
    ) -> Result<Value, Fail> {
        let get = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
        };
        let mut given = Vec::with_capacity(3);
        for (name, max) in [("osi", 32), ("si", 64), ("sn", 32)] {
            let Some(v) = get(name) else {
                return Err(Fail::field(name, "必填", "is required"));
            };
            if v.len() > max {
                return Err(Fail::field(
                    name,
                    &format!("超过 {max} 字节"),
                    &format!("is longer than {max} bytes"),
                ));
            }
            given.push(v.to_owned());
        }
        let (osi, si, sn) = (&given[0], &given[1], &given[2]);
        let book = &mut self.devices;
        let Some(i) = book.qrs.iter().position(|q| &q.setting_id == si) else {
            return Err(Fail::failed("配置二维码无效 (unknown configuration QR)"));
        };
        let rec = book.qrs[i].clone();
        if &rec.out_shop_id != osi {
            return Err(Fail::field(
                "osi",
                "与配置二维码的门店不一致",
                "does not match the configuration QR's shop",
            ));
        }
        if rec.used_ms.is_some() {
            return Err(Fail::failed(
                "配置二维码已使用, 请重新生成 (configuration QR already used)",
            ));
        }
        if now_ms - rec.created_ms > binding::CONFIG_QR_TTL_SECS * 1000 {
            return Err(Fail::failed(
                "配置二维码已过期, 请重新生成 (configuration QR expired after 5 minutes)",
            ));
        }
        if let Some(other) = book.bound_sn(&rec.device_id)
            && other != sn
        {
            return Err(Fail {
                status: cloudpay_api::wire::status::FAILED,
                internal: Some(binding::INTERNAL_BOUND_ELSEWHERE),
                description: format!(
                    "设备 {} 已绑定其他序列号, 请在原设备上重新生成二维码绑定 (device already bound to another SN)",
                    rec.device_id
                ),
            });
        }
        book.qrs[i].used_ms = Some(now_ms);
        book.bound.retain(|(d, _)| d != &rec.device_id);
        book.bound.push((rec.device_id.clone(), sn.clone()));
        book.unbound.retain(|d| d != &rec.device_id);
        let key = m.authen_key.clone().unwrap_or_default();
        let init = binding::initial_key(si, sn);
        let setting = UseDeviceSetting {
            out_mch_id: m.out_mch_id.clone(),
            out_sub_mch_id: m.out_sub_mch_id.clone(),
            out_shop_id: rec.out_shop_id.clone(),
            device_id: rec.device_id,
            staff_id: m.default_staff_id.clone(),
            cloud_cashier_id: m.order_prefix.clone(),
            e_authen_key: binding::seal_bound_key(
                BoundKeyCipher::DEFAULT,
                &init,
                &key,
                &binding::random_salt(),
            ),
            shop_name: m.shop(&rec.out_shop_id).map(|s| s.name.clone()),
            sandbox: Some(true),
        };
        Ok(serde_json::to_value(setting).unwrap_or(Value::Null))
    }

    /// `x_unbind_device` from `device_id`.
    pub fn unbind_device(&mut self, device_id: &str, now_ms: i64) -> Result<Done, Fail> {
        let book = &mut self.devices;
        book.bound.retain(|(d, _)| d != device_id);
        if !book.is_unbound(device_id) {
            book.unbound.push(device_id.to_owned());
        }
        let answer = UnbindDeviceResponse {
            device_id: device_id.to_owned(),
            unbound_at: now_ms / 1000,
        };
        Ok(Done {
            op: serde_json::to_value(answer).unwrap_or(Value::Null),
            after: After::Answer,
        })
    }

    /// `POST /sandbox/notice`.
    pub fn publish_notice(&mut self, title: &str, body: &str, now_ms: i64) -> WireNotice {
        let book = &mut self.devices;
        book.seq += 1;
        let notice = WireNotice {
            notice_id: format!("N{:06}", book.seq),
            title: title.to_owned(),
            body: body.to_owned(),
            publish_time: now_ms / 1000,
        };
        book.notices.push(notice.clone());
        notice
    }

    /// `x_query_notice_list`: newest first, from `start_time` on.
    #[must_use]
    pub fn notice_list(&self, start_time: Option<i64>) -> Done {
        let notices: Vec<WireNotice> = self
            .devices
            .notices
            .iter()
            .rev()
            .filter(|n| start_time.is_none_or(|t| n.publish_time >= t))
            .cloned()
            .collect();
        let answer = NoticeListResponse {
            total_count: u32::try_from(notices.len()).unwrap_or(u32::MAX),
            notices,
        };
        Done {
            op: serde_json::to_value(answer).unwrap_or(Value::Null),
            after: After::Answer,
        }
    }
}
