//! `keys send`: press a key sequence in the focused window, through the same injection the
//! payment window uses in the host POS (`SendInput` on Windows, XTEST on X11), so that a
//! sequence can be tried against the host program before it goes into the key settings.

use std::time::Duration;

use anyhow::Context;
use cloudpos_terminal::{KeySequence, Terminal};

use crate::cli::KeysCommand;
use crate::exit;

/// Runs one `keys` command.
pub async fn run(t: &Terminal, cmd: KeysCommand) -> anyhow::Result<u8> {
    match cmd {
        KeysCommand::Send { keys, delay } => {
            let sequence = KeySequence::parse(&keys)
                .with_context(|| format!("bad key sequence \"{keys}\""))?;
            anyhow::ensure!(
                !sequence.0.is_empty(),
                "no keys given: --keys \"F12, Enter\""
            );
            if delay > 0 {
                tokio::time::sleep(Duration::from_secs(delay)).await;
            }
            t.press_keys(&sequence).await?;
            println!("pressed {sequence}");
            Ok(exit::OK)
        }
    }
}
