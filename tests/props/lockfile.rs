//! The lockfile document: unknown keys survive every write (L3), the
//! writer owns the digest keys (L10), bytes equal Python's `json.dumps(doc,
//! indent=2, ensure_ascii=False)` (L8), and upserts form a sensible algebra
//! (L2: distinct keys commute, the same write twice is a no-op).

use assetpin::AssetType;
use assetpin::lock::lockfile::{self, Document, EntryWrite};
use proptest::prelude::*;
use serde_json::{Map, Value};
use std::io::Write;
use std::process::{Command, Stdio};

// ---------------------------------------------------------------- strategies

/// Strings with arbitrary Unicode scalar values (Rust has no lone
/// surrogates), with control characters, quotes, backslashes, U+007F and
/// the JavaScript line separators over-represented.
pub fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-c]{0,3}",
        2 => "[\\x00-\\x1f\"\\\\\\x7f\u{2028}\u{2029}é/€😀a]{0,6}",
        2 => any::<String>(),
        1 => proptest::collection::vec(any::<char>(), 0..5).prop_map(|v| v.into_iter().collect()),
    ]
}

/// Integers as JSON numbers, including ones beyond 64 bits (kept exactly
/// by `arbitrary_precision`; Python ints are unbounded too).
fn arb_int() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        "-?[1-9][0-9]{19,40}".prop_map(|s| serde_json::from_str(&s).expect("an integer literal")),
        Just(Value::from(0)),
    ]
}

/// Floats whose 17-digit spellings tie: `m + 0.25` for `2^50 <= m < 2^51`
/// lies exactly halfway between two shortest round-tripping spellings
/// (Python picks half to even; CI found `...709.2` written as `...709.3`).
fn arb_tie_float() -> impl Strategy<Value = f64> {
    (
        (1u64 << 50)..(1u64 << 51),
        prop_oneof![Just(0.25), Just(0.75)],
    )
        .prop_map(|(m, frac)| m as f64 + frac)
}

/// Finite floats. Their text is whatever `serde_json` picks; documents
/// holding them are compared through Python (see [`python_dumps`]).
fn arb_float() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        arb_tie_float(),
        (-1.0e6f64..1.0e6),
        Just(0.1f64),
        Just(-0.0f64),
        Just(1.0e16f64),
        Just(1.5e-7f64),
    ]
    .prop_map(Value::from)
}

/// Any JSON value; `floats` says whether floats may appear.
pub fn arb_value(floats: bool) -> BoxedStrategy<Value> {
    let leaf = if floats {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            arb_int(),
            arb_float(),
            arb_string().prop_map(Value::String),
        ]
        .boxed()
    } else {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            arb_int(),
            arb_string().prop_map(Value::String),
        ]
        .boxed()
    };
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((arb_string(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Keys the reference knows inside an entry.
pub const ENTRY_KEYS: [&str; 6] = [
    "wiki_commit",
    "installed_at",
    "files",
    "files_commit",
    "digests",
    "digests_installed_at",
];

/// Names used both in generated documents and in operations, so that
/// operations hit existing entries often.
pub const NAMES: [&str; 4] = ["a", "b", "x.y", "é"];

fn arb_known_value(key: &'static str, floats: bool) -> BoxedStrategy<Value> {
    match key {
        "files" => prop_oneof![
            proptest::collection::vec("[a-z./]{1,6}".prop_map(Value::from), 0..3)
                .prop_map(Value::Array),
            arb_value(floats),
        ]
        .boxed(),
        "digests" => prop_oneof![
            proptest::collection::vec(("[a-z]{1,3}", "[0-9a-f]{64}".prop_map(Value::from)), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            arb_value(floats),
        ]
        .boxed(),
        _ => prop_oneof![
            "[0-9a-f]{40}".prop_map(Value::from),
            Just(Value::from("2024-01-02T03:04:05.000000Z")),
            arb_value(floats),
        ]
        .boxed(),
    }
}

/// An entry: some known keys (with values of any type) and unknown keys,
/// in random order; sometimes not an object at all.
pub fn arb_entry(floats: bool) -> BoxedStrategy<Value> {
    let known = proptest::sample::subsequence(ENTRY_KEYS.to_vec(), 0..=ENTRY_KEYS.len())
        .prop_flat_map(move |keys| {
            keys.into_iter()
                .map(|k| arb_known_value(k, floats).prop_map(move |v| (k.to_owned(), v)))
                .collect::<Vec<_>>()
        });
    let unknown = proptest::collection::vec((arb_string(), arb_value(floats)), 0..3);
    prop_oneof![
        6 => (known, unknown)
            .prop_flat_map(|(mut k, u)| {
                k.extend(u);
                Just(k).prop_shuffle()
            })
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        1 => arb_value(floats),
    ]
    .boxed()
}

fn arb_section(floats: bool) -> BoxedStrategy<Value> {
    let name = prop_oneof![
        3 => proptest::sample::select(NAMES.to_vec()).prop_map(str::to_owned),
        1 => arb_string(),
    ];
    proptest::collection::vec((name, arb_entry(floats)), 0..4)
        .prop_map(|kv| Value::Object(kv.into_iter().collect()))
        .boxed()
}

/// A lockfile document: `"version": 1`, some sections (always objects, so
/// the strict loader accepts it) and unknown top-level keys, in random
/// order.
pub fn arb_doc(floats: bool) -> BoxedStrategy<Document> {
    let sections = proptest::sample::subsequence(vec!["skills", "agents", "commands"], 0..=3)
        .prop_flat_map(move |names| {
            names
                .into_iter()
                .map(|n| arb_section(floats).prop_map(move |s| (n.to_owned(), s)))
                .collect::<Vec<_>>()
        });
    let unknown = proptest::collection::vec(
        (
            arb_string().prop_filter("not a known top-level key", |k| {
                !matches!(k.as_str(), "version" | "skills" | "agents" | "commands")
            }),
            arb_value(floats),
        ),
        0..4,
    );
    (sections, unknown)
        .prop_flat_map(|(mut kv, u)| {
            kv.push(("version".to_owned(), Value::from(1)));
            kv.extend(u);
            Just(kv).prop_shuffle()
        })
        .prop_map(|kv| kv.into_iter().collect())
        .boxed()
}

fn arb_type() -> impl Strategy<Value = AssetType> {
    proptest::sample::select(AssetType::ALL.to_vec())
}

fn arb_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(NAMES.to_vec()).prop_map(str::to_owned),
        1 => "[a-z]{1,4}",
    ]
}

/// What an install or update writes.
pub fn arb_write() -> impl Strategy<Value = EntryWrite> {
    (
        "[0-9a-f]{40}",
        prop_oneof![
            Just("2024-01-02T03:04:05.000000Z".to_owned()),
            "20[0-9]{2}-0[1-9]-1[0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\\.[0-9]{6}Z"
        ],
        proptest::collection::vec("[a-z]{1,3}(/[a-z]{1,3})?", 0..4),
        proptest::option::of(proptest::collection::btree_map(
            "[a-z]{1,3}",
            "[0-9a-f]{64}",
            0..3,
        )),
    )
        .prop_map(|(wiki_commit, installed_at, mut files, digests)| {
            files.sort();
            files.dedup();
            EntryWrite {
                wiki_commit,
                installed_at,
                files,
                digests,
            }
        })
}

// -------------------------------------------------------------------- oracle

/// The document as nested lists of pairs, so the oracle never relies on
/// the map type's insertion semantics.
type Pairs = Vec<(String, Value)>;

fn pairs(m: &Map<String, Value>) -> Pairs {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn unpairs(p: Pairs) -> Map<String, Value> {
    let mut m = Map::new();
    for (k, v) in p {
        assert!(m.insert(k, v).is_none(), "oracle produced a duplicate key");
    }
    m
}

/// Sets `key` in place when present, else appends it (L3).
fn set(p: &mut Pairs, key: &str, v: Value) {
    match p.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = v,
        None => p.push((key.to_owned(), v)),
    }
}

fn unset(p: &mut Pairs, key: &str) {
    p.retain(|(k, _)| k != key);
}

/// The entry L2 says a write leaves, starting from `old` (L3, L10).
fn oracle_entry(old: Option<&Value>, w: &EntryWrite) -> Value {
    let mut p = match old {
        Some(Value::Object(m)) => pairs(m),
        _ => Vec::new(),
    };
    set(&mut p, "wiki_commit", Value::from(w.wiki_commit.as_str()));
    set(&mut p, "installed_at", Value::from(w.installed_at.as_str()));
    set(
        &mut p,
        "files",
        Value::Array(w.files.iter().map(|f| Value::from(f.as_str())).collect()),
    );
    set(&mut p, "files_commit", Value::from(w.wiki_commit.as_str()));
    match &w.digests {
        Some(d) => {
            let mut dp = Vec::new();
            for (k, v) in d {
                dp.push((k.clone(), Value::from(v.as_str())));
            }
            set(&mut p, "digests", Value::Object(unpairs(dp)));
            set(
                &mut p,
                "digests_installed_at",
                Value::from(w.installed_at.as_str()),
            );
        }
        None => {
            unset(&mut p, "digests");
            unset(&mut p, "digests_installed_at");
        }
    }
    Value::Object(unpairs(p))
}

fn oracle_upsert(doc: &Document, ty: AssetType, name: &str, w: &EntryWrite) -> Document {
    let mut top = pairs(doc);
    let mut sec = match top.iter().find(|(k, _)| k == ty.section()) {
        Some((_, Value::Object(m))) => pairs(m),
        _ => Vec::new(),
    };
    let old = sec.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    set(&mut sec, name, oracle_entry(old.as_ref(), w));
    set(&mut top, ty.section(), Value::Object(unpairs(sec)));
    unpairs(top)
}

fn oracle_remove(doc: &Document, ty: AssetType, name: &str) -> (Document, bool) {
    let mut top = pairs(doc);
    let mut removed = false;
    for (k, v) in top.iter_mut() {
        if k == ty.section()
            && let Value::Object(m) = v
        {
            let mut sec = pairs(m);
            let before = sec.len();
            unset(&mut sec, name);
            removed = sec.len() != before;
            *m = unpairs(sec);
        }
    }
    (unpairs(top), removed)
}

/// Order-sensitive text of a document (map equality ignores order).
fn text(doc: &Document) -> String {
    serde_json::to_string(doc).expect("a document serializes")
}

// -------------------------------------------------------------------- python

const PY_DUMPS: &str = r#"
import json, sys
lines = sys.stdin.buffer.read().decode("utf-8").split("\n")
out = [json.dumps(json.loads(l), indent=2, ensure_ascii=False) for l in lines if l]
sys.stdout.buffer.write("\0".join(out).encode("utf-8"))
"#;

/// `json.dumps(json.loads(doc), indent=2, ensure_ascii=False)` for each
/// document, in one `python3` process.
pub fn python_dumps(docs: &[Document]) -> Vec<Vec<u8>> {
    let mut input = String::new();
    for d in docs {
        // Compact JSON never holds a raw newline: one document per line.
        input.push_str(&text(d));
        input.push('\n');
    }
    let mut child = Command::new("python3")
        .args(["-c", PY_DUMPS])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is needed for the L8 differential check");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parts: Vec<Vec<u8>> = if docs.is_empty() {
        Vec::new()
    } else {
        out.stdout.split(|b| *b == 0).map(<[u8]>::to_vec).collect()
    };
    assert_eq!(parts.len(), docs.len(), "one output per document");
    parts
}

const PY_REPR: &str = r#"
import struct, sys
for line in sys.stdin.read().split():
    print(repr(struct.unpack("<d", bytes.fromhex(line))[0]))
"#;

/// Python's `repr(float)` of each float (passed bit-exact as hex).
fn python_reprs(fs: &[f64]) -> Vec<String> {
    let input: String = fs
        .iter()
        .map(|f| format!("{}\n", hex(&f.to_le_bytes())))
        .collect();
    let mut child = Command::new("python3")
        .args(["-c", PY_REPR])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is needed for the L8 differential check");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python3 failed");
    let text = String::from_utf8(out.stdout).unwrap();
    let reprs: Vec<String> = text.lines().map(str::to_owned).collect();
    assert_eq!(reprs.len(), fs.len(), "one repr per float");
    reprs
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(crate::config(64))]

    /// L8: for documents of integers, strings, booleans, nulls, arrays and
    /// objects, the reference's bytes are Python's `json.dumps(doc,
    /// indent=2, ensure_ascii=False)` (what the peer writes).
    #[test]
    fn l8_bytes_equal_python_json_dumps(docs in proptest::collection::vec(arb_doc(false), 1..8)) {
        let py = python_dumps(&docs);
        for (doc, want) in docs.iter().zip(&py) {
            let got = lockfile::serialize(doc);
            prop_assert!(got == *want, "reference:\n{}\npython:\n{}", show(&got), show(want));
        }
    }

    /// L8, L3: a document Python wrote (floats in Python's `repr` form
    /// included) loads and writes back byte for byte, through the strict
    /// (writer) and the tolerant (reader) loaders.
    #[test]
    fn l8_l3_python_written_documents_round_trip(docs in proptest::collection::vec(arb_doc(true), 1..8)) {
        let py = python_dumps(&docs);
        for want in &py {
            let strict = lockfile::parse_strict(Some(want), "lock.json")
                .map_err(|e| TestCaseError::fail(format!("{e}: {}", show(want))))?;
            let got = lockfile::serialize(&strict);
            prop_assert!(got == *want, "reference:\n{}\npython:\n{}", show(&got), show(want));
            let tolerant = lockfile::parse_tolerant(Some(want), "lock.json")
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(lockfile::serialize(&tolerant.doc), want.clone());
        }
    }
}

proptest! {
    #![proptest_config(crate::config(32))]

    /// L8: every float is spelled as Python's `repr(float)`, exact ties
    /// between two shortest spellings included.
    #[test]
    fn l8_float_repr_matches_python(
        fs in proptest::collection::vec(
            prop_oneof![
                any::<f64>().prop_filter("finite", |f| f.is_finite()),
                arb_tie_float(),
                -1.0e20f64..1.0e20,
            ],
            1..200,
        )
    ) {
        let py = python_reprs(&fs);
        for (f, want) in fs.iter().zip(&py) {
            let got = lockfile::pyjson::python_float_repr(*f);
            prop_assert!(got == *want, "{:?} ({:016x}): reference {got}, python {want}", f, f.to_bits());
        }
    }
}

proptest! {
    #![proptest_config(crate::config(256))]

    /// L3, L8: load then write is the identity on written documents: the
    /// reference's bytes load and write back unchanged, and without floats
    /// a document's first writing is already that fixed point. (Floats are
    /// kept but their exponent is spelled as Python does, `1e-07`, per the
    /// project's L3 sharpening; Python-written floats are checked above.)
    /// Writing is 2-space indented with no trailing newline.
    #[test]
    fn l3_load_write_identity(doc in arb_doc(true), plain in arb_doc(false)) {
        let first = lockfile::serialize(&doc);
        prop_assert!(!first.ends_with(b"\n"));
        let loaded = lockfile::parse_strict(Some(&first), "lock.json")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let second = lockfile::serialize(&loaded);
        let again = lockfile::parse_strict(Some(&second), "lock.json")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(lockfile::serialize(&again) == second, "not a fixed point:\n{}", show(&second));

        let bytes = lockfile::serialize(&plain);
        let back = lockfile::parse_strict(Some(&bytes), "lock.json")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(text(&back), text(&plain));
        prop_assert_eq!(lockfile::serialize(&back), bytes);
    }

    /// L2, L3, L10: an upsert sets exactly the written keys of its own
    /// entry (existing keys keep their place, new ones are appended, the
    /// digest keys go when the write has none) and keeps every other key,
    /// value and order, at every level; a missing section is appended.
    #[test]
    fn l3_l10_upsert_keeps_everything_else(
        doc in arb_doc(false), ty in arb_type(), name in arb_name(), w in arb_write()
    ) {
        let want = oracle_upsert(&doc, ty, &name, &w);
        let mut got = doc.clone();
        lockfile::upsert(&mut got, ty, &name, &w);
        prop_assert_eq!(text(&got), text(&want));
        // Through the bytes too: what is written is what was meant.
        let reread = lockfile::parse_strict(Some(&lockfile::serialize(&got)), "t")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(text(&reread), text(&want));
    }

    /// L3: removing an entry removes that key only, and says whether it
    /// was there.
    #[test]
    fn l3_remove_keeps_everything_else(doc in arb_doc(false), ty in arb_type(), name in arb_name()) {
        let (want, was_there) = oracle_remove(&doc, ty, &name);
        let mut got = doc.clone();
        let removed = lockfile::remove(&mut got, ty, &name);
        prop_assert_eq!(removed, was_there);
        prop_assert_eq!(text(&got), text(&want));
    }

    /// L2, K5: upserts of distinct assets commute: the same entries either
    /// way (only the order of newly appended keys may differ), and the same
    /// bytes when both entries already existed.
    #[test]
    fn l2_distinct_upserts_commute(
        doc in arb_doc(false),
        a in (arb_type(), arb_name(), arb_write()),
        b in (arb_type(), arb_name(), arb_write()),
    ) {
        prop_assume!((a.0, &a.1) != (b.0, &b.1));
        let mut ab = doc.clone();
        lockfile::upsert(&mut ab, a.0, &a.1, &a.2);
        lockfile::upsert(&mut ab, b.0, &b.1, &b.2);
        let mut ba = doc.clone();
        lockfile::upsert(&mut ba, b.0, &b.1, &b.2);
        lockfile::upsert(&mut ba, a.0, &a.1, &a.2);
        // Map equality ignores order.
        prop_assert_eq!(&ab, &ba);
        prop_assert_eq!(lockfile::get(&ab, a.0, &a.1), Some(&oracle_entry(lockfile::get(&doc, a.0, &a.1), &a.2)));
        let existed = |t: AssetType, n: &str| {
            lockfile::get(&doc, t, n).is_some_and(Value::is_object)
        };
        if existed(a.0, &a.1) && existed(b.0, &b.1) {
            prop_assert_eq!(lockfile::serialize(&ab), lockfile::serialize(&ba));
        }
    }

    /// L2, L3: an upsert is idempotent: the same write again changes no
    /// byte, and a write that differs only in `installed_at` changes only
    /// `installed_at` and `digests_installed_at`.
    #[test]
    fn l2_upsert_idempotent_but_installed_at(
        doc in arb_doc(false), ty in arb_type(), name in arb_name(), w in arb_write(),
        later in "20[0-9]{2}-0[1-9]-2[0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\\.[0-9]{6}Z",
    ) {
        let mut once = doc.clone();
        lockfile::upsert(&mut once, ty, &name, &w);
        let mut twice = once.clone();
        lockfile::upsert(&mut twice, ty, &name, &w);
        prop_assert_eq!(lockfile::serialize(&twice), lockfile::serialize(&once));

        let w2 = EntryWrite { installed_at: later.clone(), ..w.clone() };
        let mut again = once.clone();
        lockfile::upsert(&mut again, ty, &name, &w2);
        let entry = lockfile::get(&again, ty, &name).and_then(Value::as_object).unwrap().clone();
        prop_assert_eq!(entry.get("installed_at"), Some(&Value::from(later.as_str())));
        if w.digests.is_some() {
            prop_assert_eq!(entry.get("digests_installed_at"), Some(&Value::from(later.as_str())));
        }
        // Put the first timestamps back: nothing else changed.
        let mut restored = again.clone();
        lockfile::upsert(&mut restored, ty, &name, &w);
        prop_assert_eq!(lockfile::serialize(&restored), lockfile::serialize(&once));
    }

    /// L8, L3, L5: the in-place upsert of `transact_upsert`
    /// (`lockfile::splice`) writes the same bytes as load + upsert +
    /// serialize, sees the same existing entry, and is taken for every
    /// canonical document except one whose entry is not an object (left to
    /// the full path); a document not in the canonical layout (compact, a
    /// trailing newline) never takes it.
    #[test]
    fn l8_splice_equals_rebuild(
        doc in arb_doc(false), floaty in arb_doc(true),
        ty in arb_type(), name in arb_name(), w in arb_write(),
    ) {
        // (the entry, the raw value under the name, the rebuilt bytes)
        type Rebuilt = (Option<Value>, Option<Value>, Vec<u8>);
        let rebuild = |bytes: &[u8]| -> Result<Rebuilt, TestCaseError> {
            let mut d = lockfile::parse_strict(Some(bytes), "t")
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let existing = lockfile::get(&d, ty, &name).cloned();
            // The value under the name, entry or not (only an object is one).
            let raw = d
                .get(ty.section())
                .and_then(Value::as_object)
                .and_then(|m| m.get(&name))
                .cloned();
            lockfile::upsert(&mut d, ty, &name, &w);
            Ok((existing, raw, lockfile::serialize(&d)))
        };
        let canonical = lockfile::serialize(&doc);
        let (existing, raw, want) = rebuild(&canonical)?;
        match lockfile::splice::locate(&canonical, ty, &name) {
            Some(loc) => {
                prop_assert_eq!(loc.existing(), existing.as_ref());
                let got = loc.upsert(&w);
                prop_assert!(got == want, "splice:\n{}\nrebuild:\n{}", show(&got), show(&want));
            }
            None => prop_assert!(
                raw.as_ref().is_some_and(|e| !e.is_object()),
                "canonical document not spliced:\n{}", show(&canonical)
            ),
        }
        let compact = serde_json::to_vec(&doc).unwrap();
        prop_assert!(lockfile::splice::locate(&compact, ty, &name).is_none());
        let mut newline = canonical.clone();
        newline.push(b'\n');
        prop_assert!(lockfile::splice::locate(&newline, ty, &name).is_none());
        // With floats the first writing may differ from Python's (see
        // l3_load_write_identity); from the second on, splice == rebuild.
        let second = lockfile::serialize(
            &lockfile::parse_strict(Some(&lockfile::serialize(&floaty)), "t")
                .map_err(|e| TestCaseError::fail(e.to_string()))?,
        );
        if let Some(loc) = lockfile::splice::locate(&second, ty, &name) {
            let (_, _, want) = rebuild(&second)?;
            prop_assert!(loc.upsert(&w) == want, "with floats:\n{}", show(&second));
        }
    }

    /// L5, L8: the in-place upsert is taken only for canonical bytes. A
    /// canonical document with one byte replaced, inserted or deleted
    /// (structural characters, whitespace, a letter, a stray UTF-8 lead
    /// byte) is either refused by `splice::locate` or still canonical:
    /// it parses, re-serializes to the same bytes, and the splice writes
    /// what the rebuild writes. So a document the scanner wrongly accepts
    /// cannot be written back unchecked.
    #[test]
    fn l5_l8_splice_accepts_only_canonical_bytes(
        doc in arb_doc(false), at in any::<prop::sample::Index>(), op in 0..3u8,
        byte in prop::sample::select(b" \t\nx\"\\,:{}[]01.e-\xc3".to_vec()),
        ty in arb_type(), name in arb_name(), w in arb_write(),
    ) {
        let mut bytes = lockfile::serialize(&doc);
        let i = at.index(bytes.len());
        match op {
            0 => bytes[i] = byte,
            1 => bytes.insert(i, byte),
            _ => { bytes.remove(i); }
        }
        if let Some(loc) = lockfile::splice::locate(&bytes, ty, &name) {
            let parsed = lockfile::parse_strict(Some(&bytes), "t").map_err(|e| {
                TestCaseError::fail(format!("accepted bytes that do not load ({e}):\n{}", show(&bytes)))
            })?;
            prop_assert!(
                lockfile::serialize(&parsed) == bytes,
                "accepted bytes that are not canonical:\n{}", show(&bytes)
            );
            let mut d = parsed;
            prop_assert_eq!(loc.existing(), lockfile::get(&d, ty, &name));
            lockfile::upsert(&mut d, ty, &name, &w);
            prop_assert!(loc.upsert(&w) == lockfile::serialize(&d), "{}", show(&bytes));
        }
    }

    /// L4, L1: a missing lockfile is `{"version": 1}` for writers and
    /// readers; the first upsert appends the section after `version`.
    #[test]
    fn l4_missing_is_version_one(ty in arb_type(), name in arb_name(), w in arb_write()) {
        let doc = lockfile::parse_strict(None, "lock.json").unwrap();
        prop_assert_eq!(lockfile::serialize(&doc), b"{\n  \"version\": 1\n}".to_vec());
        let view = lockfile::parse_tolerant(None, "lock.json").unwrap();
        prop_assert_eq!(view.version, Value::from(1));
        prop_assert_eq!(text(&view.doc), "{\"version\":1}");
        let mut d = doc;
        lockfile::upsert(&mut d, ty, &name, &w);
        let keys: Vec<&String> = d.keys().collect();
        prop_assert_eq!(keys, vec!["version", ty.section()]);
    }
}

/// The oracle's own sanity: a write into an existing entry keeps unknown
/// keys in place and drops stale digests when the write has none (L3, L10).
#[test]
fn l3_l10_oracle_examples() {
    let old: Value = serde_json::from_str(
        r#"{"x":1,"files":[],"digests":{"a":"b"},"digests_installed_at":"t","y":2}"#,
    )
    .unwrap();
    let w = EntryWrite {
        wiki_commit: "c".repeat(40),
        installed_at: "t2".into(),
        files: vec!["f".into()],
        digests: None,
    };
    let got = oracle_entry(Some(&old), &w);
    let keys: Vec<&String> = got.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        vec![
            "x",
            "files",
            "y",
            "wiki_commit",
            "installed_at",
            "files_commit"
        ]
    );
    let mut m = old.as_object().unwrap().clone();
    w.apply(&mut m);
    assert_eq!(text(&m), text(got.as_object().unwrap()));
}

/// The JSON type name an error message should report.
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

proptest! {
    #![proptest_config(crate::config(256))]

    /// L5, L6: the strict (writer) loader refuses a top-level value that is
    /// not an object and a section that is not an object with
    /// `lockfile-corrupt`, naming the type it found, and a `version` other
    /// than 1 with `lockfile-version`; the tolerant (reader) loader reports
    /// the version found (missing reads as 1).
    #[test]
    fn l5_l6_strict_loader_classifies(
        doc in arb_doc(false),
        top in arb_value(false),
        version in prop_oneof![
            Just(None),
            Just(Some(Value::from(1))),
            Just(Some(Value::from(2))),
            Just(Some(Value::from(0))),
            Just(Some(Value::from("1"))),
            arb_value(false).prop_map(Some),
        ],
        bad_section in proptest::option::of((
            proptest::sample::select(vec!["skills", "agents", "commands"]),
            arb_value(false).prop_filter("not an object", |v| !v.is_object()),
        )),
    ) {
        use assetpin::Kind;
        // Another top-level type.
        if !top.is_object() {
            let bytes = serde_json::to_vec(&top).unwrap();
            let e = lockfile::parse_strict(Some(&bytes), "lock.json").unwrap_err();
            prop_assert_eq!(e.kind, Kind::LockfileCorrupt);
            let needle = format!("JSON {}", json_type(&top));
            prop_assert!(e.message.contains(&needle), "{}", e.message);
            prop_assert_eq!(lockfile::parse_tolerant(Some(&bytes), "t").unwrap_err().kind, Kind::LockfileCorrupt);
        }
        // The version and the sections.
        let mut d = doc.clone();
        match &version {
            None => { d.shift_remove("version"); }
            Some(v) => { d.insert("version".into(), v.clone()); }
        }
        if let Some((sec, v)) = &bad_section {
            d.insert((*sec).into(), v.clone());
        }
        let bytes = lockfile::serialize(&d);
        let is_one = version.as_ref().is_none_or(|v| v.as_u64() == Some(1));
        let got = lockfile::parse_strict(Some(&bytes), "lock.json");
        match (is_one, &bad_section) {
            (false, _) => prop_assert_eq!(got.unwrap_err().kind, Kind::LockfileVersion),
            (true, Some((_, v))) => {
                let e = got.unwrap_err();
                prop_assert_eq!(e.kind, Kind::LockfileCorrupt);
                let needle = format!("JSON {}", json_type(v));
                prop_assert!(e.message.contains(&needle), "{}", e.message);
            }
            (true, None) => prop_assert_eq!(text(&got.unwrap()), text(&d)),
        }
        let view = lockfile::parse_tolerant(Some(&bytes), "lock.json").unwrap();
        prop_assert_eq!(view.version, version.unwrap_or(Value::from(1)));
        prop_assert_eq!(text(&view.doc), text(&d));
        // Invalid UTF-8 and invalid JSON are corrupt too.
        let mut broken = bytes.clone();
        broken.push(0xff);
        prop_assert_eq!(lockfile::parse_strict(Some(&broken), "t").unwrap_err().kind, Kind::LockfileCorrupt);
        prop_assert_eq!(lockfile::parse_strict(Some(&bytes[..bytes.len() - 1]), "t").unwrap_err().kind, Kind::LockfileCorrupt);
    }

    /// L1: `entries` yields exactly the object-valued entries of a section,
    /// in file order, and `get` the entry of a name when it is an object
    /// (any other value is no entry); missing sections yield nothing.
    #[test]
    fn l1_entries_and_get(doc in arb_doc(false), ty in arb_type(), name in arb_name()) {
        let want: Vec<(String, String)> = match doc.get(ty.section()) {
            Some(Value::Object(m)) => m
                .iter()
                .filter(|(_, v)| v.is_object())
                .map(|(k, v)| (k.clone(), serde_json::to_string(v).unwrap()))
                .collect(),
            _ => Vec::new(),
        };
        let got: Vec<(String, String)> = lockfile::entries(&doc, ty)
            .map(|(k, v)| (k.to_owned(), serde_json::to_string(v).unwrap()))
            .collect();
        prop_assert_eq!(got, want);
        let want_get = doc
            .get(ty.section())
            .and_then(|s| s.get(name.as_str()))
            .filter(|v| v.is_object());
        prop_assert_eq!(lockfile::get(&doc, ty, &name), want_get);
    }
}
