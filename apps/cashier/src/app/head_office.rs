//! The status bar's head-office state (总部同步): what the background sync last reported.

use cloudpos_terminal::HeadOfficeStatus;
use iced::Color;

use crate::i18n::trs;
use crate::style;

/// A lag as people say it: `45 秒`, `12 分钟`, `3 小时`.
fn lag_text(ms: u64) -> (String, String) {
    let s = ms / 1000;
    if s < 60 {
        (format!("{s} 秒"), format!("{s} s"))
    } else if s < 3600 {
        (format!("{} 分钟", s / 60), format!("{} min", s / 60))
    } else {
        (format!("{} 小时", s / 3600), format!("{} h", s / 3600))
    }
}

/// The status bar's head-office text and its colour, or `None` for a till with no head
/// office. Offline (the last sync failed): red, with the backlog. Changes waiting: amber,
/// with their count and the age of the oldest. Everything sent: green.
#[must_use]
pub fn status_line(s: &HeadOfficeStatus) -> Option<(String, Color)> {
    if !s.configured {
        return None;
    }
    let (lag_zh, lag_en) = lag_text(s.lag_ms);
    Some(if s.last_error.is_some() {
        (
            trs(
                format!("总部离线 · 待上传 {} 笔 · 延迟 {lag_zh}", s.pending),
                format!(
                    "Head office offline · {} waiting · {lag_en} behind",
                    s.pending
                ),
            ),
            style::FAILED,
        )
    } else if s.pending > 0 {
        (
            trs(
                format!("总部同步中 · 待上传 {} 笔 · 延迟 {lag_zh}", s.pending),
                format!("Head office: {} waiting · {lag_en} behind", s.pending),
            ),
            style::PENDING,
        )
    } else if s.last_sync.is_some() {
        (
            trs("总部已同步".to_owned(), "Head office in sync".to_owned()),
            style::PAID,
        )
    } else {
        (
            trs(
                "总部未同步".to_owned(),
                "Head office: not synced yet".to_owned(),
            ),
            style::PENDING,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configured() -> HeadOfficeStatus {
        HeadOfficeStatus {
            configured: true,
            ..HeadOfficeStatus::default()
        }
    }

    #[test]
    fn a_till_without_a_head_office_shows_nothing() {
        assert_eq!(status_line(&HeadOfficeStatus::default()), None);
    }

    #[test]
    fn offline_shows_the_backlog_in_red() {
        let s = HeadOfficeStatus {
            pending: 7,
            lag_ms: 125_000,
            last_error: Some("connection refused".into()),
            ..configured()
        };
        let (text, color) = status_line(&s).unwrap();
        assert!(
            text.contains("离线") && text.contains("7 笔") && text.contains("2 分钟"),
            "{text}"
        );
        assert_eq!(color, style::FAILED);
    }

    #[test]
    fn waiting_changes_are_amber_and_a_clean_sync_green() {
        let s = HeadOfficeStatus {
            pending: 3,
            lag_ms: 4_000,
            last_sync: Some(cloudpos_domain::Timestamp::from_unix_millis(1)),
            ..configured()
        };
        let (text, color) = status_line(&s).unwrap();
        assert!(
            text.contains("待上传 3 笔") && text.contains("4 秒"),
            "{text}"
        );
        assert_eq!(color, style::PENDING);
        let s = HeadOfficeStatus { pending: 0, ..s };
        assert_eq!(
            status_line(&s).unwrap(),
            ("总部已同步".to_owned(), style::PAID)
        );
    }
}
