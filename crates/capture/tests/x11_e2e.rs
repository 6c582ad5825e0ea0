//! End to end under a private Xvfb: real X11 windows show amounts (rendered with the
//! embedded bitmap font, scaled like POS screen text, light and dark themes), the X11
//! adapter grabs the region, and the reader reads the amount back exactly — through the
//! one-shot entry point and through the domain's `AmountReader` with the stability check.
//!
//! The test starts its own `Xvfb -displayfd` on a free display and never touches the
//! process's `DISPLAY`: every connection names the display explicitly.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use cloudpos_capture::grab::x11::X11Grabber;
use cloudpos_capture::{
    CaptureError, ReadOptions, ReadSource, ReaderOptions, RegionError, ScreenAmountReader,
    ScreenGrabber, ScreenRegion, grab_and_read_with, read_image,
};
use cloudpos_domain::money::Money;
use cloudpos_domain::ports::AmountReader;
use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xproto::{
    ConnectionExt as _, CreateWindowAux, EventMask, ImageFormat, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;

/// A private X server on a free display number, stopped on drop.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        let spawned = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "800x600x24",
                "-nolisten",
                "tcp",
                "-noreset",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "Xvfb is not installed: this test starts its own virtual X server. \
                 Install it with `apt-get install -y xvfb` (Debian/Ubuntu)."
            ),
            Err(e) => panic!("could not start Xvfb: {e}"),
        };
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let number = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) if !line.trim().is_empty() => line.trim().to_owned(),
            _ => {
                let _ = child.kill();
                let status = child.wait().ok();
                panic!("Xvfb did not report a display within 20 s (exit status {status:?})");
            }
        };
        let xvfb = Xvfb {
            child,
            display: format!(":{number}"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while RustConnection::connect(Some(&xvfb.display)).is_err() {
            assert!(
                Instant::now() < deadline,
                "Xvfb {} does not accept connections",
                xvfb.display
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        xvfb
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Renders `text` with the embedded Unifont subset at `scale`× (nearest neighbour, like a
/// HiDPI bitmap font), `pad` pixels of background around it, as 0x00RRGGBB pixels.
fn render(text: &str, scale: usize, pad: usize, fg: u32, bg: u32) -> (usize, usize, Vec<u32>) {
    let w = cloudpos_fonts::text_width(text) * scale + 2 * pad;
    let h = cloudpos_fonts::GLYPH_HEIGHT * scale + 2 * pad;
    let mut px = vec![bg; w * h];
    let mut pen = pad;
    for c in text.chars() {
        let advance = cloudpos_fonts::char_width(c);
        if let Some(g) = cloudpos_fonts::glyph(c) {
            for gy in 0..cloudpos_fonts::GLYPH_HEIGHT {
                for gx in 0..g.width() {
                    if g.pixel(gx, gy) {
                        for dy in 0..scale {
                            for dx in 0..scale {
                                px[(pad + gy * scale + dy) * w + pen + gx * scale + dx] = fg;
                            }
                        }
                    }
                }
            }
        }
        pen += advance * scale;
    }
    (w, h, px)
}

/// A window at (`x`, `y`) whose background pixmap shows the rendered text: the server
/// repaints it by itself, no event loop needed.
struct TextWindow {
    _conn: RustConnection,
    _window: Window,
    width: u32,
    height: u32,
}

fn open_text_window(
    display: &str,
    x: i16,
    y: i16,
    pixels: &(usize, usize, Vec<u32>),
) -> TextWindow {
    let (conn, screen_num) = RustConnection::connect(Some(display)).expect("connect to Xvfb");
    let screen = conn.setup().roots[screen_num].clone();
    let (w, h, px) = pixels;
    let (w16, h16) = (u16::try_from(*w).unwrap(), u16::try_from(*h).unwrap());
    let pixmap = conn.generate_id().unwrap();
    conn.create_pixmap(screen.root_depth, pixmap, screen.root, w16, h16)
        .unwrap();
    let gc = conn.generate_id().unwrap();
    conn.create_gc(gc, pixmap, &Default::default()).unwrap();
    // Depth 24 ZPixmap on a little-endian server: B, G, R, X bytes.
    let data: Vec<u8> = px.iter().flat_map(|p| p.to_le_bytes()).collect();
    conn.put_image(
        ImageFormat::Z_PIXMAP,
        pixmap,
        gc,
        w16,
        h16,
        0,
        0,
        0,
        screen.root_depth,
        &data,
    )
    .unwrap()
    .check()
    .expect("PutImage");
    let window = conn.generate_id().unwrap();
    conn.create_window(
        screen.root_depth,
        window,
        screen.root,
        x,
        y,
        w16,
        h16,
        0,
        WindowClass::INPUT_OUTPUT,
        screen.root_visual,
        &CreateWindowAux::new()
            .background_pixmap(pixmap)
            .override_redirect(1)
            .event_mask(EventMask::STRUCTURE_NOTIFY | EventMask::EXPOSURE),
    )
    .unwrap()
    .check()
    .expect("CreateWindow");
    conn.map_window(window).unwrap();
    conn.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match conn.poll_for_event().unwrap() {
            Some(Event::MapNotify(e)) if e.window == window => break,
            Some(_) => {}
            None => {
                assert!(
                    Instant::now() < deadline,
                    "the test window was never mapped"
                );
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
    // A round trip so that the server has painted the background.
    conn.get_input_focus().unwrap().reply().unwrap();
    TextWindow {
        _conn: conn,
        _window: window,
        width: u32::try_from(*w).unwrap(),
        height: u32::try_from(*h).unwrap(),
    }
}

struct Case {
    text: &'static str,
    fen: i64,
    scale: usize,
    fg: u32,
    bg: u32,
}

const CASES: [Case; 4] = [
    Case {
        text: "¥1,234.50",
        fen: 123_450,
        scale: 2,
        fg: 0x0020_2020,
        bg: 0x00f4_f4f0,
    },
    Case {
        text: "合计: 88.00",
        fen: 8800,
        scale: 3,
        fg: 0x00f0_f0f0,
        bg: 0x0010_2040,
    },
    Case {
        text: "RMB 12.30",
        fen: 1230,
        scale: 2,
        fg: 0x00ff_e080,
        bg: 0x0030_3030,
    },
    Case {
        text: "应收 906.75元",
        fen: 90_675,
        scale: 2,
        fg: 0x0000_0000,
        bg: 0x00ff_ffff,
    },
];

fn region(x: i32, y: i32, win: &TextWindow) -> ScreenRegion {
    ScreenRegion {
        screen: 0,
        x,
        y,
        width: win.width,
        height: win.height,
        scale_percent: 100,
    }
}

#[test]
fn amounts_drawn_in_x11_windows_are_grabbed_and_read_exactly() {
    let xvfb = Xvfb::start();
    let grabber = X11Grabber::connect(Some(&xvfb.display)).expect("connect the grabber");

    let screens = grabber.screens().unwrap();
    assert_eq!(screens.len(), 1, "{screens:?}");
    assert_eq!(
        (screens[0].width, screens[0].height, screens[0].primary),
        (800, 600, true)
    );
    assert_eq!(screens[0].scale_percent, 100);

    let mut windows = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        // A little selection slack around the text, as a user draws it.
        let pixels = render(case.text, case.scale, 6, case.fg, case.bg);
        let (x, y) = (
            30 + 10 * i32::try_from(i).unwrap(),
            20 + 120 * i32::try_from(i).unwrap(),
        );
        let win = open_text_window(
            &xvfb.display,
            i16::try_from(x).unwrap(),
            i16::try_from(y).unwrap(),
            &pixels,
        );

        // The grab is exactly what was drawn.
        let r = region(x, y, &win);
        let t0 = Instant::now();
        let img = grabber.grab(&r).unwrap();
        let grab_ms = t0.elapsed().as_secs_f64() * 1e3;
        let expected: Vec<u8> = pixels
            .2
            .iter()
            .flat_map(|p| [(p >> 16) as u8, (p >> 8) as u8, *p as u8])
            .collect();
        assert_eq!(
            img.as_raw(),
            &expected,
            "{}: grabbed pixels differ from the drawn ones",
            case.text
        );

        let reading = grab_and_read_with(&grabber, None, &r, &ReadOptions::default()).unwrap();
        println!(
            "{:?} ({}x, {}x{} px, grab {grab_ms:.2} ms): read {:?} -> {:?} conf {:.3}",
            case.text,
            case.scale,
            win.width,
            win.height,
            reading.text,
            reading.amount,
            reading.confidence
        );
        assert_eq!(
            reading.amount,
            Some(Money::from_fen(case.fen)),
            "{}: {reading:?}",
            case.text
        );
        assert_eq!(reading.source, ReadSource::Ocr);
        // The same through the picture entry point.
        assert_eq!(
            read_image(&img, &ReadOptions::default()).unwrap().amount,
            reading.amount
        );
        windows.push((r, win, case.fen));
    }

    // Regions that do not fit are refused with the reason.
    let outside = ScreenRegion {
        x: 700,
        width: 200,
        ..windows[0].0
    };
    assert!(matches!(
        grabber.grab(&outside),
        Err(CaptureError::Region(RegionError::OutsideScreen { .. }))
    ));
    let other_screen = ScreenRegion {
        screen: 1,
        ..windows[0].0
    };
    assert!(matches!(
        grabber.grab(&other_screen),
        Err(CaptureError::Region(RegionError::NoSuchScreen {
            index: 1,
            count: 1
        }))
    ));
    let rescaled = ScreenRegion {
        scale_percent: 150,
        ..windows[0].0
    };
    assert!(matches!(
        grabber.grab(&rescaled),
        Err(CaptureError::Region(RegionError::ScaleChanged { .. }))
    ));

    // The domain port: spawn_blocking, two identical reads, confidence per mille.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let grabber: Arc<dyn ScreenGrabber> = Arc::new(grabber);
    for (r, _, fen) in &windows {
        let reader = ScreenAmountReader::new(
            grabber.clone(),
            Some(*r),
            Some(windows[2].0),
            ReaderOptions::default(),
        );
        let reading = runtime.block_on(reader.read_amount()).unwrap();
        assert_eq!(reading.amount, Some(Money::from_fen(*fen)), "{reading:?}");
        assert_eq!(reading.source, "ocr");
        let stable = reader.read_amount_blocking().unwrap();
        assert!(stable.stable, "{stable:?}");
    }
    // The serial-number region (a receipt number shown by the host program).
    let pixels = render("单号: 20251122-0042", 2, 6, 0x0000_0000, 0x00ff_ffff);
    let serial_win = open_text_window(&xvfb.display, 300, 20, &pixels);
    let serial_region = region(300, 20, &serial_win);
    let reader = ScreenAmountReader::new(
        grabber.clone(),
        Some(windows[0].0),
        Some(serial_region),
        ReaderOptions::default(),
    );
    let serial = runtime.block_on(reader.read_serial()).unwrap();
    println!("serial read: {serial:?}");
    assert_eq!(serial.as_deref(), Some("20251122-0042"));
    let unconfigured =
        ScreenAmountReader::new(grabber.clone(), None, None, ReaderOptions::default());
    let e = runtime.block_on(unconfigured.read_amount()).unwrap_err();
    assert_eq!(e.to_string(), "the amount region is not configured");
    assert_eq!(runtime.block_on(unconfigured.read_serial()).unwrap(), None);
    drop(windows);
}

/// Two monitors (RandR 1.5 `SetMonitor` splits the Xvfb screen, as a dual-screen till has):
/// a region on the second screen is relative to that screen's corner.
#[test]
fn a_region_on_the_second_screen() {
    use x11rb::protocol::randr::{ConnectionExt as _, MonitorInfo};

    let xvfb = Xvfb::start();
    let (conn, screen_num) = RustConnection::connect(Some(&xvfb.display)).unwrap();
    let root = conn.setup().roots[screen_num].root;
    let atom = |name: &str| {
        conn.intern_atom(false, name.as_bytes())
            .unwrap()
            .reply()
            .unwrap()
            .atom
    };
    for (name, x, primary) in [("LEFT", 0, true), ("RIGHT", 400, false)] {
        conn.randr_set_monitor(
            root,
            MonitorInfo {
                name: atom(name),
                primary,
                automatic: false,
                x,
                y: 0,
                width: 400,
                height: 600,
                width_in_millimeters: 100,
                height_in_millimeters: 150,
                outputs: Vec::new(),
            },
        )
        .unwrap()
        .check()
        .expect("RandR SetMonitor");
    }
    conn.flush().unwrap();

    let grabber = X11Grabber::connect(Some(&xvfb.display)).unwrap();
    let screens = grabber.screens().unwrap();
    let names: Vec<(&str, i32, u32)> = screens
        .iter()
        .map(|s| (s.name.as_str(), s.x, s.width))
        .collect();
    println!("monitors: {names:?}");
    let right = screens
        .iter()
        .find(|s| s.name == "RIGHT")
        .expect("the RIGHT monitor is listed");
    assert_eq!(
        screens[0].name, "LEFT",
        "the primary monitor is screen 0: {names:?}"
    );

    let pixels = render("￥56.70", 2, 5, 0x0010_1010, 0x00e8_f0e8);
    let win = open_text_window(&xvfb.display, 400 + 120, 300, &pixels);
    let r = ScreenRegion {
        screen: right.index,
        x: 120,
        y: 300,
        width: win.width,
        height: win.height,
        scale_percent: 100,
    };
    let reading = grab_and_read_with(&grabber, None, &r, &ReadOptions::default()).unwrap();
    assert_eq!(reading.amount, Some(Money::from_fen(5670)), "{reading:?}");
    // The same rectangle on the left screen holds nothing.
    let left = ScreenRegion { screen: 0, ..r };
    let blank = grab_and_read_with(&grabber, None, &left, &ReadOptions::default()).unwrap();
    assert_eq!(blank.amount, None);
    assert!(blank.problem.is_some());
    drop(conn);
}
