//! Skip rules of CONTRACT I2, shared by the wiki reader, the uncommitted
//! check and dirty detection so the three can never disagree.

/// Names skipped at any depth, whatever their type; a skipped directory
/// drops its whole subtree (I2).
pub const SKIPPED_NAMES: [&str; 3] = [".git", ".DS_Store", "__pycache__"];

/// Suffix of backup files, never installed (I2) and never dirty (U3).
pub const BAK_SUFFIX: &str = ".bak";

/// True when an entry called `name` is skipped by I2. `is_dir` tells
/// whether it is a directory (`.bak` applies to files only).
pub fn is_skipped(name: &str, is_dir: bool) -> bool {
    SKIPPED_NAMES.contains(&name) || (!is_dir && name.ends_with(BAK_SUFFIX))
}

/// True when any segment of the relative path `rel` is skipped by I2
/// (the last segment taken as a file).
pub fn path_is_skipped(rel: &str) -> bool {
    let mut segs = rel.split('/').peekable();
    while let Some(seg) = segs.next() {
        let last = segs.peek().is_none();
        if is_skipped(seg, !last) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i2_names() {
        assert!(is_skipped(".git", true));
        assert!(is_skipped(".DS_Store", false));
        assert!(is_skipped("__pycache__", true));
        assert!(is_skipped("x.bak", false));
        assert!(!is_skipped("x.bak", true));
        assert!(!is_skipped("x.bakery", false));
        assert!(path_is_skipped("a/__pycache__/x.pyc"));
        assert!(path_is_skipped("a/b.bak"));
        assert!(!path_is_skipped("a.bak/b"));
    }
}
