//! Clocks: the system clock, and a virtual clock for tests that run 45-second windows in
//! microseconds.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use cloudpos_domain::ports::Clock;
use cloudpos_domain::timestamp::Timestamp;

/// The real clock and `tokio` sleeping.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Timestamp::from_unix_millis(ms)
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// A virtual clock: `sleep` advances the time at once (and yields to other tasks).
#[derive(Debug)]
pub struct VirtualClock {
    now_ms: AtomicI64,
}

impl VirtualClock {
    /// A clock reading `start`.
    #[must_use]
    pub fn new(start: Timestamp) -> Self {
        VirtualClock {
            now_ms: AtomicI64::new(start.unix_millis()),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, d: Duration) {
        self.now_ms.fetch_add(
            i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Ordering::SeqCst,
        );
    }

    /// Sets the clock (also backwards, to test clock steps).
    pub fn set(&self, t: Timestamp) {
        self.now_ms.store(t.unix_millis(), Ordering::SeqCst);
    }
}

#[async_trait]
impl Clock for VirtualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_millis(self.now_ms.load(Ordering::SeqCst))
    }

    async fn sleep(&self, duration: Duration) {
        self.advance(duration);
        tokio::task::yield_now().await;
    }
}
