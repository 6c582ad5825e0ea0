//! Voice announcements through the terminal: what a payment's record makes it say, the
//! settings (on/off, volume, which events), and the settings' permission and audit.
#![allow(missing_docs)]

use std::sync::{Arc, Mutex};

use cloudpos_domain::announcement::{Announcement, AnnouncementKind, MoneySource, VoiceEvent};
use cloudpos_domain::clerk::ClerkId;
use cloudpos_domain::code::Wallet;
use cloudpos_domain::money::Money;
use cloudpos_domain::order::{NewOrder, Order, OrderState, PaymentMethod};
use cloudpos_domain::order_no::OrderNo;
use cloudpos_domain::ports::{Announcer, DeviceError, Ledger};
use cloudpos_domain::timestamp::Timestamp;
use cloudpos_terminal::testing::{TestTerminal, test_terminal};
use cloudpos_terminal::{TerminalError, VoiceSettings, render_announcement, spoken_words};

/// Records what it was asked to say.
#[derive(Default)]
struct Recorder {
    said: Mutex<Vec<(Announcement, u8)>>,
    refuse: bool,
}

impl Announcer for Recorder {
    fn announce(&self, announcement: &Announcement, volume_percent: u8) -> Result<(), DeviceError> {
        self.said
            .lock()
            .unwrap()
            .push((*announcement, volume_percent));
        if self.refuse {
            Err(DeviceError::Unavailable("backlog full".into()))
        } else {
            Ok(())
        }
    }

    fn pending(&self) -> usize {
        0
    }
}

impl Recorder {
    fn said(&self) -> Vec<(Announcement, u8)> {
        self.said.lock().unwrap().clone()
    }
}

async fn with_recorder(dir: &std::path::Path) -> (TestTerminal, Arc<Recorder>) {
    let t = test_terminal(dir).await;
    let rec = Arc::new(Recorder::default());
    t.terminal.set_announcer(Some(rec.clone())).await.unwrap();
    (t, rec)
}

async fn login(t: &TestTerminal, id: &str, pw: &str) {
    t.terminal
        .login(&ClerkId::parse(id).unwrap(), pw)
        .await
        .unwrap();
}

fn order(state: OrderState, method: PaymentMethod, fen: i64) -> Order {
    let mut o = Order::new(
        NewOrder {
            no: OrderNo::parse("sz0100ABCD2611221322180001").unwrap(),
            method,
            amount: Money::from_fen(fen),
            code_masked: None,
            store_id: "shop".into(),
            device_id: "dev".into(),
            clerk_id: ClerkId::parse("02").unwrap(),
            shift_id: None,
            body: "test".into(),
            remark: String::new(),
        },
        Timestamp::from_unix_seconds(1_795_300_000),
    );
    o.state = state;
    o
}

const WECHAT: PaymentMethod = PaymentMethod::Wallet(Wallet::WeChat);

#[tokio::test]
async fn only_a_paid_order_is_announced_as_money_received() {
    let dir = tempfile::tempdir().unwrap();
    let (t, rec) = with_recorder(dir.path()).await;
    for state in OrderState::ALL {
        t.terminal.announce_order(&order(state, WECHAT, 1234));
    }
    let kinds: Vec<AnnouncementKind> = rec.said().iter().map(|(a, _)| a.kind()).collect();
    assert_eq!(
        kinds,
        vec![
            AnnouncementKind::Received {
                source: MoneySource::Wallet(Wallet::WeChat),
                amount: Money::from_fen(1234),
            },
            AnnouncementKind::Failed,
            AnnouncementKind::Reversed,
        ],
        "paid, failed and reversed speak (in OrderState::ALL order); open states do not"
    );
    assert!(rec.said().iter().all(|(a, v)| !a.is_sample() && *v == 80));
}

#[tokio::test]
async fn the_settings_choose_what_speaks_and_how_loud() {
    let dir = tempfile::tempdir().unwrap();
    let (t, rec) = with_recorder(dir.path()).await;
    login(&t, "09", "pw09").await;
    // Defaults: every event but cash.
    t.terminal
        .announce_order(&order(OrderState::Paid, PaymentMethod::Cash, 500));
    assert!(rec.said().is_empty(), "cash is silent by default");

    let settings = VoiceSettings {
        enabled: true,
        volume: 35,
        events: [VoiceEvent::Paid, VoiceEvent::Cash].into_iter().collect(),
    };
    t.terminal.set_setting(&settings).await.unwrap();
    assert_eq!(
        t.terminal.setting::<VoiceSettings>().await.unwrap(),
        settings
    );
    t.terminal
        .announce_order(&order(OrderState::Paid, PaymentMethod::Cash, 500));
    t.terminal
        .announce_order(&order(OrderState::Failed, WECHAT, 500));
    t.terminal.announce_order(&order(
        OrderState::Paid,
        PaymentMethod::Wallet(Wallet::MemberCard),
        500,
    ));
    let said = rec.said();
    assert_eq!(
        said.len(),
        1,
        "failed and member-card payments are switched off"
    );
    assert_eq!(said[0].0.to_string(), "现金收款 5.00 元");
    assert_eq!(said[0].1, 35);

    t.terminal
        .set_setting(&VoiceSettings {
            enabled: false,
            ..settings
        })
        .await
        .unwrap();
    t.terminal
        .announce_order(&order(OrderState::Paid, WECHAT, 500));
    assert_eq!(rec.said().len(), 1, "switched off: nothing more");
}

#[tokio::test]
async fn a_recharge_is_announced_only_once_its_payment_is_paid() {
    let dir = tempfile::tempdir().unwrap();
    let (t, rec) = with_recorder(dir.path()).await;
    let recharge = order(OrderState::Paid, WECHAT, 10_000);
    t.terminal
        .announce(&Announcement::of_recharge(&recharge).unwrap());
    assert_eq!(rec.said()[0].0.to_string(), "会员充值 100.00 元");
    assert_eq!(
        Announcement::of_recharge(&order(OrderState::UserPaying, WECHAT, 10_000)),
        None
    );
}

#[tokio::test]
async fn an_announcer_that_cannot_speak_is_only_logged() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    let rec = Arc::new(Recorder {
        refuse: true,
        ..Recorder::default()
    });
    t.terminal.set_announcer(Some(rec.clone())).await.unwrap();
    t.terminal
        .announce_order(&order(OrderState::Paid, WECHAT, 100));
    assert_eq!(rec.said().len(), 1);
}

#[tokio::test]
async fn a_terminal_without_a_voice_says_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    // No announcer installed: nothing to do, nothing to wait for.
    t.terminal
        .announce_order(&order(OrderState::Paid, WECHAT, 100));
    t.terminal
        .flush_voice(std::time::Duration::from_secs(60))
        .await;
}

#[tokio::test]
async fn changing_the_voice_settings_needs_the_configure_permission_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    login(&t, "02", "pw02").await;
    let err = t
        .terminal
        .set_setting(&VoiceSettings::default())
        .await
        .unwrap_err();
    assert!(matches!(err, TerminalError::PermissionDenied(_)), "{err}");
    t.terminal.logout().await.unwrap();
    login(&t, "09", "pw09").await;
    let loud = VoiceSettings {
        volume: 101,
        ..VoiceSettings::default()
    };
    let err = t.terminal.set_setting(&loud).await.unwrap_err();
    assert!(err.to_string().contains("0–100"), "{err}");
    t.terminal
        .set_setting(&VoiceSettings {
            volume: 60,
            ..VoiceSettings::default()
        })
        .await
        .unwrap();
    let log = t.terminal.audit_log(5).await.unwrap();
    assert_eq!(log[0].entry.action, "config_voice");
    assert!(log[0].entry.detail.contains("\"volume\":60"));
}

#[test]
fn words_and_wav_of_a_sample() {
    let a = Announcement::sample(AnnouncementKind::Received {
        source: MoneySource::Wallet(Wallet::Alipay),
        amount: Money::from_fen(1_000_560),
    })
    .unwrap();
    assert_eq!(spoken_words(&a).unwrap(), "支付宝收款一万零五点六元");
    let sound = render_announcement(&a, 100).unwrap();
    assert_eq!(sound.words, "支付宝收款一万零五点六元");
    assert_eq!(&sound.wav[..4], b"RIFF");
    assert_eq!(&sound.wav[8..12], b"WAVE");
    assert!(sound.duration > std::time::Duration::from_secs(1));
}

fn pay_input(fen: i64, code: &str) -> cloudpos_terminal::PayInput {
    cloudpos_terminal::PayInput {
        amount: Money::from_fen(fen),
        code: code.to_owned(),
        remark: String::new(),
        body: None,
        timeout: None,
    }
}

#[tokio::test]
async fn each_payment_is_announced_once_with_its_final_state() {
    use cloudpos_terminal::testing::code;
    let dir = tempfile::tempdir().unwrap();
    let (t, rec) = with_recorder(dir.path()).await;
    login(&t, "02", "pw02").await;
    let paid = t
        .terminal
        .pay(pay_input(1234, &code(1, "00")))
        .await
        .unwrap();
    assert_eq!(paid.state, OrderState::Paid);
    let slow = t
        .terminal
        .pay(pay_input(500, &code(2, "01")))
        .await
        .unwrap();
    assert_eq!(slow.state, OrderState::Paid, "user paying, then paid");
    let refused = t
        .terminal
        .pay(pay_input(100, &code(3, "03")))
        .await
        .unwrap();
    assert_eq!(refused.state, OrderState::Failed);
    let reversed = t
        .terminal
        .pay(pay_input(100, &code(4, "04")))
        .await
        .unwrap();
    assert_eq!(reversed.state, OrderState::Reversed);
    let said: Vec<String> = rec.said().iter().map(|(a, _)| a.to_string()).collect();
    assert_eq!(
        said,
        vec![
            "微信收款 12.34 元",
            "微信收款 5.00 元",
            "支付失败",
            "支付已撤销"
        ],
        "one announcement per payment, none while it was still open"
    );
}

#[tokio::test]
async fn a_voice_that_cannot_speak_leaves_the_payment_as_it_was() {
    use cloudpos_terminal::testing::code;
    let dir = tempfile::tempdir().unwrap();
    let t = test_terminal(dir.path()).await;
    let rec = Arc::new(Recorder {
        refuse: true,
        ..Recorder::default()
    });
    t.terminal.set_announcer(Some(rec.clone())).await.unwrap();
    login(&t, "02", "pw02").await;
    let o = t
        .terminal
        .pay(pay_input(880, &code(5, "00")))
        .await
        .unwrap();
    assert_eq!(o.state, OrderState::Paid);
    assert_eq!(t.store.order(&o.no).await.unwrap().unwrap(), o);
    assert_eq!(rec.said().len(), 1);
}

#[tokio::test]
async fn cash_sales_speak_only_when_the_shop_asks() {
    let dir = tempfile::tempdir().unwrap();
    let (t, rec) = with_recorder(dir.path()).await;
    login(&t, "09", "pw09").await;
    t.terminal
        .pay_cash(Money::from_fen(1530), Money::from_fen(2000), vec![], "")
        .await
        .unwrap();
    assert!(rec.said().is_empty());
    let mut settings = VoiceSettings::default();
    settings.events.insert(VoiceEvent::Cash);
    t.terminal.set_setting(&settings).await.unwrap();
    t.terminal
        .pay_cash(Money::from_fen(1530), Money::from_fen(2000), vec![], "")
        .await
        .unwrap();
    assert_eq!(rec.said()[0].0.to_string(), "现金收款 15.30 元");
}
