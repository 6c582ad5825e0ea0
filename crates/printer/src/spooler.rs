//! Raw printing through the Windows print spooler (driver printing, 驱动打印): the ESC/POS
//! bytes go to the printer untouched as a "RAW" document, so a receipt printer installed
//! with its vendor driver prints exactly what a serial or USB connection would.
//!
//! This is the crate's only `unsafe` code: the Win32 spooler calls.
#![allow(unsafe_code)]

use std::ffi::OsStr;
use std::os::windows::ffi::OsStrExt;

use windows_sys::Win32::Foundation::GetLastError;
use windows_sys::Win32::Graphics::Printing::{
    ClosePrinter, DOC_INFO_1W, EndDocPrinter, EndPagePrinter, OpenPrinterW, PRINTER_HANDLE,
    StartDocPrinterW, StartPagePrinter, WritePrinter,
};

use crate::error::PrintError;

fn wide(s: &str) -> Vec<u16> {
    OsStr::new(s)
        .encode_wide()
        .chain(std::iter::once(0))
        .collect()
}

fn last_error(what: &str, step: &str) -> PrintError {
    // SAFETY: GetLastError only reads the calling thread's last-error value.
    let code = unsafe { GetLastError() };
    let os = std::io::Error::from_raw_os_error(i32::try_from(code).unwrap_or(i32::MAX));
    match code {
        // ERROR_INVALID_PRINTER_NAME, ERROR_UNKNOWN_PRINTER_DRIVER (no such printer).
        1801 | 1797 => PrintError::NoSuchDevice(format!(
            "{what} does not exist (see Settings → Printers; the name must match exactly): {os}"
        )),
        5 => PrintError::PermissionDenied(format!("{what}: access denied while {step}: {os}")),
        // ERROR_PRINTER_DELETED, ERROR_NOT_READY, ERROR_PRINTQ_FULL, ERROR_OUT_OF_PAPER.
        1905 | 21 | 61 | 28 => PrintError::Fault(format!("{what}: {os} (while {step})")),
        _ => PrintError::Io(format!("{what}: {step} failed: {os}")),
    }
}

/// Closes the printer handle when dropped.
struct Handle(PRINTER_HANDLE);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle came from a successful OpenPrinterW and is closed once.
        unsafe {
            ClosePrinter(self.0);
        }
    }
}

/// Prints `bytes` as one RAW job on the Windows printer `name`.
pub(crate) fn print_raw(name: &str, bytes: &[u8]) -> Result<(), PrintError> {
    let what = format!("Windows printer \"{name}\"");
    let name_w = wide(name);
    let mut doc_name = wide("CloudPOS receipt");
    let mut datatype = wide("RAW");
    let mut raw = PRINTER_HANDLE::default();
    // SAFETY: name_w is NUL-terminated and outlives the call; raw is a valid out pointer.
    let ok = unsafe { OpenPrinterW(name_w.as_ptr(), &mut raw, std::ptr::null()) };
    if ok == 0 {
        return Err(last_error(&what, "opening the printer"));
    }
    let handle = Handle(raw);
    let doc = DOC_INFO_1W {
        pDocName: doc_name.as_mut_ptr(),
        pOutputFile: std::ptr::null_mut(),
        pDatatype: datatype.as_mut_ptr(),
    };
    // SAFETY: handle is open; doc points to NUL-terminated strings alive for the call.
    let job = unsafe { StartDocPrinterW(handle.0, 1, &doc) };
    if job == 0 {
        return Err(last_error(&what, "starting the document"));
    }
    // SAFETY: a document was started on this open handle.
    let result = (|| {
        if unsafe { StartPagePrinter(handle.0) } == 0 {
            return Err(last_error(&what, "starting the page"));
        }
        let mut sent = 0usize;
        while sent < bytes.len() {
            let chunk = &bytes[sent..];
            let len = u32::try_from(chunk.len().min(64 * 1024)).unwrap_or(64 * 1024);
            let mut written = 0u32;
            // SAFETY: chunk is valid for len bytes; written is a valid out pointer.
            let ok = unsafe { WritePrinter(handle.0, chunk.as_ptr().cast(), len, &mut written) };
            if ok == 0 {
                return Err(last_error(&what, "writing"));
            }
            if written == 0 {
                return Err(PrintError::Fault(format!(
                    "{what}: the spooler accepted no data (printer paused or offline?)"
                )));
            }
            sent += usize::try_from(written).unwrap_or(chunk.len());
        }
        // SAFETY: a page was started on this handle.
        if unsafe { EndPagePrinter(handle.0) } == 0 {
            return Err(last_error(&what, "ending the page"));
        }
        Ok(())
    })();
    // SAFETY: a document was started on this handle; it is ended exactly once.
    let ended = unsafe { EndDocPrinter(handle.0) };
    result?;
    if ended == 0 {
        return Err(last_error(&what, "ending the document"));
    }
    Ok(())
}
