//! The Windows adapter: GDI `BitBlt` from the screen DC (`windows-sys`), monitors from
//! `EnumDisplayMonitors`, scale from `GetDpiForMonitor`.
//!
//! **Why GDI and not `windows-capture`.** `windows-capture` wraps Windows.Graphics.Capture,
//! a streaming API: a capture session is started for a whole monitor or window, frames
//! arrive on a callback thread, and the session is then stopped. A one-shot read of a
//! 300 × 40 rectangle would start and stop a session per read (tens of milliseconds to the
//! first frame, a yellow capture border flashing on Windows 10) and crop a full-monitor
//! frame. `BitBlt` from the screen DC copies exactly the rectangle, synchronously, in about a
//! millisecond, from the desktop as the compositor (DWM) shows it — which includes the GDI,
//! WinForms, Delphi, WPF and browser-based windows POS programs are made of. What it cannot
//! see: exclusive full-screen DirectX and DRM-protected content, which a POS total is not.
//!
//! **DPI.** Coordinates are physical pixels only in a per-monitor DPI-aware process;
//! [`GdiGrabber::new`] therefore asks for per-monitor-v2 awareness (a no-op when the process
//! already chose one, as winit/iced do at start-up).
//!
//! This module and `crate::text::uia` hold the crate's only `unsafe` code: plain Win32 calls
//! with locally owned buffers, each handle released on every path.
#![allow(unsafe_code)]

use cloudpos_domain::ports::ScreenRegion;
use image::RgbImage;
use windows_sys::Win32::Foundation::{LPARAM, RECT};
use windows_sys::Win32::Graphics::Gdi::{
    BI_RGB, BITMAPINFO, BITMAPINFOHEADER, BitBlt, CAPTUREBLT, CreateCompatibleBitmap,
    CreateCompatibleDC, DIB_RGB_COLORS, DeleteDC, DeleteObject, EnumDisplayMonitors, GetDC,
    GetDIBits, GetMonitorInfoW, HDC, HMONITOR, MONITORINFO, MONITORINFOEXW, ReleaseDC, SRCCOPY,
    SelectObject,
};
use windows_sys::Win32::UI::HiDpi::{
    DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2, GetDpiForMonitor, MDT_EFFECTIVE_DPI,
    SetProcessDpiAwarenessContext,
};
use windows_sys::Win32::UI::WindowsAndMessaging::MONITORINFOF_PRIMARY;
use windows_sys::core::BOOL;

use super::{ScreenGrabber, ScreenInfo, absolute_origin, order_screens};
use crate::CaptureError;
use crate::region::validate;

/// Grabs screen regions with GDI.
#[derive(Debug, Default)]
pub struct GdiGrabber(());

impl GdiGrabber {
    /// A grabber; makes the process per-monitor DPI aware if it is not yet.
    #[must_use]
    pub fn new() -> GdiGrabber {
        make_process_dpi_aware();
        GdiGrabber(())
    }
}

/// Asks for per-monitor-v2 DPI awareness so that screen coordinates are physical pixels.
/// Fails silently when the process already has an awareness (set by its manifest or by the
/// GUI toolkit), which is then kept.
pub fn make_process_dpi_aware() {
    // SAFETY: plain Win32 call with a predefined constant.
    unsafe {
        SetProcessDpiAwarenessContext(DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2);
    }
}

unsafe extern "system" fn collect_monitor(
    monitor: HMONITOR,
    _dc: HDC,
    _rect: *mut RECT,
    data: LPARAM,
) -> BOOL {
    // SAFETY: `data` is the `&mut Vec<ScreenInfo>` passed by `list_monitors`, alive for the
    // duration of EnumDisplayMonitors.
    let out = unsafe { &mut *(data as *mut Vec<ScreenInfo>) };
    let mut info = MONITORINFOEXW::default();
    info.monitorInfo.cbSize = u32::try_from(std::mem::size_of::<MONITORINFOEXW>()).unwrap_or(0);
    // SAFETY: `info` is a properly sized MONITORINFOEXW.
    let ok = unsafe { GetMonitorInfoW(monitor, (&raw mut info).cast::<MONITORINFO>()) };
    if ok == 0 {
        return 1;
    }
    let (mut dpi_x, mut dpi_y) = (96u32, 96u32);
    // SAFETY: out-pointers to locals.
    let hr =
        unsafe { GetDpiForMonitor(monitor, MDT_EFFECTIVE_DPI, &raw mut dpi_x, &raw mut dpi_y) };
    if hr < 0 {
        dpi_x = 96;
    }
    let r = info.monitorInfo.rcMonitor;
    let name_len = info.szDevice.iter().position(|&c| c == 0).unwrap_or(32);
    out.push(ScreenInfo {
        index: 0,
        name: String::from_utf16_lossy(&info.szDevice[..name_len]),
        x: r.left,
        y: r.top,
        width: u32::try_from(r.right - r.left).unwrap_or(0),
        height: u32::try_from(r.bottom - r.top).unwrap_or(0),
        primary: info.monitorInfo.dwFlags & MONITORINFOF_PRIMARY != 0,
        scale_percent: (dpi_x * 100 + 48) / 96,
    });
    1
}

fn list_monitors() -> Result<Vec<ScreenInfo>, CaptureError> {
    let mut screens: Vec<ScreenInfo> = Vec::new();
    // SAFETY: the callback only runs during this call and gets a pointer to `screens`.
    let ok = unsafe {
        EnumDisplayMonitors(
            std::ptr::null_mut(),
            std::ptr::null(),
            Some(collect_monitor),
            (&raw mut screens) as LPARAM,
        )
    };
    if ok == 0 || screens.is_empty() {
        return Err(CaptureError::NoDisplay(
            "Windows reports no display monitor (a service session without a desktop?)".to_owned(),
        ));
    }
    Ok(order_screens(screens))
}

/// Copies a rectangle of the virtual desktop as top-down BGRA.
fn blit(x: i32, y: i32, w: i32, h: i32) -> Result<Vec<u8>, CaptureError> {
    let fail = |what: &str| {
        CaptureError::Grab(format!(
            "GDI {what} failed: {}",
            std::io::Error::last_os_error()
        ))
    };
    // SAFETY: every handle is checked and released below on all paths; the buffer is sized
    // for `w * h` 32-bit pixels, which is what the BITMAPINFO asks GetDIBits for.
    unsafe {
        let screen_dc = GetDC(std::ptr::null_mut());
        if screen_dc.is_null() {
            return Err(fail("GetDC"));
        }
        let mem_dc = CreateCompatibleDC(screen_dc);
        if mem_dc.is_null() {
            ReleaseDC(std::ptr::null_mut(), screen_dc);
            return Err(fail("CreateCompatibleDC"));
        }
        let bitmap = CreateCompatibleBitmap(screen_dc, w, h);
        if bitmap.is_null() {
            DeleteDC(mem_dc);
            ReleaseDC(std::ptr::null_mut(), screen_dc);
            return Err(fail("CreateCompatibleBitmap"));
        }
        let old = SelectObject(mem_dc, bitmap);
        let mut result = Err(fail("BitBlt"));
        if BitBlt(mem_dc, 0, 0, w, h, screen_dc, x, y, SRCCOPY | CAPTUREBLT) != 0 {
            let mut bmi = BITMAPINFO::default();
            bmi.bmiHeader = BITMAPINFOHEADER {
                biSize: u32::try_from(std::mem::size_of::<BITMAPINFOHEADER>()).unwrap_or(40),
                biWidth: w,
                biHeight: -h, // top-down rows
                biPlanes: 1,
                biBitCount: 32,
                biCompression: BI_RGB,
                ..BITMAPINFOHEADER::default()
            };
            let len = usize::try_from(w).unwrap_or(0) * usize::try_from(h).unwrap_or(0) * 4;
            let mut buf = vec![0u8; len];
            SelectObject(mem_dc, old);
            let lines = GetDIBits(
                mem_dc,
                bitmap,
                0,
                u32::try_from(h).unwrap_or(0),
                buf.as_mut_ptr().cast(),
                &raw mut bmi,
                DIB_RGB_COLORS,
            );
            result = if lines == h {
                Ok(buf)
            } else {
                Err(fail("GetDIBits"))
            };
        } else {
            SelectObject(mem_dc, old);
        }
        DeleteObject(bitmap);
        DeleteDC(mem_dc);
        ReleaseDC(std::ptr::null_mut(), screen_dc);
        result
    }
}

impl ScreenGrabber for GdiGrabber {
    fn screens(&self) -> Result<Vec<ScreenInfo>, CaptureError> {
        list_monitors()
    }

    fn grab(&self, region: &ScreenRegion) -> Result<RgbImage, CaptureError> {
        let screens = list_monitors()?;
        let info = validate(region, &screens)?;
        let (ax, ay) = absolute_origin(info, region);
        let (Ok(x), Ok(y), Ok(w), Ok(h)) = (
            i32::try_from(ax),
            i32::try_from(ay),
            i32::try_from(region.width),
            i32::try_from(region.height),
        ) else {
            return Err(CaptureError::Grab(
                "the region is beyond the desktop's coordinates".to_owned(),
            ));
        };
        let bgra = blit(x, y, w, h)?;
        let rgb: Vec<u8> = bgra
            .chunks_exact(4)
            .flat_map(|p| [p[2], p[1], p[0]])
            .collect();
        RgbImage::from_raw(region.width, region.height, rgb)
            .ok_or_else(|| CaptureError::Grab("image size mismatch".to_owned()))
    }

    fn name(&self) -> &'static str {
        "gdi"
    }
}
