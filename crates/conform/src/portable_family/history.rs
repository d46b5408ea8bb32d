//! Installs over time (P5, P7, P9, P13): concurrent installs checked as a
//! history (each writer a distinct skill with distinct bytes, so every
//! lost or mixed write shows), a reinstall over each kind of change and
//! over what the user changed in dest, and the uncommitted states of a
//! git source's work tree.

use super::{GROUP, commit, file, head, install, judged};
use crate::source::quoted;

/// The body of skill `s`, `n` files, distinct per skill.
fn skill_files(s: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            file(
                &format!("skills/{s}/references/r{i}.md"),
                &format!("{s} file {i}\n"),
                "",
            )
        })
        .collect()
}

/// A race: id, copies, files per skill, whether `b` is installed first,
/// whether the copies all install one skill.
const RACES: [(&str, usize, usize, bool, bool); 6] = [
    ("distinct-2", 2, 1, false, false),
    ("distinct-4", 4, 1, false, false),
    ("distinct-12", 12, 1, false, false),
    ("distinct-6-after-b", 6, 1, true, false),
    ("distinct-6-wide", 6, 40, false, false),
    ("same-4", 4, 3, false, true),
];

fn race_text(n: usize, files: usize, after_b: bool, same: bool) -> String {
    let names: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
    let mut specs: Vec<String> = Vec::new();
    let skills: Vec<&str> = if same {
        vec!["s0"]
    } else {
        names.iter().map(String::as_str).collect()
    };
    for s in &skills {
        specs.extend(skill_files(s, files));
    }
    let mut all: Vec<&str> = skills.clone();
    all.push("b");
    let mut entries: Vec<String> = skills.iter().map(|s| quoted(s)).collect();
    if after_b {
        entries.push(quoted("b"));
    }
    let dests: Vec<String> = skills
        .iter()
        .map(|s| format!("{{ name = {}, commit = [\"c1\"] }}", quoted(s)))
        .collect();
    let (what, args, counts) = if same {
        (
            format!("{n} concurrent installs of one skill"),
            "[\"skill\", \"s0\"]".to_owned(),
            String::new(),
        )
    } else {
        (
            format!(
                "{n} concurrent installs of distinct skills of {files} file(s) each{}",
                if after_b {
                    ", after skill b was installed"
                } else {
                    ""
                }
            ),
            "[\"skill\", \"s${i}\"]".to_owned(),
            format!("counts = {{ ok = {n} }}\n"),
        )
    };
    format!(
        "{head}repeat = 3\n\n{wiki}{b}\
         [[step]]\nverb = \"install\"\nargs = {args}\ncopies = {n}\nexit = \"any\"\n{counts}\
         timeout_secs = 60\n\n\
         [expect]\ndests = [{dests}]\nentries_if_manifest = [{entries}]\n",
        head = head(
            &format!(
                "{what}: {}every dest complete and, with a manifest, every entry there",
                if same { "" } else { "all succeed, " }
            ),
            &["P7"],
            &[]
        ),
        wiki = commit("c1", &all, &specs),
        b = if after_b { install("b") } else { String::new() },
        dests = dests.join(", "),
        entries = entries.join(", "),
    )
}

/// A change between two commits of skill `a`: id, what it is, c1's
/// files and c2's changes (specs), and the user's steps on dest between
/// the installs with the bytes they must keep (P13).
struct Change {
    id: &'static str,
    what: &'static str,
    v1: Vec<String>,
    v2: Vec<String>,
    user: String,
    kept: &'static str,
}

fn changes() -> Vec<Change> {
    let c = |id, what, v1, v2| Change {
        id,
        what,
        v1,
        v2,
        user: String::new(),
        kept: "",
    };
    let f = |p: &str, t: &str| file(&format!("skills/a/{p}"), t, "");
    let gone = |p: &str| {
        format!(
            "{{ path = {}, delete = true }}",
            quoted(&format!("skills/a/{p}"))
        )
    };
    let user = |p: &str, t: &str| {
        format!(
            "[[step]]\naction = \"write\"\npath = {}\ntext = {}\n\n",
            quoted(&format!("${{dest.a}}/{p}")),
            quoted(t)
        )
    };
    vec![
        c(
            "drop-file",
            "a file dropped",
            vec![f("old.md", "old\n"), f("keep.md", "keep\n")],
            vec![gone("old.md")],
        ),
        c(
            "add-file",
            "a file added",
            vec![],
            vec![f("new.md", "new\n")],
        ),
        c(
            "change-bytes",
            "a file's bytes changed",
            vec![f("x.md", "v1\n")],
            vec![f("x.md", "v2 longer\n")],
        ),
        c(
            "file-to-dir",
            "a file replaced by a directory of the same name",
            vec![f("x", "a file\n")],
            vec![gone("x"), f("x/inner.md", "inner\n")],
        ),
        c(
            "dir-to-file",
            "a directory replaced by a file of the same name",
            vec![f("x/inner.md", "inner\n"), f("x/more.md", "more\n")],
            vec![gone("x/inner.md"), gone("x/more.md"), f("x", "a file\n")],
        ),
        c(
            "drop-subtree",
            "a subtree of ten files dropped",
            (0..10).map(|i| f(&format!("t/u/f{i}.md"), "t\n")).collect(),
            (0..10).map(|i| gone(&format!("t/u/f{i}.md"))).collect(),
        ),
        c(
            "rename-case",
            "a file renamed to another case",
            vec![f("Notes.md", "notes\n")],
            vec![gone("Notes.md"), f("notes.md", "notes\n")],
        ),
        c(
            "swap",
            "two files swap their bytes",
            vec![f("one.md", "first\n"), f("two.md", "second\n")],
            vec![f("one.md", "second\n"), f("two.md", "first\n")],
        ),
        c(
            "shrink",
            "everything but SKILL.md dropped",
            vec![f("r/a.md", "a\n"), f("r/b.md", "b\n"), f("c.md", "c\n")],
            vec![gone("r/a.md"), gone("r/b.md"), gone("c.md")],
        ),
        Change {
            id: "user-edit",
            what: "a file changed upstream that the user edited in dest",
            v1: vec![f("notes.md", "upstream v1\n")],
            v2: vec![f("notes.md", "upstream v2\n")],
            user: user("notes.md", "P13-USER-EDIT of notes\n"),
            kept: "P13-USER-EDIT of notes\n",
        },
        Change {
            id: "user-file",
            what: "a file the user added to dest, beside an upstream change",
            v1: vec![f("notes.md", "upstream v1\n")],
            v2: vec![f("notes.md", "upstream v2\n")],
            user: user("mine.md", "P13-USER-FILE of their own\n"),
            kept: "P13-USER-FILE of their own\n",
        },
    ]
}

fn reinstall_text(c: &Change) -> String {
    let p13 = !c.kept.is_empty();
    let mut v2 = vec![file(
        "skills/a/SKILL.md",
        "---\nname: a\ndescription: skill a of the generated portable cases\n---\n# a v2\n",
        "",
    )];
    v2.extend(c.v2.iter().cloned());
    format!(
        "{head}{wiki}{first}{user}\
         [[step]]\naction = \"wiki-commit\"\ncommit = {{ label = \"c2\", files = [\n  {v2},\n] }}\n\n\
         {run}{kept}",
        head = head(
            &format!(
                "a reinstall after {}: {}",
                c.what,
                if p13 {
                    "it refuses, or keeps the user's bytes somewhere in the project"
                } else {
                    "dest is the old tree (refused) or the new one, never a mix"
                }
            ),
            if p13 { &["P13", "P9"] } else { &["P9"] },
            &[]
        ),
        wiki = commit("c1", &["a"], &c.v1),
        first = install("a"),
        user = c.user,
        v2 = v2.join(",\n  "),
        run = if p13 {
            format!(
                "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\nexit = \"any\"\ntimeout_secs = {}\n\n",
                super::TIME_LIMIT_SECS
            )
        } else {
            judged("a", &["c1", "c2"], &["a"], false, "any")
        },
        kept = if p13 {
            format!("[expect]\nkept_bytes = [{}]\n", quoted(c.kept))
        } else {
            String::new()
        },
    )
}

/// An uncommitted state of a git source: id, what it is, c1's files,
/// work-tree specs, and the bytes that must never land.
const SOURCES: [(&str, &str, &str); 4] = [
    (
        "untracked-file",
        "an untracked file in the skill's directory",
        "{ path = \"skills/a/untracked.md\", text = \"P5-UNCOMMITTED untracked\\n\" }",
    ),
    (
        "edit-deep",
        "an uncommitted edit two directories down",
        "{ path = \"skills/a/x/y/notes.md\", text = \"P5-UNCOMMITTED edit\\n\" }",
    ),
    (
        "deleted",
        "a committed file deleted from the work tree",
        "{ path = \"skills/a/x/y/notes.md\", delete = true }",
    ),
    (
        "untracked-dir",
        "an untracked directory inside the skill",
        "{ path = \"skills/a/references/P5-UNCOMMITTED.md\", text = \"P5-UNCOMMITTED in a new directory\\n\" }",
    ),
];

fn source_text(what: &str, worktree: &str) -> String {
    format!(
        "{head}[wiki]\nworktree = [{worktree}]\n\n{wiki}{run}[expect]\nno_bytes = [\"P5-UNCOMMITTED\"]\n",
        head = head(
            &format!(
                "from a git source whose work tree holds {what}: the install refuses or installs \
                 the committed tree"
            ),
            &["P5", "P9"],
            &["git-source"]
        ),
        wiki = commit(
            "c1",
            &["a"],
            &[file("skills/a/x/y/notes.md", "committed notes\n", "")]
        ),
        run = judged("a", &["c1"], &["a"], false, "any"),
    )
}

/// The part's cases.
pub(super) fn case_texts() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = RACES
        .iter()
        .map(|(id, n, files, after_b, same)| {
            (
                format!("{GROUP}/race:{id}"),
                race_text(*n, *files, *after_b, *same),
            )
        })
        .collect();
    out.extend(
        changes()
            .iter()
            .map(|c| (format!("{GROUP}/reinstall:{}", c.id), reinstall_text(c))),
    );
    out.extend(
        SOURCES
            .iter()
            .map(|(id, what, w)| (format!("{GROUP}/source:{id}"), source_text(what, w))),
    );
    out
}

/// How many cases [`case_texts`] yields.
#[cfg(test)]
pub(super) fn count() -> usize {
    RACES.len() + changes().len() + SOURCES.len()
}
