//! The generated hostile-git-objects family (`g-objects/*`; CONTRACT I2,
//! Y2, I5): a wiki whose tree object holds an entry name that is not one
//! clean path segment, or that is `.git` on some file system, or a name
//! twice (or two names one case-folding or Unicode-normalizing file system
//! takes for one), written literally (see [`crate::case::Literal`]), times every
//! verb that reads the wiki's tree. The wiki is made bare before the verb
//! runs: with a work tree, a tool that compares it with HEAD refuses
//! `uncommitted` first and hides whether it would write the entry. Each must refuse with `unsafe-path`
//! and leave the project as it was: such an entry is never written (a
//! `.git/config` in dest runs its `core.fsmonitor` on the next `git
//! status` there).
//!
//! Like [`crate::hostile`], a table ([`NAMES`] × [`VERBS`]) turned into
//! case-format text and parsed, so it runs through any adapter.
//! `assetpin conform --list --filter g-objects` shows them all.

use super::case::Case;
use super::source::quoted;

/// The case group (and id prefix) of the family.
pub const GROUP: &str = "g-objects";

/// A hostile entry of the asset's tree: its id in case ids, the entries
/// beside `SKILL.md` (name, content), and what it is.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// Short name used in case ids.
    pub id: &'static str,
    /// The entry's name as the tree holds it.
    pub name: &'static str,
    /// What it is, for the summary.
    pub what: &'static str,
    /// A second entry written after it (`""`: none), for names that are
    /// hostile as a pair.
    pub also: &'static str,
}

const fn e(id: &'static str, name: &'static str, what: &'static str) -> Entry {
    Entry {
        id,
        name,
        what,
        also: "",
    }
}

/// Two sibling names that are one file on a case-folding or
/// Unicode-normalizing file system (`name` sorts first, as git writes).
const fn pair(
    id: &'static str,
    name: &'static str,
    also: &'static str,
    what: &'static str,
) -> Entry {
    Entry {
        id,
        name,
        what,
        also,
    }
}

/// The hostile names: each is one blob entry of `skills/a`'s tree beside
/// `SKILL.md`.
pub const NAMES: &[Entry] = &[
    e(
        "dotgit-config",
        ".git/config",
        "a name with '/' that makes a .git directory",
    ),
    e(
        "dotdot-path",
        "docs/../../escape",
        "a name with '/' and '..'",
    ),
    e("dotdot", "..", "the name '..'"),
    e("dot", ".", "the name '.'"),
    e("empty", "", "an empty name"),
    e(
        "dotgit-upper",
        ".GIT",
        "'.git' on a case-folding file system",
    ),
    e(
        "dotgit-trailing-dot",
        ".git.",
        "'.git' on NTFS (a trailing dot)",
    ),
    e("dotgit-short", "git~1", "'.git' as an NTFS 8.3 short name"),
    e(
        "dotgit-stream",
        ".git:x",
        "'.git' behind an NTFS stream name",
    ),
    e(
        "dotgit-hfs",
        ".g\u{200c}it",
        "'.git' on HFS+ (an ignored code point)",
    ),
    e("duplicate", "SKILL.md", "a second SKILL.md in one tree"),
    e(
        "fold-case",
        "skill.md",
        "'SKILL.md' on a case-folding file system",
    ),
    pair(
        "fold-nfc",
        "cafe\u{301}.md",
        "caf\u{e9}.md",
        "one name decomposed (NFD) and composed (NFC)",
    ),
    pair(
        "fold-case-nfc",
        "CAFE\u{301}.md",
        "caf\u{e9}.md",
        "one name in two cases and normal forms",
    ),
];

/// A verb that reads the wiki's tree: its id, the steps before the commit
/// that holds the hostile tree, whether that commit comes after them
/// (as a `wiki-commit` step) or is the wiki's first, and the run.
#[derive(Debug, Clone, Copy)]
pub struct Verb {
    /// Short name used in case ids.
    pub id: &'static str,
    /// Steps before the hostile commit (or, `first`, before the run).
    pub setup: &'static str,
    /// The hostile commit is the wiki's first (else a later `wiki-commit`).
    pub first: bool,
    /// The run's `verb` and `args` lines.
    pub run: &'static str,
}

/// Every verb that reads a tree of the wiki.
pub const VERBS: &[Verb] = &[
    Verb {
        id: "install",
        setup: "",
        first: true,
        run: "verb = \"install\"\nargs = [\"skill\", \"a\"]",
    },
    Verb {
        id: "update",
        setup: "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\n\n",
        first: false,
        run: "verb = \"update\"\nargs = [\"skill\", \"a\"]",
    },
    Verb {
        id: "update-dry-run",
        setup: "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\n\n",
        first: false,
        run: "verb = \"update\"\nargs = [\"skill\", \"a\", \"--dry-run\"]",
    },
    Verb {
        id: "adopt",
        setup: "[[step]]\naction = \"write\"\npath = \".memtomem/skills/a/SKILL.md\"\ntext = \"# a\\n\"\n\n",
        first: true,
        run: "verb = \"adopt\"\nargs = [\"skill\", \"a\"]",
    },
];

/// The literal tree of `skills/a`: `SKILL.md` and the hostile entry
/// (or pair).
fn literal(n: &Entry) -> String {
    let also = if n.also.is_empty() {
        String::new()
    } else {
        format!(
            ", {{ mode = \"100644\", name = {}, text = \"also planted\\n\" }}",
            quoted(n.also)
        )
    };
    format!(
        "literal = {{ dir = \"skills/a\", entries = [\
         {{ mode = \"100644\", name = \"SKILL.md\", text = \"# a\\n\" }}, \
         {{ mode = \"100644\", name = {}, text = \"planted\\n\" }}{also}] }}",
        quoted(n.name)
    )
}

/// The case text for one (verb, name).
pub fn case_text(v: &Verb, n: &Entry) -> String {
    let (first, later) = if v.first {
        (
            format!(
                "[[wiki.commit]]\nlabel = \"c1\"\nfiles = [{{ path = \"skills/a/SKILL.md\", text = \"# a\\n\" }}]\n{}\n\n",
                literal(n)
            ),
            String::new(),
        )
    } else {
        (
            "[[wiki.commit]]\nlabel = \"c1\"\nfiles = [{ path = \"skills/a/SKILL.md\", text = \"# a\\n\" }]\n\n".to_owned(),
            format!(
                "[[step]]\naction = \"wiki-commit\"\ncommit = {{ label = \"c2\", {} }}\n\n",
                literal(n)
            ),
        )
    };
    format!(
        "summary = {summary}\nclauses = [\"I2\", \"Y2\", \"I5\"]\nprofile = \"core\"\n\
         requires = [\"bare-wiki\"]\n\n{first}\
         [project]\nmarker = true\n\n{setup}{later}\
         [[step]]\naction = \"wiki-bare\"\n\n\
         [[step]]\n{run}\nkind = \"unsafe-path\"\nunchanged = true\ntimeout_secs = {limit}\n",
        summary = quoted(&format!(
            "{} from a bare wiki whose tree holds {} ({:?}{}): refused as unsafe-path, nothing written",
            v.id,
            n.what,
            n.name,
            if n.also.is_empty() {
                String::new()
            } else {
                format!(" and {:?}", n.also)
            }
        )),
        setup = v.setup,
        run = v.run,
        limit = super::hostile::TIME_LIMIT_SECS,
    )
}

/// Every case of the family, as (id, case-format text), in a stable order.
pub fn case_texts() -> Vec<(String, String)> {
    VERBS
        .iter()
        .flat_map(|v| {
            NAMES
                .iter()
                .map(move |n| (format!("{GROUP}/{}:{}", v.id, n.id), case_text(v, n)))
        })
        .collect()
}

/// The family, parsed.
///
/// # Errors
/// A generated text that does not parse (a bug in the table).
pub fn cases() -> Result<Vec<Case>, super::source::CaseSetError> {
    super::source::parse_all(case_texts())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (verb, name) once, every text valid against the contract.
    #[test]
    fn the_table_generates_valid_cases() {
        let cases = cases().unwrap_or_else(|e| panic!("{e}"));
        crate::source::assert_valid_family(&cases, VERBS.len() * NAMES.len());
    }
}
