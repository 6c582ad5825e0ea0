//! The head office link (`HeadOfficeLink`): the `cloudpos-hq-client` over the proxy and
//! timeouts of the network settings, rebuilt when they change.

use std::sync::Arc;
use std::time::Duration;

use cloudpos_domain::hq_ports::HeadOfficeLink;
use cloudpos_hq_client::{HqClient, HttpSettings};

use crate::network::PROXY_PASSWORD_SECRET;
use crate::{Result, Terminal};

impl Terminal {
    /// A head office client with the network settings' proxy and timeouts (not their root
    /// CA, which pins Cloud Pay's TLS; a head office on https uses the system's roots).
    pub(crate) async fn build_head_office_link(&self) -> Result<Arc<dyn HeadOfficeLink>> {
        let net = self.setting::<crate::NetworkSettings>().await?;
        let proxy_password = self
            .inner
            .ports
            .vault
            .load(PROXY_PASSWORD_SECRET)
            .await?
            .and_then(|p| String::from_utf8(p).ok());
        let http = HttpSettings {
            proxy_url: net.proxy_url,
            proxy_user: net.proxy_user,
            proxy_password,
            root_ca_pem: None,
            connect_timeout: net.connect_timeout_ms.map(Duration::from_millis),
            // A batch takes a moment to commit: never less than the client's default.
            request_timeout: net
                .request_timeout_ms
                .map(|ms| Duration::from_millis(ms).max(cloudpos_hq_client::REQUEST_TIMEOUT)),
        };
        Ok(Arc::new(HqClient::new(http)))
    }
}
