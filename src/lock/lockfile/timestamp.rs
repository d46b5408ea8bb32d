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

#[cfg(test)]
mod tests {
    #[test]
    fn formats_and_parses() {
        let t = super::now_utc_micros();
        assert_eq!(t.len(), 27, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[19] == b'.', "{t}");
        assert!(super::parse_installed_at(&t).is_some(), "{t}");
    }
}
