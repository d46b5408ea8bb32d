//! What must hold in a crash state and after the tool's recovery from it
//! (L7, I6, I7, K2): pure checks over trees, phrased through the
//! adapter's layout, so they judge any implementation.

use crate::snapshot::{Node, Snapshot};
use std::collections::BTreeMap;

/// Where one thing lives: which tree (0 the project, 1 `$HOME`) and its
/// key there.
pub type Place = (usize, String);

/// What the checks know of the tool and the step.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Each asset's dest.
    pub dests: BTreeMap<String, Place>,
    /// The manifest or lockfile, when the tool keeps one.
    pub manifest: Option<Place>,
    /// The JSON pointer of each asset's entry, or (non-JSON manifests) a
    /// regex its text matches when it holds the entry.
    pub entries: BTreeMap<String, Entry>,
    /// Regexes over dest-relative paths of files the tool adds itself
    /// (left out when dests are compared).
    pub dest_extra: Vec<regex::Regex>,
    /// The install root, for "left behind" (visible names only).
    pub root: Option<Place>,
    /// Regexes over dest-relative paths a crash may leave in dest, which
    /// the recovery must remove.
    pub leftovers: Vec<regex::Regex>,
}

/// How an asset's entry is found in the manifest.
#[derive(Debug, Clone)]
pub enum Entry {
    /// A JSON pointer.
    Pointer(String),
    /// A regex over the text.
    Matches(regex::Regex),
}

/// One state's trees (the project, `$HOME`).
pub type Trees = [Snapshot];

/// The subtree of `at` (keys relative to it; `.` for itself), empty
/// when it is absent; the tool's own extra files left out.
pub fn subtree(t: &Trees, at: &Place, extra: &[regex::Regex]) -> Snapshot {
    let (root, key) = at;
    let Some(tree) = t.get(*root) else {
        return Snapshot::new();
    };
    let prefix = format!("{key}/");
    tree.range(key.clone()..)
        .take_while(|(k, _)| *k == key || k.starts_with(&prefix) || k.as_str() < prefix.as_str())
        .filter_map(|(k, n)| {
            let rel = if k == key {
                ".".to_owned()
            } else {
                k.strip_prefix(&prefix)?.to_owned()
            };
            (!extra.iter().any(|r| r.is_match(&rel))).then(|| (rel, n.clone()))
        })
        .collect()
}

/// The manifest's text, `None` when absent.
fn manifest_text<'a>(t: &'a Trees, l: &Layout) -> Option<&'a [u8]> {
    let (root, key) = l.manifest.as_ref()?;
    match t.get(*root)?.get(key)? {
        Node::File(_, b) => Some(b),
        _ => None,
    }
}

/// The manifest parsed: `Ok(None)` absent, `Err` when it is there and
/// does not parse (JSON manifests only).
fn manifest(t: &Trees, l: &Layout) -> Result<Option<serde_json::Value>, String> {
    let json = l.entries.values().any(|e| matches!(e, Entry::Pointer(_)));
    match manifest_text(t, l) {
        None => Ok(None),
        Some(_) if !json => Ok(Some(serde_json::Value::Null)),
        Some(b) => match serde_json::from_slice::<serde_json::Value>(b) {
            Ok(v) if v.is_object() => Ok(Some(v)),
            Ok(_) => Err("is JSON but not an object".into()),
            Err(e) => Err(format!("does not parse: {e}")),
        },
    }
}

/// An asset's entry: `None` absent; its value with the keys that hold
/// times removed (two runs write different times).
fn entry(t: &Trees, l: &Layout, asset: &str) -> Option<serde_json::Value> {
    match l.entries.get(asset)? {
        Entry::Pointer(p) => {
            let doc = manifest(t, l).ok()??;
            doc.pointer(p).map(timeless)
        }
        Entry::Matches(r) => {
            let text = String::from_utf8_lossy(manifest_text(t, l)?);
            r.is_match(&text).then_some(serde_json::Value::Bool(true))
        }
    }
}

fn timeless(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => m
            .iter()
            .filter(|(k, _)| !is_time_key(k))
            .map(|(k, v)| (k.clone(), timeless(v)))
            .collect(),
        serde_json::Value::Array(a) => a.iter().map(timeless).collect(),
        v => v.clone(),
    }
}

/// A key that holds a time (`installed_at`, `installedAt`, `updated`,
/// `timestamp`, `date`).
fn is_time_key(k: &str) -> bool {
    let l = k.to_ascii_lowercase();
    l.ends_with("_at")
        || k.ends_with("At")
        || ["time", "date", "updated"].iter().any(|w| l.contains(w))
}

/// The first path where two dests differ, for the message.
fn first_difference(a: &Snapshot, b: &Snapshot) -> String {
    for (k, n) in a {
        match b.get(k) {
            None => return format!("{k} is extra"),
            Some(m) if m != n => return format!("{k} differs"),
            _ => {}
        }
    }
    b.keys()
        .find(|k| !a.contains_key(*k))
        .map_or_else(String::new, |k| format!("{k} is missing"))
}

/// The run's two ends, per asset.
pub struct Ends<'a> {
    /// Before the step.
    pub before: &'a Trees,
    /// After the uncrashed step.
    pub after: &'a Trees,
}

/// What is wrong with a crash state: `acked` are the assets whose
/// process exited 0 before the crash. Empty when it is consistent.
/// With `orphan_ok`, an entry without its dest is fine (D3).
pub fn in_state(
    s: &Trees,
    l: &Layout,
    ends: &Ends<'_>,
    acked: &[&str],
    orphan_ok: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Err(e) = manifest(s, l) {
        out.push(format!("the manifest {e}"));
    }
    for (asset, at) in &l.dests {
        let mut d = subtree(s, at, &l.dest_extra);
        d.retain(|k, _| !l.leftovers.iter().any(|r| r.is_match(k)));
        let (b, a) = (
            subtree(ends.before, at, &l.dest_extra),
            subtree(ends.after, at, &l.dest_extra),
        );
        let whole = d == b || d == a;
        if !whole {
            out.push(format!(
                "the dest of {asset} is half written ({} against the end of the run; {} against its start)",
                first_difference(&d, &a),
                first_difference(&d, &b)
            ));
        }
        let e = entry(s, l, asset);
        // As the step found it (`install --all` starts from an entry
        // whose dest is gone) is not the step's doing.
        let as_found = d == b && e == entry(ends.before, l, asset);
        let orphan = e.is_some() && (d.is_empty() || !whole);
        if orphan && !as_found && !(orphan_ok && d.is_empty()) {
            out.push(format!(
                "the entry of {asset} is there without its complete dest"
            ));
        }
        if acked.contains(&asset.as_str()) {
            if d != a {
                out.push(format!(
                    "the process that wrote {asset} exited 0 before the crash, and its dest is not what it wrote ({})",
                    first_difference(&d, &a)
                ));
            }
            if e != entry(ends.after, l, asset) {
                out.push(format!(
                    "the process that wrote {asset} exited 0 before the crash, and its entry is {}",
                    if e.is_some() {
                        "not what it wrote"
                    } else {
                        "gone"
                    }
                ));
            }
        }
    }
    out.extend(untouched(s, l, ends));
    out
}

/// What the run did not touch must be as it was: every path outside
/// the step's dests and manifest that the uncrashed run left as it found
/// it, and the entries of the other assets.
fn untouched(s: &Trees, l: &Layout, ends: &Ends<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let mine = |root: usize, k: &str| {
        l.dests
            .values()
            .chain(&l.manifest)
            .any(|(r, d)| *r == root && (k == d || k.starts_with(&format!("{d}/"))))
    };
    for (root, before) in ends.before.iter().enumerate() {
        for (k, n) in before {
            if k == "." || mine(root, k) || ends.after.get(root).and_then(|t| t.get(k)) != Some(n) {
                continue;
            }
            match s.get(root).and_then(|t| t.get(k)) {
                Some(m) if m == n => {}
                Some(_) => out.push(format!("{k}, which the run left alone, changed")),
                None => out.push(format!("{k}, which the run left alone, is gone")),
            }
            if out.len() >= 3 {
                return out;
            }
        }
    }
    // The other entries of the manifest, as the run left them.
    if let (Ok(Some(b)), Ok(Some(a))) = (manifest(ends.before, l), manifest(ends.after, l))
        && let Some(p) = l.entries.values().find_map(|e| match e {
            Entry::Pointer(p) => Some(p),
            Entry::Matches(_) => None,
        })
        && let Some(parent) = p.rsplit_once('/').map(|(h, _)| h)
        && let (Some(bm), Some(am)) = (
            b.pointer(parent).and_then(|v| v.as_object()),
            a.pointer(parent).and_then(|v| v.as_object()),
        )
    {
        let now = manifest(s, l).ok().flatten();
        let now = now
            .as_ref()
            .and_then(|v| v.pointer(parent))
            .and_then(|v| v.as_object());
        for (name, v) in bm {
            if l.dests.contains_key(name) || am.get(name) != Some(v) {
                continue;
            }
            if now.and_then(|m| m.get(name)) != Some(v) {
                out.push(format!(
                    "the entry of {name}, which the run left alone, is lost or changed"
                ));
            }
        }
    }
    out
}

/// What is wrong after the recovery: each asset must be what the
/// uncrashed run left (dest and entry), nothing else changed, and no
/// visible name left in the install root that the run did not leave.
pub fn after_recovery(r: &Trees, l: &Layout, ends: &Ends<'_>) -> Vec<String> {
    let mut out = Vec::new();
    if let Err(e) = manifest(r, l) {
        out.push(format!("the manifest {e}"));
    }
    for (asset, at) in &l.dests {
        let d = subtree(r, at, &l.dest_extra);
        let a = subtree(ends.after, at, &l.dest_extra);
        if d != a {
            out.push(format!(
                "the dest of {asset} is not what the run makes ({})",
                first_difference(&d, &a)
            ));
        }
        let (e, want) = (entry(r, l, asset), entry(ends.after, l, asset));
        if e != want {
            out.push(format!(
                "the entry of {asset} is {}",
                match (&e, &want) {
                    (None, _) => "missing",
                    (Some(_), None) => "there, and the run removes it",
                    _ => "not what the run writes",
                }
            ));
        }
    }
    out.extend(untouched(r, l, ends));
    if let Some(root) = &l.root {
        let visible = |t: &Trees| -> Vec<String> {
            subtree(t, root, &[])
                .keys()
                .filter(|k| *k != "." && !k.contains('/') && !k.starts_with('.'))
                .cloned()
                .collect()
        };
        let want = visible(ends.after);
        for k in visible(r) {
            if !want.contains(&k) {
                out.push(format!("{k} is left in the install root"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> Snapshot {
        let mut t = Snapshot::new();
        t.insert(".".into(), Node::Dir(0o755));
        for (k, v) in files {
            let mut acc = String::new();
            for part in k.split('/').collect::<Vec<_>>().split_last().unwrap().1 {
                acc = if acc.is_empty() {
                    (*part).to_owned()
                } else {
                    format!("{acc}/{part}")
                };
                t.insert(acc.clone(), Node::Dir(0o755));
            }
            t.insert((*k).into(), Node::File(0o644, v.as_bytes().to_vec()));
        }
        t
    }

    fn layout() -> Layout {
        Layout {
            dests: BTreeMap::from([("a".to_owned(), (0, "s/a".to_owned()))]),
            manifest: Some((0, "lock.json".into())),
            entries: BTreeMap::from([("a".to_owned(), Entry::Pointer("/skills/a".into()))]),
            dest_extra: Vec::new(),
            root: Some((0, "s".into())),
            leftovers: Vec::new(),
        }
    }

    const LOCK: &str = r#"{"skills":{"a":{"pin":"1","installed_at":"t1"},"b":{"pin":"1"}}}"#;
    const LOCK_B: &str = r#"{"skills":{"b":{"pin":"1"}}}"#;

    #[test]
    fn a_whole_install_passes_and_each_half_fails() {
        let before = [
            tree(&[("lock.json", LOCK_B), ("s/b/x", "b"), ("u", "user")]),
            Snapshot::new(),
        ];
        let after = [
            tree(&[
                ("lock.json", LOCK),
                ("s/b/x", "b"),
                ("s/a/x", "1"),
                ("s/a/y", "2"),
                ("u", "user"),
            ]),
            Snapshot::new(),
        ];
        let ends = Ends {
            before: &before,
            after: &after,
        };
        let l = layout();
        assert!(in_state(&before, &l, &ends, &[], false).is_empty());
        assert!(in_state(&after, &l, &ends, &["a"], false).is_empty());
        assert!(after_recovery(&after, &l, &ends).is_empty());
        // Half a dest, an entry without dest, an acknowledged install lost,
        // a user's file lost, a torn manifest: each is found.
        let half = [
            tree(&[
                ("lock.json", LOCK_B),
                ("s/b/x", "b"),
                ("s/a/x", "1"),
                ("u", "user"),
            ]),
            Snapshot::new(),
        ];
        assert!(in_state(&half, &l, &ends, &[], false)[0].contains("half written"));
        let orphan = [
            tree(&[("lock.json", LOCK), ("s/b/x", "b"), ("u", "user")]),
            Snapshot::new(),
        ];
        assert!(
            in_state(&orphan, &l, &ends, &[], false)
                .iter()
                .any(|m| m.contains("without its complete dest"))
        );
        assert!(
            in_state(&before, &l, &ends, &["a"], false)
                .iter()
                .any(|m| m.contains("exited 0"))
        );
        let lost = [
            tree(&[("lock.json", LOCK_B), ("s/b/x", "b")]),
            Snapshot::new(),
        ];
        assert!(
            in_state(&lost, &l, &ends, &[], false)
                .iter()
                .any(|m| m.contains("u, which the run left alone"))
        );
        let torn = [
            tree(&[("lock.json", "{\"ski"), ("s/b/x", "b"), ("u", "user")]),
            Snapshot::new(),
        ];
        let m = in_state(&torn, &l, &ends, &[], false);
        assert!(m.iter().any(|m| m.contains("does not parse")), "{m:?}");
        assert!(m.iter().any(|m| m.contains("entry of b")), "{m:?}");
        // After recovery: a time that differs is the same entry; a leftover
        // visible directory is not fine.
        let later = LOCK.replace("t1", "t2");
        let rec = [
            tree(&[
                ("lock.json", &later),
                ("s/b/x", "b"),
                ("s/a/x", "1"),
                ("s/a/y", "2"),
                ("u", "user"),
            ]),
            Snapshot::new(),
        ];
        assert!(after_recovery(&rec, &l, &ends).is_empty());
        let mut junk = rec.clone();
        junk[0].insert("s/a.tmp".into(), Node::Dir(0o755));
        assert!(after_recovery(&junk, &l, &ends)[0].contains("left in the install root"));
    }
}
