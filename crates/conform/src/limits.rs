//! The generated resource-limits family (`x-limits/*`; CONTRACT E4, I5,
//! I6, I7): every verb that writes, run under a resource limit it meets
//! half-way: `RLIMIT_FSIZE` below the size of a file of the asset, or of
//! the lockfile it rewrites, and `RLIMIT_NOFILE` below what a deep asset
//! needs held open at once. The verb must end in a classified error with
//! everything rolled back (only the lock files K1 and K3 create, and
//! their directories, may stay) or in a correct result; never killed by
//! a signal (`SIGXFSZ`'s default action) or a crash trace.
//!
//! A table ([`LIMITS`] × [`VERBS`]) turned into case-format text, like
//! [`crate::hostile`]; `assetpin conform --list --filter x-limits` shows
//! them all.

use super::case::Case;
use super::source::quoted;
use std::fmt::Write as _;

/// The case group (and id prefix) of the family.
pub const GROUP: &str = "x-limits";

/// A limit and the wiki that makes a verb meet it.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Short name used in case ids.
    pub id: &'static str,
    /// The step's `limits` table.
    pub limits: &'static str,
    /// What the limit meets, for the summary.
    pub what: &'static str,
    /// The shape of the wiki.
    pub wiki: Shape,
}

/// What makes the verb meet the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `a` holds a file of this many bytes.
    BigFile(usize),
    /// `b` holds this many files, so the lockfile (with `b`'s entry)
    /// is larger than the limit.
    ManyFiles(usize),
    /// `a` holds a file this many directories deep.
    Deep(usize),
}

/// The limits.
pub const LIMITS: &[Limit] = &[
    Limit {
        id: "fsize-asset",
        limits: "{ fsize = 16384 }",
        what: "RLIMIT_FSIZE 16 KiB below a 64 KiB file of the asset",
        wiki: Shape::BigFile(65536),
    },
    Limit {
        id: "fsize-lockfile",
        limits: "{ fsize = 4096 }",
        what: "RLIMIT_FSIZE 4 KiB below the lockfile it rewrites",
        wiki: Shape::ManyFiles(80),
    },
    Limit {
        id: "nofile",
        limits: "{ nofile = 16 }",
        what: "RLIMIT_NOFILE 16 against an asset 24 directories deep",
        wiki: Shape::Deep(24),
    },
];

/// A verb that writes: its id, its setup steps (run without the limit)
/// and its run; `ext` when the verb is the reference's own (D).
#[derive(Debug, Clone, Copy)]
pub struct Verb {
    /// Short name used in case ids.
    pub id: &'static str,
    /// Steps before the run.
    pub setup: &'static str,
    /// The run's `verb` and `args` lines.
    pub run: &'static str,
    /// Profile ext (the verb is not the peer's).
    pub ext: bool,
}

const INSTALL_B: &str = "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"b\"]\n\n";
const INSTALL_A: &str = "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\n\n";
const HEAD_MOVES: &str = "[[step]]\naction = \"wiki-commit\"\ncommit = { label = \"c2\", files = [{ path = \"skills/a/SKILL.md\", text = \"# a v2\\n\" }] }\n\n";

/// Every verb that writes dest or the lockfile.
pub const VERBS: &[Verb] = &[
    Verb {
        id: "install",
        setup: INSTALL_B,
        run: "verb = \"install\"\nargs = [\"skill\", \"a\"]",
        ext: false,
    },
    Verb {
        id: "install-all",
        setup: "",
        run: "verb = \"install-all\"",
        ext: false,
    },
    Verb {
        id: "update",
        setup: "",
        run: "verb = \"update\"\nargs = [\"skill\", \"a\"]",
        ext: false,
    },
    Verb {
        id: "update-force",
        setup: "",
        run: "verb = \"update\"\nargs = [\"skill\", \"a\", \"--force\"]",
        ext: false,
    },
    Verb {
        id: "adopt",
        setup: INSTALL_B,
        run: "verb = \"adopt\"\nargs = [\"skill\", \"a\"]",
        ext: false,
    },
    Verb {
        id: "remove",
        setup: "",
        run: "verb = \"remove\"\nargs = [\"skill\", \"a\"]",
        ext: true,
    },
];

/// The files of `a` (path below `skills/a`, text) for `shape`.
fn files_of_a(shape: Shape) -> Vec<(String, String)> {
    let mut a = vec![("SKILL.md".to_owned(), "# a\n".to_owned())];
    match shape {
        Shape::BigFile(n) => a.push(("big.txt".into(), "x".repeat(n))),
        Shape::Deep(n) => a.push((format!("{}/f.md", vec!["d"; n].join("/")), "deep\n".into())),
        Shape::ManyFiles(_) => {}
    }
    a
}

fn file_list(root: &str, files: &[(String, String)]) -> String {
    files
        .iter()
        .map(|(p, t)| {
            format!(
                "  {{ path = {}, text = {} }},\n",
                quoted(&format!("{root}/{p}")),
                quoted(t)
            )
        })
        .collect()
}

/// The case text for one (verb, limit).
pub fn case_text(v: &Verb, l: &Limit) -> String {
    let a = files_of_a(l.wiki);
    let mut b = vec![("SKILL.md".to_owned(), "# b\n".to_owned())];
    if let Shape::ManyFiles(n) = l.wiki {
        for i in 0..n {
            b.push((format!("docs/page-{i:03}.md"), format!("page {i}\n")));
        }
    }
    let mut s = format!(
        "summary = {summary}\nclauses = [\"E4\", \"I5\", \"I6\", \"I7\"]\nprofile = \"{profile}\"\n\n\
         [[wiki.commit]]\nlabel = \"c1\"\nfiles = [\n{fa}{fb}]\n\n[project]\nmarker = true\n\n{setup}",
        summary = quoted(&format!(
            "{} under {}: a classified error and a rollback, or a correct result",
            v.id, l.what
        )),
        profile = if v.ext { "ext" } else { "core" },
        fa = file_list("skills/a", &a),
        fb = file_list("skills/b", &b),
        setup = v.setup,
    );
    // The state each verb starts from.
    match v.id {
        "install-all" => {
            s.push_str(INSTALL_B);
            s.push_str(INSTALL_A);
            s.push_str("[[step]]\naction = \"delete\"\npath = \".memtomem/skills/a\"\n\n");
        }
        "update" | "update-force" => {
            s.push_str(INSTALL_B);
            s.push_str(INSTALL_A);
            s.push_str(HEAD_MOVES);
            if v.id == "update-force" {
                s.push_str("[[step]]\naction = \"append\"\npath = \".memtomem/skills/a/SKILL.md\"\ntext = \"edit\\n\"\n\n");
            }
        }
        "adopt" => {
            for (p, t) in &a {
                let _ = write!(
                    s,
                    "[[step]]\naction = \"write\"\npath = {}\ntext = {}\n\n",
                    quoted(&format!(".memtomem/skills/a/{p}")),
                    quoted(t)
                );
            }
        }
        "remove" => {
            s.push_str(INSTALL_B);
            s.push_str(INSTALL_A);
        }
        _ => {}
    }
    let _ = write!(
        s,
        "[[step]]\n{run}\nlimits = {limits}\nexit = \"any\"\n\
         hostile = {{ type = \"skill\", name = \"a\", rollback = true }}\ntimeout_secs = {t}\n",
        run = v.run,
        limits = l.limits,
        t = super::hostile::TIME_LIMIT_SECS,
    );
    s
}

/// Every case of the family, as (id, case-format text), in a stable order.
pub fn case_texts() -> Vec<(String, String)> {
    VERBS
        .iter()
        .flat_map(|v| {
            LIMITS
                .iter()
                .map(move |l| (format!("{GROUP}/{}:{}", v.id, l.id), case_text(v, l)))
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

    /// Every (verb, limit) once, every text valid against the contract.
    #[test]
    fn the_table_generates_valid_cases() {
        let cases = cases().unwrap_or_else(|e| panic!("{e}"));
        crate::source::assert_valid_family(&cases, VERBS.len() * LIMITS.len());
    }
}
