//! What a skill's tree may hold (P2-P6, P12): committed links of every
//! shape (never followed: the bytes they point at never land, and no
//! regular file stands where one was), `.git` entries in the source's
//! work tree (P3), junk at any depth (P4), executables at any depth (P6),
//! odd names and bytes that must arrive exactly (P5), and tree objects a
//! careful `git` would never write (P12, a git source only).

use super::{GROUP, commit, file, head, judged};
use crate::source::quoted;

/// The bytes of the file every link variant points at, outside the
/// source and the project.
const SECRET: &str = "P2-SECRET-BYTES of a file outside every source\n";
const SECRET_MARK: &str = "P2-SECRET-BYTES";

/// A link variant: its id, the committed links (path in the skill,
/// target), and where the secret is written (`outside` or `home`, path).
struct LinkCase {
    id: &'static str,
    what: &'static str,
    links: &'static [(&'static str, &'static str)],
    secret: (&'static str, &'static str),
}

const fn l(
    id: &'static str,
    what: &'static str,
    links: &'static [(&'static str, &'static str)],
) -> LinkCase {
    LinkCase {
        id,
        what,
        links,
        secret: ("outside", "secret.txt"),
    }
}

const LINKS: [LinkCase; 10] = [
    l(
        "link-outside-dir",
        "a link to a directory outside the source",
        &[("references/evil", "${outside}")],
    ),
    l(
        "link-outside-relative",
        "a relative link that climbs out of the source to a file",
        &[("references/evil", "../../../../outside/secret.txt")],
    ),
    LinkCase {
        id: "link-home-key",
        what: "a link to a key file in $HOME",
        links: &[("references/evil", "${home}/.ssh/id_ed25519")],
        secret: ("home", ".ssh/id_ed25519"),
    },
    l(
        "link-chain",
        "a link to a link to a file outside the source",
        &[
            ("references/one", "two"),
            ("references/two", "${outside}/secret.txt"),
        ],
    ),
    l(
        "link-skill-md",
        "SKILL.md's sibling README.md a link to a file outside the source",
        &[("README.md", "${outside}/secret.txt")],
    ),
    l(
        "link-deep",
        "a link five directories down to a file outside the source",
        &[("a/b/c/d/e/evil", "${outside}/secret.txt")],
    ),
    l(
        "link-self-loop",
        "a link to its own directory (a copy that follows it never ends)",
        &[("references/loop", ".")],
    ),
    l(
        "link-parent-loop",
        "a link to the skill's own root from below it",
        &[("references/deep/up", "../..")],
    ),
    l(
        "link-dangling",
        "a link to a file outside the source that does not exist",
        &[("references/gone", "${outside}/no-such-file")],
    ),
    l(
        "link-dev-null",
        "a link to /dev/null",
        &[("references/null", "/dev/null")],
    ),
];

fn link_text(c: &LinkCase) -> String {
    let files: Vec<String> = c
        .links
        .iter()
        .map(|(p, t)| {
            format!(
                "{{ path = {}, symlink = {} }}",
                quoted(&format!("skills/a/{p}")),
                quoted(t)
            )
        })
        .chain(std::iter::once(file(
            "skills/a/references/notes.md",
            "notes of a\n",
            "",
        )))
        .collect();
    let not_regular: Vec<String> = c
        .links
        .iter()
        .map(|(p, _)| {
            format!(
                "{{ path = {}, not_regular = true }}",
                quoted(&format!("${{dest.a}}/{p}"))
            )
        })
        .collect();
    format!(
        "{head}{wiki}[[step]]\naction = \"write\"\nroot = \"{root}\"\npath = {path}\ntext = {secret}\n\n\
         {run}[expect]\nno_bytes = [{mark}]\nfiles = [{nr}]\n",
        head = head(
            &format!(
                "the skill holds {}: never followed, its target's bytes never land, no regular \
                 file stands for it, and the rest installs whole or not at all",
                c.what
            ),
            &["P2", "P9"],
            &[]
        ),
        wiki = commit("c1", &["a"], &files),
        root = c.secret.0,
        path = quoted(c.secret.1),
        secret = quoted(SECRET),
        run = judged("a", &["c1"], &["a"], false, "any"),
        mark = quoted(SECRET_MARK),
        nr = not_regular.join(", "),
    )
}

/// A content variant: id, summary, clauses, the skill's committed files
/// (specs), work-tree files (specs), and `[expect] files` checks.
struct Content {
    id: &'static str,
    what: String,
    clauses: &'static [&'static str],
    files: Vec<String>,
    worktree: Vec<String>,
    checks: Vec<String>,
}

fn absent(p: &str) -> String {
    format!(
        "{{ path = {}, absent = true }}",
        quoted(&format!("${{dest.a}}/{p}"))
    )
}

fn contents() -> Vec<Content> {
    let c = |id, what: &str, clauses, files, worktree, checks| Content {
        id,
        what: what.to_owned(),
        clauses,
        files,
        worktree,
        checks,
    };
    vec![
        // P3: `.git` entries a source's work tree may hold (git never
        // commits one): a tool that copies the work tree must leave them.
        c(
            "dotgit-dir-deep",
            "a .git directory in a subdirectory of the skill's work tree",
            &["P3"],
            vec![file("skills/a/sub/notes.md", "notes\n", "")],
            vec![file("skills/a/sub/.git/config", "[core]\n\tbare = false\n", "")],
            vec![absent("sub/.git")],
        ),
        c(
            "dotgit-file",
            "a .git file (a gitdir pointer) at the skill's root in the work tree",
            &["P3"],
            vec![],
            vec![file("skills/a/.git", "gitdir: /nowhere/.git\n", "")],
            vec![absent(".git")],
        ),
        c(
            "dotgit-file-deep",
            "a .git file in a subdirectory of the skill's work tree",
            &["P3"],
            vec![file("skills/a/sub/notes.md", "notes\n", "")],
            vec![file("skills/a/sub/.git", "gitdir: /nowhere/.git\n", "")],
            vec![absent("sub/.git")],
        ),
        // P4: junk, committed, at depth.
        c(
            "ds-store-deep",
            "a committed .DS_Store two directories down",
            &["P4"],
            vec![
                file("skills/a/x/y/.DS_Store", "Bud1 finder state\n", ""),
                file("skills/a/x/y/z.md", "z\n", ""),
            ],
            vec![],
            vec![absent("x/y/.DS_Store")],
        ),
        c(
            "pycache-deep",
            "a committed __pycache__ three directories down",
            &["P4"],
            vec![
                file("skills/a/x/y/z/__pycache__/m.cpython-311.pyc", "bytecode\n", ""),
                file("skills/a/x/y/z/m.py", "print(1)\n", ""),
            ],
            vec![],
            vec![absent("x/y/z/__pycache__")],
        ),
        c(
            "junk-both",
            "a committed .DS_Store and __pycache__ beside SKILL.md and in scripts/",
            &["P4"],
            vec![
                file("skills/a/.DS_Store", "Bud1\n", ""),
                file("skills/a/scripts/.DS_Store", "Bud1\n", ""),
                file("skills/a/scripts/__pycache__/r.pyc", "bytecode\n", ""),
                file("skills/a/scripts/r.py", "print(2)\n", ""),
            ],
            vec![],
            vec![absent(".DS_Store"), absent("scripts/.DS_Store"), absent("scripts/__pycache__")],
        ),
        // P6: executables wherever they are.
        c(
            "exec-deep",
            "a file committed executable four directories down",
            &["P6"],
            vec![file("skills/a/s/t/u/v/run.sh", "#!/bin/sh\necho deep\n", ", exec = true")],
            vec![],
            vec![format!(
                "{{ path = \"${{dest.a}}/s/t/u/v/run.sh\", exec = true, text = {} }}",
                quoted("#!/bin/sh\necho deep\n")
            )],
        ),
        c(
            "exec-root",
            "a file committed executable beside SKILL.md, and one that is not",
            &["P6"],
            vec![
                file("skills/a/run.sh", "#!/bin/sh\necho root\n", ", exec = true"),
                file("skills/a/data.txt", "data\n", ""),
            ],
            vec![],
            vec![format!(
                "{{ path = \"${{dest.a}}/run.sh\", exec = true, text = {} }}",
                quoted("#!/bin/sh\necho root\n")
            )],
        ),
        c(
            "exec-many",
            "ten executables in three directories",
            &["P6"],
            (0..10)
                .map(|i| file(&format!("skills/a/bin{}/t{i}.sh", i % 3), &format!("#!/bin/sh\necho {i}\n"), ", exec = true"))
                .collect(),
            vec![],
            (0..10)
                .map(|i| format!("{{ path = \"${{dest.a}}/bin{}/t{i}.sh\", exec = true }}", i % 3))
                .collect(),
        ),
        // P5: what must arrive byte for byte, whatever its name or bytes.
        c(
            "wide",
            "400 files in one directory",
            &["P5", "P9"],
            (0..400).map(|i| file(&format!("skills/a/refs/f{i:03}.md"), &format!("file {i}\n"), "")).collect(),
            vec![],
            vec![],
        ),
        c(
            "deep",
            "a file 40 directories down",
            &["P5", "P9"],
            vec![file(&format!("skills/a/{}leaf.md", "d/".repeat(40)), "leaf\n", "")],
            vec![],
            vec![],
        ),
        c(
            "long-name",
            "a file whose name is 255 bytes",
            &["P5", "P9"],
            vec![file(&format!("skills/a/{}.md", "n".repeat(252)), "long\n", "")],
            vec![],
            vec![],
        ),
        c(
            "unicode-names",
            "file names in NFC and NFD forms of other words, CJK and an emoji",
            &["P5", "P9"],
            vec![
                file("skills/a/r\u{e9}sum\u{e9}.md", "nfc\n", ""),
                file("skills/a/nai\u{308}ve.md", "nfd\n", ""),
                file("skills/a/\u{6587}\u{66f8}.md", "cjk\n", ""),
                file("skills/a/\u{1f680}.md", "emoji\n", ""),
            ],
            vec![],
            vec![],
        ),
        c(
            "shell-names",
            "file names with spaces, quotes, a leading dash, a newline and a backslash",
            &["P5", "P9"],
            vec![
                file("skills/a/a b 'c' \"d\".md", "spaces\n", ""),
                file("skills/a/-rf", "dash\n", ""),
                file("skills/a/line\nbreak.md", "newline\n", ""),
                file("skills/a/back\\slash.md", "backslash\n", ""),
                file("skills/a/$(touch pwned).md", "dollar\n", ""),
            ],
            vec![],
            vec![],
        ),
        c(
            "bytes",
            "CRLF text, a NUL byte, no final newline, an empty file and invalid UTF-8",
            &["P5", "P9"],
            vec![
                file("skills/a/crlf.md", "one\r\ntwo\r\n", ""),
                file("skills/a/empty.md", "", ""),
                file("skills/a/no-newline.md", "last line", ""),
                "{ path = \"skills/a/nul.bin\", hex = \"00ff00fe0a\" }".to_owned(),
                "{ path = \"skills/a/latin1.txt\", hex = \"63 61 66 e9 0a\" }".to_owned(),
            ],
            vec![],
            vec![],
        ),
        c(
            "submodule",
            "a submodule entry (gitlink) beside its files",
            &["P5", "P9"],
            vec!["{ path = \"skills/a/vendor\", gitlink = \"0123456789abcdef0123456789abcdef01234567\" }".to_owned()],
            vec![],
            vec![],
        ),
    ]
}

fn content_text(c: &Content) -> String {
    let worktree = if c.worktree.is_empty() {
        String::new()
    } else {
        format!(
            "[wiki]\nworktree = [\n  {},\n]\n\n",
            c.worktree.join(",\n  ")
        )
    };
    let checks = if c.checks.is_empty() {
        String::new()
    } else {
        format!("[expect]\nfiles = [\n  {},\n]\n", c.checks.join(",\n  "))
    };
    format!(
        "{head}{worktree}{wiki}{run}{checks}",
        head = head(
            &format!(
                "the skill holds {}: it installs exactly as committed, or not at all",
                c.what
            ),
            c.clauses,
            &[]
        ),
        wiki = commit("c1", &["a"], &c.files),
        run = judged("a", &["c1"], &["a"], false, "any"),
    )
}

/// Tree entries no careful `git` writes (P12): each a blob of
/// `skills/a`'s tree beside `SKILL.md`, holding [`OBJECT_MARK`].
const OBJECTS: [(&str, &str, &str); 7] = [
    (
        "dotgit-config",
        ".git/config",
        "a name with '/' that makes a .git directory",
    ),
    ("dotgit", ".git", "the name '.git'"),
    (
        "dotdot-path",
        "docs/../../escape",
        "a name with '/' and '..'",
    ),
    ("dotdot", "..", "the name '..'"),
    ("dot", ".", "the name '.'"),
    ("empty", "", "an empty name"),
    (
        "deep-escape",
        "x/../../../../outside/escape",
        "a name that climbs out of the source",
    ),
];

const OBJECT_MARK: &str = "P12-OBJECT-BYTES";

fn object_text(name: &str, what: &str) -> String {
    format!(
        "{head}[[wiki.commit]]\nlabel = \"c1\"\nfiles = [{{ path = \"skills/a/SKILL.md\", text = {md} }}]\n\
         literal = {{ dir = \"skills/a\", entries = [\
         {{ mode = \"100644\", name = \"SKILL.md\", text = {md} }}, \
         {{ mode = \"100644\", name = {name}, text = {mark} }}] }}\n\n\
         [[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\nexit = \"any\"\ntimeout_secs = {limit}\n\n\
         [expect]\nno_bytes = [{mark_only}]\nfiles = [{{ path = \"${{dest.a}}/.git\", absent = true }}]\n",
        head = head(
            &format!(
                "the skill's git tree holds {what} ({name:?}): that entry is never written into \
                 the project (the install refuses or leaves it out)"
            ),
            &["P12", "P3"],
            &["git-source"]
        ),
        md = super::skill_md("a", ""),
        name = quoted(name),
        mark = quoted(&format!("{OBJECT_MARK}\n")),
        mark_only = quoted(OBJECT_MARK),
        limit = super::TIME_LIMIT_SECS,
    )
}

/// The part's cases.
pub(super) fn case_texts() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = LINKS
        .iter()
        .map(|c| (format!("{GROUP}/tree:{}", c.id), link_text(c)))
        .collect();
    out.extend(
        contents()
            .iter()
            .map(|c| (format!("{GROUP}/tree:{}", c.id), content_text(c))),
    );
    out.extend(
        OBJECTS
            .iter()
            .map(|(id, name, what)| (format!("{GROUP}/object:{id}"), object_text(name, what))),
    );
    out
}

/// How many cases [`case_texts`] yields.
#[cfg(test)]
pub(super) fn count() -> usize {
    LINKS.len() + contents().len() + OBJECTS.len()
}
