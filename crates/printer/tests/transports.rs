//! Transports end to end: loopback TCP, a serial pseudo-terminal, files, the adapter's
//! copies and drawer, the error cases, and (when configured) a real CUPS queue.

mod common;

use std::future::Future;
use std::io::Read;
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use cloudpos_domain::ports::{DeviceError, ReceiptPrinter};
use cloudpos_printer::{
    DrawerPin, EscPosPrinter, PaperWidth, PreviewOptions, PrintError, PrinterSettings, decode,
    encode_receipt, send_to,
};

/// A one-shot raw printer on loopback: returns its URI and the bytes of each connection.
fn tcp_printer(connections: usize) -> (String, thread::JoinHandle<Vec<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("tcp:127.0.0.1:{}", listener.local_addr().unwrap().port());
    let handle = thread::spawn(move || {
        (0..connections)
            .map(|_| {
                let (mut s, _) = listener.accept().unwrap();
                let mut buf = Vec::new();
                s.read_to_end(&mut buf).unwrap();
                buf
            })
            .collect()
    });
    (uri, handle)
}

#[test]
fn tcp_loopback_receives_the_receipt() {
    let (uri, printer) = tcp_printer(1);
    let bytes = encode_receipt(&common::payment(), &PrinterSettings::default());
    send_to(&uri, &bytes).unwrap();
    let got = printer.join().unwrap();
    assert_eq!(got, vec![bytes]);
}

#[test]
fn tcp_refused_is_a_clear_error() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = send_to(&format!("tcp:127.0.0.1:{port}"), b"x").unwrap_err();
    assert!(matches!(e, PrintError::Unreachable(_)), "{e:?}");
    assert!(e.to_string().contains("connection refused"), "{e}");
    let d = DeviceError::from(e);
    assert!(matches!(d, DeviceError::Unavailable(_)), "{d:?}");
}

#[test]
fn file_transport_appends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.bin");
    let uri = format!("file:{}", path.display());
    send_to(&uri, b"one").unwrap();
    send_to(&uri, b"two").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"onetwo");
    let missing = format!("file:{}", dir.path().join("no/such/dir/lp0").display());
    let e = send_to(&missing, b"x").unwrap_err();
    assert!(matches!(e, PrintError::NoSuchDevice(_)), "{e:?}");
}

#[cfg(unix)]
#[test]
fn missing_device_node_is_no_such_device() {
    let e = send_to("file:/dev/usb/lp-cloudpos-missing", b"x").unwrap_err();
    assert!(matches!(e, PrintError::NoSuchDevice(_)), "{e:?}");
}

#[test]
fn nonexistent_serial_port() {
    let port = if cfg!(windows) {
        "COM250"
    } else {
        "/dev/ttyCLOUDPOS-missing"
    };
    let e = send_to(&format!("serial:{port}?baud=9600"), b"x").unwrap_err();
    assert!(matches!(e, PrintError::NoSuchDevice(_)), "{e:?}");
    assert!(e.to_string().contains(port), "{e}");
}

#[test]
fn spooler_and_cups_say_where_they_work() {
    if !cfg!(windows) {
        let e = send_to("spooler:POS-58", b"x").unwrap_err();
        assert!(matches!(e, PrintError::Unsupported(_)), "{e:?}");
        assert!(e.to_string().contains("only on Windows"), "{e}");
    } else {
        let e = send_to("cups:POS58", b"x").unwrap_err();
        assert!(e.to_string().contains("only on Linux and macOS"), "{e}");
    }
}

/// A CUPS queue that does not exist: a clear error whether or not CUPS is installed and
/// running (no `lp`: not configured; no scheduler: unreachable; no queue: no such device).
#[cfg(unix)]
#[test]
fn missing_cups_queue() {
    let e = send_to("cups:cloudpos-no-such-queue", b"x").unwrap_err();
    let msg = e.to_string();
    match &e {
        PrintError::NotConfigured(_) => assert!(msg.contains("`lp`"), "{msg}"),
        PrintError::NoSuchDevice(_) => assert!(msg.contains("does not exist"), "{msg}"),
        PrintError::Unreachable(_) => assert!(msg.contains("scheduler"), "{msg}"),
        other => panic!("unexpected {other:?}"),
    }
}

#[cfg(unix)]
mod serial {
    use super::*;
    use nix::fcntl::OFlag;
    use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};

    /// A pseudo-terminal pair: the printer end (master) and the port path (slave).
    fn pty() -> (nix::pty::PtyMaster, String) {
        let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY).unwrap();
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let path = ptsname_r(&master).unwrap();
        (master, path)
    }

    fn read_until(master: &mut nix::pty::PtyMaster, want: usize) -> Vec<u8> {
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut buf = [0u8; 4096];
        while got.len() < want && Instant::now() < deadline {
            match master.read(&mut buf) {
                Ok(0) => thread::sleep(Duration::from_millis(5)),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(_) => thread::sleep(Duration::from_millis(5)),
            }
        }
        got
    }

    #[test]
    fn serial_round_trip_through_a_pty() {
        let (mut master, path) = pty();
        let settings = PrinterSettings {
            width: PaperWidth::Mm58,
            ..PrinterSettings::default()
        };
        let bytes = encode_receipt(&common::payment(), &settings);
        let uri = format!("serial:{path}?baud=115200&data=8&parity=none&stop=1&flow=none");
        let want = bytes.len();
        let sender = thread::spawn(move || send_to(&uri, &bytes).map(|()| bytes));
        let got = read_until(&mut master, want);
        let bytes = sender.join().unwrap().unwrap();
        assert_eq!(got, bytes, "the printer end must receive the exact bytes");
        // The printer end decodes what was printed.
        let (_, seen) = decode(&got, &PreviewOptions::for_settings(&settings));
        assert!(
            seen.lines.iter().any(|l| l.contains("农夫山泉矿泉水550ml")),
            "{:?}",
            seen.lines
        );
        assert!(seen.lines.iter().any(|l| l.contains("SANDBOX")));
        assert_eq!(seen.qr_codes, vec!["CP01POS12611221322180001".to_owned()]);
    }

    #[test]
    fn busy_serial_port() {
        let (_master, path) = pty();
        // Hold the port exclusively, as another program would.
        let _held = serialport::new(&path, 9600).open().unwrap();
        let e = send_to(&format!("serial:{path}"), b"x").unwrap_err();
        assert!(matches!(e, PrintError::Busy(_)), "{e:?}");
        assert!(e.to_string().contains("busy"), "{e}");
    }
}

fn adapter(uri: &str, copies: u32) -> EscPosPrinter {
    EscPosPrinter::new(PrinterSettings {
        enabled: true,
        device: uri.to_owned(),
        copies,
        copy_interval_secs: 0,
        cash_drawer: Some(DrawerPin::Pin5),
        ..PrinterSettings::default()
    })
}

#[tokio::test]
async fn adapter_prints_copies_then_drawer_once() {
    let (uri, printer) = tcp_printer(2);
    let p = adapter(&uri, 2);
    p.print(&common::cash_payment()).await.unwrap();
    let jobs = printer.join().unwrap();
    assert_eq!(jobs.len(), 2);
    let opts = PreviewOptions::for_width(PaperWidth::Mm58);
    let (_, first) = decode(&jobs[0], &opts);
    let (_, second) = decode(&jobs[1], &opts);
    assert_eq!(first.drawer_kicks, vec![5]);
    assert!(second.drawer_kicks.is_empty());
    assert_eq!((first.cuts.len(), second.cuts.len()), (1, 1));
    assert!(first.lines.iter().any(|l| l.contains("第1联 / 共2联")));
    assert!(second.lines.iter().any(|l| l.contains("第2联 / 共2联")));
}

#[tokio::test]
async fn adapter_waits_between_copies() {
    let (uri, printer) = tcp_printer(2);
    let p = EscPosPrinter::new(PrinterSettings {
        enabled: true,
        device: uri,
        copies: 2,
        copy_interval_secs: 1,
        ..PrinterSettings::default()
    });
    let start = Instant::now();
    p.print(&common::payment()).await.unwrap();
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert_eq!(printer.join().unwrap().len(), 2);
}

#[tokio::test]
async fn refunds_print_once_and_drawer_kicks_alone() {
    let (uri, printer) = tcp_printer(2);
    let p = adapter(&uri, 3);
    p.print(&common::refund()).await.unwrap();
    p.kick_drawer().await.unwrap();
    let jobs = printer.join().unwrap();
    assert_eq!(jobs[1], b"\x1bp\x01\x19\xfa");
    let (_, seen) = decode(&jobs[0], &PreviewOptions::for_width(PaperWidth::Mm58));
    assert!(seen.lines.iter().any(|l| l.contains("退款凭证")));
    assert!(seen.drawer_kicks.is_empty());
}

#[tokio::test]
async fn adapter_errors_are_device_errors() {
    let disabled = EscPosPrinter::new(PrinterSettings::default());
    let e = disabled.print(&common::payment()).await.unwrap_err();
    assert!(matches!(e, DeviceError::NotConfigured(_)), "{e:?}");

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = adapter(&format!("tcp:127.0.0.1:{port}"), 2);
    let e = refused.print(&common::payment()).await.unwrap_err();
    assert!(
        matches!(&e, DeviceError::Unavailable(m) if m.contains("copy 1 of 2")),
        "{e:?}"
    );

    let bad = adapter("serial:COM3?baud=fast", 1);
    let e = bad.print(&common::payment()).await.unwrap_err();
    assert!(
        matches!(&e, DeviceError::NotConfigured(m) if m.contains("baud=fast")),
        "{e:?}"
    );
}

#[test]
fn adapter_works_outside_a_runtime() {
    let (uri, printer) = tcp_printer(1);
    let p = adapter(&uri, 1);
    let receipt = common::payment();
    // A minimal executor without Tokio: the adapter then does its I/O inline.
    let mut fut = std::pin::pin!(p.print(&receipt));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let result = loop {
        if let std::task::Poll::Ready(r) = fut.as_mut().poll(&mut cx) {
            break r;
        }
        thread::sleep(Duration::from_millis(5));
    };
    result.unwrap();
    assert_eq!(printer.join().unwrap().len(), 1);
}

/// End to end through a real CUPS raw queue, in the e2e suite: `.ci/e2e` runs
/// `tests/cups-setup.sh`, which creates the queue and exports `CLOUDPOS_E2E_CUPS=QUEUE` and
/// `CLOUDPOS_E2E_CUPS_OUT=FILE` (the queue's output file).
#[cfg(unix)]
#[test]
#[ignore = "e2e: needs a CUPS queue; run by .ci/e2e"]
fn e2e_cups_raw_queue() {
    let queue = std::env::var("CLOUDPOS_E2E_CUPS")
        .expect("CLOUDPOS_E2E_CUPS is not set: run crates/printer/tests/cups-setup.sh first");
    let out = std::env::var("CLOUDPOS_E2E_CUPS_OUT")
        .expect("CLOUDPOS_E2E_CUPS_OUT is not set: run crates/printer/tests/cups-setup.sh first");
    let _ = std::fs::remove_file(&out);
    let bytes = encode_receipt(&common::payment(), &PrinterSettings::default());
    send_to(&format!("cups:{queue}"), &bytes).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(got) = std::fs::read(&out)
            && got.len() >= bytes.len()
        {
            assert_eq!(
                got, bytes,
                "the queue's output differs from the encoded receipt"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "nothing arrived in {out} within 30 s"
        );
        thread::sleep(Duration::from_millis(100));
    }
}
