//! End-to-end tests of the scanner box over pseudo-terminal pairs.
//!
//! The test plays the box on the pty master; the reader opens the slave through a symlink
//! (as a stable port name, like `/dev/serial/by-id/…`). Unplugging closes the master, which
//! the reader sees as a hang-up; replugging opens a new pty and points the symlink at it.
//! No external tools (socat) are needed.
#![cfg(unix)]

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cloudpos_domain::money::Money;
use cloudpos_domain::ports::{Clock, CodeOrigin, CodeSource};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_scanner_box::{BoxError, BoxSettings, BoxState, ScannerBox};
use nix::fcntl::OFlag;
use nix::pty::{PtyMaster, grantpt, posix_openpt, ptsname_r, unlockpt};

struct FixedClock;

#[async_trait]
impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_millis(1_763_800_000_000)
    }
    async fn sleep(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }
}

/// A fake box: a pty master whose slave is reachable at `link`.
struct FakeBox {
    master: PtyMaster,
}

impl FakeBox {
    /// "Plugs in" a box: a new pty, with `link` pointing at its slave.
    fn plug(link: &Path) -> FakeBox {
        let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY).expect("posix_openpt");
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let slave = ptsname_r(&master).unwrap();
        let tmp = link.with_extension("new");
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&slave, &tmp).unwrap();
        std::fs::rename(&tmp, link).unwrap();
        FakeBox { master }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.master
            .write_all(bytes)
            .expect("write to the pty master");
        self.master.flush().unwrap();
    }

    /// Reads what the terminal wrote to the box, until `want` bytes or 5 s.
    fn receive(mut self, want: usize) -> (FakeBox, Vec<u8>) {
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = [0u8; 256];
            while got.len() < want {
                match self.master.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            let _ = tx.send(());
            (self, got)
        });
        rx.recv_timeout(Duration::from_secs(5))
            .expect("the box received nothing within 5 s");
        reader.join().unwrap()
    }
}

fn settings(link: &Path) -> BoxSettings {
    BoxSettings {
        reconnect_min_ms: 50,
        reconnect_max_ms: 400,
        partial_timeout_ms: 300,
        max_code_len: 64,
        ..BoxSettings::for_port(link.to_str().unwrap())
    }
}

async fn connected(scanner: &ScannerBox) {
    let mut states = scanner.state_changes();
    tokio::time::timeout(
        Duration::from_secs(10),
        states.wait_for(BoxState::is_connected),
    )
    .await
    .expect("connected within 10 s")
    .expect("state channel open");
}

async fn next(scanner: &ScannerBox) -> String {
    let code = tokio::time::timeout(Duration::from_secs(5), scanner.next_code())
        .await
        .expect("a code within 5 s")
        .expect("the box is running");
    assert_eq!(code.origin, CodeOrigin::ScannerBox);
    code.text
}

async fn nothing_more(scanner: &ScannerBox) {
    let more = tokio::time::timeout(Duration::from_millis(400), scanner.next_code()).await;
    assert!(more.is_err(), "unexpected code {more:?}");
}

fn temp_link(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("ttyBOX")
}

#[tokio::test]
async fn codes_arrive_whatever_the_framing() {
    let dir = tempfile::tempdir().unwrap();
    let link = temp_link(&dir);
    let mut fake = FakeBox::plug(&link);
    let scanner = ScannerBox::start(settings(&link), Arc::new(FixedClock)).unwrap();
    connected(&scanner).await;

    // A code split across writes.
    fake.send(b"13456789");
    tokio::time::sleep(Duration::from_millis(40)).await;
    fake.send(b"0123");
    tokio::time::sleep(Duration::from_millis(40)).await;
    fake.send(b"456789\r");
    fake.send(b"\n");
    assert_eq!(next(&scanner).await, "134567890123456789");

    // LF, CR and CRLF terminators; two codes in one write.
    fake.send(b"284567890123456789\n");
    fake.send(b"991234567890123456\r");
    fake.send(b"251234567890123456\r\n261234567890123456\r\n");
    assert_eq!(next(&scanner).await, "284567890123456789");
    assert_eq!(next(&scanner).await, "991234567890123456");
    assert_eq!(next(&scanner).await, "251234567890123456");
    assert_eq!(next(&scanner).await, "261234567890123456");

    // Garbage between codes, and a line spoiled by garbage.
    fake.send(b"\x00\xff\x1b\x07151234567890123456\r\n12\x0034\r\n\xfe\xfe");
    fake.send(b"CP01POS12611221322180001\r\n");
    assert_eq!(next(&scanner).await, "151234567890123456");
    assert_eq!(next(&scanner).await, "CP01POS12611221322180001");

    // An over-long line without a terminator, then (after a pause) a code; and an over-long
    // line ended by CRLF followed at once by a code.
    fake.send(&[b'8'; 200]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    fake.send(b"101234567890123456\r\n");
    assert_eq!(next(&scanner).await, "101234567890123456");
    let mut long = vec![b'7'; 150];
    long.extend_from_slice(b"\r\n111234567890123456\r\n");
    fake.send(&long);
    assert_eq!(next(&scanner).await, "111234567890123456");

    // A line that is text, not a code.
    fake.send(b"https://example.com/x\r\n");
    nothing_more(&scanner).await;
}

#[tokio::test]
async fn reconnects_after_unplug_and_replug() {
    let dir = tempfile::tempdir().unwrap();
    let link = temp_link(&dir);
    let mut fake = FakeBox::plug(&link);
    let scanner = ScannerBox::start(settings(&link), Arc::new(FixedClock)).unwrap();
    connected(&scanner).await;
    fake.send(b"134567890123456789\r\n");
    assert_eq!(next(&scanner).await, "134567890123456789");

    // Unplug: half a code is on the line when the box goes away.
    fake.send(b"99887766");
    drop(fake);
    let mut states = scanner.state_changes();
    let state = tokio::time::timeout(
        Duration::from_secs(10),
        states.wait_for(|s| matches!(s, BoxState::Disconnected { .. })),
    )
    .await
    .expect("disconnect noticed within 10 s")
    .unwrap()
    .clone();
    let BoxState::Disconnected { reason, .. } = state else {
        unreachable!()
    };
    assert!(
        reason.contains("unplugged") || reason.contains("does not exist"),
        "{reason}"
    );
    // Writing now fails clearly.
    let err = scanner.write_raw(b"x").unwrap_err();
    assert!(matches!(err, BoxError::Disconnected(_)), "{err:?}");

    // Stay unplugged for a few retries, then plug a new box in at the same name.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(!scanner.state().is_connected());
    let mut fake = FakeBox::plug(&link);
    connected(&scanner).await;
    fake.send(b"284567890123456789\r\n");
    // The half code from before the unplug did not stick to the new one.
    assert_eq!(next(&scanner).await, "284567890123456789");
    nothing_more(&scanner).await;
}

#[tokio::test]
async fn amount_command_reaches_the_box() {
    let dir = tempfile::tempdir().unwrap();
    let link = temp_link(&dir);
    let fake = FakeBox::plug(&link);
    let scanner = ScannerBox::start(
        BoxSettings {
            announce: true,
            amount_command: "\\x02AMOUNT:{yuan}\\r\\n".into(),
            ..settings(&link)
        },
        Arc::new(FixedClock),
    )
    .unwrap();
    connected(&scanner).await;
    scanner.send_amount(Money::from_fen(1230)).unwrap();
    let (mut fake, got) = fake.receive(15);
    assert_eq!(got, b"\x02AMOUNT:12.30\r\n");
    // Reading keeps working next to the writes.
    fake.send(b"134567890123456789\r\n");
    assert_eq!(next(&scanner).await, "134567890123456789");
}

#[tokio::test]
async fn announce_off_and_absent_box() {
    let dir = tempfile::tempdir().unwrap();
    let link = temp_link(&dir);
    // No box plugged in at all: the reader keeps retrying and says why.
    let mut scanner = ScannerBox::start(settings(&link), Arc::new(FixedClock)).unwrap();
    let mut states = scanner.state_changes();
    let state = tokio::time::timeout(
        Duration::from_secs(5),
        states.wait_for(|s| matches!(s, BoxState::Disconnected { .. })),
    )
    .await
    .unwrap()
    .unwrap()
    .clone();
    match state {
        BoxState::Disconnected { reason, retry_in } => {
            assert!(reason.contains("does not exist"), "{reason}");
            assert!(retry_in <= Duration::from_millis(400));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        scanner.send_amount(Money::from_fen(100)).unwrap_err(),
        BoxError::AnnounceOff
    );
    scanner.stop();
    assert_eq!(scanner.state(), BoxState::Stopped);
    assert_eq!(
        scanner.next_code().await,
        None,
        "a stopped box is a closed source"
    );
}

#[test]
fn refuses_bad_settings() {
    let clock: Arc<dyn Clock> = Arc::new(FixedClock);
    assert_eq!(
        ScannerBox::start(BoxSettings::default(), Arc::clone(&clock)).unwrap_err(),
        BoxError::Disabled
    );
    let err = ScannerBox::start(
        BoxSettings {
            baud_rate: 7,
            ..BoxSettings::for_port("COM3")
        },
        clock,
    )
    .unwrap_err();
    assert!(matches!(err, BoxError::InvalidSettings(_)), "{err:?}");
}
