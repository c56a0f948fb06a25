//! Timestamps as Apache Spot stored them: 'YYYY-MM-DD HH:MM:SS' strings in UTC with their
//! broken-down parts.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike};

/// A point in time split the way Spot's tables carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilTime {
    pub unix: i64,
    pub year: i32,
    pub month: i32,
    pub day: i32,
    pub hour: i32,
    pub minute: i32,
    pub second: i32,
}

impl CivilTime {
    /// Seconds since the epoch, read as UTC.
    pub fn from_unix(unix: i64) -> Option<Self> {
        let dt = DateTime::from_timestamp(unix, 0)?.naive_utc();
        Some(Self::from_naive(dt))
    }

    /// Parses 'YYYY-MM-DD HH:MM:SS' with an optional fraction (dropped), read as UTC.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let head = s.get(..19)?;
        let rest = &s[19..];
        if !(rest.is_empty()
            || (rest.starts_with('.') && rest[1..].bytes().all(|b| b.is_ascii_digit())))
        {
            return None;
        }
        let dt = NaiveDateTime::parse_from_str(head, "%Y-%m-%d %H:%M:%S").ok()?;
        Some(Self::from_naive(dt))
    }

    fn from_naive(dt: NaiveDateTime) -> Self {
        CivilTime {
            unix: dt.and_utc().timestamp(),
            year: dt.year(),
            month: dt.month() as i32,
            day: dt.day() as i32,
            hour: dt.hour() as i32,
            minute: dt.minute() as i32,
            second: dt.second() as i32,
        }
    }

    /// 'YYYY-MM-DD HH:MM:SS'.
    pub fn to_spot_string(&self) -> String {
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        let t = CivilTime::parse("2026-11-25 09:39:52").unwrap();
        assert_eq!(t.unix, 1_795_599_592);
        assert_eq!((t.hour, t.minute, t.second), (9, 39, 52));
        assert_eq!(t.to_spot_string(), "2026-11-25 09:39:52");
        assert_eq!(CivilTime::parse("2026-11-25 09:39:52.692").unwrap(), t);
        assert_eq!(CivilTime::from_unix(t.unix).unwrap(), t);
        assert!(CivilTime::parse("2026-11-25").is_none());
        assert!(CivilTime::parse("2026-11-25 25:00:00").is_none());
        assert!(CivilTime::parse("2026-11-25 09:39:52x").is_none());
    }
}
