//! The generated user-entries family (`m-user-entries/*`; CONTRACT U3, U4,
//! D2, I8, I4, W1, I5): every kind of entry a user can leave in dest, at
//! paths the entry records and paths it does not, against every verb that
//! writes or deletes dest. The step must keep the user's entry where it
//! was, carry it, keep it aside as the clause says (a `.bak`,
//! `.memtomem/removed/`), or refuse; never delete or change it silently
//! (a step's `keeps`, see [`crate::keep`]). Each step also carries the
//! hostile-input verdict: a classified refusal that writes nothing, or a
//! correct result; no timeout, signal or crash trace.
//!
//! A table ([`KINDS`] × [`POSITIONS`] × [`VERBS`]) turned into case-format
//! text, like [`crate::hostile`]; `assetpin conform --list --filter
//! m-user-entries` shows them all.

use super::case::Case;
use super::source::quoted;

/// The case group (and id prefix) of the family.
pub const GROUP: &str = "m-user-entries";

/// The per-process time limit of a case's verb, seconds.
pub const TIME_LIMIT_SECS: u64 = 10;

/// A kind of entry the user leaves.
#[derive(Debug, Clone, Copy)]
pub struct EntryKind {
    /// Short name used in case ids.
    pub id: &'static str,
    /// What it is, for the summary.
    pub what: &'static str,
    /// The steps that make it at `{path}` (case-format TOML; `{path}` and
    /// `{up}`, the way from its directory up to the project, are
    /// substituted).
    pub make: &'static str,
    /// It points outside the project (Y2: profile `ext`).
    pub outside: bool,
    /// It is a regular file: what `edit` of the main file is asked to
    /// replace, so (edit, main) is left out for it.
    pub regular: bool,
}

const fn k(
    id: &'static str,
    what: &'static str,
    make: &'static str,
    outside: bool,
    regular: bool,
) -> EntryKind {
    EntryKind {
        id,
        what,
        make,
        outside,
        regular,
    }
}

/// Every kind of entry a user can leave in dest.
pub const KINDS: &[EntryKind] = &[
    k(
        "file",
        "a regular file",
        "[[step]]\naction = \"write\"\npath = \"{path}\"\ntext = \"the user's file\\n\"\n\n",
        false,
        true,
    ),
    k(
        "hardlink",
        "a second hard link of a file elsewhere in the project",
        "[[step]]\naction = \"write\"\npath = \"notes.txt\"\ntext = \"the user's linked notes\\n\"\n\n\
         [[step]]\naction = \"hardlink\"\npath = \"{path}\"\ntarget = \"notes.txt\"\n\n",
        false,
        true,
    ),
    k(
        "link-inside",
        "a symbolic link to a file in the project",
        "[[step]]\naction = \"write\"\npath = \"notes.txt\"\ntext = \"the user's notes\\n\"\n\n\
         [[step]]\naction = \"symlink\"\npath = \"{path}\"\ntarget = \"{up}notes.txt\"\n\n",
        false,
        false,
    ),
    k(
        "link-outside",
        "a symbolic link to a file outside the project",
        "[[step]]\naction = \"write\"\nroot = \"outside\"\npath = \"theirs.txt\"\ntext = \"outside\\n\"\n\n\
         [[step]]\naction = \"symlink\"\npath = \"{path}\"\ntarget = \"${outside}/theirs.txt\"\n\n",
        true,
        false,
    ),
    k(
        "empty-dir",
        "an empty directory",
        "[[step]]\naction = \"mkdir\"\npath = \"{path}\"\n\n",
        false,
        false,
    ),
    k(
        "tree",
        "a directory tree",
        "[[step]]\naction = \"write\"\npath = \"{path}/one.md\"\ntext = \"the user's one\\n\"\n\n\
         [[step]]\naction = \"write\"\npath = \"{path}/deeper/two.md\"\ntext = \"the user's two\\n\"\n\n",
        false,
        false,
    ),
    k(
        "fifo",
        "a FIFO",
        "[[step]]\naction = \"mkfifo\"\npath = \"{path}\"\n\n",
        false,
        false,
    ),
    k(
        "socket",
        "a unix socket",
        "[[step]]\naction = \"plant\"\npath = \"{path}\"\nplant = \"socket\"\n\n",
        false,
        false,
    ),
    k(
        "mode-000",
        "a file with permission bits 000",
        "[[step]]\naction = \"write\"\npath = \"{path}\"\ntext = \"the user's locked file\\n\"\nmode = \"000\"\n\n",
        false,
        true,
    ),
    k(
        "sparse",
        "a sparse file of 4 MiB",
        "[[step]]\naction = \"sparse\"\npath = \"{path}\"\ntext = \"the user's sparse file\\n\"\nsize = 4194304\n\n",
        false,
        true,
    ),
];

/// Where in dest (`.memtomem/skills/a`) the entry is left.
#[derive(Debug, Clone, Copy)]
pub struct Position {
    /// Short name used in case ids.
    pub id: &'static str,
    /// The path below dest.
    pub rel: &'static str,
    /// What the path is to the asset, for the summary.
    pub what: &'static str,
    /// Only for the update verbs (HEAD adds the file there).
    pub update_only: bool,
}

const DEST: &str = ".memtomem/skills/a";

/// The positions: paths the entry does not record, and paths it does.
pub const POSITIONS: &[Position] = &[
    Position {
        id: "top",
        rel: "mine",
        what: "a path the entry does not record, at the top of dest",
        update_only: false,
    },
    Position {
        id: "in-subdir",
        rel: "docs/mine",
        what: "a path the entry does not record, in a directory it does",
        update_only: false,
    },
    Position {
        id: "head-adds",
        rel: "docs/new.md",
        what: "the path where the wiki's HEAD adds a file",
        update_only: true,
    },
    Position {
        id: "recorded",
        rel: "docs/guide.md",
        what: "a recorded file HEAD keeps",
        update_only: false,
    },
    Position {
        id: "main",
        rel: "SKILL.md",
        what: "the main file, which HEAD changes",
        update_only: false,
    },
];

/// A verb that writes or deletes dest, and the state it starts from.
#[derive(Debug, Clone, Copy)]
pub struct VerbCase {
    /// Short name used in case ids.
    pub id: &'static str,
    /// The steps before the user's entry (case-format TOML).
    pub setup: &'static str,
    /// The steps between the user's entry and the judged step.
    pub before_run: &'static str,
    /// The judged step's `verb` and `args` (TOML).
    pub run: &'static str,
    /// The hostile verdict's table.
    pub hostile: &'static str,
    /// Clause ids.
    pub clauses: &'static [&'static str],
    /// Profile `ext` (the reference's own verbs).
    pub ext: bool,
    /// An update (the position where HEAD adds a file applies).
    pub update: bool,
}

const INSTALL_AB: &str = "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\n\n\
                          [[step]]\nverb = \"install\"\nargs = [\"skill\", \"b\"]\n\n";
const HEAD_C2: &str = "[[step]]\naction = \"wiki-commit\"\ncommit = { label = \"c2\", files = [\n  \
                       { path = \"skills/a/SKILL.md\", text = \"# a v2\\n\" },\n  \
                       { path = \"skills/a/docs/new.md\", text = \"new\\n\" },\n] }\n\n";
const A_BY_HAND: &str = "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"b\"]\n\n\
                         [[step]]\naction = \"write\"\npath = \".memtomem/skills/a/SKILL.md\"\ntext = \"# a v1\\n\"\n\n\
                         [[step]]\naction = \"write\"\npath = \".memtomem/skills/a/docs/guide.md\"\ntext = \"guide\\n\"\n\n";
const STAT_AND_NEW: &str = "[[step]]\naction = \"stat\"\npath = \".memtomem/skills/a/SKILL.md\"\ncapture = \"m\"\n\n\
                            [[step]]\naction = \"write\"\nroot = \"home\"\npath = \"new.md\"\ntext = \"# a, edited\\n\"\n\n";
const ASSET_A: &str = "{ type = \"skill\", name = \"a\" }";

/// The verbs.
pub const VERBS: &[VerbCase] = &[
    VerbCase {
        id: "update",
        setup: INSTALL_AB,
        before_run: HEAD_C2,
        run: "verb = \"update\"\nargs = [\"skill\", \"a\"]",
        hostile: ASSET_A,
        clauses: &["U3", "U4", "I5"],
        ext: false,
        update: true,
    },
    VerbCase {
        id: "update-force",
        setup: INSTALL_AB,
        before_run: HEAD_C2,
        run: "verb = \"update\"\nargs = [\"skill\", \"a\", \"--force\"]",
        hostile: ASSET_A,
        clauses: &["U3", "U4", "I5"],
        ext: false,
        update: true,
    },
    VerbCase {
        id: "remove",
        setup: INSTALL_AB,
        before_run: "",
        run: "verb = \"remove\"\nargs = [\"skill\", \"a\"]",
        hostile: ASSET_A,
        clauses: &["D2", "I5"],
        ext: true,
        update: false,
    },
    VerbCase {
        id: "remove-force",
        setup: INSTALL_AB,
        before_run: "",
        run: "verb = \"remove\"\nargs = [\"skill\", \"a\", \"--force\"]",
        hostile: ASSET_A,
        clauses: &["D2", "I5"],
        ext: true,
        update: false,
    },
    VerbCase {
        id: "install-all",
        setup: INSTALL_AB,
        before_run: "",
        run: "verb = \"install-all\"",
        hostile: ASSET_A,
        clauses: &["I8", "I5"],
        ext: false,
        update: false,
    },
    VerbCase {
        id: "adopt",
        setup: A_BY_HAND,
        before_run: "",
        run: "verb = \"adopt\"\nargs = [\"skill\", \"a\"]",
        hostile: ASSET_A,
        clauses: &["I4", "I5"],
        ext: false,
        update: false,
    },
    VerbCase {
        id: "edit",
        setup: INSTALL_AB,
        before_run: STAT_AND_NEW,
        run: "verb = \"edit\"\nargs = [\"skill\", \"a\", \"--expect-mtime-ns\", \"${var.m}\", \
              \"--content-file\", \"${home}/new.md\"]",
        hostile: "{}",
        clauses: &["W1", "W4", "I5"],
        ext: false,
        update: false,
    },
];

/// The wiki every case starts from: `a` (`SKILL.md` and `docs/guide.md`)
/// and `b`.
const WIKI: &str = "[[wiki.commit]]\nlabel = \"c1\"\nfiles = [\n  \
                    { path = \"skills/a/SKILL.md\", text = \"# a v1\\n\" },\n  \
                    { path = \"skills/a/docs/guide.md\", text = \"guide\\n\" },\n  \
                    { path = \"skills/b/SKILL.md\", text = \"# b\\n\" },\n]\n\n";

/// The case text for one (verb, position, kind).
pub fn case_text(v: &VerbCase, p: &Position, e: &EntryKind) -> String {
    let path = format!("{DEST}/{}", p.rel);
    let up = "../".repeat(path.matches('/').count());
    // A recorded file is taken out first: the user's entry replaces it.
    let clear = if matches!(p.id, "recorded" | "main") {
        format!("[[step]]\naction = \"delete\"\npath = \"{path}\"\n\n")
    } else {
        String::new()
    };
    let make = e.make.replace("{path}", &path).replace("{up}", &up);
    let mut clauses: Vec<&str> = v.clauses.to_vec();
    if e.outside {
        clauses.insert(0, "Y2");
    }
    format!(
        "summary = {summary}\nclauses = {clauses:?}\nprofile = \"{profile}\"\n\n{WIKI}\
         [project]\nmarker = true\n\n{setup}{clear}{make}{before_run}\
         [[step]]\n{run}\nexit = \"any\"\nhostile = {hostile}\nkeeps = [{keep}]\n\
         timeout_secs = {TIME_LIMIT_SECS}\n",
        summary = quoted(&format!(
            "{} with the user's {} at {} ({}): kept, kept aside, or a refusal; never lost",
            v.id, e.what, p.rel, p.what
        )),
        profile = if v.ext || e.outside { "ext" } else { "core" },
        setup = v.setup,
        before_run = v.before_run,
        run = v.run,
        hostile = v.hostile,
        keep = quoted(&path),
    )
}

/// Whether (verb, position, kind) is a case: `edit` is asked to replace
/// the main file, so a regular file there is its to replace.
fn wanted(v: &VerbCase, p: &Position, e: &EntryKind) -> bool {
    !(v.id == "edit" && p.id == "main" && e.regular)
}

/// Every case of the family, as (id, case-format text), in a stable order.
pub fn case_texts() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for v in VERBS {
        for p in POSITIONS.iter().filter(|p| v.update || !p.update_only) {
            for e in KINDS.iter().filter(|e| wanted(v, p, e)) {
                out.push((
                    format!("{GROUP}/{}:{}:{}", v.id, p.id, e.id),
                    case_text(v, p, e),
                ));
            }
        }
    }
    out
}

/// The family, parsed.
///
/// # Errors
/// A generated text that does not parse (a bug in the table), one problem
/// each.
pub fn cases() -> Result<Vec<Case>, super::source::CaseSetError> {
    super::source::parse_all(case_texts())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table yields every (verb, position, kind) once, every text
    /// parses and validates, and every judged step keeps something.
    #[test]
    fn the_table_generates_valid_cases() {
        let cases = cases().unwrap_or_else(|e| panic!("{e}"));
        let n: usize = VERBS
            .iter()
            .flat_map(|v| POSITIONS.iter().map(move |p| (v, p)))
            .filter(|(v, p)| v.update || !p.update_only)
            .map(|(v, p)| KINDS.iter().filter(|e| wanted(v, p, e)).count())
            .sum();
        assert_eq!(
            n, 296,
            "7 verbs x 4 positions (5 for the updates) x 10 kinds, less 4"
        );
        crate::source::assert_valid_family(&cases, n);
        crate::source::assert_each_judged(&cases, |r| !r.keeps.is_empty() && r.hostile.is_some());
    }
}
