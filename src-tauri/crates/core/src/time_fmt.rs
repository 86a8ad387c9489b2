//! Timestamps are stored as RFC 3339 UTC text with milliseconds: sortable and readable.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub fn now_rfc3339() -> String {
    let now = OffsetDateTime::now_utc();
    let ms = now.replace_nanosecond(now.millisecond() as u32 * 1_000_000).unwrap_or(now);
    ms.format(&Rfc3339).unwrap_or_else(|_| now.unix_timestamp().to_string())
}
