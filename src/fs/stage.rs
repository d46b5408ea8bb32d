//! Staging (I6): an asset's files are written into a fresh sibling of
//! dest, `.<name>~staging-<pid>-<n>-<hex>`, fsynced, and renamed into
//! place, so dest appears whole or not at all. A crash leaves at most a
//! staging directory, which the next operation on the asset removes under
//! the per-asset lock ([`clean_stale`]).

use crate::asset::valid_rel_path;
use crate::asset::{AssetFile, AssetTree};
use crate::error::{Error, Result};
use crate::fs::digest::sha256_hex;
use crate::fs::safedir::{Durability, EXEC_MODE, FILE_MODE, SafeDir};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// Prefix of staging directories of asset `name`: `.<name>~staging-`.
/// `~` is outside the Y1 alphabet, so no asset's dest can ever be named
/// like a staging directory (and be taken for one).
pub fn staging_prefix(name: &str) -> String {
    format!(".{name}~staging-")
}

/// Whether `entry` is a staging directory name of asset `name`:
/// `.<name>~staging-<pid>-<n>-<hex>`. Only this tool's own names match:
/// another asset's dest (a Y1 name, never holding `~`) never does, and
/// neither does the staging directory of an asset whose name extends
/// `name` (`a~staging-` is not a prefix of `.ab~staging-`).
pub fn is_staging_of(entry: &str, name: &str) -> bool {
    entry
        .strip_prefix(&staging_prefix(name))
        .is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
        })
}

/// Removes leftover staging directories of `name` in `section`. Call only
/// with the per-asset lock held: then no live process owns one. One that
/// cannot be removed (a user made it mode 000) is left, with a warning on
/// stderr: it is debris, and this run stages under a fresh name, so it
/// is no reason to refuse (I5: a refusal after the lock was created would
/// leave the lock file behind).
///
/// # Errors
/// `io` when the section cannot be listed.
pub fn clean_stale(section: &SafeDir, name: &str) -> Result<()> {
    for (entry, _) in section.entries()? {
        if is_staging_of(&entry, name)
            && let Err(e) = section.remove_tree(&entry)
        {
            eprintln!(
                "warning: left the leftover staging directory {}: {e}; remove it by hand \
                 (chmod -R u+rwx and rm -r)",
                section.child_path(&entry).display()
            );
        }
    }
    Ok(())
}

/// A staging directory holding a complete tree, ready to be renamed in.
#[derive(Debug)]
pub struct Staged {
    /// Name of the staging directory inside the section directory.
    pub name: String,
    /// Relative path to lowercase hex SHA-256 of the bytes written.
    pub digests: BTreeMap<String, String>,
}

/// Writes `tree`'s files into a new staging directory in `section`:
/// directories 0755, files 0644 or 0755 (I3), every file and directory
/// fsynced. Each blob is read, written and hashed in turn, so digests come
/// from the bytes written (L2) and one file per worker is in memory (E4).
/// Directories are written in parallel.
///
/// # Errors
/// `unsafe-path` for a path not below dest, `io`; the staging directory
/// is removed on failure.
pub fn stage(section: &SafeDir, name: &str, tree: &AssetTree) -> Result<Staged> {
    // `.<name>~staging-<pid>-<n>-<hex>`: the unique suffix of a temp name
    // after this asset's own prefix (replacing the first `.tmp-` would hit
    // a name such as `x.tmp-y` and leave a directory never cleaned).
    let tmp = crate::fs::safedir::temp_name(name);
    let suffix = &tmp[crate::fs::safedir::temp_prefix(name).len()..];
    let staging = format!("{}{suffix}", staging_prefix(name));
    let root = section.create_dir(&staging)?;
    let res = write_tree(&root, tree);
    match res {
        Ok(digests) => Ok(Staged {
            name: staging,
            digests,
        }),
        Err(e) => {
            let _ = section.remove_tree(&staging);
            Err(e)
        }
    }
}

fn write_tree(root: &SafeDir, tree: &AssetTree) -> Result<BTreeMap<String, String>> {
    let files = &tree.files;
    // Defence in depth: every path must name something strictly below the
    // staging directory, whatever produced it.
    if let Some(bad) = files.iter().find(|f| !valid_rel_path(&f.path)) {
        return Err(Error::unsafe_path(
            std::path::Path::new(&bad.path),
            "not a relative path below dest",
        ));
    }
    // Directories first, parents before children, each created through
    // its parent opened again from the root: a constant number of handles
    // whatever the tree's width or depth (E4).
    let mut dirs: BTreeSet<&str> = BTreeSet::new();
    for f in files {
        let mut end = 0;
        while let Some(i) = f.path[end..].find('/') {
            end += i;
            dirs.insert(&f.path[..end]);
            end += 1;
        }
    }
    let open = |rel: &str| -> Result<SafeDir> {
        root.open_dir_path(rel)?
            .ok_or_else(|| Error::io("open", &root.path().join(rel), "vanished while staging"))
    };
    for d in &dirs {
        let (parent, leaf) = d.rsplit_once('/').unwrap_or(("", d));
        open(parent)?.ensure_dir(leaf)?;
    }
    // Files, grouped by their directory, groups in parallel: one handle
    // per group at a time; each directory synced once all is in it.
    let mut groups: BTreeMap<&str, Vec<&AssetFile>> = BTreeMap::new();
    for f in files {
        let parent = f.path.rsplit_once('/').map_or("", |(p, _)| p);
        groups.entry(parent).or_default().push(f);
    }
    let digests = groups
        .par_iter()
        .map(|(parent, group)| {
            let dir = open(parent)?;
            // One blob in memory per worker at a time (E4).
            let reader = tree.blobs.reader();
            let mut out = Vec::with_capacity(group.len());
            for f in group {
                let leaf = f.path.rsplit_once('/').map_or(f.path.as_str(), |(_, l)| l);
                let mode = if f.executable { EXEC_MODE } else { FILE_MODE };
                let bytes = reader.read(f)?;
                dir.write_new_file(leaf, &bytes, mode, Durability::Fsync)?;
                out.push((f.path.clone(), sha256_hex(&bytes)));
            }
            dir.sync()?;
            Ok(out)
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect::<BTreeMap<_, _>>();
    for d in dirs.iter().filter(|d| !groups.contains_key(*d)) {
        open(d)?.sync()?;
    }
    root.sync()?;
    Ok(digests)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A blob source without blobs: no file of an empty tree is read.
    #[derive(Debug)]
    struct NoBlobs;

    impl crate::asset::BlobSource for NoBlobs {
        fn reader(&self) -> Box<dyn crate::asset::BlobRead + '_> {
            Box::new(NoBlobs)
        }
    }

    impl crate::asset::BlobRead for NoBlobs {
        fn read(&self, file: &AssetFile) -> Result<Vec<u8>> {
            Err(Error::io(
                "read",
                std::path::Path::new(&file.path),
                "no blobs",
            ))
        }
    }

    /// An asset without files (`dir` is unused: nothing is read).
    fn empty_tree(_dir: &std::path::Path) -> AssetTree {
        AssetTree {
            files: Vec::new(),
            warnings: Vec::new(),
            blobs: std::sync::Arc::new(NoBlobs),
        }
    }

    /// I6: a staging directory is recognised as its asset's (and so
    /// cleaned after a crash) even when the name holds `.tmp-`.
    #[test]
    fn i6_staging_name_is_recognised_for_any_name() {
        let dir = tempfile::tempdir().unwrap();
        let section = SafeDir::open_root(dir.path()).unwrap();
        let wiki = tempfile::tempdir().unwrap();
        let empty = empty_tree(wiki.path());
        for name in ["x", "x.tmp-y", "a.staging-1"] {
            let staged = stage(&section, name, &empty).unwrap();
            assert!(is_staging_of(&staged.name, name), "{}", staged.name);
            clean_stale(&section, name).unwrap();
            assert!(section.kind_of(&staged.name).unwrap().is_none());
        }
    }

    /// I6, Y1: cleaning the staging leftovers of `a` never touches the
    /// dest of another asset, whatever its valid name (`.a.staging-1` was
    /// once taken for a staging directory of `a` and deleted).
    #[test]
    fn i6_clean_stale_spares_every_valid_asset_name() {
        let dir = tempfile::tempdir().unwrap();
        let section = SafeDir::open_root(dir.path()).unwrap();
        let wiki = tempfile::tempdir().unwrap();
        let others = [
            ".a.staging-1",
            ".a.staging-99-0-ff",
            "a.staging-1",
            ".a",
            "a-1",
        ];
        for other in others {
            assert!(crate::asset::is_valid_name(other), "{other}");
            section.create_dir(other).unwrap();
        }
        let leftover = stage(&section, "a", &empty_tree(wiki.path())).unwrap();
        clean_stale(&section, "a").unwrap();
        assert!(section.kind_of(&leftover.name).unwrap().is_none());
        for other in others {
            assert!(
                section.kind_of(other).unwrap().is_some(),
                "{other} was removed"
            );
        }
    }

    /// Only the names staging makes match (`<pid>-<n>-<hex>` after the
    /// prefix): a user's `.a~staging-notes` in the section is not taken
    /// for a leftover, and so is never removed by `clean_stale`.
    #[test]
    fn is_staging_of_matches_only_the_names_staging_makes() {
        assert!(is_staging_of(".a~staging-123-4-ff0a", "a"));
        for other in [
            ".a~staging-",
            ".a~staging-notes",
            ".a~staging-1 2",
            ".ab~staging-1-2-f",
            "a",
        ] {
            assert!(!is_staging_of(other, "a"), "{other}");
        }
    }
}
