//! Lockfile entries: what a write sets (L2, L10) and what a reader may
//! trust (L9).

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The fields an install or update writes into an entry (L2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryWrite {
    /// The pin: 40 lowercase hex.
    pub wiki_commit: String,
    /// UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    pub installed_at: String,
    /// Sorted POSIX relative paths of the files written.
    pub files: Vec<String>,
    /// Relative path to lowercase hex SHA-256 of the bytes written; `None`
    /// removes `digests` and `digests_installed_at` (L10).
    pub digests: Option<BTreeMap<String, String>>,
}

impl EntryWrite {
    /// Sets this write's keys in `entry`, keeping the position of keys
    /// already there and every unknown key (L3); L10 for `digests`.
    pub fn apply(&self, entry: &mut Map<String, Value>) {
        entry.insert("wiki_commit".into(), Value::from(self.wiki_commit.clone()));
        entry.insert(
            "installed_at".into(),
            Value::from(self.installed_at.clone()),
        );
        entry.insert(
            "files".into(),
            Value::Array(self.files.iter().cloned().map(Value::from).collect()),
        );
        entry.insert("files_commit".into(), Value::from(self.wiki_commit.clone()));
        match &self.digests {
            Some(d) => {
                let map: Map<String, Value> = d
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                    .collect();
                entry.insert("digests".into(), Value::Object(map));
                entry.insert(
                    "digests_installed_at".into(),
                    Value::from(self.installed_at.clone()),
                );
            }
            None => {
                entry.shift_remove("digests");
                entry.shift_remove("digests_installed_at");
            }
        }
    }
}

pub use crate::asset::valid_rel_path;

/// True for 40 lowercase hex characters (a pin, L2).
pub fn is_commit_id(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// True for 64 lowercase hex characters (a SHA-256 digest, L2).
pub fn is_digest(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The entry's manifest when L9 lets it count: `files_commit ==
/// wiki_commit` (both strings) and every member a valid relative path.
/// Anything else is `None` ("no manifest"); never panics.
pub fn valid_manifest(entry: &Map<String, Value>) -> Option<Vec<String>> {
    let wc = entry.get("wiki_commit")?.as_str()?;
    let fc = entry.get("files_commit")?.as_str()?;
    if wc != fc {
        return None;
    }
    let files = entry.get("files")?.as_array()?;
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let s = f.as_str()?;
        if !valid_rel_path(s) {
            return None;
        }
        out.push(s.to_owned());
    }
    Some(out)
}

/// The entry's digests when L9 lets them count: `digests_installed_at ==
/// installed_at` (string equality), every key a valid relative path and
/// every value 64 lowercase hex. Anything else is `None` ("no digests").
pub fn valid_digests(entry: &Map<String, Value>) -> Option<BTreeMap<String, String>> {
    let at = entry.get("installed_at")?.as_str()?;
    let dat = entry.get("digests_installed_at")?.as_str()?;
    if at != dat {
        return None;
    }
    let digests = entry.get("digests")?.as_object()?;
    let mut out = BTreeMap::new();
    for (k, v) in digests {
        let v = v.as_str()?;
        if !valid_rel_path(k) || !is_digest(v) {
            return None;
        }
        out.insert(k.clone(), v.to_owned());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn l9_paths() {
        for ok in ["a", "a/b", "a.b/c..d", ".x"] {
            assert!(valid_rel_path(ok), "{ok}");
        }
        for bad in ["", "/a", "a/../b", "..", "a\\b", "a//b", "./a", "a/"] {
            assert!(!valid_rel_path(bad), "{bad}");
        }
    }

    #[test]
    fn l9_broken_pairings_degrade() {
        let c = "a".repeat(40);
        let e = obj(json!({"wiki_commit": c, "files_commit": "b".repeat(40), "files": ["x"]}));
        assert_eq!(valid_manifest(&e), None);
        let e = obj(json!({"installed_at": "t1", "digests_installed_at": "t2", "digests": {}}));
        assert_eq!(valid_digests(&e), None);
        let e = obj(
            json!({"installed_at": "t", "digests_installed_at": "t", "digests": {"x": "A".repeat(64)}}),
        );
        assert_eq!(valid_digests(&e), None);
        let e = obj(
            json!({"installed_at": "t", "digests_installed_at": "t", "digests": {"x": "a".repeat(63)}}),
        );
        assert_eq!(valid_digests(&e), None);
        let e = obj(
            json!({"installed_at": "t", "digests_installed_at": "t", "digests": {"x": "a".repeat(64)}}),
        );
        assert!(valid_digests(&e).is_some());
    }
}
