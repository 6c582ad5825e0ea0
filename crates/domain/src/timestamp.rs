//! Points in time as Unix milliseconds, with the shop's fixed UTC offset for display.
//!
//! The domain never reads the clock; time comes in through the [`crate::ports::Clock`] port.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, UtcOffset};

/// Milliseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

/// China Standard Time, UTC+8, the default display offset (no daylight saving).
pub const CHINA_OFFSET_SECONDS: i32 = 8 * 3600;

impl Timestamp {
    /// The epoch.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// From Unix milliseconds.
    #[must_use]
    pub const fn from_unix_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    /// From Unix seconds.
    #[must_use]
    pub const fn from_unix_seconds(s: i64) -> Self {
        Timestamp(s.saturating_mul(1000))
    }

    /// Unix milliseconds.
    #[must_use]
    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// Unix seconds (rounded down).
    #[must_use]
    pub const fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// This instant plus `d` (saturating).
    #[must_use]
    pub fn plus(self, d: Duration) -> Self {
        Timestamp(self.0.saturating_add(duration_millis(d)))
    }

    /// This instant minus `d` (saturating).
    #[must_use]
    pub fn minus(self, d: Duration) -> Self {
        Timestamp(self.0.saturating_sub(duration_millis(d)))
    }

    /// Time elapsed from `earlier` to `self`; zero if `earlier` is later.
    #[must_use]
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }

    /// Calendar fields at the given UTC offset, or `None` outside the supported years.
    #[must_use]
    pub fn civil(self, offset_seconds: i32) -> Option<CivilTime> {
        let offset = UtcOffset::from_whole_seconds(offset_seconds).ok()?;
        let dt = OffsetDateTime::from_unix_timestamp(self.unix_seconds())
            .ok()?
            .to_offset(offset);
        Some(CivilTime {
            year: dt.year(),
            month: u8::from(dt.month()),
            day: dt.day(),
            hour: dt.hour(),
            minute: dt.minute(),
            second: dt.second(),
        })
    }

    /// `YYYY-MM-DD HH:MM:SS` at the given offset (for screens, receipts and exports).
    #[must_use]
    pub fn format(self, offset_seconds: i32) -> String {
        match self.civil(offset_seconds) {
            Some(c) => c.to_string(),
            None => format!("@{}ms", self.0),
        }
    }

    /// RFC 3339 with the given offset, e.g. `2026-11-22T13:05:00+08:00` (for JSON).
    #[must_use]
    pub fn rfc3339(self, offset_seconds: i32) -> String {
        let Some(c) = self.civil(offset_seconds) else {
            return format!("@{}ms", self.0);
        };
        let sign = if offset_seconds < 0 { '-' } else { '+' };
        let off = offset_seconds.unsigned_abs();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
            c.year,
            c.month,
            c.day,
            c.hour,
            c.minute,
            c.second,
            off / 3600,
            off % 3600 / 60
        )
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DDTHH:MM[:SS]` as local time
    /// at `offset_seconds`, or a bare number of Unix seconds.
    pub fn parse_local(text: &str, offset_seconds: i32) -> Result<Timestamp, TimestampError> {
        let err = || TimestampError(text.to_owned());
        let t = text.trim();
        if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
            return t
                .parse::<i64>()
                .map(Timestamp::from_unix_seconds)
                .map_err(|_| err());
        }
        let (date, clock) = match t.split_once([' ', 'T']) {
            Some((d, c)) => (d, Some(c)),
            None => (t, None),
        };
        let mut dp = date.split('-');
        let num = |p: Option<&str>| -> Result<i64, TimestampError> {
            p.filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
                .and_then(|s| s.parse().ok())
                .ok_or_else(err)
        };
        let (y, mo, d) = (num(dp.next())?, num(dp.next())?, num(dp.next())?);
        if dp.next().is_some() {
            return Err(err());
        }
        let (h, mi, s) = match clock {
            None => (0, 0, 0),
            Some(c) => {
                let mut cp = c.split(':');
                let h = num(cp.next())?;
                let mi = num(cp.next())?;
                let s = match cp.next() {
                    Some(x) => num(Some(x))?,
                    None => 0,
                };
                if cp.next().is_some() {
                    return Err(err());
                }
                (h, mi, s)
            }
        };
        let month = u8::try_from(mo)
            .ok()
            .and_then(|m| time::Month::try_from(m).ok())
            .ok_or_else(err)?;
        let date = time::Date::from_calendar_date(
            i32::try_from(y).map_err(|_| err())?,
            month,
            u8::try_from(d).map_err(|_| err())?,
        )
        .map_err(|_| err())?;
        let clock = time::Time::from_hms(
            u8::try_from(h).map_err(|_| err())?,
            u8::try_from(mi).map_err(|_| err())?,
            u8::try_from(s).map_err(|_| err())?,
        )
        .map_err(|_| err())?;
        let offset = UtcOffset::from_whole_seconds(offset_seconds).map_err(|_| err())?;
        let odt = time::PrimitiveDateTime::new(date, clock).assume_offset(offset);
        Ok(Timestamp::from_unix_seconds(odt.unix_timestamp()))
    }

    /// Midnight (00:00) at the given offset of the day containing this instant.
    #[must_use]
    pub fn start_of_day(self, offset_seconds: i32) -> Timestamp {
        let off = i64::from(offset_seconds);
        let local = self.unix_seconds() + off;
        Timestamp::from_unix_seconds(local - local.rem_euclid(86_400) - off)
    }
}

fn duration_millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Text that is not a recognised date/time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid time \"{0}\" (expected YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] or Unix seconds)")]
pub struct TimestampError(pub String);

/// Calendar fields of an instant at some offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilTime {
    /// Year, e.g. 2026.
    pub year: i32,
    /// Month 1–12.
    pub month: u8,
    /// Day 1–31.
    pub day: u8,
    /// Hour 0–23.
    pub hour: u8,
    /// Minute 0–59.
    pub minute: u8,
    /// Second 0–59.
    pub second: u8,
}

impl fmt::Display for CivilTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Z", self.format(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_china_time() {
        // 2026-11-22 05:22:18 UTC
        let t = Timestamp::from_unix_seconds(1_795_324_938);
        assert_eq!(t.format(CHINA_OFFSET_SECONDS), "2026-11-22 13:22:18");
        assert_eq!(t.rfc3339(CHINA_OFFSET_SECONDS), "2026-11-22T13:22:18+08:00");
        assert_eq!(t.rfc3339(0), "2026-11-22T05:22:18+00:00");
    }

    #[test]
    fn parses_local_times() {
        let off = CHINA_OFFSET_SECONDS;
        let t = Timestamp::parse_local("2026-11-22 13:22:18", off).unwrap();
        assert_eq!(t.unix_seconds(), 1_795_324_938);
        assert_eq!(Timestamp::parse_local("2026-11-22T13:22:18", off), Ok(t));
        let day = Timestamp::parse_local("2026-11-22", off).unwrap();
        assert_eq!(day.format(off), "2026-11-22 00:00:00");
        assert_eq!(t.start_of_day(off), day);
        assert_eq!(
            Timestamp::parse_local("1795324938", off)
                .unwrap()
                .unix_seconds(),
            1_795_324_938
        );
        for bad in [
            "",
            "2026-13-01",
            "2026-02-30",
            "yesterday",
            "2026-11-22 25:00",
            "2026-1-2-3",
        ] {
            assert!(Timestamp::parse_local(bad, off).is_err(), "{bad}");
        }
    }

    #[test]
    fn arithmetic_saturates_and_never_goes_negative_in_since() {
        let a = Timestamp::from_unix_millis(1000);
        let b = a.plus(Duration::from_secs(2));
        assert_eq!(b.unix_millis(), 3000);
        assert_eq!(b.since(a), Duration::from_secs(2));
        assert_eq!(a.since(b), Duration::ZERO);
        assert_eq!(b.minus(Duration::from_secs(3)).unix_millis(), 0);
    }
}
