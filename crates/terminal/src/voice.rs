//! Voice announcements (语音播报): the settings page (on/off, volume, which events speak) and
//! announcing from the payment path without ever waiting there.
//!
//! A terminal speaks only after [`Terminal::start_voice`] (the cashier app calls it at start;
//! the CLI with `pay --speak`), so scripts and tests driving the CLI stay silent. Announcing
//! itself is a synchronous push into the voice adapter's bounded backlog, made after the
//! payment's final state is committed: a missing sound device, a full backlog or a muted
//! setting never delays or fails a payment.

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use cloudpos_domain::announcement::{Announcement, VoiceEvent};
use cloudpos_domain::order::Order;
use cloudpos_domain::ports::Announcer;
use cloudpos_voice::VoiceError;
use serde::{Deserialize, Serialize};

use crate::{Result, Setting, Terminal, TerminalError};

/// The voice settings (语音播报设置).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VoiceSettings {
    /// Speak at all.
    pub enabled: bool,
    /// Volume, 0–100 % of the clips' level.
    pub volume: u8,
    /// The events that speak; the others stay silent.
    pub events: BTreeSet<VoiceEvent>,
}

impl Default for VoiceSettings {
    fn default() -> Self {
        VoiceSettings {
            enabled: true,
            volume: 80,
            events: VoiceEvent::ALL
                .into_iter()
                .filter(|e| e.on_by_default())
                .collect(),
        }
    }
}

impl VoiceSettings {
    /// Checks the values.
    pub fn validate(&self) -> Result<()> {
        if self.volume > 100 {
            return Err(TerminalError::Invalid(format!(
                "the voice volume is 0–100 %, not {}",
                self.volume
            )));
        }
        Ok(())
    }

    /// Whether `event` is spoken.
    #[must_use]
    pub fn speaks(&self, event: VoiceEvent) -> bool {
        self.enabled && self.events.contains(&event)
    }
}

impl Setting for VoiceSettings {
    const KEY: &'static str = "voice";
    const NAME: &'static str = "voice settings";
    const AUDIT_ACTION: &'static str = "config_voice";

    fn check(&mut self) -> Result<()> {
        self.validate()
    }

    /// The voice speaks with them from now on.
    async fn applied(&self, terminal: &Terminal) -> Result<()> {
        if let Ok(mut s) = terminal.inner.voice.settings.write() {
            *s = self.clone();
        }
        Ok(())
    }
}

/// The voice's place in the terminal: the adapter once started, and the settings it speaks
/// with (read at start, replaced when they are changed here).
#[derive(Default)]
pub(crate) struct VoiceState {
    announcer: RwLock<Option<Arc<dyn Announcer>>>,
    settings: RwLock<VoiceSettings>,
}

fn voice_error(e: &VoiceError) -> TerminalError {
    TerminalError::Invalid(format!("voice: {e}"))
}

/// What an announcement sounds like in words: `微信收款十二点三四元`.
pub fn spoken_words(announcement: &Announcement) -> Result<String> {
    cloudpos_voice::spoken_text(announcement).map_err(|e| voice_error(&e))
}

/// An announcement rendered to sound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedAnnouncement {
    /// What is heard, in words: `微信收款十二点三四元`.
    pub words: String,
    /// A WAV file: 16 kHz mono 16-bit PCM.
    pub wav: Vec<u8>,
    /// How long it sounds.
    pub duration: Duration,
}

/// Renders an announcement at `volume_percent` (0–100) as a WAV file (`cloudpos voice say
/// --out`, the settings page's preview).
pub fn render_announcement(
    announcement: &Announcement,
    volume_percent: u8,
) -> Result<RenderedAnnouncement> {
    let pcm = cloudpos_voice::render_announcement(announcement, volume_percent)
        .map_err(|e| voice_error(&e))?;
    Ok(RenderedAnnouncement {
        words: spoken_words(announcement)?,
        wav: pcm.to_wav().map_err(|e| voice_error(&e))?,
        duration: pcm.duration(),
    })
}

impl Terminal {
    /// Starts speaking (语音播报): installs the shipped voice — Mandarin clips joined and played
    /// through the default sound device, opened at the first announcement — with the stored
    /// voice settings. The cashier app calls this once at start, `cloudpos pay --speak` too;
    /// other processes stay silent. Calling it again keeps the running voice and re-reads the
    /// settings.
    pub async fn start_voice(&self) -> Result<()> {
        let announcer = self.announcer().unwrap_or_else(crate::wiring::announcer);
        self.set_announcer(Some(announcer)).await
    }

    /// Installs the announcer (`None` silences the terminal) and reads the settings it speaks
    /// with. [`Terminal::start_voice`] installs the shipped one; tests install fakes.
    pub async fn set_announcer(&self, announcer: Option<Arc<dyn Announcer>>) -> Result<()> {
        let settings = self.setting::<VoiceSettings>().await?;
        if let Ok(mut s) = self.inner.voice.settings.write() {
            *s = settings;
        }
        if let Ok(mut a) = self.inner.voice.announcer.write() {
            *a = announcer;
        }
        Ok(())
    }

    pub(crate) fn announcer(&self) -> Option<Arc<dyn Announcer>> {
        self.inner
            .voice
            .announcer
            .read()
            .ok()
            .and_then(|a| a.clone())
    }

    /// Announces a payment from its ledger record: "微信收款 12.34 元" only when the order is
    /// paid, "支付失败" when failed, "支付已撤销" when reversed, nothing while it is open; and
    /// only the events the settings let speak.
    ///
    /// This is the hook of the payment path: the terminal calls it once a payment's final
    /// state is committed (`after_paid`). It never waits and never fails: the sound is queued
    /// for the voice's own thread, and anything that keeps it from being heard is logged.
    pub fn announce_order(&self, order: &Order) {
        if let Some(a) = Announcement::of_order(order) {
            self.announce(&a);
        }
    }

    /// Announces anything the terminal built an [`Announcement`] for (a recharge with
    /// [`Announcement::of_recharge`], a printed-QR-code payment with
    /// [`Announcement::of_one_code`]), under the same rules as [`Terminal::announce_order`].
    pub fn announce(&self, announcement: &Announcement) {
        let Some(announcer) = self.announcer() else {
            return;
        };
        let settings = self
            .inner
            .voice
            .settings
            .read()
            .map(|s| s.clone())
            .unwrap_or_default();
        if !settings.speaks(announcement.event()) {
            return;
        }
        if let Err(e) = announcer.announce(announcement, settings.volume) {
            tracing::info!(%announcement, error = %e, "announcement not spoken");
        }
    }

    /// Waits (at most `max`) until every queued announcement has been spoken: a short-lived
    /// process (the CLI) calls this before it exits, after the payment's result is printed.
    pub async fn flush_voice(&self, max: Duration) {
        let Some(announcer) = self.announcer() else {
            return;
        };
        let until = tokio::time::Instant::now() + max;
        while announcer.pending() > 0 && tokio::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Plays one announcement now on the default sound device at the configured volume (or
    /// `volume`), returning when it has been heard: the settings page's 试听 and
    /// `cloudpos voice say`. Plays even when the voice is switched off (the user asked).
    pub async fn say_now(&self, announcement: &Announcement, volume: Option<u8>) -> Result<()> {
        let volume = match volume {
            Some(v) if v > 100 => {
                return Err(TerminalError::Invalid(format!(
                    "the voice volume is 0–100 %, not {v}"
                )));
            }
            Some(v) => v,
            None => self.setting::<VoiceSettings>().await?.volume,
        };
        let a = *announcement;
        tokio::task::spawn_blocking(move || cloudpos_voice::play_now(&a, volume))
            .await
            .map_err(|e| TerminalError::Invalid(format!("voice: {e}")))?
            .map_err(|e| voice_error(&e))
    }
}
