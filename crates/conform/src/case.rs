//! The case model: one TOML file per case, parsed and validated here.
//! The format is documented in `docs/conformance.md`; every case names the
//! contract clause ids it checks (CONTRACT.md, all groups Y L K I U T E).

use assetpin_contract::Kind;
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroUsize;

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
    /// CONTRACT profile. Default `core`.
    #[serde(default)]
    pub profile: Profile,
    /// Adapter features the case needs; an adapter without one reports
    /// `unsupported`.
    #[serde(default)]
    pub requires: Vec<Feature>,
    /// Runs of the whole case, each in fresh directories (a race that a
    /// careless tool loses only sometimes); the first run that fails
    /// fails the case. Default 1.
    #[serde(default)]
    pub repeat: Option<std::num::NonZeroUsize>,
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
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Commit {
    /// Name for `${commit.<label>}`.
    #[serde(default)]
    pub label: Option<String>,
    /// Files written (or deleted) before committing.
    #[serde(default)]
    pub files: Vec<FileSpec>,
    /// A tree written as raw bytes, past git's own checks on names and
    /// order (`git hash-object -t tree --literally`), grafted at its
    /// directory in a second commit that HEAD then names; the work tree
    /// and index stay as the first commit left them. How a wiki holds a
    /// hostile tree object (I2, Y2).
    #[serde(default)]
    pub literal: Option<Literal>,
}

/// A literal tree: the directory it replaces and its blob entries.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Literal {
    /// The directory of the commit's tree it replaces (`skills/a`).
    pub dir: String,
    /// Its entries, blobs only, written in the order given.
    pub entries: Vec<LiteralEntry>,
}

/// One blob entry of a [`Literal`] tree.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct LiteralEntry {
    /// The mode as git writes it (`100644`, `100755`, `120000`, or any
    /// other octal string a hostile tree may hold).
    pub mode: String,
    /// The name, any bytes but NUL (`.git/config`, `..`, empty).
    pub name: String,
    /// The blob's content.
    #[serde(default)]
    pub text: String,
}

/// A file, directory, symlink, gitlink or deletion at `path`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, Hash)]
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
    /// The directory a step's `user_cwd` opened, wherever it is now
    /// (only in that step's `while_held`).
    #[serde(rename = "user-cwd")]
    UserCwd,
}

/// One step: a verb run (possibly N copies in parallel) or an outside
/// action. A `[[step]]` table is a [`Run`] when it has a `verb` key and an
/// [`Action`] when it has an `action` key; one with both or neither does not
/// parse.
#[derive(Debug, Clone)]
// A case holds a handful of steps: boxing the larger variant saves nothing.
#[allow(clippy::large_enum_variant)]
pub enum Step {
    /// Run the implementation.
    Run(Run),
    /// Change the world outside the implementation.
    Action(Action),
}

impl Step {
    /// The verb run, when this step is one.
    pub fn as_run(&self) -> Option<&Run> {
        match self {
            Step::Run(r) => Some(r),
            Step::Action(_) => None,
        }
    }

    /// Reads a step from its table: [`Run`] or [`Action`] by the key that
    /// says which. The message names the field where serde's message does
    /// not (`field `kind`: unknown error kind ...`).
    fn from_table(t: toml::Table) -> Result<Step, StepError> {
        let parsed = match (t.contains_key("verb"), t.contains_key("action")) {
            (true, false) => Run::deserialize(t).map(Step::Run),
            (false, true) => Action::deserialize(t).map(Step::Action),
            _ => return Err(StepError::VerbOrAction),
        };
        parsed.map_err(|e| StepError::field(&e))
    }
}

/// Why a step table is not a step (raised inside the deserializer, so
/// that [`Case::parse`] can number the step).
#[derive(Debug, thiserror::Error)]
enum StepError {
    /// Both `verb` and `action`, or neither.
    #[error("a step needs exactly one of `verb` or `action`")]
    VerbOrAction,
    /// A field of the step does not parse: serde's message, prefixed
    /// with the field when the deserializer recorded one (`` field `kind`: ``).
    #[error("{}{message}", .keys.as_ref().map(|k| format!("field `{k}: ")).unwrap_or_default())]
    Field {
        /// The field path as `toml` says it, with its closing backtick.
        keys: Option<String>,
        /// serde's message.
        message: String,
    },
}

impl StepError {
    /// A nested `toml` error as one line.
    fn field(e: &toml::de::Error) -> StepError {
        let full = e.to_string();
        let full = full.trim_end();
        match full.rsplit_once("\nin `") {
            Some((msg, keys)) => StepError::Field {
                keys: Some(keys.to_owned()),
                message: msg.to_owned(),
            },
            None => StepError::Field {
                keys: None,
                message: full.to_owned(),
            },
        }
    }
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Step, D::Error> {
        struct StepVisitor;
        impl<'de> Visitor<'de> for StepVisitor {
            type Value = Step;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a step table")
            }
            // The error is raised inside the visitor so that the `toml`
            // deserializer gives it this step's span (Case::parse turns the
            // span into the step number).
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Step, A::Error> {
                let t = toml::Table::deserialize(MapAccessDeserializer::new(map))?;
                Step::from_table(t).map_err(de::Error::custom)
            }
        }
        d.deserialize_map(StepVisitor)
    }
}

/// A verb run: one process, or `copies` processes started together.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    /// The verb.
    pub verb: Verb,
    /// Arguments after the verb (variables substituted; `${i}` is the copy
    /// index in a parallel step).
    #[serde(default)]
    pub args: Vec<String>,
    /// Ask for the adapter's JSON output (needs feature `json`).
    #[serde(default)]
    pub json: bool,
    /// Run this many copies at once.
    #[serde(default)]
    pub copies: Option<NonZeroUsize>,
    /// Expected exit class. Without it: `ok`, or `refused` when `kind` is
    /// given (`conflict` for the kind `conflict`).
    #[serde(default)]
    pub exit: Option<ExitClass>,
    /// Expected error kind (E1 spelling).
    #[serde(default, deserialize_with = "some_kind")]
    pub kind: Option<Kind>,
    /// Parallel steps: how many copies ended in each outcome.
    #[serde(default)]
    pub counts: BTreeMap<CopyOutcome, usize>,
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
    /// The hostile-input verdict (E4, I5, K7): the step must end either in
    /// a refusal whose kind the adapter recognises, with the project
    /// unchanged by the step, or in success with the asset named by `args`
    /// equal to the tree at its recorded pin (verbs that write) or the
    /// project unchanged (`status`); never a timeout, a signal or a crash
    /// trace. The generated `h-hostile` family uses it.
    #[serde(default)]
    pub hostile: Option<Hostile>,
    /// The portable verdict (P9, P10, P8): the step either succeeds with
    /// the skill's dest equal to its tree at one of the commits (and, with
    /// a manifest, an entry for each of `entries`), or fails with a message
    /// on stderr, dest absent or still a committed tree, and (with
    /// `manifest_kept`) the manifest exactly as it was (kind and bytes);
    /// never a timeout, a signal or a crash trace. The generated portable
    /// family ([`crate::portable_family`]) uses it. One process.
    #[serde(default)]
    pub whole: Option<Whole>,
    /// Per-process time limit in seconds for this step, below the
    /// adapter's `timeout_secs`; a process still running then is killed
    /// and the step fails with `timeout`.
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// A lock file (a path in the project, variables substituted) the
    /// harness holds with an exclusive `flock(2)` while the step's process
    /// starts, as another writer would (K1, K3): once the process waits
    /// for it (a blocked waiter on its inode in `/proc/locks`), the
    /// harness performs `while_held` and then releases it. A process that
    /// ends without waiting for it fails the step. One process only.
    #[serde(default)]
    pub hold: Option<String>,
    /// Outside actions performed while the process waits for `hold`.
    #[serde(default)]
    pub while_held: Vec<Action>,
    /// A second process placed where the first waits for `hold`, after
    /// `while_held` ([`crate::interleave`]; K1, K3): the harness stops the
    /// first (`SIGSTOP` to the waiter's process group), releases the lock
    /// and runs this verb. When the second waits for a lock in the case's
    /// directories (the first holds it), the first is continued and both
    /// run to their end; otherwise the first is continued once the second
    /// has ended. The step's results are the first's, then the second's.
    #[serde(default)]
    pub second: Option<Second>,
    /// Hold the step to a serial run ([`crate::interleave`]): the project
    /// after it (lock files aside, the lockfile's `*_at` times masked), each
    /// process's exit status and error kind, and whether each `while_held`
    /// action succeeded must equal those of the same case with the first
    /// process and the others (`while_held`, `second`) one after the other,
    /// in an order the placement allows.
    #[serde(default)]
    pub serial: Option<SerialOrder>,
    /// A directory in the project (variables substituted) the harness
    /// opens before the step, as a shell standing in it would: actions
    /// with `root = "user-cwd"` are performed in that directory wherever
    /// it has been moved since.
    #[serde(default)]
    pub user_cwd: Option<String>,
    /// Resource limits for the step's processes (`setrlimit` before
    /// `exec`): a write past `fsize` must fail with EFBIG and take the
    /// error path, as ENOSPC does (E4, I5).
    #[serde(default)]
    pub limits: Option<Limits>,
    /// The user's entries (paths in the project, variables substituted)
    /// the step must not lose or change: each, and everything below it,
    /// is found after the step where it was or kept aside elsewhere in
    /// the project ([`crate::keep`]; U3, D2, I8, W1).
    #[serde(default)]
    pub keeps: Vec<String>,
    /// Run in another project: a directory under `$HOME` (this relative
    /// path), created with a `.git` marker when missing; `${project}`
    /// names it in the adapter's argv, cwd and env for this step (a second
    /// registered project, R, A). Checks of the step (`unchanged`, ...)
    /// still look at the case's own project.
    #[serde(default)]
    pub in_project: Option<String>,
    /// Crash consistency ([`crate::crash`]; L7, I6, I7, K2): the step runs
    /// under `strace`, and every state a crash could leave at each of its
    /// file-system calls, under this file-system model, is checked and
    /// then recovered from. One process, or `copies`.
    #[serde(default)]
    pub crash: Option<Crash>,
}

/// The second process of a step with `hold` (`second = { verb = "remove",
/// args = ["skill", "a"] }`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Second {
    /// The verb.
    pub verb: Verb,
    /// Its arguments (variables substituted).
    #[serde(default)]
    pub args: Vec<String>,
}

/// The serial orders a step's outcome may equal when its second part
/// (`while_held` and `second`) did not wait for the first: the first
/// process waits for `hold` holding nothing (`second-first`: the second
/// part came first), or may hold a lock or have written already
/// (`either`). A second process that waited for a lock came after the
/// first, whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SerialOrder {
    /// The second part, then the first process.
    SecondFirst,
    /// Either order.
    Either,
}

/// A step's crash check (`crash = { model = "synced", assets = ["a"] }`
/// and `[[step.crash.recover]]` tables).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crash {
    /// `process`, `synced` or `ext4-ordered` ([`crate::crash::model::FsModel`]).
    pub model: String,
    /// The skills the step writes; with `copies`, copy `i` writes
    /// `assets[i]`.
    pub assets: Vec<String>,
    /// What the tool runs after a crash, in order: each must exit 0 or
    /// refuse with one of its `may_refuse` kinds, and then every asset
    /// must be what the uncrashed run left.
    #[serde(default)]
    pub recover: Vec<Recover>,
    /// A state with the entry and no dest is fine (D3: a remove killed
    /// after taking dest away; the next `remove` finishes it).
    #[serde(default)]
    pub entry_may_outlive_dest: bool,
    /// Regexes over dest-relative paths a crash may leave in dest (an
    /// edit's temporary name, W1); the recovery must remove them.
    #[serde(default)]
    pub leftovers: Vec<String>,
    /// Outside actions performed in each crash state before the recovery
    /// runs (a user reading the file's `mtime_ns` again before a new
    /// edit: a `stat` that `recover` arguments then name).
    #[serde(default)]
    pub actions: Vec<Action>,
}

/// One recovery run of a crash check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recover {
    /// The verb.
    pub verb: Verb,
    /// Its arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Refusals that are fine here (E1 spelling): `already-installed`
    /// when the crash came after the job was done.
    #[serde(default)]
    pub may_refuse: Vec<String>,
    /// Run only when the adapter claims the verb (an installer's own
    /// recovery, `install --all` or `adopt`, where it has one).
    #[serde(default)]
    pub if_claimed: bool,
    /// Any exit status is fine (a tool without error kinds that refuses
    /// to reinstall): the state after the recovery decides. A timeout or
    /// a signal still needs a human.
    #[serde(default)]
    pub may_fail: bool,
}

/// Resource limits of a step's processes (soft and hard alike).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// `RLIMIT_FSIZE`, bytes: the largest file a process may write.
    #[serde(default)]
    pub fsize: Option<u64>,
    /// `RLIMIT_NOFILE`: one more than the highest descriptor number a
    /// process may open.
    #[serde(default)]
    pub nofile: Option<u64>,
}

/// The hostile-input verdict's table (`hostile = { type = "skill", name =
/// "a" }`): the asset whose dest a successful write must leave equal to its
/// pin; `hostile = {}` for verbs that write nothing or no one asset.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hostile {
    /// The asset's type.
    #[serde(rename = "type", default)]
    pub ty: Option<AssetType>,
    /// The asset's name.
    #[serde(default)]
    pub name: Option<String>,
    /// A refusal may leave what a rolled-back write leaves: the lock files
    /// (K1, K3: never removed) and the directories that hold them. For a
    /// failure met half-way (a resource limit), not a refusal up front.
    #[serde(default)]
    pub rollback: bool,
}

/// The portable verdict of a step ([`Run::whole`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Whole {
    /// The skill the step installs.
    pub name: String,
    /// Commit labels dest may equal (P9: the old tree kept, or the new).
    pub commit: Vec<String>,
    /// Skills a success must leave an entry for in the manifest (P7, P8),
    /// where the adapter has one.
    #[serde(default)]
    pub entries: Vec<String>,
    /// A failure leaves the manifest's kind and bytes as they were (P8).
    #[serde(default)]
    pub manifest_kept: bool,
}

/// An outside action (not the implementation's doing), each with exactly
/// the fields it uses. `root` is where `path` is rooted (default the
/// project); strings are variable-substituted.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Action {
    /// Write a file (parents created): `text` or `hex`, then `mode`.
    Write {
        /// Root of `path`.
        #[serde(default)]
        root: Root,
        /// The file.
        path: String,
        /// UTF-8 content.
        #[serde(default)]
        text: Option<String>,
        /// Raw content as hex.
        #[serde(default)]
        hex: Option<String>,
        /// Octal mode to set after writing.
        #[serde(default)]
        mode: Option<String>,
    },
    /// Append `text` or `hex` to an existing file.
    Append {
        /// Root of `path`.
        #[serde(default)]
        root: Root,
        /// The file.
        path: String,
        /// UTF-8 content.
        #[serde(default)]
        text: Option<String>,
        /// Raw content as hex.
        #[serde(default)]
        hex: Option<String>,
    },
    /// Put `text` or `hex` before the bytes of an existing file (a byte
    /// order mark, P8).
    Prepend {
        /// Root of `path`.
        #[serde(default)]
        root: Root,
        /// The file.
        path: String,
        /// UTF-8 content.
        #[serde(default)]
        text: Option<String>,
        /// Raw content as hex.
        #[serde(default)]
        hex: Option<String>,
    },
    /// Cut an existing file short (P8: a write that stopped half-way):
    /// to `keep_percent` of its length, rounded down, or by `drop_bytes`
    /// from its end. Exactly one of the two.
    Truncate {
        /// Root of `path`.
        #[serde(default)]
        root: Root,
        /// The file.
        path: String,
        /// The share of its bytes kept, 0 to 99.
        #[serde(default)]
        keep_percent: Option<u8>,
        /// Bytes removed from its end.
        #[serde(default)]
        drop_bytes: Option<u64>,
    },
    /// Remove whatever is at `path`.
    Delete {
        /// Root of `path`.
        #[serde(default)]
        root: Root,
        /// The path.
        path: String,
    },
    /// A later mtime, the same bytes.
    Touch {
        /// Root of `path`.
        #[serde(default)]
        root: Root,
        /// The file.
        path: String,
    },
    /// Set permission bits.
    Chmod {
        /// Root of `path`.
        #[serde(default)]
        root: Root,
        /// The path.
        path: String,
        /// Octal mode, e.g. `"600"`.
        mode: String,
    },
    /// Make (or replace with) a symbolic link at `path`.
    Symlink {
        /// Root of `path`.
        #[serde(default)]
        root: Root,
        /// The link.
        path: String,
        /// What it points to.
        target: String,
    },
    /// Make a directory (and its parents).
    Mkdir {
        /// Root of `path`.
        #[serde(default)]
        root: Root,
        /// The directory.
        path: String,
    },
    /// Make a FIFO (named pipe) at `path`, replacing what is there: a
    /// reader that opens it without care waits forever (E4).
    Mkfifo {
        /// Root of `path`.
        #[serde(default)]
        root: Root,
        /// The FIFO.
        path: String,
    },
    /// Make a second hard link at `path` to the file `target` (both
    /// under `root`): a user's file with another name elsewhere.
    Hardlink {
        /// Root of `path` and `target`.
        #[serde(default)]
        root: Root,
        /// The new name.
        path: String,
        /// The existing file.
        target: String,
    },
    /// Write `text` at the start of a file `size` bytes long, the rest a
    /// hole (a sparse file: its bytes cost no disk until written).
    Sparse {
        /// Root of `path`.
        #[serde(default)]
        root: Root,
        /// The file.
        path: String,
        /// Its first bytes.
        text: String,
        /// Its length, bytes; at most 64 MiB.
        size: u64,
    },
    /// Plant a hostile entry at `path` (see [`Plant`]): what was there
    /// is moved to the link target or replaced. `dir` says whether the
    /// path is one the implementation expects to be a directory (what a
    /// missing entry is created as before a link or mode plant).
    Plant {
        /// Root of `path`.
        #[serde(default)]
        root: Root,
        /// The path planted at.
        path: String,
        /// What is planted.
        plant: Plant,
        /// The path is a directory's (default: a file's).
        #[serde(default)]
        dir: bool,
    },
    /// Make a wiki commit.
    WikiCommit {
        /// The commit to make.
        commit: Commit,
    },
    /// Make the wiki a bare repository in place (`core.bare`, its git
    /// directory at `${wiki}`, no work tree): nothing then compares a work
    /// tree with HEAD, so a tool reads only HEAD's objects (I2: a hostile
    /// tree is not hidden behind an `uncommitted` refusal).
    WikiBare {},
    /// Reset the wiki to a labelled commit (a rollback: `git reset
    /// --hard`).
    WikiReset {
        /// The label.
        to: String,
    },
    /// Wait.
    Sleep {
        /// Milliseconds.
        ms: u64,
    },
    /// Read the `mtime_ns` of `path` (never following a link) into
    /// `${var.<capture>}`, as decimal text: the value a guarded edit
    /// expects (W1).
    Stat {
        /// Root of `path`.
        #[serde(default)]
        root: Root,
        /// The file.
        path: String,
        /// The variable's name.
        capture: String,
    },
}

/// Defines a closed set of names: the enum, its serde spelling, `ALL`,
/// `as_str` and `Display` (the spelling), all from one list.
macro_rules! spelled {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$vmeta:meta])* $var:ident = $s:literal,)* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $s)] $var,)*
        }

        impl $name {
            /// Every member, in the format's order.
            pub const ALL: &[$name] = &[$($name::$var),*];

            /// The spelling in case files.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$var => $s,)*
                }
            }

            /// The member spelled `s`.
            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s)
            }

            /// Every spelling, in the format's order.
            pub fn names() -> Vec<&'static str> {
                $name::ALL.iter().map(|v| v.as_str()).collect()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

spelled! {
    /// Verbs a case may run (contract-level; the adapter maps each to an
    /// argv template).
    pub enum Verb {
        /// `install <type> <name>`.
        Install = "install",
        /// `install-all`.
        InstallAll = "install-all",
        /// `update <type> <name> [flags]`.
        Update = "update",
        /// `adopt <type> <name>`.
        Adopt = "adopt",
        /// `status`.
        Status = "status",
        /// `remove <type> <name> [--force]` (D).
        Remove = "remove",
        /// `projects <list|add|remove|pause|resume> [args]` (R).
        Projects = "projects",
        /// `update --all <type> <name> [flags]` (A; `--yes` is an arg).
        UpdateAll = "update-all",
        /// `edit <type> <name> --expect-mtime-ns N --content-file F` (W).
        Edit = "edit",
        /// The arguments as given (usage errors).
        Raw = "raw",
    }
}

spelled! {
    /// Expected exit classes (E2).
    pub enum ExitClass {
        /// Exit 0.
        Ok = "ok",
        /// Exit 1.
        Refused = "refused",
        /// Exit 2.
        Usage = "usage",
        /// Exit 3.
        Conflict = "conflict",
        /// Any exit code but 0.
        Nonzero = "nonzero",
        /// Anything, even a signal.
        Any = "any",
    }
}

spelled! {
    /// CONTRACT profiles.
    #[derive(Default)]
    pub enum Profile {
        /// Every implementation.
        #[default]
        Core = "core",
        /// Extensions (`--json`, ...).
        Ext = "ext",
        /// Any skill installer, through its adapter's `[layout]` (P1-P13).
        Portable = "portable",
    }
}

spelled! {
    /// Optional adapter features a case may require.
    pub enum Feature {
        /// `--json` output (E3, T3).
        Json = "json",
        /// The project can be named when it does not exist (Y3).
        ProjectFlag = "project-flag",
        /// `update --expect-mtime-ns` (U7).
        ExpectMtime = "expect-mtime",
        /// Installs from a git repository, so that committed bytes and the
        /// work tree can differ (P5).
        GitSource = "git-source",
        /// Keeps a manifest or lockfile (`layout.manifest`; P7, P8).
        Manifest = "manifest",
        /// The manifest is a JSON document: bytes that would still parse
        /// as YAML (an empty file, a cut-short one) are no document of its
        /// format (P8).
        JsonManifest = "json-manifest",
        /// Reads a bare wiki (a repository without a work tree; the
        /// `wiki-bare` action, I2).
        BareWiki = "bare-wiki",
        /// `update --dry-run` and `update --all --dry-run` preview the
        /// real run (U6, A2): the runner runs each such step's dry run
        /// first and holds it to its prediction (`dry_run.refuses`).
        DryRun = "dry-run",
    }
}

spelled! {
    /// Hostile entries an [`Action::Plant`] makes (Y2, E4, I5).
    pub enum Plant {
        /// A symlink to what was there, moved to `<project>/.planted/<n>`
        /// (an empty file or directory when nothing was).
        LinkInside = "link-inside",
        /// A symlink to what was there, moved outside the project.
        LinkOutside = "link-outside",
        /// A second hard link of what was there, moved outside the
        /// project (files only).
        HardlinkOutside = "hardlink-outside",
        /// A FIFO: a reader that opens it without care waits forever.
        Fifo = "fifo",
        /// A unix socket.
        Socket = "socket",
        /// A character device (`/dev/null`'s numbers); unsupported where
        /// the machine refuses `mknod`.
        Chardev = "chardev",
        /// A directory where a file is expected.
        DirForFile = "dir-for-file",
        /// A regular file where a directory is expected.
        FileForDir = "file-for-dir",
        /// Permission bits 000 on what is there (created when missing).
        /// As root the tool then runs without capabilities
        /// ([`crate::privilege`]), so the bits deny it what they deny a user.
        Mode000 = "mode-000",
    }
}

spelled! {
    /// JSON value types a [`ValueCheck`] can ask for.
    pub enum JsonType {
        /// A string.
        String = "string",
        /// Any number (integers included).
        Number = "number",
        /// An integer.
        Integer = "integer",
        /// `null`.
        Null = "null",
        /// An object.
        Object = "object",
        /// An array.
        Array = "array",
        /// `true` or `false`.
        Bool = "bool",
    }
}

spelled! {
    /// Asset types (the lockfile sections without their `s`).
    pub enum AssetType {
        /// `skills/<name>`.
        Skill = "skill",
        /// `agents/<name>`.
        Agent = "agent",
        /// `commands/<name>`.
        Command = "command",
    }
}

spelled! {
    /// Status row states (T1).
    pub enum RowState {
        /// dest matches its pin, which is HEAD.
        Ok = "ok",
        /// The pin is an ancestor of HEAD.
        Behind = "behind",
        /// dest files differ from what was installed.
        Dirty = "dirty",
        /// dest is gone.
        Missing = "missing",
        /// The pin is not an ancestor of HEAD, or unknown to the wiki.
        StalePin = "stale-pin",
        /// A dest directory without an entry.
        Untracked = "untracked",
        /// A wiki state without a wiki.
        Unknown = "unknown",
    }
}

/// How one copy of a parallel step ended: `ok`, or refused with a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CopyOutcome {
    /// Exit 0.
    Ok,
    /// The adapter recognised this kind on stderr.
    Kind(Kind),
}

impl CopyOutcome {
    /// The spelling in case files and in outcome labels.
    pub fn as_str(self) -> &'static str {
        match self {
            CopyOutcome::Ok => "ok",
            CopyOutcome::Kind(k) => k.as_str(),
        }
    }
}

impl fmt::Display for CopyOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// Ordered by spelling, as the string keys were.
impl Ord for CopyOutcome {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for CopyOutcome {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

fn kind_names() -> String {
    Kind::ALL
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_kind<E: de::Error>(s: &str) -> Result<Kind, E> {
    Kind::parse(s).ok_or_else(|| {
        E::custom(format!(
            "unknown error kind `{s}`, expected one of {}",
            kind_names()
        ))
    })
}

/// `kind = "<E1 spelling>"`.
fn some_kind<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Kind>, D::Error> {
    let s = String::deserialize(d)?;
    parse_kind(&s).map(Some)
}

impl<'de> Deserialize<'de> for CopyOutcome {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<CopyOutcome, D::Error> {
        let s = String::deserialize(d)?;
        if s == "ok" {
            return Ok(CopyOutcome::Ok);
        }
        Kind::parse(&s).map(CopyOutcome::Kind).ok_or_else(|| {
            de::Error::custom(format!(
                "unknown outcome `{s}`, expected `ok` or an error kind: {}",
                kind_names()
            ))
        })
    }
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
    /// Value type (`number` admits integers).
    #[serde(default, rename = "type")]
    pub ty: Option<JsonType>,
}

/// A status row that must be reported.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowCheck {
    /// Asset type.
    #[serde(rename = "type")]
    pub ty: AssetType,
    /// Asset name.
    pub name: String,
    /// Expected state.
    pub state: RowState,
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
    /// The `mtime_ns` (of the entry itself, a link not followed), as
    /// decimal text after substitution, e.g. `"${var.m}"` (W1, W2).
    #[serde(default)]
    pub mtime_ns: Option<String>,
    /// A regular file with the owner's execute bit (P6; the other bits
    /// follow the tool's umask).
    #[serde(default)]
    pub exec: bool,
    /// Nothing at the path also passes: the other checks apply only when
    /// something is there (P5: refused, or the committed bytes).
    #[serde(default)]
    pub or_absent: bool,
    /// Anything but a regular file: absent, a link, a directory (P2: a
    /// link inside a skill skipped or kept as a link, never copied as the
    /// bytes it points at).
    #[serde(default)]
    pub not_regular: bool,
}

/// A skill's dest, found through the adapter's `layout.dest`, that must
/// equal the skill's tree at one of the named commits (P7, P9).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DestCheck {
    /// Skill name.
    pub name: String,
    /// Commit labels; dest must equal the tree at one of them (regular
    /// files and their bytes; the I2 names and `layout.dest_extra` left
    /// out).
    pub commit: Vec<String>,
}

/// An asset whose dest must equal its pinned tree.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetCheck {
    /// Asset type.
    #[serde(rename = "type")]
    pub ty: AssetType,
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
    /// Texts no regular file in the project may contain (P2: a followed
    /// link's target bytes).
    #[serde(default)]
    pub no_bytes: Vec<String>,
    /// Texts some regular file of the project must hold exactly, wherever
    /// it is (D2: bytes a user wrote are kept, in dest or set aside).
    #[serde(default)]
    pub kept_bytes: Vec<String>,
    /// Skills whose dest must equal a committed tree (portable).
    #[serde(default)]
    pub dests: Vec<DestCheck>,
    /// Skills that must have an entry in the adapter's manifest (P7;
    /// needs the feature `manifest`).
    #[serde(default)]
    pub manifest_entries: Vec<String>,
    /// As `manifest_entries`, for a case every installer runs: checked
    /// where the adapter declares a manifest, nothing without one (the
    /// case's other checks still judge it).
    #[serde(default)]
    pub entries_if_manifest: Vec<String>,
}

/// The step tables of a case file with their spans, to turn the span of
/// a step's parse error into its number.
#[derive(Deserialize)]
struct StepSpans {
    #[serde(default)]
    step: Vec<toml::Spanned<de::IgnoredAny>>,
}

/// The 1-based number of the step `e` is about, when it is about one.
fn step_of(text: &str, e: &toml::de::Error) -> Option<usize> {
    let at = e.span()?;
    let spans: StepSpans = toml::from_str(text).ok()?;
    spans
        .step
        .iter()
        .position(|s| s.span().start <= at.start && at.end <= s.span().end)
        .map(|i| i + 1)
}

impl Case {
    /// Parses one case file. `id` is `<group>/<stem>`.
    ///
    /// # Errors
    /// A message naming the case, the step (when the problem is in one)
    /// and the field: `<id>: step 3: unknown field `pth`, expected ...`.
    pub fn parse(id: &str, text: &str) -> Result<Case, CaseParseError> {
        let mut case: Case = toml::from_str(text).map_err(|e| match step_of(text, &e) {
            Some(n) => CaseParseError::Step {
                id: id.to_owned(),
                step: n,
                message: e.message().to_owned(),
            },
            None => CaseParseError::Toml {
                id: id.to_owned(),
                source: e,
            },
        })?;
        case.id = id.to_owned();
        case.group = id.split('/').next().unwrap_or("").to_owned();
        Ok(case)
    }

    /// Verbs this case runs, once each, in spelling order.
    pub fn verbs(&self) -> Vec<Verb> {
        let mut v: Vec<Verb> = self
            .steps
            .iter()
            .filter_map(|s| s.as_run())
            .flat_map(|r| std::iter::once(r.verb).chain(r.second.as_ref().map(|s| s.verb)))
            .collect();
        v.sort_unstable_by_key(|v| v.as_str());
        v.dedup();
        v
    }

    /// Checks that the types cannot express (the parser has checked
    /// verbs, actions and their fields, exit classes, kinds, profiles):
    /// the clause ids against the contract's, and each step's fields
    /// against each other. Returns every problem.
    pub fn validate(&self, clauses: &[String]) -> Vec<Invalid> {
        let mut errs = Vec::new();
        let case = |problem| Invalid {
            id: self.id.clone(),
            step: None,
            problem,
        };
        if self.clauses.is_empty() {
            errs.push(case(Problem::NoClauses));
        }
        for c in &self.clauses {
            if !clauses.contains(c) {
                errs.push(case(Problem::UnknownClause(c.clone())));
            }
        }
        if self.steps.is_empty() {
            errs.push(case(Problem::NoSteps));
        }
        let mut asserts = self.expect.files.len()
            + self.expect.lockfile.len()
            + self.expect.assets.len()
            + self.expect.no_bytes.len()
            + self.expect.kept_bytes.len()
            + self.expect.dests.len()
            + self.expect.manifest_entries.len()
            + self.expect.entries_if_manifest.len()
            + usize::from(self.expect.lockfile_canonical)
            + usize::from(self.expect.project_unchanged);
        let unsafe_paths = |files: &[FileSpec], errs: &mut Vec<Invalid>, step: Option<usize>| {
            for f in files {
                if !confined_path(&f.path) {
                    errs.push(Invalid {
                        id: self.id.clone(),
                        step,
                        problem: Problem::UnsafePath(f.path.clone()),
                    });
                }
            }
        };
        unsafe_paths(&self.project.files, &mut errs, None);
        unsafe_paths(&self.wiki.worktree, &mut errs, None);
        for c in &self.wiki.commit {
            unsafe_paths(&c.files, &mut errs, None);
        }
        // An expected file's empty path names its root (Y3: the project
        // is absent); it is only read, never written.
        for f in &self.expect.files {
            if !f.path.is_empty() && !confined_path(&f.path) {
                errs.push(case(Problem::UnsafePath(f.path.clone())));
            }
        }
        for (n, s) in self.steps.iter().enumerate() {
            let at = |problem| Invalid {
                id: self.id.clone(),
                step: Some(n + 1),
                problem,
            };
            let check_action = |a: &Action, errs: &mut Vec<Invalid>| {
                match a {
                    Action::WikiCommit { commit } => {
                        unsafe_paths(&commit.files, errs, Some(n + 1));
                    }
                    Action::Sleep { ms } if *ms > MAX_SLEEP_MS => {
                        errs.push(at(Problem::SleepTooLong(*ms)));
                    }
                    Action::Hardlink { target, .. } if !confined_path(target) => {
                        errs.push(at(Problem::UnsafePath(target.clone())));
                    }
                    Action::Sparse { size, .. } if *size > MAX_SPARSE => {
                        errs.push(at(Problem::SparseTooLarge(*size)));
                    }
                    _ => {}
                }
                if let Some(p) = a.path()
                    && !confined_path(p)
                {
                    errs.push(at(Problem::UnsafePath(p.to_owned())));
                }
            };
            let s = match s {
                Step::Run(s) => s,
                Step::Action(a) => {
                    check_action(a, &mut errs);
                    continue;
                }
            };
            for a in &s.while_held {
                check_action(a, &mut errs);
            }
            for p in s.hold.iter().chain(&s.user_cwd) {
                if !confined_path(p) {
                    errs.push(at(Problem::UnsafePath(p.clone())));
                }
            }
            if s.hold.is_some() && s.copies.is_some_and(|c| c.get() > 1) {
                errs.push(at(Problem::HoldWithCopies));
            }
            if s.hold.is_none()
                && (!s.while_held.is_empty()
                    || s.user_cwd.is_some()
                    || s.second.is_some()
                    || s.serial.is_some())
            {
                errs.push(at(Problem::WhileHeldWithoutHold));
            }
            for p in &s.keeps {
                if !confined_path(p) {
                    errs.push(at(Problem::UnsafePath(p.clone())));
                }
            }
            if let Some(p) = &s.in_project
                && !confined_path(p)
            {
                errs.push(at(Problem::UnsafePath(p.clone())));
            }
            if let Some(c) = &s.crash {
                let copies = s.copies.map_or(1, NonZeroUsize::get);
                if crate::crash::model::FsModel::parse(&c.model).is_none() {
                    errs.push(at(Problem::Crash(format!("unknown model {:?}", c.model))));
                }
                if c.assets.len() != copies {
                    errs.push(at(Problem::Crash(format!(
                        "{} assets for {copies} processes",
                        c.assets.len()
                    ))));
                }
                for k in c.recover.iter().flat_map(|r| &r.may_refuse) {
                    if Kind::parse(k).is_none() {
                        errs.push(at(Problem::Crash(format!("unknown error kind {k:?}"))));
                    }
                }
            }
            if let Some(c) = s.copies
                && c.get() > MAX_COPIES
            {
                errs.push(at(Problem::TooManyCopies(c.get())));
            }
            // Every verb step checks at least its exit class.
            asserts += 1;
            if !s.counts.is_empty() && s.copies.is_none() {
                errs.push(at(Problem::CountsWithoutCopies));
            }
            if let Some(n) = s.copies {
                let total: usize = s.counts.values().sum();
                if !s.counts.is_empty() && total != n.get() {
                    errs.push(at(Problem::CountsMismatch {
                        total,
                        copies: n.get(),
                    }));
                }
            }
            if let Some(h) = &s.hostile
                && h.ty.is_some() != h.name.is_some()
            {
                errs.push(at(Problem::HalfHostile));
            }
            if let Some(w) = &s.whole {
                if s.copies.is_some() {
                    errs.push(at(Problem::WholeWithCopies));
                }
                if w.commit.is_empty() {
                    errs.push(at(Problem::WholeWithoutCommit));
                }
            }
            if (!s.capture.is_empty() || !s.stdout_json.is_empty() || s.stdout_is_json) && !s.json {
                errs.push(at(Problem::JsonChecksWithoutJson));
            }
        }
        if self.expect.no_bytes.iter().any(String::is_empty) {
            errs.push(case(Problem::EmptyNoBytes));
        }
        if self.expect.dests.iter().any(|d| d.commit.is_empty()) {
            errs.push(case(Problem::DestsWithoutCommit));
        }
        if asserts == 0 {
            errs.push(case(Problem::AssertsNothing));
        }
        errs
    }
}

/// A case file that does not parse.
#[derive(Debug, thiserror::Error)]
pub enum CaseParseError {
    /// The problem is in step `step` (1-based): `<id>: step 3: unknown
    /// field `pth`, expected ...`.
    #[error("{id}: step {step}: {message}")]
    Step {
        /// The case id.
        id: String,
        /// The step's number, from 1.
        step: usize,
        /// The parser's message, without its location.
        message: String,
    },
    /// Anywhere else: `toml`'s message with its location.
    #[error("{id}: {source}")]
    Toml {
        /// The case id.
        id: String,
        /// The parse error.
        #[source]
        source: toml::de::Error,
    },
}

/// A case that parses but fails a check the types cannot express
/// ([`Case::validate`]): `<id>: [step N: ]<problem>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{id}: {}{problem}", .step.map(|n| format!("step {n}: ")).unwrap_or_default())]
pub struct Invalid {
    /// The case id.
    pub id: String,
    /// The step it is in (1-based), when it is about one.
    pub step: Option<usize>,
    /// What is wrong.
    pub problem: Problem,
}

/// What [`Case::validate`] finds wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// `hold` on a step of several copies.
    #[error("hold parks one process: it cannot go with copies")]
    HoldWithCopies,
    /// `while_held`, `user_cwd`, `second` or `serial` without `hold`.
    #[error("while_held, user_cwd, second and serial need hold (the lock the process waits for)")]
    WhileHeldWithoutHold,
    /// `clauses` is empty.
    #[error("names no clause ids")]
    NoClauses,
    /// A clause id the contract does not have.
    #[error("clause {0:?} is not in the contract")]
    UnknownClause(String),
    /// No `[[step]]`.
    #[error("has no steps")]
    NoSteps,
    /// `counts` on a step without `copies`.
    #[error("`counts` needs `copies`")]
    CountsWithoutCopies,
    /// `counts` that do not add up to `copies`.
    #[error("counts add up to {total}, copies is {copies}")]
    CountsMismatch {
        /// The sum of `counts`.
        total: usize,
        /// `copies`.
        copies: usize,
    },
    /// `whole` with no commit label.
    #[error("`whole` needs at least one commit label")]
    WholeWithoutCommit,
    /// `whole` on a step of parallel copies (it judges one process).
    #[error("`whole` judges one process: not with `copies`")]
    WholeWithCopies,
    /// `hostile` with only one of `type` and `name`.
    #[error("`hostile` needs both `type` and `name`, or neither")]
    HalfHostile,
    /// stdout JSON checks on a step without `json = true`.
    #[error("stdout_json/capture/stdout_is_json need `json = true`")]
    JsonChecksWithoutJson,
    /// An empty text in `no_bytes`.
    #[error("no_bytes holds an empty text, which no file can hold")]
    EmptyNoBytes,
    /// A `dests` entry without a commit label.
    #[error("dests needs at least one commit label")]
    DestsWithoutCommit,
    /// Nothing is checked.
    #[error("asserts nothing")]
    AssertsNothing,
    /// A path (of an action, a `[project]` or `[wiki]` file, an expected
    /// file or a step's `project`) that is empty, absolute or has a `..`
    /// component: it could reach outside the case's directories.
    #[error(
        "path {0:?} is empty, absolute or has a `..` component; \
         case paths stay inside the case's directories"
    )]
    UnsafePath(String),
    /// A `sleep` longer than [`MAX_SLEEP_MS`].
    #[error("sleep of {0} ms is longer than the {MAX_SLEEP_MS} ms a case may wait")]
    SleepTooLong(u64),
    /// A `sparse` file longer than [`MAX_SPARSE`].
    #[error("a sparse file of {0} bytes is longer than the {MAX_SPARSE} bytes a case may make")]
    SparseTooLarge(u64),
    /// More `copies` than [`MAX_COPIES`].
    #[error("copies = {0} is more than the {MAX_COPIES} processes a step may start")]
    TooManyCopies(usize),
    /// A `crash` table that cannot be run.
    #[error("crash: {0}")]
    Crash(String),
}

/// The longest `sleep` action a case may ask for, in milliseconds.
pub const MAX_SLEEP_MS: u64 = 10_000;

/// The longest `sparse` file a case may make, in bytes (64 MiB): the
/// harness reads it whole in snapshots up to [`crate::snapshot::READ_CAP`].
pub const MAX_SPARSE: u64 = 64 << 20;

/// The most `copies` one step may start.
pub const MAX_COPIES: usize = 64;

/// Whether a case path (before substitution) is relative, non-empty and
/// free of `..` components, as the adapter's layout paths must be.
pub fn confined_path(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && std::path::Path::new(p).components().all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
}

impl Action {
    /// The `path` of a file action, if it has one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Action::Write { path, .. }
            | Action::Append { path, .. }
            | Action::Prepend { path, .. }
            | Action::Truncate { path, .. }
            | Action::Delete { path, .. }
            | Action::Touch { path, .. }
            | Action::Chmod { path, .. }
            | Action::Symlink { path, .. }
            | Action::Mkdir { path, .. }
            | Action::Mkfifo { path, .. }
            | Action::Hardlink { path, .. }
            | Action::Sparse { path, .. }
            | Action::Plant { path, .. }
            | Action::Stat { path, .. } => Some(path),
            Action::WikiCommit { .. }
            | Action::WikiReset { .. }
            | Action::WikiBare {}
            | Action::Sleep { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "e-errors/E1-x";

    /// A case whose third step is `step`; the first two are valid.
    fn with_step3(step: &str) -> String {
        format!(
            "summary = \"s\"\nclauses = [\"E1\"]\n\n\
             [[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\n\n\
             [[step]]\naction = \"touch\"\npath = \"x\"\n\n\
             [[step]]\n{step}\n\n\
             [expect]\nproject_unchanged = true\n"
        )
    }

    fn err3(step: &str) -> String {
        match Case::parse(ID, &with_step3(step)) {
            Ok(c) => panic!("parsed: {:?}", c.steps.get(2)),
            Err(e) => e.to_string(),
        }
    }

    fn ok3(step: &str) -> Step {
        let c = Case::parse(ID, &with_step3(step)).unwrap_or_else(|e| panic!("{e}"));
        c.steps[2].clone()
    }

    #[test]
    fn a_valid_case_parses_into_the_types() {
        let c = Case::parse(
            ID,
            &with_step3(
                "verb = \"update\"\ncopies = 3\nexit = \"any\"\n\
                 counts = { ok = 1, dirty = 2 }\nkind = \"stale-pin\"",
            ),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.profile, Profile::Core);
        assert_eq!(c.verbs(), [Verb::Install, Verb::Update]);
        assert!(
            matches!(c.steps[1], Step::Action(Action::Touch { root: Root::Project, ref path }) if path == "x")
        );
        let Step::Run(r) = &c.steps[2] else {
            panic!("not a run: {:?}", c.steps[2]);
        };
        assert_eq!(r.copies.map(NonZeroUsize::get), Some(3));
        assert_eq!(r.exit, Some(ExitClass::Any));
        assert_eq!(r.kind, Some(Kind::StalePin));
        let counts: Vec<(CopyOutcome, usize)> = r.counts.iter().map(|(k, n)| (*k, *n)).collect();
        assert_eq!(
            counts,
            [(CopyOutcome::Kind(Kind::Dirty), 2), (CopyOutcome::Ok, 1)]
        );
        assert!(c.validate(&["E1".to_owned()]).is_empty());
    }

    #[test]
    fn every_action_parses_with_its_fields() {
        let cases = [
            "action = \"write\"\nroot = \"wiki\"\npath = \"a\"\nhex = \"00\"\nmode = \"600\"",
            "action = \"append\"\npath = \"a\"\ntext = \"x\"",
            "action = \"delete\"\nroot = \"home\"\npath = \"a\"",
            "action = \"chmod\"\npath = \"a\"\nmode = \"600\"",
            "action = \"symlink\"\nroot = \"outside\"\npath = \"a\"\ntarget = \"${project}\"",
            "action = \"mkdir\"\npath = \"a\"",
            "action = \"wiki-commit\"\ncommit = { label = \"c2\", files = [{ path = \"skills/a/SKILL.md\", text = \"x\" }] }",
            "action = \"wiki-reset\"\nto = \"c1\"",
            "action = \"sleep\"\nms = 5",
            "action = \"stat\"\nroot = \"project\"\npath = \"a\"\ncapture = \"m\"",
        ];
        for s in cases {
            assert!(matches!(ok3(s), Step::Action(_)), "{s}");
        }
        assert!(matches!(
            ok3("action = \"sleep\"\nms = 5"),
            Step::Action(Action::Sleep { ms: 5 })
        ));
        assert!(matches!(
            ok3("action = \"symlink\"\nroot = \"outside\"\npath = \"a\"\ntarget = \"t\""),
            Step::Action(Action::Symlink {
                root: Root::Outside,
                ..
            })
        ));
    }

    #[test]
    fn unknown_verb_names_the_step_and_the_value() {
        let e = err3("verb = \"instal\"");
        assert!(
            e.starts_with(&format!(
                "{ID}: step 3: field `verb`: unknown variant `instal`"
            )),
            "{e}"
        );
        assert!(e.contains("`install-all`"), "{e}");
    }

    #[test]
    fn unknown_action_names_the_step_and_the_value() {
        let e = err3("action = \"frob\"\npath = \"x\"");
        assert!(
            e.starts_with(&format!(
                "{ID}: step 3: field `action`: unknown variant `frob`"
            )),
            "{e}"
        );
        assert!(e.contains("`wiki-reset`"), "{e}");
    }

    #[test]
    fn misspelled_field_in_a_run_step_is_named() {
        let e = err3("verb = \"install\"\nstderr_hsa = [\"x\"]");
        assert!(
            e.starts_with(&format!(
                "{ID}: step 3: unknown field `stderr_hsa`, expected"
            )),
            "{e}"
        );
        // An action's field is not a run's.
        let e = err3("verb = \"install\"\npath = \"x\"");
        assert!(e.contains("step 3: unknown field `path`"), "{e}");
    }

    #[test]
    fn misspelled_field_in_an_action_step_is_named() {
        let e = err3("action = \"write\"\npth = \"x\"\ntext = \"t\"");
        assert!(
            e.starts_with(&format!("{ID}: step 3: unknown field `pth`, expected")),
            "{e}"
        );
    }

    /// deny_unknown_fields holds in the internally tagged variants: a field
    /// that another action uses (or a run's) is refused.
    #[test]
    fn action_fields_belong_to_their_action() {
        for (step, field) in [
            ("action = \"delete\"\npath = \"x\"\ntext = \"t\"", "text"),
            ("action = \"sleep\"\nms = 1\npath = \"x\"", "path"),
            (
                "action = \"wiki-reset\"\nto = \"c1\"\nroot = \"wiki\"",
                "root",
            ),
            ("action = \"touch\"\npath = \"x\"\nexit = \"ok\"", "exit"),
            ("action = \"append\"\npath = \"x\"\nmode = \"600\"", "mode"),
            (
                "action = \"stat\"\npath = \"x\"\ncapture = \"m\"\ntext = \"t\"",
                "text",
            ),
        ] {
            let e = err3(step);
            assert!(
                e.contains(&format!("step 3: unknown field `{field}`")),
                "{step}: {e}"
            );
        }
    }

    #[test]
    fn action_missing_its_field_is_named() {
        for (step, field) in [
            ("action = \"write\"\ntext = \"t\"", "path"),
            ("action = \"wiki-commit\"", "commit"),
            ("action = \"wiki-reset\"", "to"),
            ("action = \"sleep\"", "ms"),
            ("action = \"chmod\"\npath = \"x\"", "mode"),
            ("action = \"symlink\"\npath = \"x\"", "target"),
        ] {
            let e = err3(step);
            assert!(
                e.starts_with(&format!("{ID}: step 3: missing field `{field}`")),
                "{step}: {e}"
            );
        }
    }

    #[test]
    fn a_step_with_both_or_neither_verb_and_action() {
        for step in [
            "verb = \"install\"\naction = \"touch\"\npath = \"x\"",
            "args = [\"skill\", \"a\"]",
        ] {
            assert_eq!(
                err3(step),
                format!("{ID}: step 3: a step needs exactly one of `verb` or `action`")
            );
        }
    }

    #[test]
    fn unknown_kind_names_the_step_and_the_value() {
        let e = err3("verb = \"install\"\nkind = \"already_installed\"");
        assert!(
            e.starts_with(&format!(
                "{ID}: step 3: field `kind`: unknown error kind `already_installed`, expected one of"
            )),
            "{e}"
        );
        assert!(e.contains("`already-installed`"), "{e}");
        let e = err3("verb = \"install\"\ncopies = 2\ncounts = { ok = 1, busy = 1 }");
        assert!(
            e.starts_with(&format!(
                "{ID}: step 3: field `counts`: unknown outcome `busy`"
            )),
            "{e}"
        );
    }

    #[test]
    fn unknown_exit_class_names_the_step_and_the_value() {
        let e = err3("verb = \"install\"\nexit = \"okay\"");
        assert!(
            e.starts_with(&format!(
                "{ID}: step 3: field `exit`: unknown variant `okay`"
            )),
            "{e}"
        );
        assert!(e.contains("`nonzero`"), "{e}");
    }

    #[test]
    fn zero_copies_is_a_parse_error() {
        let e = err3("verb = \"install\"\ncopies = 0");
        assert!(
            e.starts_with(&format!("{ID}: step 3: field `copies`: ")),
            "{e}"
        );
        assert!(e.contains("nonzero"), "{e}");
    }

    #[test]
    fn closed_sets_in_checks_are_parse_errors() {
        for (step, what) in [
            (
                "verb = \"status\"\nrows = [{ type = \"skill\", name = \"a\", state = \"clean\" }]",
                "unknown variant `clean`",
            ),
            (
                "verb = \"status\"\nrows = [{ type = \"skills\", name = \"a\", state = \"ok\" }]",
                "unknown variant `skills`",
            ),
            (
                "verb = \"status\"\njson = true\nstdout_json = [{ pointer = \"/x\", type = \"int\" }]",
                "unknown variant `int`",
            ),
        ] {
            let e = err3(step);
            assert!(e.contains("step 3: ") && e.contains(what), "{step}: {e}");
        }
    }

    #[test]
    fn errors_outside_steps_keep_the_toml_location() {
        let text = with_step3("verb = \"install\"").replace(
            "summary = \"s\"",
            "summary = \"s\"\nprofile = \"extra\"\nrequires = [\"json\"]",
        );
        let e = Case::parse(ID, &text).unwrap_err().to_string();
        assert!(!e.contains("step"), "{e}");
        assert!(
            e.contains("line 2") && e.contains("unknown variant `extra`"),
            "{e}"
        );
        let text = with_step3("verb = \"install\"")
            .replace("summary = \"s\"", "summary = \"s\"\nrequires = [\"jsno\"]");
        let e = Case::parse(ID, &text).unwrap_err().to_string();
        assert!(e.contains("unknown variant `jsno`"), "{e}");
        let text = format!("{}bogus = 1\n", with_step3("verb = \"install\""));
        let e = Case::parse(ID, &text).unwrap_err().to_string();
        assert!(!e.contains("step"), "{e}");
        assert!(e.contains("unknown field `bogus`"), "{e}");
    }

    #[test]
    fn inline_steps_are_numbered_too() {
        let text = "summary = \"s\"\nclauses = [\"E1\"]\n\
                    step = [{ verb = \"install\" }, { action = \"delete\", pth = \"x\" }]\n";
        let e = Case::parse(ID, text).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("{ID}: step 2: unknown field `pth`")),
            "{e}"
        );
    }

    #[test]
    fn validate_keeps_the_semantic_checks() {
        let clauses = ["E1".to_owned()];
        let v = |step: &str| {
            Case::parse(ID, &with_step3(step))
                .unwrap()
                .validate(&clauses)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            v("verb = \"install\"\ncounts = { ok = 1 }"),
            [format!("{ID}: step 3: `counts` needs `copies`")]
        );
        assert_eq!(
            v("verb = \"install\"\ncopies = 3\ncounts = { ok = 1 }"),
            [format!("{ID}: step 3: counts add up to 1, copies is 3")]
        );
        assert_eq!(
            v("verb = \"install\"\ncapture = { m = \"/x\" }"),
            [format!(
                "{ID}: step 3: stdout_json/capture/stdout_is_json need `json = true`"
            )]
        );
        let c = Case::parse(
            ID,
            "summary = \"s\"\nclauses = [\"E9\"]\n[[step]]\naction = \"sleep\"\nms = 1\n",
        )
        .unwrap();
        assert_eq!(
            c.validate(&clauses)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [
                format!("{ID}: clause \"E9\" is not in the contract"),
                format!("{ID}: asserts nothing")
            ]
        );
    }

    #[test]
    fn spellings_are_the_serde_spellings() {
        for v in Verb::ALL {
            let s: Verb = toml::Value::String(v.as_str().into()).try_into().unwrap();
            assert_eq!(s, *v);
        }
        for k in Kind::ALL {
            let s: CopyOutcome = toml::Value::String(k.as_str().into()).try_into().unwrap();
            assert_eq!(s, CopyOutcome::Kind(k));
        }
        assert_eq!(
            Verb::names(),
            [
                "install",
                "install-all",
                "update",
                "adopt",
                "status",
                "remove",
                "projects",
                "update-all",
                "edit",
                "raw"
            ]
        );
    }
}
