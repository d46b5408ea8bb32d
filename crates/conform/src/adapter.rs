//! Adapters: how to drive one implementation (argv templates, environment,
//! error-kind recognition, status parsing, claimed profiles and verbs).
//! Format documented in `docs/conformance.md`; shipped examples are
//! `crates/conform/adapters/reference.toml` and `crates/conform/adapters/memtomem.toml`.

use super::case::{Case, Feature, Profile, Verb};
use regex::Regex;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The reference adapter (this binary), embedded.
pub const REFERENCE_TOML: &str = include_str!("../adapters/reference.toml");
/// The memtomem adapter, embedded.
pub const MEMTOMEM_TOML: &str = include_str!("../adapters/memtomem.toml");

/// An adapter file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdapterFile {
    /// Short name used in reports.
    pub name: String,
    /// What the implementation is.
    #[serde(default)]
    pub description: String,
    /// Profiles claimed (`core`, `ext`).
    pub profiles: Vec<String>,
    /// Optional features (`json`, `project-flag`, `expect-mtime`).
    #[serde(default)]
    pub features: Vec<String>,
    /// The cases this adapter is for, as case-id prefixes (`w-edit/`);
    /// empty: every case. A case outside is unsupported, never passed: an
    /// adapter for one surface of a tool (its web API) leaves the rest to
    /// the tool's other adapter.
    #[serde(default)]
    pub cases: Vec<String>,
    /// How to find the program (`${exe}`).
    pub program: ProgramSpec,
    /// Working directory and environment for every verb.
    #[serde(default)]
    pub run: RunSpec,
    /// Verb name -> argv template. Claimed verbs are the keys.
    pub verbs: BTreeMap<String, Vec<String>>,
    /// Arguments spliced at `${json}` when a step asks for JSON.
    #[serde(default)]
    pub json_args: Vec<String>,
    /// Error-kind recognition (none: a refusal is only its exit code).
    #[serde(default)]
    pub errors: ErrorSpec,
    /// Status output parsing (only adapters that claim `status`).
    #[serde(default)]
    pub status: StatusSpec,
    /// Where the tool puts a skill and its manifest (profile `portable`).
    #[serde(default)]
    pub layout: LayoutSpec,
    /// How a dry run says what the real run will do (feature `dry-run`).
    #[serde(default)]
    pub dry_run: DryRunSpec,
}

/// What a dry run prints (feature `dry-run`; U6, A2).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DryRunSpec {
    /// A regex that matches a line of a dry run's stdout or stderr
    /// exactly when it says that the real run would refuse, whatever its
    /// exit status (a dry run may instead exit non-zero with the real
    /// run's kind).
    #[serde(default)]
    pub refuses: Option<String>,
}

/// Where a skill lands and what records it: the data a portable case
/// needs about a tool that is not memtomem-shaped (CONTRACT group P).
/// Paths are relative to the project; `${name}` is the skill's name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutSpec {
    /// The install root, the directory skills land in
    /// (`.claude/skills`; memtomem: `.memtomem/skills`). Cases see it as
    /// `${layout.root}`, its first component as `${layout.top}`.
    #[serde(default)]
    pub root: Option<String>,
    /// One skill's dest (default `${layout.root}/${name}`); cases see it
    /// as `${dest.<name>}`.
    #[serde(default)]
    pub dest: Option<String>,
    /// Regexes over dest-relative paths of files the tool adds to dest
    /// itself (left out when dest is compared with a tree).
    #[serde(default)]
    pub dest_extra: Vec<String>,
    /// Dest-relative paths of files the tool is known to rewrite on
    /// install (a SKILL.md whose front matter it edits): compared by
    /// presence, not bytes.
    #[serde(default)]
    pub rewritten: Vec<String>,
    /// The manifest or lockfile, when the tool keeps one
    /// (`${layout.manifest}`); claim the feature `manifest` with it.
    #[serde(default)]
    pub manifest: Option<String>,
    /// JSON manifests: a JSON pointer template to one skill's entry
    /// (`/skills/${name}`).
    #[serde(default)]
    pub manifest_entry: Option<String>,
    /// Other formats: a regex template that the manifest text matches
    /// when it holds the skill's entry.
    #[serde(default)]
    pub manifest_matches: Option<String>,
}

/// Locating the program.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramSpec {
    /// Use the running `assetpin` binary.
    #[serde(default)]
    pub current_exe: bool,
    /// Environment variable naming the program path, checked first.
    #[serde(default)]
    pub env: Option<String>,
    /// Name to look up on `PATH`.
    #[serde(default)]
    pub path_name: Option<String>,
    /// Further candidates, relative to the directory the harness runs in.
    #[serde(default)]
    pub candidates: Vec<String>,
    /// Shown when nothing is found.
    #[serde(default)]
    pub install_hint: String,
    /// Arguments that make the program print its version (`["--version"]`);
    /// the first line it prints is the saved run's `tool_version`.
    #[serde(default)]
    pub version_args: Vec<String>,
}

/// Working directory and environment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// Working directory template (default `${project}`).
    #[serde(default)]
    pub cwd: Option<String>,
    /// Environment variables set (templates).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Environment variables removed.
    #[serde(default)]
    pub env_remove: Vec<String>,
    /// Run once per case before its first step, in the same cwd and
    /// environment (`["${exe}", "init"]` for a tool that needs its project
    /// initialised); a failure is a harness error.
    #[serde(default)]
    pub setup: Vec<String>,
    /// Per-process timeout in seconds (default 60).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

/// How error kinds are recognised on stderr.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorSpec {
    /// Only look at the first stderr line (E1), else every line.
    #[serde(default)]
    pub first_line_only: bool,
    /// A regex with a `kind` capture group giving the kind directly.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Ordered (kind, regex) pairs; the first that matches a line wins.
    #[serde(default)]
    pub kinds: Vec<KindPattern>,
}

/// One kind-recognition rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindPattern {
    /// The E1 kind.
    pub kind: String,
    /// Regex over one stderr line.
    pub pattern: String,
}

/// How status output is read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusSpec {
    /// `json` (the T3 object on stdout) or `lines`.
    pub format: String,
    /// `lines`: a line that starts a section, with a `section` capture.
    #[serde(default)]
    pub section: Option<String>,
    /// `lines`: a row, with `mark` (or `state`) and `name` captures.
    #[serde(default)]
    pub row: Option<String>,
    /// `lines`: mark -> state.
    #[serde(default)]
    pub marks: BTreeMap<String, String>,
}

/// A loaded, resolved adapter.
#[derive(Debug, Clone)]
pub struct Adapter {
    /// The file as written.
    pub spec: AdapterFile,
    /// The resolved program path (`${exe}`).
    pub exe: PathBuf,
    /// Compiled `errors.pattern`.
    pub kind_re: Option<Regex>,
    /// Compiled `errors.kinds`.
    pub kind_rules: Vec<(String, Regex)>,
    /// Compiled status section regex.
    pub section_re: Option<Regex>,
    /// Compiled status row regex.
    pub row_re: Option<Regex>,
    /// Compiled `layout.dest_extra`.
    pub dest_extra: Vec<Regex>,
    /// Compiled `dry_run.refuses`.
    pub dry_refuses: Option<Regex>,
}

fn compile(field: &'static str, re: &str) -> Result<Regex, AdapterError> {
    Regex::new(re).map_err(|e| AdapterError::BadRegex {
        field,
        regex: re.to_owned(),
        source: e,
    })
}

impl Adapter {
    /// Parses and resolves an adapter. `origin` names it in messages;
    /// `self_exe` is the program for `current_exe = true` adapters.
    ///
    /// # Errors
    /// Parse errors, bad regexes, a program that cannot be found (with the
    /// adapter's install hint).
    pub fn load(origin: &str, text: &str, self_exe: &Path) -> Result<Adapter, AdapterError> {
        let bad = |problem| AdapterError::Bad {
            origin: origin.to_owned(),
            problem,
        };
        let spec: AdapterFile = toml::from_str(text).map_err(|e| AdapterError::Parse {
            origin: origin.to_owned(),
            source: e,
        })?;
        for p in &spec.profiles {
            if Profile::parse(p).is_none() {
                return Err(bad(Problem::UnknownProfile(p.clone())));
            }
        }
        for (v, argv) in &spec.verbs {
            if Verb::parse(v).is_none() {
                return Err(bad(Problem::UnknownVerb(v.clone())));
            }
            if argv.first().is_none_or(|a| a.trim().is_empty()) {
                return Err(bad(Problem::EmptyVerb(v.clone())));
            }
        }
        if spec.name.is_empty()
            || spec.name.contains(['=', '/'])
            || spec
                .name
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad(Problem::BadName(spec.name.clone())));
        }
        if spec.description.chars().any(char::is_control) {
            return Err(bad(Problem::ControlInDescription));
        }
        if let Some(t) = spec.run.timeout_secs
            && !(1..=86_400).contains(&t)
        {
            return Err(bad(Problem::BadTimeout(t)));
        }
        for (what, v) in [
            ("layout.root", &spec.layout.root),
            ("layout.dest", &spec.layout.dest),
        ] {
            if v.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(bad(Problem::EmptyLayoutDir(what)));
            }
        }
        let kind_re = spec
            .errors
            .pattern
            .as_deref()
            .map(|r| compile("errors.pattern", r))
            .transpose()?;
        if let Some(re) = &kind_re
            && !re.capture_names().any(|n| n == Some("kind"))
        {
            return Err(bad(Problem::PatternWithoutKind));
        }
        let mut kind_rules = Vec::new();
        for k in &spec.errors.kinds {
            if assetpin_contract::Kind::parse(&k.kind).is_none() {
                return Err(bad(Problem::UnknownKind(k.kind.clone())));
            }
            kind_rules.push((k.kind.clone(), compile("errors.kinds", &k.pattern)?));
        }
        let claims_status = spec.verbs.contains_key("status");
        if claims_status && spec.status.format != "json" && spec.status.format != "lines" {
            return Err(bad(Problem::BadStatusFormat(spec.status.format.clone())));
        }
        let section_re = spec
            .status
            .section
            .as_deref()
            .map(|r| compile("status.section", r))
            .transpose()?;
        let row_re = spec
            .status
            .row
            .as_deref()
            .map(|r| compile("status.row", r))
            .transpose()?;
        if claims_status && spec.status.format == "lines" && row_re.is_none() {
            return Err(bad(Problem::LinesWithoutRow));
        }
        let dest_extra = spec
            .layout
            .dest_extra
            .iter()
            .map(|r| compile("layout.dest_extra", r))
            .collect::<Result<Vec<_>, _>>()?;
        let dry_refuses = spec
            .dry_run
            .refuses
            .as_deref()
            .map(|r| compile("dry_run.refuses", r))
            .transpose()?;
        if spec.features.iter().any(|f| f == Feature::DryRun.as_str()) && dry_refuses.is_none() {
            return Err(bad(Problem::DryRunWithoutRefuses));
        }
        check_layout(&spec).map_err(bad)?;
        let exe = resolve_program(&spec.program, self_exe).map_err(bad)?;
        Ok(Adapter {
            spec,
            exe,
            kind_re,
            kind_rules,
            section_re,
            row_re,
            dest_extra,
            dry_refuses,
        })
    }

    /// Loads `--adapter ARG`: a file path, or one of the embedded names
    /// `reference` / `memtomem` when no such file exists.
    ///
    /// # Errors
    /// As [`Adapter::load`], or an unreadable file.
    pub fn from_arg(arg: Option<&str>, self_exe: &Path) -> Result<Adapter, AdapterError> {
        let arg = arg.unwrap_or("reference");
        // A built-in name wins over anything but a regular file of that
        // name (a directory `reference` in the current directory must not
        // break the default); `./reference` reaches such a file too.
        if !Path::new(arg).is_file() {
            match arg {
                "reference" => {
                    return Adapter::load("reference (built in)", REFERENCE_TOML, self_exe);
                }
                "memtomem" => return Adapter::load("memtomem (built in)", MEMTOMEM_TOML, self_exe),
                _ => {}
            }
        }
        let text = super::source::read_input(Path::new(arg)).map_err(AdapterError::Read)?;
        Adapter::load(arg, &text, self_exe)
    }

    /// Why this adapter cannot run `case`, or `None` when it claims it.
    pub fn unsupported_reason(&self, case: &Case) -> Option<String> {
        if !self.claims_id(&case.id) {
            return Some(format!(
                "outside adapter {}'s cases ({})",
                self.spec.name,
                self.spec.cases.join(", ")
            ));
        }
        if !self
            .spec
            .profiles
            .iter()
            .any(|p| p == case.profile.as_str())
        {
            return Some(format!(
                "profile {} not claimed by adapter {}",
                case.profile, self.spec.name
            ));
        }
        for v in case.verbs() {
            if !self.spec.verbs.contains_key(v.as_str()) {
                return Some(format!(
                    "verb {v} not claimed by adapter {}",
                    self.spec.name
                ));
            }
        }
        for f in &case.requires {
            if !self.spec.features.iter().any(|x| x == f.as_str()) {
                return Some(format!(
                    "feature {f} not claimed by adapter {}",
                    self.spec.name
                ));
            }
        }
        let json = Feature::Json.as_str();
        if case
            .steps
            .iter()
            .any(|s| s.as_run().is_some_and(|r| r.json))
            && !self.spec.features.iter().any(|f| f == json)
        {
            return Some(format!(
                "feature json not claimed by adapter {}",
                self.spec.name
            ));
        }
        None
    }

    /// Whether case `id` is in the adapter's `cases` (all when empty).
    pub fn claims_id(&self, id: &str) -> bool {
        self.spec.cases.is_empty() || self.spec.cases.iter().any(|p| id.starts_with(p.as_str()))
    }

    /// The error kind recognised in `stderr`, if any.
    pub fn recognise_kind(&self, stderr: &str) -> Option<String> {
        let lines: Vec<&str> = if self.spec.errors.first_line_only {
            stderr.lines().take(1).collect()
        } else {
            stderr.lines().collect()
        };
        for line in &lines {
            if let Some(re) = &self.kind_re
                && let Some(c) = re.captures(line)
                && let Some(k) = c.name("kind")
            {
                return Some(k.as_str().to_owned());
            }
        }
        for (kind, re) in &self.kind_rules {
            if lines.iter().any(|l| re.is_match(l)) {
                return Some(kind.clone());
            }
        }
        None
    }
}

/// The declarations a claim needs: `portable` needs `layout.root`, the
/// feature `manifest` needs `layout.manifest` and one way to find an entry.
fn check_layout(spec: &AdapterFile) -> Result<(), Problem> {
    let l = &spec.layout;
    let claims = |f: &str| spec.features.iter().any(|x| x == f);
    if spec.profiles.iter().any(|p| p == "portable") && l.root.is_none() {
        return Err(Problem::PortableWithoutRoot);
    }
    if claims("manifest") {
        if l.manifest.is_none() {
            return Err(Problem::ManifestWithoutPath);
        }
        if l.manifest_entry.is_none() == l.manifest_matches.is_none() {
            return Err(Problem::ManifestEntryWays);
        }
    } else if l.manifest.is_some() || claims("json-manifest") {
        return Err(Problem::ManifestWithoutFeature);
    }
    for f in &spec.features {
        if super::case::Feature::parse(f).is_none() {
            return Err(Problem::UnknownFeature(f.clone()));
        }
    }
    Ok(())
}

/// `p` made absolute against the current directory (unchanged when that
/// fails; the start then fails with the path in the message).
fn absolute(p: PathBuf) -> PathBuf {
    std::path::absolute(&p).unwrap_or(p)
}

fn resolve_program(p: &ProgramSpec, self_exe: &Path) -> Result<PathBuf, Problem> {
    if p.current_exe {
        return Ok(self_exe.to_path_buf());
    }
    let mut tried = Vec::new();
    if let Some(var) = &p.env {
        match std::env::var_os(var) {
            Some(v) if !v.is_empty() => {
                let path = PathBuf::from(v);
                if path.is_file() {
                    // Cases run in their own directories: a relative path
                    // is made absolute here, where it was meant.
                    return Ok(absolute(path));
                }
                return Err(Problem::ProgramEnvNotAFile {
                    var: var.clone(),
                    path,
                    hint: p.install_hint.clone(),
                });
            }
            _ => tried.push(format!("${var} (unset)")),
        }
    }
    if let Some(name) = &p.path_name {
        if let Some(paths) = std::env::var_os("PATH") {
            for dir in std::env::split_paths(&paths) {
                let c = dir.join(name);
                if c.is_file() {
                    return Ok(absolute(c));
                }
            }
        }
        tried.push(format!("{name} on PATH"));
    }
    for c in &p.candidates {
        let path = PathBuf::from(c);
        if path.is_file() {
            return Ok(std::fs::canonicalize(&path).unwrap_or(path));
        }
        tried.push(c.clone());
    }
    if tried.is_empty() {
        return Err(Problem::NoProgram);
    }
    let cwd = std::env::current_dir().map_or_else(|_| "?".into(), |d| d.display().to_string());
    Err(Problem::ProgramNotFound {
        tried,
        cwd,
        hint: p.install_hint.clone(),
    })
}

/// Why an adapter cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    /// `--adapter FILE` cannot be read.
    #[error(
        "adapter: {0}; pass a TOML adapter file (see crates/conform/adapters/) or one of \
         the built-in names `reference`, `memtomem`"
    )]
    Read(#[source] super::source::ReadError),
    /// The file is not an adapter document.
    #[error("adapter {origin}: {source}")]
    Parse {
        /// The file (or built-in name).
        origin: String,
        /// The parse error.
        #[source]
        source: toml::de::Error,
    },
    /// A regex of the adapter does not compile.
    #[error("adapter {field}: bad regex {regex:?}: {source}")]
    BadRegex {
        /// The field (`errors.pattern`).
        field: &'static str,
        /// The regex as written.
        regex: String,
        /// Why.
        #[source]
        source: regex::Error,
    },
    /// The document parses but cannot drive an implementation.
    #[error("adapter {origin}: {problem}")]
    Bad {
        /// The file (or built-in name).
        origin: String,
        /// What is wrong.
        problem: Problem,
    },
}

/// What is wrong with an adapter that parses ([`AdapterError::Bad`]).
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// A profile that is not `core`, `ext` or `portable`.
    #[error("unknown profile {0:?}")]
    UnknownProfile(String),
    /// A verb key that is no verb.
    #[error("unknown verb {0:?} (one of {names:?})", names = Verb::names())]
    UnknownVerb(String),
    /// A verb with an empty argv.
    #[error("verbs.{0} is empty; give its argv, e.g. [\"${{exe}}\", \"{0}\", \"${{args}}\"]")]
    EmptyVerb(String),
    /// A name that reports and `--known NAME=FILE` cannot use.
    #[error(
        "name {0:?} cannot name it in reports and --known NAME=FILE; give a name without \
         `=`, `/`, spaces or control characters"
    )]
    BadName(String),
    /// A description with control characters.
    #[error("description holds control characters; give plain text")]
    ControlInDescription,
    /// `run.timeout_secs` outside 1 to 86400.
    #[error("run.timeout_secs = {0}; give the seconds a process may take, 1 to 86400 (default 60)")]
    BadTimeout(u64),
    /// `layout.root` or `layout.dest` empty.
    #[error(
        "{0} is empty; give the directory relative to the project (\".claude/skills\") or \
         under ${{home}}"
    )]
    EmptyLayoutDir(&'static str),
    /// `errors.pattern` without a `kind` group.
    #[error(
        "errors.pattern has no `(?P<kind>...)` group, so it would never recognise a kind; \
         add one, or use [[errors.kinds]] rules"
    )]
    PatternWithoutKind,
    /// Feature `dry-run` without `dry_run.refuses`.
    #[error(
        "feature dry-run needs dry_run.refuses: a regex matching the line by which a dry run \
         that exits 0 says the real run would refuse (e.g. 'the real run would refuse')"
    )]
    DryRunWithoutRefuses,
    /// An error kind the contract does not have.
    #[error("unknown error kind {0:?}")]
    UnknownKind(String),
    /// `status.format` neither `json` nor `lines`.
    #[error("status.format must be \"json\" or \"lines\", not {0:?}")]
    BadStatusFormat(String),
    /// `status.format = "lines"` without `status.row`.
    #[error("status.format = \"lines\" needs status.row")]
    LinesWithoutRow,
    /// Profile `portable` without `layout.root`.
    #[error("profile portable needs layout.root (the directory skills land in)")]
    PortableWithoutRoot,
    /// Feature `manifest` without `layout.manifest`.
    #[error("feature manifest needs layout.manifest")]
    ManifestWithoutPath,
    /// Feature `manifest` with neither or both ways to find an entry.
    #[error(
        "feature manifest needs one of layout.manifest_entry (a JSON pointer) and \
         layout.manifest_matches (a regex)"
    )]
    ManifestEntryWays,
    /// `layout.manifest`, or the feature `json-manifest`, without the
    /// feature `manifest`.
    #[error("layout.manifest or the feature json-manifest is set; claim the feature manifest too")]
    ManifestWithoutFeature,
    /// A feature that is no feature.
    #[error("unknown feature {0:?} (one of {names:?})", names = super::case::Feature::names())]
    UnknownFeature(String),
    /// `program.env` names a variable holding no file's path.
    #[error("${var} points at {}, which is not a file; {hint}", path.display())]
    ProgramEnvNotAFile {
        /// The variable.
        var: String,
        /// Its value.
        path: PathBuf,
        /// `program.install_hint`.
        hint: String,
    },
    /// `[program]` gives no way to find it.
    #[error(
        "[program] names no program; give env, path_name or candidates (or current_exe = true)"
    )]
    NoProgram,
    /// Nothing `[program]` names exists.
    #[error(
        "program not found (tried {}; candidates are relative to the current directory, \
         {cwd}){}",
        .tried.join(", "),
        if .hint.is_empty() { String::new() } else { format!("; {}", .hint) }
    )]
    ProgramNotFound {
        /// What was tried, in order.
        tried: Vec<String>,
        /// The current directory (`?` when unknown).
        cwd: String,
        /// `program.install_hint`.
        hint: String,
    },
}
