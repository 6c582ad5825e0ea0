//! Win32 calls: thread message loops, the low-level keyboard hook and `SendInput`.
//!
//! This is the crate's only `unsafe` code. Every call is a plain Win32 function with
//! arguments owned by the caller for the duration of the call.
#![allow(unsafe_code)]

use std::cell::RefCell;

use windows_sys::Win32::Foundation::{LPARAM, LRESULT, WPARAM};
use windows_sys::Win32::System::LibraryLoader::GetModuleHandleW;
use windows_sys::Win32::System::Threading::GetCurrentThreadId;
use windows_sys::Win32::UI::Input::KeyboardAndMouse::{
    INPUT, INPUT_0, INPUT_KEYBOARD, KEYBDINPUT, KEYEVENTF_EXTENDEDKEY, KEYEVENTF_KEYUP,
    MAPVK_VK_TO_VSC, MapVirtualKeyW, SendInput,
};
use windows_sys::Win32::UI::WindowsAndMessaging::{
    CallNextHookEx, DispatchMessageW, GetMessageW, HC_ACTION, HHOOK, KBDLLHOOKSTRUCT,
    LLKHF_EXTENDED, MSG, PM_NOREMOVE, PeekMessageW, PostThreadMessageW, SetWindowsHookExW,
    TranslateMessage, UnhookWindowsHookEx, WH_KEYBOARD_LL, WM_APP, WM_KEYDOWN, WM_QUIT,
    WM_SYSKEYDOWN,
};

use crate::error::InputError;
use crate::notation::Chord;

/// The calling thread's id.
pub(crate) fn current_thread_id() -> u32 {
    // SAFETY: no arguments; always succeeds.
    unsafe { GetCurrentThreadId() }
}

/// Creates the calling thread's message queue, so that messages posted to it before its
/// loop starts are kept.
pub(crate) fn ensure_message_queue() {
    // SAFETY: `msg` is a valid, writable MSG; PM_NOREMOVE leaves the queue untouched.
    unsafe {
        let mut msg: MSG = std::mem::zeroed();
        PeekMessageW(&mut msg, std::ptr::null_mut(), 0, 0, PM_NOREMOVE);
    }
}

/// Posts the wake-up message (`WM_APP`) to a thread running [`message_loop`].
pub(crate) fn post_wake(thread_id: u32) -> bool {
    // SAFETY: posting a parameterless thread message.
    unsafe { PostThreadMessageW(thread_id, WM_APP, 0, 0) != 0 }
}

/// Ends a thread's [`message_loop`].
pub(crate) fn post_quit(thread_id: u32) -> bool {
    // SAFETY: posting a parameterless thread message.
    unsafe { PostThreadMessageW(thread_id, WM_QUIT, 0, 0) != 0 }
}

/// Pumps the calling thread's messages until `WM_QUIT`, or until `on_wake` (called for each
/// `WM_APP` thread message) returns `false`.
pub(crate) fn message_loop(mut on_wake: impl FnMut() -> bool) {
    loop {
        // SAFETY: `msg` is a valid, writable MSG.
        let mut msg: MSG = unsafe { std::mem::zeroed() };
        let got = unsafe { GetMessageW(&mut msg, std::ptr::null_mut(), 0, 0) };
        if got == 0 || got == -1 {
            break;
        }
        if msg.hwnd.is_null() && msg.message == WM_APP {
            if !on_wake() {
                break;
            }
            continue;
        }
        // SAFETY: `msg` was filled by GetMessageW.
        unsafe {
            TranslateMessage(&msg);
            DispatchMessageW(&msg);
        }
    }
}

/// A key event seen by the low-level hook.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HookKey {
    /// Virtual-key code.
    pub vk: u32,
    /// Whether the key went down (otherwise up).
    pub pressed: bool,
    /// An extended key (keypad Enter, arrows, …).
    pub extended: bool,
    /// Milliseconds since boot (wraps after 49.7 days).
    pub time: u32,
}

type HookCallback = Box<dyn FnMut(HookKey)>;

thread_local! {
    /// The callback of the hook installed on this thread (hooks run on their thread).
    static HOOK_CALLBACK: RefCell<Option<HookCallback>> = RefCell::new(None);
}

unsafe extern "system" fn keyboard_hook(code: i32, wparam: WPARAM, lparam: LPARAM) -> LRESULT {
    if code == HC_ACTION as i32 && lparam != 0 {
        // SAFETY: for HC_ACTION, lparam points to a KBDLLHOOKSTRUCT valid during the call.
        let kb = unsafe { &*(lparam as *const KBDLLHOOKSTRUCT) };
        let message = u32::try_from(wparam).unwrap_or(0);
        let key = HookKey {
            vk: kb.vkCode,
            pressed: message == WM_KEYDOWN || message == WM_SYSKEYDOWN,
            extended: kb.flags & LLKHF_EXTENDED != 0,
            time: kb.time,
        };
        HOOK_CALLBACK.with(|cb| {
            if let Ok(mut cb) = cb.try_borrow_mut()
                && let Some(cb) = cb.as_mut()
            {
                cb(key);
            }
        });
    }
    // SAFETY: passing the hook's own arguments on, as required.
    unsafe { CallNextHookEx(std::ptr::null_mut(), code, wparam, lparam) }
}

/// An installed low-level keyboard hook; removed on drop (on the installing thread).
pub(crate) struct KeyboardHook(HHOOK);

impl KeyboardHook {
    /// Installs the hook on the calling thread, which must then run [`message_loop`]:
    /// `callback` runs on this thread for every key event, and must return quickly (Windows
    /// skips hooks slower than about 300 ms).
    pub(crate) fn install(callback: HookCallback) -> Result<KeyboardHook, InputError> {
        HOOK_CALLBACK.with(|cb| *cb.borrow_mut() = Some(callback));
        // SAFETY: `keyboard_hook` has the HOOKPROC signature; the module handle of the
        // executable is valid for the process lifetime.
        let hook = unsafe {
            SetWindowsHookExW(
                WH_KEYBOARD_LL,
                Some(keyboard_hook),
                GetModuleHandleW(std::ptr::null()),
                0,
            )
        };
        if hook.is_null() {
            HOOK_CALLBACK.with(|cb| *cb.borrow_mut() = None);
            return Err(InputError::Os(format!(
                "installing the keyboard hook failed: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(KeyboardHook(hook))
    }
}

impl Drop for KeyboardHook {
    fn drop(&mut self) {
        // SAFETY: the handle came from SetWindowsHookExW and is unhooked once.
        unsafe { UnhookWindowsHookEx(self.0) };
        HOOK_CALLBACK.with(|cb| *cb.borrow_mut() = None);
    }
}

/// Virtual-key codes of the modifiers.
const VK_SHIFT: u16 = 0x10;
const VK_CONTROL: u16 = 0x11;
const VK_MENU: u16 = 0x12;
const VK_LWIN: u16 = 0x5b;

fn key_input(vk: u16, extended: bool, up: bool) -> INPUT {
    // SAFETY: a pure table lookup.
    let scan = unsafe { MapVirtualKeyW(u32::from(vk), MAPVK_VK_TO_VSC) };
    let mut flags = 0;
    if extended {
        flags |= KEYEVENTF_EXTENDEDKEY;
    }
    if up {
        flags |= KEYEVENTF_KEYUP;
    }
    INPUT {
        r#type: INPUT_KEYBOARD,
        Anonymous: INPUT_0 {
            ki: KEYBDINPUT {
                wVk: vk,
                wScan: u16::try_from(scan).unwrap_or(0),
                dwFlags: flags,
                time: 0,
                dwExtraInfo: 0,
            },
        },
    }
}

/// Presses a chord with `SendInput`, as one atomic batch.
pub(crate) fn send_chord(chord: &Chord) -> Result<(), InputError> {
    let m = chord.modifiers;
    let mods: Vec<(u16, bool)> = [
        (m.ctrl, VK_CONTROL, false),
        (m.alt, VK_MENU, false),
        (m.shift, VK_SHIFT, false),
        (m.win, VK_LWIN, true),
    ]
    .into_iter()
    .filter(|(on, _, _)| *on)
    .map(|(_, vk, ext)| (vk, ext))
    .collect();
    let (vk, extended) = chord.key.windows_vk();
    let mut inputs = Vec::with_capacity(2 + 2 * mods.len());
    inputs.extend(mods.iter().map(|&(vk, ext)| key_input(vk, ext, false)));
    inputs.push(key_input(vk, extended, false));
    inputs.push(key_input(vk, extended, true));
    inputs.extend(mods.iter().rev().map(|&(vk, ext)| key_input(vk, ext, true)));
    let count = u32::try_from(inputs.len()).unwrap_or(0);
    let size = i32::try_from(std::mem::size_of::<INPUT>()).unwrap_or(0);
    // SAFETY: `inputs` holds `count` initialised INPUT structures of size `size`.
    let sent = unsafe { SendInput(count, inputs.as_ptr(), size) };
    if sent != count {
        return Err(InputError::Os(format!(
            "Windows refused to press {chord} (SendInput sent {sent} of {count} events: {}); \
             if the host POS runs as administrator, run CloudPOS as administrator too",
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}
