//! The terminal's life beside payments: the notices (公告) a service provider or the
//! merchant publishes, what the terminal keeps of them ([`NoticeBoard`]), and the device's
//! own calls to the cloud ([`DeviceCloud`]: unbinding, fetching notices).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::ports::{GatewayError, StoreError};
use crate::timestamp::Timestamp;

/// A notice (公告) as the terminal keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The cloud's id (stable; a notice fetched twice is stored once).
    pub id: String,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// When it was published.
    pub published_at: Timestamp,
    /// When someone on this terminal read it; `None`: unread.
    pub read_at: Option<Timestamp>,
}

impl Notice {
    /// Whether nobody has read it on this terminal.
    #[must_use]
    pub fn unread(&self) -> bool {
        self.read_at.is_none()
    }
}

/// The notices this terminal has fetched, with their read state.
#[async_trait]
pub trait NoticeBoard: Send + Sync {
    /// Stores the notices not stored yet (by id; a stored one keeps its read state);
    /// returns how many were new.
    async fn save_notices(
        &self,
        notices: &[Notice],
        fetched_at: Timestamp,
    ) -> Result<usize, StoreError>;
    /// Every notice, newest first.
    async fn notices(&self) -> Result<Vec<Notice>, StoreError>;
    /// Marks one read (`false` when there is no such notice). Reading it again keeps the
    /// first time.
    async fn mark_notice_read(&self, id: &str, at: Timestamp) -> Result<bool, StoreError>;
}

/// The device's own calls to the cloud.
#[async_trait]
pub trait DeviceCloud: Send + Sync {
    /// Asks the cloud to mark this device unbound, by the admin `staff_id`.
    async fn unbind(&self, staff_id: &str) -> Result<(), GatewayError>;
    /// The notices for this device's shop, newest first (read state unset).
    async fn fetch_notices(&self) -> Result<Vec<Notice>, GatewayError>;
}
