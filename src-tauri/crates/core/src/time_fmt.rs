//! Timestamps are stored as RFC 3339 UTC text with exactly three fractional digits, so
//! that text order is time order (ORDER BY started_at).

use time::macros::format_description;
use time::OffsetDateTime;

pub fn now_rfc3339() -> String {
    format_utc(OffsetDateTime::now_utc())
}

pub(crate) fn format_utc(t: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.format(&fmt).unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// A day given as YYYY-MM-DD (exactly: no single-digit months), or an error naming `field`.
pub(crate) fn parse_day(field: &'static str, value: &str) -> crate::error::Result<time::Date> {
    let fmt = format_description!("[year]-[month]-[day]");
    let bad = || crate::error::CoreError::InvalidDate { field, value: value.to_string() };
    if value.len() != 10 {
        return Err(bad());
    }
    time::Date::parse(value, &fmt).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_fixed_width_so_text_order_is_time_order() {
        let base = time::macros::datetime!(2026-11-25 01:39:12.300 UTC);
        let a = format_utc(base);
        let b = format_utc(base + time::Duration::milliseconds(10));
        assert_eq!(a, "2026-11-25T01:39:12.300Z");
        assert_eq!(b, "2026-11-25T01:39:12.310Z");
        assert!(a < b);
    }
}
