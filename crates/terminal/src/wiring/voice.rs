//! The voice (`Announcer`): the shipped Mandarin clips joined and played through the default
//! sound device on a speaking thread of its own, the device opened at the first announcement.

use std::sync::Arc;

use cloudpos_domain::ports::Announcer;
use cloudpos_voice::ClipAnnouncer;

/// The shipped voice.
pub(crate) fn announcer() -> Arc<dyn Announcer> {
    Arc::new(ClipAnnouncer::new())
}
