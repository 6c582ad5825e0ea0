//! Windows UI Automation: the texts of the element under the centre of a region.
//!
//! Each call initialises COM for the calling thread (multi-threaded apartment) if needed,
//! creates the `CUIAutomation` object, asks for `ElementFromPoint`, and collects, in this
//! order: the ValuePattern's `Value` (edit boxes), the TextPattern's document text and the
//! element's `Name` (labels and most custom-drawn controls that publish anything). Elements
//! of this process (the payment window over the region) are skipped.
#![allow(unsafe_code)]

use cloudpos_domain::ports::ScreenRegion;
use windows::Win32::Foundation::POINT;
use windows::Win32::System::Com::{
    CLSCTX_INPROC_SERVER, COINIT_MULTITHREADED, CoCreateInstance, CoInitializeEx, CoUninitialize,
};
use windows::Win32::UI::Accessibility::{
    CUIAutomation, IUIAutomation, IUIAutomation2, IUIAutomationTextPattern,
    IUIAutomationValuePattern, UIA_TextPatternId, UIA_ValuePatternId,
};
use windows::core::Interface;

use super::{ReadSource, TextSource};
use crate::CaptureError;
use crate::grab::{ScreenInfo, absolute_origin};

/// Milliseconds UI Automation may take to reach the host program.
const CONNECTION_TIMEOUT_MS: u32 = 500;
/// Milliseconds one UI Automation call into the host program may take.
const TRANSACTION_TIMEOUT_MS: u32 = 1000;

/// Reads texts through UI Automation.
#[derive(Debug, Default)]
pub struct UiaTextSource(());

impl UiaTextSource {
    /// A UI Automation text source.
    #[must_use]
    pub fn new() -> UiaTextSource {
        UiaTextSource(())
    }
}

/// Balances a successful `CoInitializeEx` on drop.
struct ComGuard(bool);

impl Drop for ComGuard {
    fn drop(&mut self) {
        if self.0 {
            // SAFETY: paired with the successful CoInitializeEx of this thread.
            unsafe { CoUninitialize() };
        }
    }
}

fn uia_error(what: &str, e: &windows::core::Error) -> CaptureError {
    CaptureError::TextRead(format!("UI Automation {what}: {e}"))
}

impl TextSource for UiaTextSource {
    fn texts_at(
        &self,
        screen: &ScreenInfo,
        region: &ScreenRegion,
    ) -> Result<Vec<String>, CaptureError> {
        let (x, y) = absolute_origin(screen, region);
        let cx = x + i64::from(region.width / 2);
        let cy = y + i64::from(region.height / 2);
        let (Ok(cx), Ok(cy)) = (i32::try_from(cx), i32::try_from(cy)) else {
            return Ok(Vec::new());
        };
        // SAFETY: COM calls on interfaces owned by this function; COM is initialised for
        // this thread for their whole lifetime (the guard is dropped last).
        unsafe {
            // S_OK or S_FALSE (already initialised): balance it. RPC_E_CHANGED_MODE: the
            // thread is an STA already, which UI Automation accepts; nothing to balance.
            let _com = ComGuard(CoInitializeEx(None, COINIT_MULTITHREADED).is_ok());
            let automation: IUIAutomation =
                CoCreateInstance(&CUIAutomation, None, CLSCTX_INPROC_SERVER)
                    .map_err(|e| uia_error("is not available", &e))?;
            // A hung host program must not stall the payment window: short timeouts (the
            // defaults are 2 s to connect and 20 s per call), then OCR takes over.
            if let Ok(a2) = automation.cast::<IUIAutomation2>() {
                let _ = a2.SetConnectionTimeout(CONNECTION_TIMEOUT_MS);
                let _ = a2.SetTransactionTimeout(TRANSACTION_TIMEOUT_MS);
            }
            let element = automation
                .ElementFromPoint(POINT { x: cx, y: cy })
                .map_err(|e| uia_error("ElementFromPoint failed", &e))?;
            if element
                .CurrentProcessId()
                .is_ok_and(|pid| u32::try_from(pid).ok() == Some(std::process::id()))
            {
                // Our own window covers the region: nothing of the host to read.
                return Ok(Vec::new());
            }
            let mut texts = Vec::new();
            if let Ok(value) =
                element.GetCurrentPatternAs::<IUIAutomationValuePattern>(UIA_ValuePatternId)
                && let Ok(v) = value.CurrentValue()
            {
                texts.push(v.to_string());
            }
            if let Ok(text) =
                element.GetCurrentPatternAs::<IUIAutomationTextPattern>(UIA_TextPatternId)
                && let Ok(range) = text.DocumentRange()
                && let Ok(t) = range.GetText(256)
            {
                texts.push(t.to_string());
            }
            if let Ok(name) = element.CurrentName() {
                texts.push(name.to_string());
            }
            texts.retain(|t| !t.trim().is_empty());
            texts.dedup();
            Ok(texts)
        }
    }

    fn source(&self) -> ReadSource {
        ReadSource::UiAutomation
    }
}
