//! The name rule (CONTRACT Y1).

use crate::error::{Error, Result};

/// Longest accepted name, in characters (Y1).
pub const MAX_NAME_LEN: usize = 64;

/// True when `name` follows Y1: 1..=64 characters of `A-Z a-z 0-9 . _ -`,
/// not `.` or `..`, not starting with `-`; and (the Y1 sharpening of
/// docs/CONTRACT.md) not of the form `.<x>.lock`, which is the per-asset
/// lock file of asset `<x>` in the same section directory (K3), so such an
/// asset's dest and that lock could never both exist.
pub fn is_valid_name(name: &str) -> bool {
    !is_lock_name(name)
        && !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name != "."
        && name != ".."
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Whether `name` is spelled like a per-asset lock file, `.<x>.lock`.
fn is_lock_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".lock")
}

/// Checks `name` against Y1.
///
/// # Errors
/// `invalid-name` naming the offending value.
pub fn validate_name(name: &str) -> Result<()> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(Error::invalid_name(
            name,
            &format!(
                "use 1 to {MAX_NAME_LEN} characters from A-Z a-z 0-9 . _ -, not '.' or '..', not starting with '-', not of the form .<name>.lock (a per-asset lock file)"
            ),
        ))
    }
}

/// L9 path rule: a non-empty relative POSIX path with no leading `/`, no
/// `..` segment and no backslash. Empty and `.` segments are refused too,
/// so a path always names something strictly below dest.
pub fn valid_rel_path(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains('\\')
        && !p.contains('\0')
        && p.split('/')
            .all(|seg| !seg.is_empty() && seg != ".." && seg != ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn y1_examples() {
        for ok in ["a", "my-skill", "x.y_z", "A9", ".hidden", &"a".repeat(64)] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "-x",
            "a b",
            "a/b",
            "../x",
            "é",
            &"a".repeat(65),
            "a\0",
        ] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
    }
}
