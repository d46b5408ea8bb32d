//! The lockfile `<project>/.memtomem/lock.json` (CONTRACT L1-L10).
//!
//! The document is kept as an order-preserving [`serde_json::Map`] so that
//! unknown keys and their order survive every write (L3). Writers load it
//! strictly ([`parse_strict`], L5/L6); readers load it tolerantly
//! ([`parse_tolerant`]). [`serialize`] produces the peer's bytes (L8).
//! The entry validators of L9 live in [`entry`].

pub mod entry;
pub mod pyjson;
pub mod splice;
pub mod timestamp;

use crate::asset::AssetType;
use crate::error::{Error, Result};
use serde_json::{Map, Value};

pub use entry::{EntryWrite, valid_digests, valid_manifest};

/// The lockfile document: a JSON object in file order.
pub type Document = Map<String, Value>;

/// The only lockfile version this crate reads for writing (L6).
pub const VERSION: u64 = 1;

/// File name of the lockfile inside `.memtomem/`.
pub const LOCKFILE_NAME: &str = "lock.json";

/// A new, empty document (L4): `{"version": 1}`. Sections are added on
/// first use.
pub fn empty() -> Document {
    let mut doc = Map::new();
    doc.insert("version".into(), Value::from(VERSION));
    doc
}

/// The deepest nesting of arrays and objects a lockfile may have (the
/// top-level object is level 1). The peer's `json.loads` reads to about
/// 990 levels (CPython's recursion limit of 1000 less the frames that call
/// it), and unknown keys are the peer's to keep (L3), so the reference
/// reads far past serde_json's default of 128. The bound keeps the
/// parser, the writer and the drop of the tree, which all recurse, within
/// a 2 MiB thread stack.
pub const MAX_NESTING: usize = 900;

/// The deepest nesting of `[` and `{` in a JSON text, outside strings.
fn nesting(text: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in text {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Why a JSON text cannot be read as the peer reads it.
#[derive(Debug)]
pub enum DeepJsonError {
    /// It nests deeper than [`MAX_NESTING`]; the depth found.
    TooDeep(usize),
    /// It is not JSON.
    Invalid(serde_json::Error),
}

impl std::fmt::Display for DeepJsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeepJsonError::TooDeep(depth) => write!(
                f,
                "nests arrays and objects {depth} levels deep, more than the {MAX_NESTING} \
                 any reader of it can follow"
            ),
            DeepJsonError::Invalid(e) => write!(f, "is not valid JSON ({e})"),
        }
    }
}

/// Parses a JSON text as the peer's `json.loads` reads it: up to
/// [`MAX_NESTING`] levels deep (serde_json stops at 128). The lockfile
/// and the registry (L3, R3) both keep unknown keys of any such depth.
///
/// # Errors
/// [`DeepJsonError`]: too deep, or not JSON.
pub fn parse_deep(text: &str) -> std::result::Result<Value, DeepJsonError> {
    let depth = nesting(text.as_bytes());
    if depth > MAX_NESTING {
        return Err(DeepJsonError::TooDeep(depth));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    <Value as serde::Deserialize>::deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(DeepJsonError::Invalid)
}

fn parse_object(bytes: &[u8], path: &str) -> Result<Document> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Error::lockfile_corrupt(path, format_args!("is not valid UTF-8 ({e})")))?;
    let parsed = parse_deep(text);
    if let Err(e @ DeepJsonError::TooDeep(_)) = &parsed {
        return Err(Error::lockfile_corrupt(path, format_args!("{e}")));
    }
    match parsed {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(Error::lockfile_corrupt(
            path,
            format_args!(
                "holds a JSON {} where an object is expected",
                type_name(&other)
            ),
        )),
        Err(e) => Err(Error::lockfile_corrupt(path, format_args!("{e}"))),
    }
}

/// Name of a JSON value's type, for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The `version` value of a document as an integer, when it is one.
/// A missing `version` reads as 1.
pub fn version_of(doc: &Document) -> Option<u64> {
    match doc.get("version") {
        None => Some(VERSION),
        Some(v) => v.as_u64(),
    }
}

/// The largest lockfile read, in bytes (64 MiB): a lockfile of a
/// hundred thousand entries is a few tens of MiB; anything larger (a sparse
/// file of terabytes, say) is refused as `lockfile-corrupt` without being
/// read.
pub const MAX_LOCKFILE_BYTES: u64 = 64 << 20;

/// The refusal of a lockfile larger than [`MAX_LOCKFILE_BYTES`] (L5).
pub fn too_large(path: impl std::fmt::Display) -> Error {
    Error::lockfile_corrupt(
        path,
        format_args!("is larger than {MAX_LOCKFILE_BYTES} bytes, more than any lockfile holds"),
    )
}

/// Strict load for writers (L4, L5, L6). `None` (no file) is an empty
/// document. `path` is used in messages.
///
/// # Errors
/// `lockfile-corrupt` when the bytes are not a JSON object or a section is
/// not an object; `lockfile-version` when `version` is not 1.
pub fn parse_strict(bytes: Option<&[u8]>, path: &str) -> Result<Document> {
    let Some(bytes) = bytes else {
        return Ok(empty());
    };
    let doc = parse_object(bytes, path)?;
    if version_of(&doc) != Some(VERSION) {
        let found = doc
            .get("version")
            .map(|v| v.to_string())
            .unwrap_or_default();
        return Err(Error::lockfile_version(path, found).with_detail(
            "version",
            doc.get("version").cloned().unwrap_or(Value::Null),
        ));
    }
    for ty in AssetType::ALL {
        let Some(sec) = doc.get(ty.section()) else {
            continue;
        };
        if !sec.is_object() {
            return Err(Error::lockfile_corrupt(
                path,
                format_args!(
                    "section {:?} is a JSON {}, not an object",
                    ty.section(),
                    type_name(sec)
                ),
            ));
        }
    }
    Ok(doc)
}

/// What a reader sees (K7, T1, T2): the document when it parses as an
/// object, with sections that are not objects read as empty.
#[derive(Debug, Clone)]
pub struct TolerantView {
    /// The parsed document (empty when missing).
    pub doc: Document,
    /// The `version` value found (1 when absent).
    pub version: Value,
}

/// Tolerant load for readers. Missing is an empty document.
///
/// # Errors
/// `lockfile-corrupt` when the bytes are not a JSON object (T2 makes this a
/// failing status).
pub fn parse_tolerant(bytes: Option<&[u8]>, path: &str) -> Result<TolerantView> {
    let doc = match bytes {
        None => empty(),
        Some(b) => parse_object(b, path)?,
    };
    let version = doc.get("version").cloned().unwrap_or(Value::from(VERSION));
    Ok(TolerantView { doc, version })
}

/// The entries of `section` that are objects, in file order. Entries of
/// another type and sections that are not objects are skipped.
pub fn entries<'a>(
    doc: &'a Document,
    ty: AssetType,
) -> impl Iterator<Item = (&'a str, &'a Map<String, Value>)> + 'a {
    doc.get(ty.section())
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.iter())
        .filter_map(|(k, v)| v.as_object().map(|o| (k.as_str(), o)))
}

/// The entry for `(ty, name)`, when present. Only an object is an entry:
/// any other value under the name (`null`, `5`, a string) records nothing,
/// so it is no entry (L3 keeps it until the asset's own entry is written
/// over it).
pub fn get<'a>(doc: &'a Document, ty: AssetType, name: &str) -> Option<&'a Value> {
    doc.get(ty.section())?
        .as_object()?
        .get(name)
        .filter(|v| v.is_object())
}

/// Upsert (L2, L3, L10): writes `write` into the entry for `(ty, name)`.
/// Keys of an existing entry keep their position and unknown keys their
/// values; new keys are appended. When `write.digests` is `None`, the
/// `digests` and `digests_installed_at` keys are removed (L10). A section
/// that is missing is appended; an entry that is not an object is replaced.
pub fn upsert(doc: &mut Document, ty: AssetType, name: &str, write: &EntryWrite) {
    let section = doc
        .entry(ty.section())
        .or_insert_with(|| Value::Object(Map::new()));
    if !section.is_object() {
        *section = Value::Object(Map::new());
    }
    let section = section.as_object_mut().expect("made an object above");
    let entry = section
        .entry(name.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    write.apply(entry.as_object_mut().expect("made an object above"));
}

/// Removes the entry for `(ty, name)`; other keys are untouched. Returns
/// whether an entry was removed.
pub fn remove(doc: &mut Document, ty: AssetType, name: &str) -> bool {
    doc.get_mut(ty.section())
        .and_then(Value::as_object_mut)
        .map(|s| s.shift_remove(name).is_some())
        .unwrap_or(false)
}

/// Serializes `doc` as the peer does (L8): Python's
/// `json.dumps(doc, indent=2, ensure_ascii=False)`: 2-space indent, `": "`
/// and `","` separators, raw UTF-8, no trailing newline, numbers spelled
/// as Python spells them ([`pyjson`]).
pub fn serialize(doc: &Document) -> Vec<u8> {
    use serde::Serialize;
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, pyjson::PyFormatter::default());
    doc.serialize(&mut ser)
        .expect("serializing a serde_json::Value into a Vec cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    #[test]
    fn l8_matches_python_layout() {
        let doc = parse_strict(
            Some(
                r#"{"version":1,"x":{"é":[],"o":{},"n":1.5e300,"b":12345678901234567890123}}"#
                    .as_bytes(),
            ),
            "t",
        )
        .unwrap();
        let s = String::from_utf8(serialize(&doc)).unwrap();
        assert_eq!(
            s,
            "{\n  \"version\": 1,\n  \"x\": {\n    \"é\": [],\n    \"o\": {},\n    \"n\": 1.5e+300,\n    \"b\": 12345678901234567890123\n  }\n}"
        );
    }

    #[test]
    fn l5_l6_classified() {
        assert_eq!(
            parse_strict(Some(b"[1]"), "t").unwrap_err().kind,
            Kind::LockfileCorrupt
        );
        assert_eq!(
            parse_strict(Some(b"{"), "t").unwrap_err().kind,
            Kind::LockfileCorrupt
        );
        assert_eq!(
            parse_strict(Some(b"\xff"), "t").unwrap_err().kind,
            Kind::LockfileCorrupt
        );
        assert_eq!(
            parse_strict(Some(br#"{"version":2}"#), "t")
                .unwrap_err()
                .kind,
            Kind::LockfileVersion
        );
        assert_eq!(
            parse_strict(Some(br#"{"version":1,"skills":[]}"#), "t")
                .unwrap_err()
                .kind,
            Kind::LockfileCorrupt
        );
    }
}
