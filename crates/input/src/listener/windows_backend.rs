//! Windows: a low-level keyboard hook on a thread with a message loop.

use std::sync::mpsc;
use std::thread::JoinHandle;

use super::{Pipeline, classify_windows_vk};
use crate::error::InputError;
use crate::win;

/// The running hook thread.
pub(crate) struct Handle {
    thread_id: u32,
    thread: Option<JoinHandle<()>>,
}

impl Handle {
    /// Ends the message loop (which removes the hook) and waits for the thread.
    pub(crate) fn stop(mut self) {
        if win::post_quit(self.thread_id)
            && let Some(thread) = self.thread.take()
        {
            let _ = thread.join();
        }
    }
}

/// Starts the hook thread. `_display` is an X11 notion and ignored.
pub(crate) fn start(_display: Option<&str>, mut pipeline: Pipeline) -> Result<Handle, InputError> {
    let (ready_tx, ready_rx) = mpsc::sync_channel(1);
    let thread = std::thread::Builder::new()
        .name("cloudpos-key-listener".into())
        .spawn(move || {
            win::ensure_message_queue();
            let thread_id = win::current_thread_id();
            let callback = Box::new(move |key: win::HookKey| {
                // The key id keeps keypad Enter apart from Enter.
                let id = key.vk | (u32::from(key.extended) << 8);
                let raw = classify_windows_vk(key.vk);
                if !pipeline.key(id, raw, key.pressed, key.time) {
                    win::post_quit(win::current_thread_id());
                }
            });
            let hook = match win::KeyboardHook::install(callback) {
                Ok(hook) => hook,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            let _ = ready_tx.send(Ok(thread_id));
            win::message_loop(|| true);
            drop(hook);
        })
        .map_err(|e| InputError::Os(format!("starting the key listener thread: {e}")))?;
    let thread_id = ready_rx
        .recv()
        .map_err(|_| InputError::Os("the key listener thread ended at start".into()))??;
    Ok(Handle {
        thread_id,
        thread: Some(thread),
    })
}
