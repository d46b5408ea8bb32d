//! The generated hostile-filesystem family (`h-hostile/*`; CONTRACT E4,
//! I5, K7, Y2, I1): every path the tool reads, opens or creates, times
//! every hostile entry that can be planted there, times every verb that
//! touches it, as cases in the case format.
//!
//! The family is a table, not files: [`TARGETS`] × [`Plant`] × [`VERBS`]
//! (plus [`NAMES`], asset names that look like the tool's own files). Each
//! case is written as case-format TOML and parsed by [`Case::parse`], so it
//! is validated and run exactly like a hand-written one, through any
//! adapter. A case sets up its state through the adapter (installs of
//! `a` and `b`), plants the entry, then runs the verb under the
//! hostile-input verdict (`hostile`, see `check::check_hostile`): a
//! classified refusal with the project unchanged, or a correct result;
//! nothing outside the project changed (paths, bytes, modes, link counts);
//! no timeout (each process has [`TIME_LIMIT_SECS`]), signal or crash
//! trace. `assetpin conform --list --filter h-hostile` shows them all.

use super::case::{Case, Plant};
use super::source::quoted;
use std::fmt::Write as _;

/// The per-process time limit of a generated case's verb, seconds: a
/// process still running then is killed and the case fails with
/// `timeout`.
pub const TIME_LIMIT_SECS: u64 = 10;

/// The case group (and id prefix) of the family.
pub const GROUP: &str = "h-hostile";

/// Where an entry is planted.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Short name used in case ids.
    pub id: &'static str,
    /// `project`, `wiki` or `home` (the case's `$HOME`).
    pub root: &'static str,
    /// The path below the root.
    pub path: &'static str,
    /// The tool expects a directory here.
    pub dir: bool,
    /// What the path is to the tool.
    pub what: &'static str,
}

const fn t(
    id: &'static str,
    root: &'static str,
    path: &'static str,
    dir: bool,
    what: &'static str,
) -> Target {
    Target {
        id,
        root,
        path,
        dir,
        what,
    }
}

/// Every path the tool reads, opens or creates for asset `skill a`.
pub const TARGETS: &[Target] = &[
    t(
        "memtomem",
        "project",
        ".memtomem",
        true,
        "the state directory",
    ),
    t(
        "lockfile",
        "project",
        ".memtomem/lock.json",
        false,
        "the lockfile",
    ),
    t(
        "lockfile-tmp",
        "project",
        ".memtomem/.lock.json.tmp-0",
        false,
        "a name like the lockfile's temporary files",
    ),
    t(
        "sidecar",
        "project",
        ".memtomem/.lock.json.lock",
        false,
        "the sidecar lock",
    ),
    t(
        "section",
        "project",
        ".memtomem/skills",
        true,
        "the section directory",
    ),
    t(
        "asset-lock",
        "project",
        ".memtomem/skills/.a.lock",
        false,
        "the per-asset lock",
    ),
    t(
        "staging",
        "project",
        ".memtomem/skills/.a~staging-0",
        true,
        "a name like a staging directory",
    ),
    t("dest", "project", ".memtomem/skills/a", true, "dest"),
    t(
        "dest-file",
        "project",
        ".memtomem/skills/a/SKILL.md",
        false,
        "a file in dest",
    ),
    t(
        "dest-subdir",
        "project",
        ".memtomem/skills/a/docs",
        true,
        "a directory in dest",
    ),
    t(
        "bak",
        "project",
        ".memtomem/skills/a/SKILL.md.bak",
        false,
        "the name of a .bak copy",
    ),
    t(
        "wiki-asset",
        "wiki",
        "skills/a",
        true,
        "the asset directory in the wiki work tree",
    ),
    t(
        "wiki-file",
        "wiki",
        "skills/a/SKILL.md",
        false,
        "a file of the asset in the wiki work tree",
    ),
];

/// A verb and the state it starts from.
#[derive(Debug, Clone, Copy)]
pub struct VerbCase {
    /// Short name used in case ids.
    pub id: &'static str,
    /// Steps that make the starting state (case-format TOML).
    pub setup: &'static str,
    /// The judged step's `verb` and `args` (TOML).
    pub run: &'static str,
    /// The asset a success must leave equal to its pin, if any.
    pub writes: bool,
}

const INSTALL_A: &str = "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\n\n";
const INSTALL_B: &str = "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"b\"]\n\n";
/// The verbs, each from the state where it has work to do.
pub const VERBS: &[VerbCase] = &[
    VerbCase {
        id: "install",
        setup: INSTALL_B,
        run: "verb = \"install\"\nargs = [\"skill\", \"a\"]",
        writes: true,
    },
    VerbCase {
        id: "install-all",
        setup: concat!(
            "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\n\n",
            "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"b\"]\n\n",
            "[[step]]\naction = \"delete\"\npath = \".memtomem/skills/a\"\n\n"
        ),
        run: "verb = \"install-all\"",
        writes: true,
    },
    VerbCase {
        id: "update",
        setup: concat!(
            "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\n\n",
            "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"b\"]\n\n",
            "[[step]]\naction = \"wiki-commit\"\ncommit = { label = \"c2\", files = [\n  ",
            "{ path = \"skills/a/SKILL.md\", text = \"# a v2\\n\" },\n  ",
            "{ path = \"skills/a/docs/new.md\", text = \"new\\n\" },\n] }\n\n"
        ),
        run: "verb = \"update\"\nargs = [\"skill\", \"a\"]",
        writes: true,
    },
    VerbCase {
        id: "update-force",
        setup: concat!(
            "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\n\n",
            "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"b\"]\n\n",
            "[[step]]\naction = \"wiki-commit\"\ncommit = { label = \"c2\", files = [\n  ",
            "{ path = \"skills/a/SKILL.md\", text = \"# a v2\\n\" },\n  ",
            "{ path = \"skills/a/docs/new.md\", text = \"new\\n\" },\n] }\n\n",
            "[[step]]\naction = \"append\"\npath = \".memtomem/skills/a/docs/guide.md\"\ntext = \"edit\\n\"\n\n"
        ),
        run: "verb = \"update\"\nargs = [\"skill\", \"a\", \"--force\"]",
        writes: true,
    },
    VerbCase {
        id: "status",
        setup: concat!(
            "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\n\n",
            "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"b\"]\n\n"
        ),
        run: "verb = \"status\"",
        writes: false,
    },
    VerbCase {
        id: "adopt",
        setup: concat!(
            "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"b\"]\n\n",
            "[[step]]\naction = \"write\"\npath = \".memtomem/skills/a/SKILL.md\"\ntext = \"# a v1\\n\"\n\n",
            "[[step]]\naction = \"write\"\npath = \".memtomem/skills/a/docs/guide.md\"\ntext = \"guide\\n\"\n\n"
        ),
        run: "verb = \"adopt\"\nargs = [\"skill\", \"a\"]",
        writes: true,
    },
    VerbCase {
        id: "remove",
        setup: concat!(
            "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\n\n",
            "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"b\"]\n\n"
        ),
        run: "verb = \"remove\"\nargs = [\"skill\", \"a\"]",
        writes: true,
    },
];

/// Valid asset names that equal, or begin like, names the tool uses for
/// its own files (Y1, I5, E4): installed beside `a` and `b`, they must
/// not touch either.
pub const NAMES: &[&str] = &[
    ".a.lock",
    "..a.lock",
    "a.lock",
    ".a",
    ".lock.json.lock",
    "lock.json",
    ".a.tmp-0",
    "a.staging-0",
];

/// The plants that apply where the tool expects a file (`dir` false) or a
/// directory.
pub fn plants_for(dir: bool) -> Vec<Plant> {
    Plant::ALL
        .iter()
        .copied()
        .filter(|p| match p {
            Plant::HardlinkOutside | Plant::DirForFile => !dir,
            Plant::FileForDir => dir,
            _ => true,
        })
        .collect()
}

/// The wiki every case starts from: `a` (two files, one in a subdirectory)
/// and `b`, plus `extra` asset names.
fn wiki(extra: &[&str]) -> String {
    let mut s = String::from(
        "[[wiki.commit]]\nlabel = \"c1\"\nfiles = [\n  \
         { path = \"skills/a/SKILL.md\", text = \"# a v1\\n\" },\n  \
         { path = \"skills/a/docs/guide.md\", text = \"guide\\n\" },\n  \
         { path = \"skills/b/SKILL.md\", text = \"# b\\n\" },\n",
    );
    for n in extra {
        let _ = writeln!(
            s,
            "  {{ path = \"skills/{n}/SKILL.md\", text = \"# {n}\\n\" }},"
        );
    }
    s.push_str("]\n\n");
    s
}

/// The case text for one (verb, target, plant); `before` is case-format
/// steps run after the verb's setup and before the plant.
pub fn plant_case_text(v: &VerbCase, t: &Target, p: Plant, before: &str) -> String {
    let outside = matches!(
        p,
        Plant::LinkInside | Plant::LinkOutside | Plant::HardlinkOutside
    ) && t.root == "project";
    let mut clauses = vec!["E4", "I5"];
    if outside {
        clauses.insert(0, "Y2");
    }
    if t.root != "project" {
        clauses.push("I1");
    }
    if v.id == "status" {
        clauses.push("K7");
    }
    if v.id == "remove" {
        clauses.push("D1");
    }
    let hostile = if v.writes {
        "{ type = \"skill\", name = \"a\" }"
    } else {
        "{}"
    };
    format!(
        "summary = {summary}\nclauses = {clauses:?}\nprofile = \"{profile}\"\n\n{wiki}\
         [project]\nmarker = true\n\n{setup}{before}\
         [[step]]\naction = \"plant\"\nroot = \"{root}\"\npath = {path}\nplant = \"{plant}\"\ndir = {dir}\n\n\
         [[step]]\n{run}\nexit = \"any\"\nhostile = {hostile}\ntimeout_secs = {TIME_LIMIT_SECS}\n",
        summary = quoted(&format!(
            "{} with {} ({}) replaced by a {}: a classified refusal or a correct result",
            v.id, t.what, t.path, p
        )),
        // remove is the reference's own verb (D is ext).
        profile = if outside || v.id == "remove" {
            "ext"
        } else {
            "core"
        },
        wiki = wiki(&[]),
        setup = v.setup,
        root = t.root,
        path = quoted(t.path),
        plant = p,
        dir = t.dir,
        run = v.run,
    )
}

/// The case text for installing (or reading the status of) an asset
/// named `name` beside the installed `a` and `b`.
pub fn name_case_text(verb: &str, name: &str) -> String {
    let (run, hostile) = if verb == "install" {
        (
            format!("verb = \"install\"\nargs = [\"skill\", {}]", quoted(name)),
            format!("{{ type = \"skill\", name = {} }}", quoted(name)),
        )
    } else {
        ("verb = \"status\"".to_owned(), "{}".to_owned())
    };
    format!(
        "summary = {summary}\nclauses = [\"Y1\", \"E4\", \"I5\"]\n\n{wiki}\
         [project]\nmarker = true\n\n{INSTALL_A}{INSTALL_B}\
         [[step]]\n{run}\nexit = \"any\"\nhostile = {hostile}\ntimeout_secs = {TIME_LIMIT_SECS}\n\n\
         [expect]\nassets = [{{ type = \"skill\", name = \"a\" }}, {{ type = \"skill\", name = \"b\" }}]\n",
        summary = quoted(&format!(
            "{verb} beside an asset named {name:?}, a name like the tool's own files: a and b stay installed"
        )),
        wiki = wiki(&[name]),
    )
}

/// Every case of the family, as (id, case-format text), in a stable order.
pub fn case_texts() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for v in VERBS {
        for t in TARGETS {
            for p in plants_for(t.dir) {
                out.push((
                    format!("{GROUP}/{}:{}:{p}", v.id, t.id),
                    plant_case_text(v, t, p, ""),
                ));
            }
        }
    }
    for verb in ["install", "status"] {
        for n in NAMES {
            out.push((format!("{GROUP}/name-{verb}:{n}"), name_case_text(verb, n)));
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

    /// The table yields every (verb, target, plant) once, and every text
    /// parses and validates against the contract.
    #[test]
    fn the_table_generates_valid_cases() {
        let cases = cases().unwrap_or_else(|e| panic!("{e}"));
        let per_verb: usize = TARGETS.iter().map(|t| plants_for(t.dir).len()).sum();
        crate::source::assert_valid_family(&cases, VERBS.len() * per_verb + 2 * NAMES.len());
        crate::source::assert_each_judged(&cases, |r| r.hostile.is_some());
    }
}
