//! Skip rules of CONTRACT I2, shared by the wiki reader, the uncommitted
//! check and dirty detection so the three can never disagree.

/// Names skipped at any depth, whatever their type; a skipped directory
/// drops its whole subtree (I2).
pub const SKIPPED_NAMES: [&str; 3] = [".git", ".DS_Store", "__pycache__"];

/// Suffix of backup files, never installed (I2) and never dirty (U3).
pub const BAK_SUFFIX: &str = ".bak";

/// Whether an entry the skip rules look at is a directory: `.bak`
/// applies to everything else only (I2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// A directory (a tree, in the wiki).
    Dir,
    /// Anything else: a file, a link, a submodule.
    NotDir,
}

/// True when an entry called `name`, a directory or not (`entry`), is
/// skipped by I2 (`.bak` applies to non-directories only).
pub fn is_skipped(name: &str, entry: Entry) -> bool {
    SKIPPED_NAMES.contains(&name) || (entry == Entry::NotDir && name.ends_with(BAK_SUFFIX))
}

/// True when any segment of the relative path `rel` is skipped by I2
/// (the last segment taken as a file).
pub fn path_is_skipped(rel: &str) -> bool {
    let mut segs = rel.split('/').peekable();
    while let Some(seg) = segs.next() {
        let last = segs.peek().is_none();
        if is_skipped(seg, if last { Entry::NotDir } else { Entry::Dir }) {
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
        assert!(is_skipped(".git", Entry::Dir));
        assert!(is_skipped(".DS_Store", Entry::NotDir));
        assert!(is_skipped("__pycache__", Entry::Dir));
        assert!(is_skipped("x.bak", Entry::NotDir));
        assert!(!is_skipped("x.bak", Entry::Dir));
        assert!(!is_skipped("x.bakery", Entry::NotDir));
        assert!(path_is_skipped("a/__pycache__/x.pyc"));
        assert!(path_is_skipped("a/b.bak"));
        assert!(!path_is_skipped("a.bak/b"));
    }
}
