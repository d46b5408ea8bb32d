//! The case model: one TOML file per case, parsed and validated here.
//! The format is documented in `docs/conformance.md`; every case names the
//! contract clause ids it checks (CONTRACT.md, all groups Y L K I U T E).

use serde::Deserialize;
use std::collections::BTreeMap;

/// One conformance case, as read from `<group>/<name>.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// `<group>/<file stem>`; filled in by the loader, not read from TOML.
    #[serde(skip)]
    pub id: String,
    /// The group directory name.
    #[serde(skip)]
    pub group: String,
    /// One-line statement of what the case checks.
    pub summary: String,
    /// Clause ids checked (`Y1`, `K6`, ...).
    pub clauses: Vec<String>,
    /// `core` or `ext` (CONTRACT profiles). Default `core`.
    #[serde(default = "default_profile")]
    pub profile: String,
    /// Adapter features the case needs (`json`, `project-flag`,
    /// `expect-mtime`); an adapter without one reports `unsupported`.
    #[serde(default)]
    pub requires: Vec<String>,
    /// The wiki's history and work tree.
    #[serde(default)]
    pub wiki: Wiki,
    /// The project's starting state.
    #[serde(default)]
    pub project: Project,
    /// What happens, in order.
    #[serde(default, rename = "step")]
    pub steps: Vec<Step>,
    /// What must hold after the last step.
    #[serde(default)]
    pub expect: Expect,
}

fn default_profile() -> String {
    "core".into()
}

fn yes() -> bool {
    true
}

/// The wiki: a git repository built by the harness.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wiki {
    /// No wiki directory at all (`wiki-not-found`).
    #[serde(default)]
    pub absent: bool,
    /// The directory exists but is not a git repository.
    #[serde(default)]
    pub not_git: bool,
    /// Commits, oldest first.
    #[serde(default)]
    pub commit: Vec<Commit>,
    /// Work-tree changes after the last commit (not committed): modified,
    /// deleted, untracked or ignored files.
    #[serde(default)]
    pub worktree: Vec<FileSpec>,
}

/// One wiki commit.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commit {
    /// Name for `${commit.<label>}`.
    #[serde(default)]
    pub label: Option<String>,
    /// Files written (or deleted) before committing.
    #[serde(default)]
    pub files: Vec<FileSpec>,
}

/// A file, directory, symlink, gitlink or deletion at `path`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// Relative path (under the root the context implies).
    pub path: String,
    /// UTF-8 content (variables substituted).
    #[serde(default)]
    pub text: Option<String>,
    /// Raw content as hex (for invalid UTF-8).
    #[serde(default)]
    pub hex: Option<String>,
    /// Executable bit (git mode 100755 in a wiki; 0755 in a project).
    #[serde(default)]
    pub exec: bool,
    /// Octal mode to set, e.g. `"600"`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Make a symbolic link to this target (variables substituted).
    #[serde(default)]
    pub symlink: Option<String>,
    /// Make a directory.
    #[serde(default)]
    pub dir: bool,
    /// Wiki only: a submodule entry (gitlink) at this 40-hex commit.
    #[serde(default)]
    pub gitlink: Option<String>,
    /// Remove the path.
    #[serde(default)]
    pub delete: bool,
}

/// The project's starting state.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// The project directory does not exist.
    #[serde(default)]
    pub absent: bool,
    /// The project path exists but is a regular file.
    #[serde(default)]
    pub is_file: bool,
    /// Create `.git/` as the project-root marker (default true).
    #[serde(default = "yes")]
    pub marker: bool,
    /// Files, directories and planted symlinks.
    #[serde(default)]
    pub files: Vec<FileSpec>,
}

impl Default for Project {
    fn default() -> Self {
        Project {
            absent: false,
            is_file: false,
            marker: true,
            files: Vec::new(),
        }
    }
}

/// Where a path is rooted.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Root {
    /// The project directory.
    #[default]
    Project,
    /// The wiki work tree.
    Wiki,
    /// A directory outside both (symlink targets, Y2).
    Outside,
    /// The temporary `$HOME`.
    Home,
}

/// One step: a verb run (possibly N copies in parallel) or an outside action.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// `install`, `install-all`, `update`, `status` or `raw`.
    #[serde(default)]
    pub verb: Option<String>,
    /// Arguments after the verb (variables substituted; `${i}` is the copy
    /// index in a parallel step).
    #[serde(default)]
    pub args: Vec<String>,
    /// Ask for the adapter's JSON output (needs feature `json`).
    #[serde(default)]
    pub json: bool,
    /// Run this many copies at once.
    #[serde(default)]
    pub copies: Option<usize>,
    /// Expected exit class: `ok`, `refused`, `usage`, `conflict`,
    /// `nonzero`, `any`.
    #[serde(default)]
    pub exit: Option<String>,
    /// Expected error kind (E1 spelling).
    #[serde(default)]
    pub kind: Option<String>,
    /// Parallel steps: how many copies ended in each outcome (`ok` or a
    /// kind name).
    #[serde(default)]
    pub counts: BTreeMap<String, usize>,
    /// The project tree is byte-for-byte the same after the step (I5).
    #[serde(default)]
    pub unchanged: bool,
    /// Regexes that must match some line of stderr.
    #[serde(default)]
    pub stderr_has: Vec<String>,
    /// Regexes that must match no line of stderr (E4: no panic trace).
    #[serde(default)]
    pub stderr_lacks: Vec<String>,
    /// Regexes that must match the first line of stderr.
    #[serde(default)]
    pub stderr_first: Option<String>,
    /// Regexes that must match some line of stdout.
    #[serde(default)]
    pub stdout_has: Vec<String>,
    /// Stdout must be exactly one JSON object (E3).
    #[serde(default)]
    pub stdout_is_json: bool,
    /// Checks on the stdout JSON object by pointer.
    #[serde(default)]
    pub stdout_json: Vec<ValueCheck>,
    /// Capture `var name -> JSON pointer` from stdout JSON.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    /// Status rows that must appear (verb `status`).
    #[serde(default)]
    pub rows: Vec<RowCheck>,
    /// Exact number of status rows.
    #[serde(default)]
    pub row_count: Option<usize>,

    /// Outside action: `write`, `append`, `delete`, `touch`, `chmod`,
    /// `symlink`, `mkdir`, `wiki-commit`, `wiki-reset`, `sleep`.
    #[serde(default)]
    pub action: Option<String>,
    /// Root of `path` for file actions.
    #[serde(default)]
    pub root: Root,
    /// Path of a file action.
    #[serde(default)]
    pub path: Option<String>,
    /// Content for `write` / `append`.
    #[serde(default)]
    pub text: Option<String>,
    /// Raw content for `write` as hex.
    #[serde(default)]
    pub hex: Option<String>,
    /// Mode for `chmod` / `write`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Target for `symlink`.
    #[serde(default)]
    pub target: Option<String>,
    /// `wiki-commit`: the commit to make.
    #[serde(default)]
    pub commit: Option<Commit>,
    /// `wiki-reset`: the label to reset the wiki to (rollback).
    #[serde(default)]
    pub to: Option<String>,
    /// `sleep`: milliseconds.
    #[serde(default)]
    pub ms: Option<u64>,
}

/// A check on a JSON value at a pointer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueCheck {
    /// RFC 6901 JSON pointer (variables substituted).
    pub pointer: String,
    /// Exact value (strings are variable-substituted).
    #[serde(default)]
    pub equals: Option<toml::Value>,
    /// The value is a string matching this regex (or a number whose text
    /// matches).
    #[serde(default)]
    pub matches: Option<String>,
    /// Equal to the value at this other pointer.
    #[serde(default)]
    pub same_as: Option<String>,
    /// The pointer resolves to nothing.
    #[serde(default)]
    pub absent: bool,
    /// The pointer resolves to something.
    #[serde(default)]
    pub present: bool,
    /// Array or object length.
    #[serde(default)]
    pub count: Option<usize>,
    /// Object keys, in order.
    #[serde(default)]
    pub keys: Option<Vec<String>>,
    /// Value type: `string`, `number`, `integer`, `null`, `object`, `array`, `bool`.
    #[serde(default, rename = "type")]
    pub ty: Option<String>,
}

/// A status row that must be reported.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowCheck {
    /// `skill`, `agent`, `command`.
    #[serde(rename = "type")]
    pub ty: String,
    /// Asset name.
    pub name: String,
    /// Expected state (`ok`, `behind`, `dirty`, `missing`, `stale-pin`,
    /// `untracked`, `unknown`).
    pub state: String,
    /// Expected dirty files (only when the adapter reports them).
    #[serde(default)]
    pub dirty_files: Option<Vec<String>>,
}

/// A file expectation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileCheck {
    /// Relative path.
    pub path: String,
    /// Root of the path.
    #[serde(default)]
    pub root: Root,
    /// Exact UTF-8 bytes.
    #[serde(default)]
    pub text: Option<String>,
    /// Exact bytes as hex.
    #[serde(default)]
    pub hex: Option<String>,
    /// Regex over the content.
    #[serde(default)]
    pub matches: Option<String>,
    /// Nothing exists at the path (not even a dangling link).
    #[serde(default)]
    pub absent: bool,
    /// Something exists at the path.
    #[serde(default)]
    pub exists: bool,
    /// A directory.
    #[serde(default)]
    pub dir: bool,
    /// Octal permission bits, e.g. `"644"`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Directory: exact sorted list of entry names.
    #[serde(default)]
    pub entries: Option<Vec<String>>,
}

/// An asset whose dest must equal its pinned tree.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetCheck {
    /// `skill`, `agent`, `command`.
    #[serde(rename = "type")]
    pub ty: String,
    /// Asset name.
    pub name: String,
    /// dest equals the tree at the recorded pin (after the I2 skip rules)
    /// and every recorded digest matches dest (K6).
    #[serde(default = "yes")]
    pub matches_pin: bool,
}

/// What must hold at the end.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Files and directories.
    #[serde(default)]
    pub files: Vec<FileCheck>,
    /// Lockfile values by JSON pointer.
    #[serde(default)]
    pub lockfile: Vec<ValueCheck>,
    /// The lockfile bytes are the L8 serialization of its own document.
    #[serde(default)]
    pub lockfile_canonical: bool,
    /// Assets whose dest must match their pin.
    #[serde(default)]
    pub assets: Vec<AssetCheck>,
    /// The whole project tree equals its starting state.
    #[serde(default)]
    pub project_unchanged: bool,
}

/// Verbs a case may run.
pub const VERBS: [&str; 5] = ["install", "install-all", "update", "status", "raw"];

/// Outside actions a case may take.
pub const ACTIONS: [&str; 10] = [
    "write",
    "append",
    "delete",
    "touch",
    "chmod",
    "symlink",
    "mkdir",
    "wiki-commit",
    "wiki-reset",
    "sleep",
];

/// Exit classes (E2).
pub const EXITS: [&str; 6] = ["ok", "refused", "usage", "conflict", "nonzero", "any"];

impl Case {
    /// Parses one case file. `id` is `<group>/<stem>`.
    ///
    /// # Errors
    /// A message naming the file and the problem.
    pub fn parse(id: &str, text: &str) -> Result<Case, String> {
        let mut case: Case = toml::from_str(text).map_err(|e| format!("{id}: {e}"))?;
        case.id = id.to_owned();
        case.group = id.split('/').next().unwrap_or("").to_owned();
        Ok(case)
    }

    /// Verbs this case runs.
    pub fn verbs(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .steps
            .iter()
            .filter_map(|s| s.verb.as_deref())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Structural checks against the clause list; returns every problem.
    pub fn validate(&self, clauses: &[String]) -> Vec<String> {
        let mut errs = Vec::new();
        let id = &self.id;
        if self.clauses.is_empty() {
            errs.push(format!("{id}: names no clause ids"));
        }
        for c in &self.clauses {
            if !clauses.contains(c) {
                errs.push(format!("{id}: clause {c:?} is not in the contract"));
            }
        }
        if self.profile != "core" && self.profile != "ext" {
            errs.push(format!(
                "{id}: profile {:?} is neither core nor ext",
                self.profile
            ));
        }
        if self.steps.is_empty() {
            errs.push(format!("{id}: has no steps"));
        }
        let mut asserts = self.expect.files.len()
            + self.expect.lockfile.len()
            + self.expect.assets.len()
            + usize::from(self.expect.lockfile_canonical)
            + usize::from(self.expect.project_unchanged);
        for (n, s) in self.steps.iter().enumerate() {
            let at = format!("{id}: step {}", n + 1);
            match (&s.verb, &s.action) {
                (Some(v), None) => {
                    if !VERBS.contains(&v.as_str()) {
                        errs.push(format!("{at}: unknown verb {v:?} (one of {VERBS:?})"));
                    }
                    // Every verb step checks at least its exit class.
                    asserts += 1;
                }
                (None, Some(a)) => {
                    if !ACTIONS.contains(&a.as_str()) {
                        errs.push(format!("{at}: unknown action {a:?} (one of {ACTIONS:?})"));
                    }
                    let needs_path = !matches!(a.as_str(), "wiki-commit" | "wiki-reset" | "sleep");
                    if needs_path && s.path.is_none() {
                        errs.push(format!("{at}: action {a:?} needs `path`"));
                    }
                    if a == "wiki-commit" && s.commit.is_none() {
                        errs.push(format!("{at}: action wiki-commit needs `commit`"));
                    }
                    if a == "wiki-reset" && s.to.is_none() {
                        errs.push(format!("{at}: action wiki-reset needs `to`"));
                    }
                }
                _ => errs.push(format!("{at}: needs exactly one of `verb` or `action`")),
            }
            if let Some(e) = &s.exit
                && !EXITS.contains(&e.as_str())
            {
                errs.push(format!("{at}: unknown exit class {e:?} (one of {EXITS:?})"));
            }
            if let Some(k) = &s.kind
                && crate::error::Kind::parse(k).is_none()
            {
                errs.push(format!("{at}: unknown error kind {k:?}"));
            }
            for k in s.counts.keys() {
                if k != "ok" && crate::error::Kind::parse(k).is_none() {
                    errs.push(format!("{at}: counts key {k:?} is neither ok nor a kind"));
                }
            }
            if !s.counts.is_empty() && s.copies.is_none() {
                errs.push(format!("{at}: `counts` needs `copies`"));
            }
            if let Some(n) = s.copies {
                if n == 0 {
                    errs.push(format!("{at}: copies = 0"));
                }
                let total: usize = s.counts.values().sum();
                if !s.counts.is_empty() && total != n {
                    errs.push(format!("{at}: counts add up to {total}, copies is {n}"));
                }
            }
            if (!s.capture.is_empty() || !s.stdout_json.is_empty() || s.stdout_is_json) && !s.json {
                errs.push(format!(
                    "{at}: stdout_json/capture/stdout_is_json need `json = true`"
                ));
            }
        }
        if asserts == 0 {
            errs.push(format!("{id}: asserts nothing"));
        }
        errs
    }
}
