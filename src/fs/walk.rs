//! A depth-first walk below a directory that holds a constant number of
//! handles whatever the tree's width or depth (E4; the depth sharpening
//! of I1, I2): pending directories are kept as paths relative to the
//! root, not as open handles, and each is opened again from the root one
//! component at a time without following links when its turn comes. At
//! most three handles are open at once (the root, the directory being
//! listed, and one transient while opening); memory holds the pending
//! names, never a handle per directory.

use super::safedir::{EntryKind, FullListing, MAX_DEPTH, SafeDir, too_deep};
use crate::error::Result;

/// One thing found in a directory during [`walk`].
#[derive(Debug, Clone, Copy)]
pub enum Item<'a> {
    /// An entry whose name is UTF-8, with its kind (links never followed).
    Entry(&'a str, EntryKind),
    /// A name that is not UTF-8, escaped for printing (`\xe9`).
    Stray(&'a str),
}

/// Visits everything below `root` (not `root` itself): calls
/// `visit(dir, prefix, item)` for each entry of each directory, where
/// `dir` is the directory holding it and `prefix` its path relative to
/// `root` (empty, or ending in `/`). A directory entry is descended into
/// when `visit` returns true. Order: each directory's entries in name
/// order, directories depth first.
///
/// # Errors
/// The visitor's errors; `unsafe-path` for a tree deeper than
/// [`MAX_DEPTH`] or a directory replaced by a link during the walk; `io`.
pub fn walk(
    root: &SafeDir,
    mut visit: impl FnMut(&SafeDir, &str, Item<'_>) -> Result<bool>,
) -> Result<()> {
    let mut todo: Vec<(String, usize)> = vec![(String::new(), 0)];
    while let Some((rel, depth)) = todo.pop() {
        let Some(dir) = root.open_dir_path(&rel)? else {
            // Removed since it was listed.
            continue;
        };
        let prefix = if rel.is_empty() {
            String::new()
        } else {
            format!("{rel}/")
        };
        let FullListing {
            listing: entries,
            strays,
        } = dir.entries_and_strays()?;
        for s in &strays {
            visit(&dir, &prefix, Item::Stray(s))?;
        }
        let mut subdirs = Vec::new();
        for (name, kind) in &entries {
            if visit(&dir, &prefix, Item::Entry(name, *kind))? && *kind == EntryKind::Dir {
                if depth + 1 > MAX_DEPTH {
                    return Err(too_deep(&dir.child_path(name)));
                }
                subdirs.push(format!("{prefix}{name}"));
            }
        }
        // Reversed, so the first subdirectory is walked first.
        todo.extend(subdirs.into_iter().rev().map(|d| (d, depth + 1)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry is visited once with its path; only directories the
    /// visitor accepts are descended.
    #[test]
    fn visits_every_entry_and_descends_where_told() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path();
        std::fs::create_dir_all(p.join("a/b")).unwrap();
        std::fs::create_dir_all(p.join("skip/c")).unwrap();
        std::fs::write(p.join("a/b/f"), b"x").unwrap();
        std::fs::write(p.join("g"), b"y").unwrap();
        let root = SafeDir::open_root(p).unwrap();
        let mut seen = Vec::new();
        walk(&root, |_, prefix, item| {
            if let Item::Entry(name, _) = item {
                seen.push(format!("{prefix}{name}"));
                return Ok(name != "skip");
            }
            Ok(false)
        })
        .unwrap();
        seen.sort();
        assert_eq!(seen, ["a", "a/b", "a/b/f", "g", "skip"]);
    }

    /// `levels` directories nested one in the next below a fresh root.
    fn nested(levels: usize) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        let mut p = tmp.path().to_owned();
        for _ in 0..levels {
            p.push("d");
        }
        std::fs::create_dir_all(&p).unwrap();
        tmp
    }

    /// A tree exactly [`MAX_DEPTH`] directories deep is walked to its
    /// bottom; one level more is refused, not walked.
    #[test]
    fn walks_max_depth_and_refuses_one_more() {
        let ok = nested(MAX_DEPTH);
        let mut seen = 0;
        walk(&SafeDir::open_root(ok.path()).unwrap(), |_, _, _| {
            seen += 1;
            Ok(true)
        })
        .unwrap();
        assert_eq!(seen, MAX_DEPTH);
        let deep = nested(MAX_DEPTH + 1);
        let err = walk(&SafeDir::open_root(deep.path()).unwrap(), |_, _, _| {
            Ok(true)
        })
        .unwrap_err();
        assert_eq!(err.kind, crate::error::Kind::UnsafePath);
    }
}
