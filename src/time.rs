//! How Reachloop writes instants: UTC, RFC 3339, millisecond precision.
//!
//! Business logic never reads the clock itself; callers pass `now` in, so
//! tests are deterministic.

use chrono::{DateTime, SecondsFormat, Utc};

/// The canonical text form of an instant, as stored in SQLite. Strings in
/// this form sort in time order.
pub fn to_db(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses the canonical form written by [`to_db`] (any RFC 3339 is accepted).
pub fn from_db(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc))
}

/// The computer's IANA time zone (`TZ` wins where set), else UTC: the
/// default zone of a new schedule.
pub fn local_zone_name() -> String {
    std::env::var("TZ")
        .ok()
        .map(|z| z.trim_start_matches(':').to_string())
        .filter(|z| z.parse::<chrono_tz::Tz>().is_ok())
        .or_else(|| iana_time_zone::get_timezone().ok())
        .filter(|z| z.parse::<chrono_tz::Tz>().is_ok())
        .unwrap_or_else(|| "UTC".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn round_trips_and_sorts_as_text() {
        let a = Utc
            .with_ymd_and_hms(2026, 3, 29, 0, 59, 59)
            .single()
            .expect("valid");
        let b = a + chrono::Duration::milliseconds(1);
        assert_eq!(to_db(a), "2026-03-29T00:59:59.000Z");
        assert_eq!(from_db(&to_db(b)).expect("parse"), b);
        assert!(to_db(a) < to_db(b));
    }

    #[test]
    fn offsets_are_normalised_to_utc() {
        let t = from_db("2026-10-25T02:30:00+02:00").expect("parse");
        assert_eq!(to_db(t), "2026-10-25T00:30:00.000Z");
    }
}
