//! The manifest corrupted in its variants (P8): after skill `b` was
//! installed, the manifest is cut short, padded, given bytes no format
//! takes, replaced by a value of the wrong type, or made huge; the
//! install of `a` then either refuses, leaving the manifest exactly as it
//! was, or keeps every entry (`b`'s too) and adds `a`'s. A tool that
//! treats what it cannot parse as empty loses `b`'s entry and fails.

use super::{GROUP, commit, file, head, install, judged};
use crate::source::quoted;

/// A corruption: id, what it is, the steps that make it, and whether it
/// only corrupts a JSON manifest (a YAML one may still parse).
struct Variant {
    id: &'static str,
    what: &'static str,
    steps: String,
    json_only: bool,
}

fn act(action: &str, fields: &str) -> String {
    format!("[[step]]\naction = \"{action}\"\npath = \"${{layout.manifest}}\"\n{fields}\n\n")
}

fn variants() -> Vec<Variant> {
    let v = |id, what, steps, json_only| Variant {
        id,
        what,
        steps,
        json_only,
    };
    let write = |t: &str| act("write", &format!("text = {}", quoted(t)));
    vec![
        v(
            "nul-bytes",
            "NUL bytes written over it",
            act("write", "hex = \"00000000\""),
            false,
        ),
        v(
            "invalid-utf8",
            "bytes that are not UTF-8 appended",
            act("append", "hex = \"fffe80\""),
            false,
        ),
        v(
            "garbage-after",
            "a NUL and stray brackets appended",
            act("append", "hex = \"0a7d7d5d00\""),
            false,
        ),
        v(
            "sparse-huge",
            "a 64 MiB file of NUL bytes (a sparse file)",
            act("sparse", "text = \"{\"\nsize = 67108864"),
            false,
        ),
        v("empty", "emptied", write(""), true),
        v("whitespace", "only whitespace", write(" \n\t\n"), true),
        v(
            "truncated-half",
            "cut to half its length (a write that stopped)",
            act("truncate", "keep_percent = 50"),
            true,
        ),
        v(
            "truncated-end",
            "its last two bytes cut off",
            act("truncate", "drop_bytes = 2"),
            true,
        ),
        v(
            "trailing-garbage",
            "a stray word appended after the document",
            act("append", "text = \"garbage\\n\""),
            true,
        ),
        v(
            "bom",
            "a UTF-8 byte order mark put before it",
            act("prepend", "hex = \"efbbbf\""),
            true,
        ),
        v("array", "replaced by an array", write("[]\n"), true),
        v("string", "replaced by a string", write("\"lock\"\n"), true),
        v("number", "replaced by a number", write("42\n"), true),
        v("null", "replaced by null", write("null\n"), true),
        v(
            "deep-nesting",
            "replaced by 100,000 nested arrays (a recursive parser overflows)",
            write(&"[".repeat(100_000)),
            true,
        ),
    ]
}

fn text(v: &Variant) -> String {
    let requires: &[&str] = if v.json_only {
        &["manifest", "json-manifest"]
    } else {
        &["manifest"]
    };
    format!(
        "{head}{wiki}{b}{steps}{run}",
        head = head(
            &format!(
                "the manifest {}, after skill b was installed: the install of a refuses and keeps \
                 its bytes, or keeps b's entry and adds a's",
                v.what
            ),
            &["P8", "P10"],
            requires
        ),
        wiki = commit(
            "c1",
            &["a", "b"],
            &[file("skills/a/references/notes.md", "notes of a\n", "")]
        ),
        b = install("b"),
        steps = v.steps,
        run = judged("a", &["c1"], &["a", "b"], true, "any"),
    )
}

/// The part's cases.
pub(super) fn case_texts() -> Vec<(String, String)> {
    variants()
        .iter()
        .map(|v| (format!("{GROUP}/manifest:{}", v.id), text(v)))
        .collect()
}

/// How many cases [`case_texts`] yields.
#[cfg(test)]
pub(super) fn count() -> usize {
    variants().len()
}
