//! The fast path of an upsert (L3, L5, L6, L8): edit the lockfile's bytes
//! in place instead of parsing and re-serializing the whole document.
//!
//! When the bytes on disk are already exactly what [`super::serialize`]
//! writes for them (true whenever this crate or the peer wrote them), an
//! upsert changes one entry and leaves every other byte as it is. So
//! [`locate`] makes one validating pass over the bytes, checking that they
//! are in that canonical layout, and records where the entry of
//! `(type, name)` is; [`Located::upsert`] parses that one entry, applies the
//! write and splices it back. Anything outside the canonical layout that
//! this scanner does not prove (floats, `\u` escapes of printable
//! characters, duplicate keys, other whitespace, a trailing newline, a
//! version other than 1, a section that is not an object) makes
//! [`locate`] return `None`, and the caller takes the full path, which
//! also produces the L5/L6 errors. The bytes written are the same either
//! way: `tests/props/lockfile.rs` checks splice == rebuild.
//!
//! Cost: one pass over the document plus the entry, instead of building
//! and dropping a `serde_json::Value` tree of every key and string
//! (docs/perf-log/2026-11.md).

use super::{EntryWrite, pyjson::PyFormatter};
use crate::asset::AssetType;
use serde_json::{Map, Value};
use std::ops::Range;

/// Deeper nesting is left to serde_json (whose limit is 128), so this
/// scanner never accepts a document the full path would refuse.
const MAX_DEPTH: usize = 100;

/// Where `(type, name)` sits in a canonical document, from [`locate`].
#[derive(Debug)]
pub struct Located<'a> {
    text: &'a str,
    name: String,
    section: &'static str,
    place: Place,
    existing: Option<Value>,
}

/// Where the new entry's bytes go.
#[derive(Debug)]
enum Place {
    /// Replace the entry value at this byte range.
    Replace(Range<usize>),
    /// Insert `,\n    "name": {...}` at this offset (end of the section's
    /// last member).
    Append(usize),
    /// The section is `{}` at this range: replace it with a one-entry object.
    Fill(Range<usize>),
    /// No section yet: insert `,\n  "section": {...}` at this offset (end
    /// of the document's last member).
    NewSection(usize),
}

impl Located<'_> {
    /// The entry now stored for `(type, name)`, when there is one (always
    /// a JSON object on this path).
    pub fn existing(&self) -> Option<&Value> {
        self.existing.as_ref()
    }

    /// The document's bytes after upserting `write` (L2, L3, L10): the
    /// same bytes as `serialize` of `lockfile::upsert` on the parsed
    /// document.
    pub fn upsert(&self, write: &EntryWrite) -> Vec<u8> {
        let mut entry = match &self.existing {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        write.apply(&mut entry);
        // The entry sits at depth 2: every structural newline of its
        // depth-0 serialization gets 4 more spaces. Canonical strings
        // hold no raw newline (they are escaped), so every '\n' is
        // structural.
        let flat = serialize_value(&Value::Object(entry));
        let mut body = Vec::with_capacity(flat.len() + flat.len() / 8);
        for &b in &flat {
            body.push(b);
            if b == b'\n' {
                body.extend_from_slice(b"    ");
            }
        }
        let key = serialize_value(&Value::from(self.name.as_str()));
        let text = self.text.as_bytes();
        let mut out = Vec::with_capacity(text.len() + body.len() + 64);
        match &self.place {
            Place::Replace(r) => {
                out.extend_from_slice(&text[..r.start]);
                out.extend_from_slice(&body);
                out.extend_from_slice(&text[r.end..]);
            }
            Place::Append(at) => {
                out.extend_from_slice(&text[..*at]);
                out.extend_from_slice(b",\n    ");
                out.extend_from_slice(&key);
                out.extend_from_slice(b": ");
                out.extend_from_slice(&body);
                out.extend_from_slice(&text[*at..]);
            }
            Place::Fill(r) => {
                out.extend_from_slice(&text[..r.start]);
                out.extend_from_slice(b"{\n    ");
                out.extend_from_slice(&key);
                out.extend_from_slice(b": ");
                out.extend_from_slice(&body);
                out.extend_from_slice(b"\n  }");
                out.extend_from_slice(&text[r.end..]);
            }
            Place::NewSection(at) => {
                out.extend_from_slice(&text[..*at]);
                out.extend_from_slice(b",\n  \"");
                out.extend_from_slice(self.section.as_bytes());
                out.extend_from_slice(b"\": {\n    ");
                out.extend_from_slice(&key);
                out.extend_from_slice(b": ");
                out.extend_from_slice(&body);
                out.extend_from_slice(b"\n  }");
                out.extend_from_slice(&text[*at..]);
            }
        }
        out
    }
}

fn serialize_value(v: &Value) -> Vec<u8> {
    use serde::Serialize;
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PyFormatter::default());
    v.serialize(&mut ser)
        .expect("serializing a serde_json::Value into a Vec cannot fail");
    out
}

/// Finds `(ty, name)` in `bytes` when `bytes` is a canonical version-1
/// lockfile (see the module docs). `None` means: take the full path.
pub fn locate<'a>(bytes: &'a [u8], ty: AssetType, name: &str) -> Option<Located<'a>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut sc = Scanner {
        b: bytes,
        i: 0,
        keys: Vec::new(),
    };
    let top = sc.object(0, true)?;
    if sc.i != bytes.len() {
        return None;
    }
    let key_is = |m: &Member, k: &str| {
        let raw = &bytes[m.key.clone()];
        raw.len() == k.len() + 2 && &raw[1..raw.len() - 1] == k.as_bytes()
    };
    // L6: a version other than the integer 1 is the full path's error.
    if let Some(v) = top.iter().find(|m| key_is(m, "version"))
        && &bytes[v.value.clone()] != b"1"
    {
        return None;
    }
    // L5: a section that is not an object is the full path's error.
    for t in AssetType::ALL {
        if let Some(m) = top.iter().find(|m| key_is(m, t.section()))
            && bytes[m.value.start] != b'{'
        {
            return None;
        }
    }
    let section = ty.section();
    let name_key = serialize_value(&Value::from(name));
    let (place, existing) = match top.iter().find(|m| key_is(m, section)) {
        None => (Place::NewSection(top.last()?.value.end), None),
        Some(sec) => {
            let members = sec.children.as_deref().unwrap_or_default();
            match members
                .iter()
                .find(|m| bytes[m.key.clone()] == name_key[..])
            {
                Some(m) => {
                    // An entry that is not an object is replaced whole on
                    // the full path; leave that rare case to it.
                    if bytes[m.value.start] != b'{' {
                        return None;
                    }
                    let entry: Map<String, Value> =
                        serde_json::from_str(&text[m.value.clone()]).ok()?;
                    (Place::Replace(m.value.clone()), Some(Value::Object(entry)))
                }
                None => match members.last() {
                    Some(last) => (Place::Append(last.value.end), None),
                    None => (Place::Fill(sec.value.clone()), None),
                },
            }
        }
    };
    Some(Located {
        text,
        name: name.to_owned(),
        section,
        place,
        existing,
    })
}

/// One member of an object: byte ranges of its key (quotes included) and
/// value; for members of the top-level object whose value is an object,
/// that object's members too.
#[derive(Debug)]
struct Member {
    key: Range<usize>,
    value: Range<usize>,
    children: Option<Vec<Member>>,
}

/// A byte that ends a run of plain string bytes: `"`, `\\` or a control
/// character ([`Scanner::skip_plain`] skips runs free of them).
fn special(c: u8) -> bool {
    c == b'"' || c == b'\\' || c < 0x20
}

/// A validating pass over Python's `json.dumps(indent=2,
/// ensure_ascii=False)` layout. Every method returns `None` at the first
/// byte that is not canonical.
struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    /// Keys of the objects being scanned, innermost last (a stack reused
    /// for the duplicate check, so objects cost no allocation).
    keys: Vec<Range<usize>>,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, s: &[u8]) -> Option<()> {
        if self.b[self.i..].starts_with(s) {
            self.i += s.len();
            Some(())
        } else {
            None
        }
    }

    fn indent(&mut self, depth: usize) -> Option<()> {
        let n = 2 * depth;
        let end = self.i.checked_add(n)?;
        if end <= self.b.len() && self.b[self.i..end].iter().all(|&c| c == b' ') {
            self.i = end;
            Some(())
        } else {
            None
        }
    }

    /// A value at `depth`; returns the members of an object when `keep`.
    fn value(&mut self, depth: usize, keep: bool) -> Option<Option<Vec<Member>>> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.object(depth, keep).map(Some),
            b'[' => self.array(depth).map(|()| None),
            b'"' => self.string().map(|_| None),
            b't' => self.eat(b"true").map(|()| None),
            b'f' => self.eat(b"false").map(|()| None),
            b'n' => self.eat(b"null").map(|()| None),
            _ => self.integer().map(|()| None),
        }
    }

    /// `{}` or `{\n<indent+1>"k": v,\n...\n<indent>}` with distinct keys.
    /// Members are returned when `keep` (the top level and the sections
    /// below it), with children for the top level's; other objects are
    /// only checked.
    fn object(&mut self, depth: usize, keep: bool) -> Option<Vec<Member>> {
        self.eat(b"{")?;
        let mut members = Vec::new();
        if self.eat(b"}").is_some() {
            return Some(members);
        }
        self.eat(b"\n")?;
        let first_key = self.keys.len();
        loop {
            self.indent(depth + 1)?;
            let key = self.string()?;
            self.keys.push(key.clone());
            self.eat(b": ")?;
            let start = self.i;
            let children = self.value(depth + 1, keep && depth == 0)?;
            if keep {
                members.push(Member {
                    key,
                    value: start..self.i,
                    children: if depth == 0 { children } else { None },
                });
            }
            if self.eat(b",\n").is_none() {
                break;
            }
        }
        self.eat(b"\n")?;
        self.indent(depth)?;
        self.eat(b"}")?;
        // Python keeps one of duplicate keys: such a document is not
        // canonical. Canonical keys have one spelling, so raw bytes compare.
        let b = self.b;
        let keys = &mut self.keys[first_key..];
        keys.sort_unstable_by(|x, y| b[x.clone()].cmp(&b[y.clone()]));
        let duplicate = keys.windows(2).any(|w| b[w[0].clone()] == b[w[1].clone()]);
        self.keys.truncate(first_key);
        if duplicate {
            return None;
        }
        Some(members)
    }

    /// `[]` or `[\n<indent+1>v,\n...\n<indent>]`.
    fn array(&mut self, depth: usize) -> Option<()> {
        self.eat(b"[")?;
        if self.eat(b"]").is_some() {
            return Some(());
        }
        self.eat(b"\n")?;
        loop {
            self.indent(depth + 1)?;
            self.value(depth + 1, false)?;
            if self.eat(b",\n").is_none() {
                break;
            }
        }
        self.eat(b"\n")?;
        self.indent(depth)?;
        self.eat(b"]")
    }

    /// A string with only the escapes Python writes: `\"`, `\\`, `\b`,
    /// `\f`, `\n`, `\r`, `\t`, and `\u00xx` (lowercase) for the other
    /// control characters. Raw control characters are invalid JSON.
    fn string(&mut self) -> Option<Range<usize>> {
        let start = self.i;
        self.eat(b"\"")?;
        loop {
            self.skip_plain();
            // Plain bytes are skipped; this is the next special one.
            let rest = &self.b[self.i..];
            self.i += rest.iter().position(|&c| special(c))?;
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    return Some(start..self.i);
                }
                b'\\' => match *self.b.get(self.i + 1)? {
                    b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 2,
                    b'u' => {
                        let hex = self.b.get(self.i + 2..self.i + 6)?;
                        let lower = |c: &u8| c.is_ascii_digit() || (b'a'..=b'f').contains(c);
                        if !(hex.starts_with(b"00") && hex.iter().all(lower)) {
                            return None;
                        }
                        let v =
                            u8::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()?;
                        if v >= 0x20 || matches!(v, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                            return None;
                        }
                        self.i += 6;
                    }
                    _ => return None,
                },
                // A raw control character: invalid JSON.
                _ => return None,
            }
        }
    }

    /// Skips 8 bytes at a time while none of them is `"`, `\\` or a
    /// control character (strings are most of a lockfile's bytes).
    fn skip_plain(&mut self) {
        const ONES: u64 = u64::from_ne_bytes([1; 8]);
        const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
        // Some byte of `v` is below `n` (n <= 128); no false negatives.
        let below = |v: u64, n: u8| v.wrapping_sub(ONES * u64::from(n)) & !v & HIGH;
        while let Some(chunk) = self.b.get(self.i..self.i + 8) {
            let v = u64::from_ne_bytes(chunk.try_into().expect("8 bytes"));
            let quote = v ^ (ONES * u64::from(b'"'));
            let backslash = v ^ (ONES * u64::from(b'\\'));
            if below(quote, 1) | below(backslash, 1) | below(v, 0x20) != 0 {
                return;
            }
            self.i += 8;
        }
    }

    /// An integer as Python writes it back: no `-0`, no leading zeros.
    /// Floats are left to the full path (Python re-spells them).
    fn integer(&mut self) -> Option<()> {
        let neg = self.eat(b"-").is_some();
        match self.peek()? {
            b'0' if !neg => self.i += 1,
            b'1'..=b'9' => {
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.i += 1;
                }
            }
            _ => return None,
        }
        match self.peek() {
            Some(b'.' | b'e' | b'E' | b'0'..=b'9') => None,
            _ => Some(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::lockfile::{get, parse_strict, serialize, upsert};

    fn write() -> EntryWrite {
        EntryWrite {
            wiki_commit: "a".repeat(40),
            installed_at: "2026-11-22T00:00:00.000000Z".into(),
            files: vec!["SKILL.md".into()],
            digests: Some([("SKILL.md".to_string(), "b".repeat(64))].into()),
        }
    }

    fn rebuild(bytes: &[u8], ty: AssetType, name: &str) -> Vec<u8> {
        let mut doc = parse_strict(Some(bytes), "t").unwrap();
        upsert(&mut doc, ty, name, &write());
        serialize(&doc)
    }

    #[test]
    fn l8_splice_equals_rebuild_for_each_place() {
        let base = serialize(
            &parse_strict(
                Some(
                    br#"{"version":1,"skills":{"a":{"x":[1,"\u0001\n\"\\"],"files":[]}},"agents":{},"zz":{"k":null}}"#,
                ),
                "t",
            )
            .unwrap(),
        );
        for (ty, name, existing) in [
            (AssetType::Skill, "a", true),    // replace
            (AssetType::Skill, "b", false),   // append
            (AssetType::Agent, "c", false),   // fill {}
            (AssetType::Command, "d", false), // new section
        ] {
            let loc = locate(&base, ty, name).expect("canonical");
            assert_eq!(loc.existing().is_some(), existing, "{name}");
            let doc = parse_strict(Some(&base), "t").unwrap();
            assert_eq!(loc.existing(), get(&doc, ty, name));
            assert_eq!(
                String::from_utf8(loc.upsert(&write())).unwrap(),
                String::from_utf8(rebuild(&base, ty, name)).unwrap(),
                "{name}"
            );
        }
    }

    #[test]
    fn l5_l6_l8_non_canonical_takes_the_full_path() {
        let canonical = br#"{
  "version": 1,
  "skills": {}
}"#;
        assert!(locate(canonical, AssetType::Skill, "a").is_some());
        for bad in [
            &br#"{"version": 1}"#[..],                    // compact
            b"{\n  \"version\": 1\n}\n",                  // trailing newline
            b"{\n  \"version\": 2\n}",                    // L6
            b"{\n  \"version\": 1.0\n}",                  // float
            b"{\n  \"version\": 1,\n  \"skills\": []\n}", // L5
            b"{\n  \"x\": \"\\u00e9\"\n}",                // Python writes é raw
            b"{\n  \"x\": \"\\/\"\n}",                    // Python writes /
            b"{\n  \"x\": \"\\u000a\"\n}",                // Python writes \n
            b"{\n  \"x\": \"\\u001F\"\n}",                // Python writes \u001f
            b"{\n  \"x\": \"\\u011f\"\n}",                // Python writes ğ raw
            b"{\n  \"x\": -0\n}",                         // Python writes 0
            b"{\n  \"x\": 1,\n  \"x\": 2\n}",             // duplicate key
            b"{\n  \"x\": 01\n}",                         // invalid
            b"{\n  \"x\": \"a\nb\"\n}",                   // raw control
            b"{\n  \"x\": [\n  1\n  ]\n}",                // indent
            b"[]",                                        // not an object
            b"{\n  \"skills\": {\n    \"a\": 1\n  }\n}",  // entry not an object
            b"{\n  \"x\": tru\n}",                        // invalid
            b"\xff",                                      // not UTF-8
        ] {
            assert!(
                locate(bad, AssetType::Skill, "a").is_none(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    /// Nesting up to [`MAX_DEPTH`] takes the fast path like any other
    /// canonical document; one level deeper is left to serde_json.
    #[test]
    fn l8_nesting_to_max_depth_is_spliced() {
        let nested = |levels: usize| {
            let mut x = serde_json::json!([]);
            for _ in 1..levels {
                x = serde_json::json!([x]);
            }
            serialize(
                &parse_strict(Some(format!(r#"{{"version":1,"x":{x}}}"#).as_bytes()), "t").unwrap(),
            )
        };
        // "x" sits at depth 1, so its innermost array at depth `levels`.
        let deepest = nested(MAX_DEPTH);
        let loc = locate(&deepest, AssetType::Skill, "a").expect("depth MAX_DEPTH is spliced");
        assert_eq!(
            loc.upsert(&write()),
            rebuild(&deepest, AssetType::Skill, "a")
        );
        assert!(locate(&nested(MAX_DEPTH + 1), AssetType::Skill, "a").is_none());
    }

    /// Bytes near the classes' edges (0x1f/0x20, around `"` and `\\`, the
    /// high bit) over-represented, so each SWAR test meets its borders.
    fn arb_bytes() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let byte = prop_oneof![
            8 => prop::sample::select(b"aZ ~!#[]\x7f\x80\xc3\xa9\xff\x20\x21\x23\x5b\x5d".to_vec()),
            4 => any::<u8>(),
            1 => prop::sample::select(b"\"\\\x00\x01\x1f\n\t".to_vec()),
        ];
        prop::collection::vec(byte, 0..72)
    }

    proptest::proptest! {
        /// `skip_plain` skips exactly the whole 8-byte chunks free of
        /// special bytes, from the start: never past a special byte (the
        /// scan after it would miss a quote or a raw control character),
        /// and never stops before a plain chunk (its reason to exist).
        #[test]
        fn skip_plain_skips_exactly_the_plain_chunks(b in arb_bytes(), start in 0..8usize) {
            let start = start.min(b.len());
            let mut sc = Scanner { b: &b, i: start, keys: Vec::new() };
            sc.skip_plain();
            let mut want = start;
            while want + 8 <= b.len() && !b[want..want + 8].iter().copied().any(special) {
                want += 8;
            }
            proptest::prop_assert_eq!(sc.i, want, "{:?}", b);
        }
    }
}
