//! The real sound output: the system's default device through rodio (cpal: ALSA on Linux,
//! WASAPI on Windows).

use std::num::NonZero;
use std::time::{Duration, Instant};

use rodio::buffer::SamplesBuffer;
use rodio::{DeviceSinkBuilder, MixerDeviceSink, Player};

use crate::error::VoiceError;
use crate::player::Speaker;
use crate::render::Pcm;

/// How much longer than its length a sound may take before the device counts as stalled.
const STALL_MARGIN: Duration = Duration::from_secs(3);

struct DeviceSpeaker {
    // Keeps the device open; playback stops when it is dropped.
    _sink: MixerDeviceSink,
    player: Player,
}

/// Opens the default output device.
pub(crate) fn open_default() -> Result<Box<dyn Speaker>, VoiceError> {
    // alsa-lib writes its complaints (no card, no default PCM) to stderr, which would land in
    // the middle of the CLI's output: catch them on this thread and log them instead.
    #[cfg(target_os = "linux")]
    let alsa_messages = alsa::Output::local_error_handler().ok();
    let opened = DeviceSinkBuilder::open_default_sink();
    #[cfg(target_os = "linux")]
    if let Some(messages) = alsa_messages {
        let text = messages.borrow().to_string();
        if !text.trim().is_empty() {
            tracing::debug!(alsa = %text.trim(), "voice: alsa-lib messages while opening the device");
        }
    }
    let mut sink = opened.map_err(|e| VoiceError::NoDevice(e.to_string()))?;
    sink.log_on_drop(false);
    let player = Player::connect_new(sink.mixer());
    Ok(Box::new(DeviceSpeaker {
        _sink: sink,
        player,
    }))
}

impl Speaker for DeviceSpeaker {
    fn play(&mut self, pcm: &Pcm) -> Result<(), VoiceError> {
        let data: Vec<rodio::Sample> = pcm
            .samples()
            .iter()
            .map(|&s| rodio::Sample::from(s) / 32_768.0)
            .collect();
        let rate = NonZero::new(pcm.sample_rate())
            .ok_or_else(|| VoiceError::Playback("sample rate 0".into()))?;
        self.player
            .append(SamplesBuffer::new(NonZero::<u16>::MIN, rate, data));
        // Not `sleep_until_end`: a device that stops pulling samples (unplugged mid-sound)
        // would hold this thread for ever.
        let deadline = Instant::now() + pcm.duration() + STALL_MARGIN;
        while !self.player.empty() {
            if Instant::now() > deadline {
                self.player.clear();
                return Err(VoiceError::Playback(
                    "the device stopped playing before the end".into(),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}
