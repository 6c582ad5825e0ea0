//! The software update feed: a client of the configured feed URL that trusts the configured
//! key, through the proxy and timeouts of the network settings.

use std::time::Duration;

use cloudpos_update::{FeedClient, HttpSettings, UpdateError};

use crate::network::PROXY_PASSWORD_SECRET;
use crate::update::trusted_key;
use crate::{Result, Terminal, TerminalError, UpdateSettings};

impl Terminal {
    /// The client of the configured feed, trusting the configured key.
    pub(crate) async fn feed_client(&self) -> Result<FeedClient> {
        let settings = self.setting::<UpdateSettings>().await?;
        let url = settings
            .feed_url
            .clone()
            .ok_or(TerminalError::Update(UpdateError::NoFeed))?;
        let key = trusted_key(&settings)?;
        let net = self.setting::<crate::NetworkSettings>().await?;
        let proxy_password = self
            .inner
            .ports
            .vault
            .load(PROXY_PASSWORD_SECRET)
            .await?
            .and_then(|p| String::from_utf8(p).ok());
        // The proxy and timeouts of the network settings; not their root CA, which pins
        // Cloud Pay's TLS (a feed on an ordinary https host uses the system's roots).
        let http = HttpSettings {
            proxy_url: net.proxy_url,
            proxy_user: net.proxy_user,
            proxy_password,
            root_ca_pem: None,
            connect_timeout: net.connect_timeout_ms.map(Duration::from_millis),
            request_timeout: net
                .request_timeout_ms
                .map(|ms| Duration::from_millis(ms.max(30_000))),
        };
        Ok(FeedClient::new(&url, key, &http)?)
    }
}
