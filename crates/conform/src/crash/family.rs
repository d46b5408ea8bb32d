//! The generated crash family (`c-crash/<scenario>:<model>`): each
//! scenario's writing step crashed at every recorded change, under each
//! file-system model ([`super::model::FsModel`]). A table
//! ([`SCENARIOS`] × models) turned into case-format text;
//! `assetpin conform --list --filter c-crash` shows them all.

use super::GROUP;
use super::model::FsModel;
use crate::case::Case;

/// One scenario: the set-up, the crashed step and the recovery.
pub struct Scenario {
    /// Id part.
    pub id: &'static str,
    /// What it checks, for the summary.
    pub what: &'static str,
    /// `core` or `portable`.
    pub profile: &'static str,
    /// Clause ids.
    pub clauses: &'static [&'static str],
    /// Case-format text of the steps before the crashed one (and of the
    /// project and any later commits).
    pub setup: &'static str,
    /// The crashed step's verb, args and copies (`copies = 3` or empty).
    pub step: &'static str,
    /// The skills it writes (copy `i` writes the `i`-th).
    pub assets: &'static [&'static str],
    /// The recovery runs, as `[[step.crash.recover]]` tables.
    pub recover: &'static str,
}

const WIKI: &str = r##"[[wiki.commit]]
label = "c1"
files = [
  { path = "skills/a/SKILL.md", text = "---\nname: a\ndescription: skill a of the crash cases\n---\n# a v1\n" },
  { path = "skills/a/references/notes.md", text = "notes of a, v1\n" },
  { path = "skills/a/scripts/run.sh", text = "#!/bin/sh\necho a\n", exec = true },
  { path = "skills/a/docs/guide/intro.md", text = "a directory that holds only a directory\n" },
  { path = "skills/b/SKILL.md", text = "---\nname: b\ndescription: skill b of the crash cases\n---\n# b\n" },
  { path = "skills/c0/SKILL.md", text = "---\nname: c0\ndescription: c0\n---\n# c0\n" },
  { path = "skills/c1/SKILL.md", text = "---\nname: c1\ndescription: c1\n---\n# c1\n" },
  { path = "skills/c2/SKILL.md", text = "---\nname: c2\ndescription: c2\n---\n# c2\n" },
]

[project]
files = [{ path = "notes/todo.md", text = "the user's own file\n" }]
"##;

const V2: &str = r##"[[step]]
action = "wiki-commit"
commit = { label = "c2", files = [
  { path = "skills/a/SKILL.md", text = "---\nname: a\ndescription: skill a of the crash cases\n---\n# a v2\n" },
  { path = "skills/a/references/notes.md", delete = true },
  { path = "skills/a/references/more.md", text = "new in v2\n" },
] }
"##;

const INSTALL_B: &str = "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"b\"]\n";
const INSTALL_A: &str = "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\n";

/// Skill `a` at `c1` written by hand into its dest (what `adopt` records).
const ADOPT_COPY: &str = r##"[[step]]
action = "write"
path = "${dest.a}/SKILL.md"
text = "---\nname: a\ndescription: skill a of the crash cases\n---\n# a v1\n"

[[step]]
action = "write"
path = "${dest.a}/references/notes.md"
text = "notes of a, v1\n"

[[step]]
action = "write"
path = "${dest.a}/scripts/run.sh"
text = "#!/bin/sh\necho a\n"
mode = "755"

[[step]]
action = "write"
path = "${dest.a}/docs/guide/intro.md"
text = "a directory that holds only a directory\n"
"##;

/// The edit's new bytes (in `$HOME`) and the `mtime_ns` it expects.
const EDIT_SETUP: &str = r##"[[step]]
action = "stat"
path = "${dest.a}/SKILL.md"
capture = "m"

[[step]]
action = "write"
root = "home"
path = "new.md"
text = "---\nname: a\ndescription: skill a, edited\n---\n# a v1, edited\n"
"##;

const EDIT_STEP: &str = "verb = \"edit\"\nargs = [\"skill\", \"a\", \"--expect-mtime-ns\", \"${var.m}\", \"--content-file\", \"${home}/new.md\"]\n";

/// After a crash the user reads the mtime again and edits again; a
/// killed edit may leave its temporary name beside the main file (W1),
/// which that edit removes.
const EDIT_RECOVER: &str = r##"leftovers = ['^\.SKILL\.md\.tmp-']

[[step.crash.actions]]
action = "stat"
path = "${dest.a}/SKILL.md"
capture = "m"

[[step.crash.recover]]
verb = "edit"
args = ["skill", "a", "--expect-mtime-ns", "${var.m}", "--content-file", "${home}/new.md"]
"##;

const RESTORE: &str = "[[step.crash.recover]]\nverb = \"install-all\"\n";

/// Every scenario.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "install",
        what: "install of a skill beside an installed one",
        profile: "core",
        clauses: &["I6", "I7", "L7"],
        setup: INSTALL_B,
        step: "verb = \"install\"\nargs = [\"skill\", \"a\"]\n",
        assets: &["a"],
        recover: "[[step.crash.recover]]\nverb = \"install-all\"\n\n\
                  [[step.crash.recover]]\nverb = \"adopt\"\nargs = [\"skill\", \"a\"]\nmay_refuse = [\"already-installed\", \"not-installed\"]\n\n\
                  [[step.crash.recover]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\nmay_refuse = [\"already-installed\"]\n",
    },
    Scenario {
        id: "update",
        what: "update of a skill to a commit that modifies, adds and deletes files",
        profile: "core",
        clauses: &["I6", "I7", "L7", "U4"],
        setup: "",
        step: "verb = \"update\"\nargs = [\"skill\", \"a\"]\n",
        assets: &["a"],
        recover: "[[step.crash.recover]]\nverb = \"install-all\"\n\n\
                  [[step.crash.recover]]\nverb = \"update\"\nargs = [\"skill\", \"a\"]\n",
    },
    Scenario {
        id: "update-force",
        what: "update --force over a file the user changed (kept as .bak)",
        profile: "core",
        clauses: &["I6", "I7", "L7", "U3"],
        setup: "[[step]]\naction = \"write\"\npath = \"${dest.a}/SKILL.md\"\ntext = \"the user's edit\\n\"\n",
        step: "verb = \"update\"\nargs = [\"skill\", \"a\", \"--force\"]\n",
        assets: &["a"],
        recover: "[[step.crash.recover]]\nverb = \"install-all\"\n\n\
                  [[step.crash.recover]]\nverb = \"update\"\nargs = [\"skill\", \"a\", \"--force\"]\n",
    },
    Scenario {
        id: "remove",
        what: "remove of one of two installed skills",
        profile: "core",
        clauses: &["D1", "D3", "L7"],
        setup: "",
        step: "verb = \"remove\"\nargs = [\"skill\", \"a\"]\n",
        assets: &["a"],
        recover: "entry_may_outlive_dest = true\n\n[[step.crash.recover]]\nverb = \"remove\"\nargs = [\"skill\", \"a\"]\nmay_refuse = [\"not-installed\"]\n",
    },
    Scenario {
        id: "install-all",
        what: "install --all restoring a dest the user deleted",
        profile: "core",
        clauses: &["I6", "I8", "L7"],
        setup: "[[step]]\naction = \"delete\"\npath = \"${dest.a}\"\n",
        step: "verb = \"install-all\"\n",
        assets: &["a"],
        recover: RESTORE,
    },
    Scenario {
        id: "adopt",
        what: "adopt of a dest copied by hand",
        profile: "core",
        clauses: &["I4", "I7", "L7"],
        setup: "",
        step: "verb = \"adopt\"\nargs = [\"skill\", \"a\"]\n",
        assets: &["a"],
        recover: "[[step.crash.recover]]\nverb = \"adopt\"\nargs = [\"skill\", \"a\"]\nmay_refuse = [\"already-installed\"]\n",
    },
    Scenario {
        id: "concurrent",
        what: "three installs of distinct skills into one project at once",
        profile: "core",
        clauses: &["I6", "I7", "K2", "K5", "L7"],
        setup: "",
        step: "verb = \"install\"\nargs = [\"skill\", \"c${i}\"]\ncopies = 3\n",
        assets: &["c0", "c1", "c2"],
        recover: "[[step.crash.recover]]\nverb = \"install-all\"\n\n\
                  [[step.crash.recover]]\nverb = \"adopt\"\nargs = [\"skill\", \"c0\"]\nmay_refuse = [\"already-installed\", \"not-installed\"]\n\n\
                  [[step.crash.recover]]\nverb = \"adopt\"\nargs = [\"skill\", \"c1\"]\nmay_refuse = [\"already-installed\", \"not-installed\"]\n\n\
                  [[step.crash.recover]]\nverb = \"adopt\"\nargs = [\"skill\", \"c2\"]\nmay_refuse = [\"already-installed\", \"not-installed\"]\n\n\
                  [[step.crash.recover]]\nverb = \"install\"\nargs = [\"skill\", \"c0\"]\nmay_refuse = [\"already-installed\"]\n\n\
                  [[step.crash.recover]]\nverb = \"install\"\nargs = [\"skill\", \"c1\"]\nmay_refuse = [\"already-installed\"]\n\n\
                  [[step.crash.recover]]\nverb = \"install\"\nargs = [\"skill\", \"c2\"]\nmay_refuse = [\"already-installed\"]\n",
    },
    Scenario {
        id: "edit",
        what: "edit of an installed skill's main file",
        profile: "core",
        clauses: &["W1", "W5"],
        setup: EDIT_SETUP,
        step: EDIT_STEP,
        assets: &["a"],
        recover: EDIT_RECOVER,
    },
    Scenario {
        id: "portable-install",
        what: "install of a skill (any installer)",
        profile: "portable",
        clauses: &["P11"],
        setup: "",
        step: "verb = \"install\"\nargs = [\"skill\", \"a\"]\n",
        assets: &["a"],
        recover: "[[step.crash.recover]]\nverb = \"install-all\"\nif_claimed = true\n\n\
                  [[step.crash.recover]]\nverb = \"adopt\"\nargs = [\"skill\", \"a\"]\nif_claimed = true\nmay_refuse = [\"already-installed\", \"not-installed\"]\n\n\
                  [[step.crash.recover]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\nmay_fail = true\n",
    },
];

/// The case text of `s` under `model`.
pub fn case_text(s: &Scenario, model: FsModel) -> String {
    let clauses: Vec<String> = s.clauses.iter().map(|c| format!("{c:?}")).collect();
    let assets: Vec<String> = s.assets.iter().map(|a| format!("{a:?}")).collect();
    // The set-up each scenario starts from: update and remove need `a`
    // installed, adopt a copy of it without entry, all but install-all
    // `b` installed beside it.
    let pre = match s.id {
        "install" | "portable-install" | "concurrent" => String::new(),
        "update" | "update-force" => format!("{INSTALL_A}\n{V2}"),
        "adopt" => ADOPT_COPY.to_owned(),
        _ => INSTALL_A.to_owned(),
    };
    let b = if s.profile == "core" && s.id != "install" {
        INSTALL_B
    } else {
        ""
    };
    format!(
        "summary = \"{what}, crashed at every file-system call ({m}): every state whole and recovered from\"\n\
         clauses = [{clauses}]\nprofile = \"{profile}\"\n\n{WIKI}\n{b}\n{pre}\n{setup}\n\
         [[step]]\n{step}\n[step.crash]\nmodel = \"{m}\"\nassets = [{assets}]\n\n{recover}",
        what = s.what,
        m = model.as_str(),
        clauses = clauses.join(", "),
        profile = s.profile,
        setup = s.setup,
        step = s.step,
        assets = assets.join(", "),
        recover = s.recover,
    )
}

/// Every case of the family, as (id, case-format text), in a stable order.
pub fn case_texts() -> Vec<(String, String)> {
    SCENARIOS
        .iter()
        .flat_map(|s| {
            FsModel::ALL
                .iter()
                .map(move |m| (format!("{GROUP}/{}:{}", s.id, m.as_str()), case_text(s, *m)))
        })
        .collect()
}

/// The family, parsed.
///
/// # Errors
/// A generated text that does not parse (a bug in the table).
pub fn cases() -> Result<Vec<Case>, crate::source::CaseSetError> {
    crate::source::parse_all(case_texts())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_generates_valid_cases() {
        let cases = cases().unwrap_or_else(|e| panic!("{e}"));
        crate::source::assert_valid_family(&cases, SCENARIOS.len() * FsModel::ALL.len());
        crate::source::assert_each_judged(&cases, |r| r.crash.is_some());
    }
}
