//! The properties the lockfile fuzz target checks on arbitrary bytes, also
//! run over the seed corpus and every saved crash by
//! `tests/props/fuzz_corpus.rs` (so a crash, once saved under
//! `fuzz/regressions/lockfile/`, is a regression test). Panics on a
//! violation.
//!
//! 1. Differential against serde_json: the tolerant loader accepts exactly
//!    the UTF-8 texts serde_json parses as an object; the strict loader
//!    accepts a subset of them (version 1, sections objects).
//! 2. The in-place splice (`splice::locate`) accepts only documents the
//!    strict loader accepts and that are byte-for-byte canonical, and its
//!    upsert writes the same bytes as the full path (L8).
//! 3. Every document written reads back as the same document, and writing
//!    it again gives the same bytes (L8).
//! 4. With the Python oracle (the peer's own `json.loads` / `json.dumps(...,
//!    indent=2, ensure_ascii=False)`): the peer reads what we write and
//!    writes back the same bytes, and writes for the input exactly what we
//!    write, except where the contract's L8 sharpening parts (a number
//!    beyond a double, which Python writes as `Infinity`).

use assetpin::AssetType;
use assetpin::lock::lockfile::{self, EntryWrite, splice};
use serde_json::Value;
use std::io::{Read, Write};
use std::sync::Mutex;

/// The Python oracle: a long-lived `python3` speaking length-prefixed
/// frames, or why there is none.
struct Oracle {
    child: std::process::Child,
}

const PY: &str = r#"
import sys, json, struct
i, o = sys.stdin.buffer, sys.stdout.buffer
while True:
    h = i.read(4)
    if len(h) < 4:
        break
    b = i.read(struct.unpack('>I', h)[0])
    try:
        out = b'\x00' + json.dumps(json.loads(b.decode('utf-8')), indent=2, ensure_ascii=False).encode('utf-8')
    except Exception as e:
        out = b'\x01' + repr(e).encode('utf-8', 'replace')
    o.write(struct.pack('>I', len(out)) + out)
    o.flush()
"#;

static ORACLE: Mutex<Option<Result<Oracle, String>>> = Mutex::new(None);

/// The Python program: `$ASSETPIN_FUZZ_PYTHON`, else `python3`; `off`
/// disables the oracle.
fn python() -> Option<String> {
    match std::env::var("ASSETPIN_FUZZ_PYTHON") {
        Ok(p) if p == "off" => None,
        Ok(p) => Some(p),
        Err(_) => Some("python3".into()),
    }
}

/// Whether the oracle runs here (prints why not, once).
pub fn oracle_available() -> bool {
    with_oracle(|_| Some(())).is_some()
}

fn with_oracle<T>(f: impl FnOnce(&mut Oracle) -> Option<T>) -> Option<T> {
    let mut g = ORACLE.lock().unwrap_or_else(|e| e.into_inner());
    if g.is_none() {
        let started = match python() {
            None => Err("ASSETPIN_FUZZ_PYTHON=off".to_owned()),
            Some(p) => std::process::Command::new(&p)
                .args(["-c", PY])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .map(|child| Oracle { child })
                .map_err(|e| format!("{p}: {e}")),
        };
        if let Err(e) = &started {
            eprintln!("note: the Python json oracle is off ({e}); property 4 is skipped");
        }
        *g = Some(started);
    }
    match g.as_mut() {
        Some(Ok(o)) => f(o),
        _ => None,
    }
}

/// Python's `json.dumps(json.loads(text), indent=2, ensure_ascii=False)`
/// of `bytes`: `Some(Ok(out))`, `Some(Err(exception))`, or `None` without
/// the oracle.
pub fn python_rewrite(bytes: &[u8]) -> Option<Result<Vec<u8>, String>> {
    with_oracle(|o| {
        let stdin = o.child.stdin.as_mut()?;
        stdin.write_all(&(bytes.len() as u32).to_be_bytes()).ok()?;
        stdin.write_all(bytes).ok()?;
        stdin.flush().ok()?;
        let stdout = o.child.stdout.as_mut()?;
        let mut h = [0u8; 4];
        stdout.read_exact(&mut h).ok()?;
        let mut out = vec![0u8; u32::from_be_bytes(h) as usize];
        stdout.read_exact(&mut out).ok()?;
        let (tag, body) = out.split_first()?;
        Some(if *tag == 0 {
            Ok(body.to_vec())
        } else {
            Err(String::from_utf8_lossy(body).into_owned())
        })
    })
}

fn write_for(name: &str) -> EntryWrite {
    EntryWrite {
        wiki_commit: "ab".repeat(20),
        installed_at: "2026-12-02T01:02:03.000004Z".into(),
        files: vec!["SKILL.md".into(), format!("{name}/x.md")],
        digests: Some(
            [("SKILL.md".to_owned(), "cd".repeat(32))]
                .into_iter()
                .collect(),
        ),
    }
}

/// Python spells a number beyond a double `Infinity`, which the contract's
/// L8 sharpening refuses to write.
fn python_parts_by_design(py: &[u8]) -> bool {
    let s = String::from_utf8_lossy(py);
    s.contains("Infinity") || s.contains("NaN")
}

/// The same JSON document, numbers compared by value (L8 respells them
/// as Python does: `1E5` is written `100000.0`, `-0` is written `0`), keys
/// in the same order.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let int = |n: &serde_json::Number| {
                let t = n.to_string();
                let digits = t.strip_prefix('-').unwrap_or(&t);
                digits.bytes().all(|c| c.is_ascii_digit()).then(|| {
                    if digits.bytes().all(|c| c == b'0') {
                        "0".to_owned()
                    } else {
                        t.clone()
                    }
                })
            };
            match (int(x), int(y)) {
                (Some(i), Some(j)) => i == j,
                _ => x.as_f64() == y.as_f64(),
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k, p), (l, q))| k == l && same_value(p, q))
        }
        _ => a == b,
    }
}

/// How many arrays and objects nest in `v`, `v` included.
fn levels(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(levels).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(levels).max().unwrap_or(0),
        _ => 0,
    }
}

/// Checks every property on `data` (see the module documentation).
pub fn check_lockfile_bytes(data: &[u8]) {
    let text = std::str::from_utf8(data).ok();
    // serde_json without its recursion limit, bounded as the lockfile
    // reader is (lockfile::MAX_NESTING, measured on the parsed value).
    let serde_obj = text
        .and_then(|t| {
            let mut de = serde_json::Deserializer::from_str(t);
            de.disable_recursion_limit();
            let v = <Value as serde::Deserialize>::deserialize(&mut de).ok()?;
            de.end().ok().map(|()| v)
        })
        .filter(|v| v.is_object() && levels(v) <= lockfile::MAX_NESTING);
    let tolerant = lockfile::parse_tolerant(Some(data), "fuzz");
    let strict = lockfile::parse_strict(Some(data), "fuzz");
    // 1. The differential.
    assert_eq!(
        tolerant.is_ok(),
        serde_obj.is_some(),
        "the tolerant loader and serde_json disagree on {data:?}"
    );
    if strict.is_ok() {
        assert!(tolerant.is_ok(), "strict accepts what tolerant refuses");
    }
    let mut names = vec!["a".to_owned()];
    if let Ok(doc) = &strict
        && let Some(Value::Object(sk)) = doc.get("skills")
        && let Some(first) = sk.keys().next()
    {
        names.push(first.clone());
    }
    for name in &names {
        let located = splice::locate(data, AssetType::Skill, name);
        // 2. The splice only where the full path agrees.
        let Some(located) = located else { continue };
        let doc = strict
            .as_ref()
            .unwrap_or_else(|e| panic!("splice accepts what the strict loader refuses: {e:?}"));
        assert_eq!(
            lockfile::serialize(doc),
            data,
            "splice accepted bytes that are not canonical"
        );
        let mut full = doc.clone();
        let w = write_for(name);
        lockfile::upsert(&mut full, AssetType::Skill, name, &w);
        assert_eq!(
            located.upsert(&w),
            lockfile::serialize(&full),
            "splice and the full path write different bytes for {name:?}"
        );
    }
    let Ok(doc) = strict else { return };
    // 3. Read back, written again.
    let written = lockfile::serialize(&doc);
    let back = lockfile::parse_strict(Some(&written), "fuzz")
        .unwrap_or_else(|e| panic!("we refuse what we wrote: {e:?}"));
    assert!(
        same_value(&Value::Object(back.clone()), &Value::Object(doc.clone())),
        "the document changed through a write: {doc:?} became {back:?}"
    );
    assert_eq!(
        lockfile::serialize(&back),
        written,
        "a second write differs"
    );
    // 4. The peer's reading and writing.
    if let Some(Ok(py)) = python_rewrite(&written)
        && !python_parts_by_design(&py)
    {
        assert_eq!(
            String::from_utf8_lossy(&py),
            String::from_utf8_lossy(&written),
            "the peer rewrites what we wrote differently"
        );
    }
    if let Some(Ok(py)) = python_rewrite(data)
        && !python_parts_by_design(&py)
    {
        assert_eq!(
            String::from_utf8_lossy(&py),
            String::from_utf8_lossy(&written),
            "the peer writes this document differently from us"
        );
    }
}
