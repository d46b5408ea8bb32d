//! The L9 validators on arbitrary entries: wrong types, bad paths, wrong
//! lengths, broken pairings. They never panic and accept exactly what an
//! oracle written here from the clause accepts.

use assetpin::lock::lockfile::entry::{is_commit_id, is_digest, valid_rel_path};
use assetpin::lock::lockfile::{valid_digests, valid_manifest};
use proptest::prelude::*;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

// -------------------------------------------------------------------- oracle

/// L9's path rule, as the reference documents it: a non-empty relative
/// POSIX path with no leading `/`, no backslash, no NUL, and no empty, `.`
/// or `..` segment (so it always names something strictly below dest).
fn oracle_path(p: &str) -> bool {
    if p.is_empty() || p.starts_with('/') || p.ends_with('/') {
        return false;
    }
    if p.chars().any(|c| c == '\\' || c == '\0') {
        return false;
    }
    if p.contains("//") {
        return false;
    }
    for seg in p.split('/') {
        if seg == "." || seg == ".." {
            return false;
        }
    }
    true
}

fn lower_hex(s: &str, len: usize) -> bool {
    s.chars().count() == len
        && s.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

fn oracle_manifest(e: &Map<String, Value>) -> Option<Vec<String>> {
    let (Some(Value::String(wc)), Some(Value::String(fc))) =
        (e.get("wiki_commit"), e.get("files_commit"))
    else {
        return None;
    };
    if wc != fc {
        return None;
    }
    let Some(Value::Array(files)) = e.get("files") else {
        return None;
    };
    let mut out = Vec::new();
    for f in files {
        match f {
            Value::String(s) if oracle_path(s) => out.push(s.clone()),
            _ => return None,
        }
    }
    Some(out)
}

fn oracle_digests(e: &Map<String, Value>) -> Option<BTreeMap<String, String>> {
    let (Some(Value::String(at)), Some(Value::String(dat))) =
        (e.get("installed_at"), e.get("digests_installed_at"))
    else {
        return None;
    };
    if at != dat {
        return None;
    }
    let Some(Value::Object(d)) = e.get("digests") else {
        return None;
    };
    let mut out = BTreeMap::new();
    for (k, v) in d {
        match v {
            Value::String(s) if oracle_path(k) && lower_hex(s, 64) => {
                out.insert(k.clone(), s.clone());
            }
            _ => return None,
        }
    }
    Some(out)
}

// ---------------------------------------------------------------- strategies

/// Paths near the edges of the rule.
pub fn arb_path() -> impl Strategy<Value = String> {
    let seg = prop_oneof![
        4 => "[a-z]{1,3}",
        1 => Just("..".to_owned()),
        1 => Just(".".to_owned()),
        1 => Just(String::new()),
        1 => Just("..a".to_owned()),
        1 => Just(".x".to_owned()),
        1 => Just("a\\b".to_owned()),
        1 => Just("a\0".to_owned()),
        1 => Just("é".to_owned()),
    ];
    prop_oneof![
        6 => (any::<bool>(), proptest::collection::vec(seg, 1..4)).prop_map(|(lead, segs)| {
            let p = segs.join("/");
            if lead { format!("/{p}") } else { p }
        }),
        1 => any::<String>(),
        1 => "[./\\\\a]{0,5}",
    ]
}

/// Hex-ish strings around the lengths 40 and 64.
fn arb_hexish(len: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::string::string_regex(&format!("[0-9a-f]{{{len}}}")).unwrap(),
        1 => proptest::string::string_regex(&format!("[0-9a-f]{{{}}}", len - 1)).unwrap(),
        1 => proptest::string::string_regex(&format!("[0-9a-f]{{{}}}", len + 1)).unwrap(),
        1 => proptest::string::string_regex(&format!("[0-9a-fA-G]{{{len}}}")).unwrap(),
        1 => proptest::string::string_regex(&format!("[0-9a-fé]{{{}}}", len - 1)).unwrap(),
        1 => "[0-9a-z]{0,70}",
    ]
}

fn arb_junk() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        Just(Value::Array(vec![])),
        Just(Value::Object(Map::new())),
    ]
}

/// An entry whose keys are present or absent, well or badly typed, and
/// paired or not.
pub fn arb_entry() -> impl Strategy<Value = Map<String, Value>> {
    let commit = || arb_hexish(40).prop_map(Value::from);
    let stamp = proptest::sample::select(vec!["t1", "t2", "2024-01-02T03:04:05.000000Z"])
        .prop_map(Value::from);
    let files = prop_oneof![
        4 => proptest::collection::vec(arb_path().prop_map(Value::from), 0..4).prop_map(Value::Array),
        1 => proptest::collection::vec(arb_junk(), 1..3).prop_map(Value::Array),
        1 => arb_junk(),
    ];
    let digests = prop_oneof![
        4 => proptest::collection::vec((arb_path(), arb_hexish(64).prop_map(Value::from)), 0..4)
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        1 => proptest::collection::vec(("[a-z]{1,3}", arb_junk()), 1..3)
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        1 => arb_junk(),
    ];
    let opt = |s: BoxedStrategy<Value>| prop_oneof![6 => s.prop_map(Some), 1 => arb_junk().prop_map(Some), 1 => Just(None)];
    (
        opt(commit().boxed()),
        // files_commit: often the same as wiki_commit.
        prop_oneof![3 => Just(None), 3 => opt(commit().boxed()).prop_map(|v| v.map(|v| (v, false))), 4 => Just(Some((Value::Null, true)))],
        opt(files.boxed()),
        opt(stamp.clone().boxed()),
        prop_oneof![3 => opt(stamp.boxed()).prop_map(|v| v.map(|v| (v, false))), 4 => Just(Some((Value::Null, true)))],
        opt(digests.boxed()),
        proptest::collection::vec(("[a-z_]{1,8}", arb_junk()), 0..2),
    )
        .prop_map(|(wc, fc, files, at, dat, digests, extra)| {
            let mut m = Map::new();
            if let Some(v) = &wc {
                m.insert("wiki_commit".into(), v.clone());
            }
            match fc {
                Some((_, true)) => {
                    if let Some(v) = wc {
                        m.insert("files_commit".into(), v);
                    }
                }
                Some((v, false)) => {
                    m.insert("files_commit".into(), v);
                }
                None => {}
            }
            if let Some(v) = files {
                m.insert("files".into(), v);
            }
            if let Some(v) = &at {
                m.insert("installed_at".into(), v.clone());
            }
            match dat {
                Some((_, true)) => {
                    if let Some(v) = at {
                        m.insert("digests_installed_at".into(), v);
                    }
                }
                Some((v, false)) => {
                    m.insert("digests_installed_at".into(), v);
                }
                None => {}
            }
            if let Some(v) = digests {
                m.insert("digests".into(), v);
            }
            for (k, v) in extra {
                m.entry(k).or_insert(v);
            }
            m
        })
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(crate::config(1024))]

    /// L9: the manifest and the digests count exactly when the oracle says
    /// so, with the same contents; anything else degrades to "none" without
    /// a panic.
    #[test]
    fn l9_validators_match_oracle(e in arb_entry()) {
        prop_assert_eq!(valid_manifest(&e), oracle_manifest(&e), "entry {:?}", e);
        prop_assert_eq!(valid_digests(&e), oracle_digests(&e), "entry {:?}", e);
    }

    /// L9: the path rule accepts exactly the oracle's paths.
    #[test]
    fn l9_path_rule_matches_oracle(p in arb_path()) {
        prop_assert_eq!(valid_rel_path(&p), oracle_path(&p), "path {:?}", p);
    }

    /// L2: pins are 40 and digests 64 lowercase hex characters, nothing
    /// else.
    #[test]
    fn l2_hex_shapes_match_oracle(s in prop_oneof![arb_hexish(40), arb_hexish(64)]) {
        prop_assert_eq!(is_commit_id(&s), lower_hex(&s, 40), "{:?}", s);
        prop_assert_eq!(is_digest(&s), lower_hex(&s, 64), "{:?}", s);
    }
}

/// The generator reaches both sides of every validator (otherwise the
/// properties above could pass vacuously).
#[test]
fn l9_generator_reaches_both_outcomes() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut m, mut d, mut p) = ([0; 2], [0; 2], [0; 2]);
    for _ in 0..2000 {
        let e = arb_entry().new_tree(&mut runner).unwrap().current();
        m[usize::from(oracle_manifest(&e).is_some())] += 1;
        d[usize::from(oracle_digests(&e).is_some())] += 1;
        let path = arb_path().new_tree(&mut runner).unwrap().current();
        p[usize::from(oracle_path(&path))] += 1;
    }
    for (what, c) in [("manifest", m), ("digests", d), ("path", p)] {
        assert!(c[0] > 100 && c[1] > 100, "{what}: {c:?}");
    }
}
