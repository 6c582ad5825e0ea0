//! The addresses one sandbox serves its state on: each is a Cloud Pay "domain" of its own
//! that can be stopped (a domain going down) while the others keep serving.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::SandboxError;
use crate::server;

/// One listening address and its accept loop.
pub(crate) struct Listener {
    /// The address (port 0 resolved, unspecified IP shown as loopback).
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Listener {
    /// Whether it still accepts connections.
    pub fn running(&self) -> bool {
        self.task.is_some()
    }

    /// Asks the accept loop and its connections to stop; returns the task to await (`None`
    /// when already stopped).
    pub fn stop(&mut self) -> Option<JoinHandle<()>> {
        let _ = self.stop.send(true);
        self.task.take()
    }
}

/// Binds `addr`; returns the listener and the address to advertise.
pub(crate) async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), SandboxError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| SandboxError::Bind { addr, source })?;
    let mut bound = listener
        .local_addr()
        .map_err(|source| SandboxError::Bind { addr, source })?;
    if bound.ip().is_unspecified() {
        bound.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    Ok((listener, bound))
}

/// Serves `router` on `listener` until stopped.
pub(crate) fn spawn(listener: TcpListener, addr: SocketAddr, router: axum::Router) -> Listener {
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(server::serve(listener, router, stop_rx));
    Listener {
        addr,
        stop,
        task: Some(task),
    }
}
