//! The L2 timestamp: UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ`, written by every
//! entry write and read back by the mtime rule of dirty detection (U2).

/// The current time as L2 wants it: UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub fn now_utc_micros() -> String {
    humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string()
}

/// Parses an L2 timestamp into ns since the epoch.
pub fn parse_installed_at(s: &str) -> Option<i128> {
    let t = humantime::parse_rfc3339(s).ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(d.as_nanos() as i128)
}

/// `ns` since the epoch as an L2 timestamp, rounded up to the next
/// microsecond, so that it is never earlier than the mtime it came from
/// (the mtime rule of U2 compares strictly).
pub fn format_ns_ceil_micros(ns: i128) -> String {
    let micros = (ns.max(0) as u128).div_ceil(1000);
    let t = std::time::UNIX_EPOCH
        + std::time::Duration::from_micros(micros.min(u64::MAX as u128) as u64);
    humantime::format_rfc3339_micros(t).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_and_parses() {
        let t = super::now_utc_micros();
        assert_eq!(t.len(), 27, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[19] == b'.', "{t}");
        assert!(super::parse_installed_at(&t).is_some(), "{t}");
        assert_eq!(
            super::format_ns_ceil_micros(1_700_000_000_123_456_001),
            "2023-11-14T22:13:20.123457Z"
        );
        assert_eq!(
            super::format_ns_ceil_micros(1_700_000_000_123_456_000),
            "2023-11-14T22:13:20.123456Z"
        );
    }
}
