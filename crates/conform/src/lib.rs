//! `assetpin conform`: the executable form of `docs/CONTRACT.md`.
//!
//! Cases are data (`crates/conform/cases/<group>/<name>.toml`, format in
//! `docs/conformance.md`), embedded in the binary; an adapter
//! (`crates/conform/adapters/*.toml`) says how to drive one implementation. Each case runs
//! in its own temporary directories, cases run in parallel, and the report
//! shows each case's outcome (passed, failed, unsupported, error) and a
//! clause × outcome table. A run with zero cases, a contract clause
//! without a case, or a case that refers to something missing fails.
//!
//! Modules, one job each: [`case`] (model and validation), [`source`]
//! (embedded or `--cases` sets, clause ids from the contract), [`adapter`],
//! [`workspace`] (temp dirs, wiki via git, snapshots), [`exec`] (steps),
//! [`check`] (expectations), [`portable`] (the portable profile's checks
//! through the adapter's layout), [`runner`] (one case), [`coverage`],
//! [`report`] (one implementation: human, JSON, JUnit), [`matrix`]
//! (several side by side, and the HTML matrix), [`reaper`] (nothing the
//! run starts outlives it).

pub mod adapter;
pub mod case;
pub mod check;
pub mod coverage;
pub mod edit_matrix;
pub mod exec;
pub mod hostile;
pub mod matrix;
pub mod portable;
pub mod reaper;
pub mod report;
pub mod runner;
pub mod snapshot;
pub mod source;
pub mod workspace;

use adapter::Adapter;
use case::Case;
use rayon::prelude::*;
use runner::{CaseResult, Outcome};
use serde::Deserialize;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table per case, failures with expected vs observed, the
    /// per-clause table, and `N passed, N failed[, N skipped]`.
    Human,
    /// One JSON object.
    Json,
    /// JUnit XML, one testcase per case.
    Junit,
    /// One self-contained HTML page: the clause × implementation matrix.
    Html,
}

/// Run the conformance suite (docs/CONTRACT.md as executable cases)
/// against an implementation.
///
/// By default runs the cases built into this binary against this binary.
/// Exit status: 0 when every case passed or is unsupported by the adapter,
/// 1 when a case failed or errored, when no case ran, or when a contract
/// clause has no case; 2 on a usage error.
#[derive(Debug, Clone, clap::Args)]
#[command(after_long_help = "\
EXAMPLES:
    assetpin conform
    assetpin conform --adapter crates/conform/adapters/memtomem.toml
    assetpin conform --filter K6 --format json
    assetpin conform --filter h-hostile/update: --skip :fifo
    assetpin conform --cases my-cases/ --format junit > junit.xml
    assetpin conform --adapter reference --adapter crates/conform/adapters/skills.toml \\
        --known skills=tests/conformance/skills-divergences.toml --html matrix.html

Adapters are TOML files (see crates/conform/adapters/ and docs/conformance.md); `reference`
and `memtomem` also name the built-in copies. With several --adapter, the
cases run against each in turn and the reports put them side by side.")]
pub struct ConformArgs {
    /// Adapter file describing an implementation under test, or a
    /// built-in name (`reference`, `memtomem`); repeat to compare several
    #[arg(long, value_name = "FILE|NAME", default_value = "reference")]
    pub adapter: Vec<String>,

    /// Read cases from this directory instead of the built-in set
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,

    /// Only run cases that cite this clause id (`P1`: P1, not P10), or,
    /// when TEXT is not a clause id, whose id contains it (repeatable; any
    /// match selects)
    #[arg(long, value_name = "TEXT", value_parser = non_empty)]
    pub filter: Vec<String>,

    /// Leave out the cases this text names, as --filter reads it
    /// (repeatable; after --filter)
    #[arg(long, value_name = "TEXT", value_parser = non_empty)]
    pub skip: Vec<String>,

    /// Cases run at once, 1 to 1024 [default: number of CPUs]
    #[arg(long, short = 'j', value_name = "N", value_parser = parse_jobs)]
    pub jobs: Option<usize>,

    /// Report format on stdout
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Also write a JUnit XML report to this file
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Known divergences (TOML, see tests/conformance/peer-divergences.toml):
    /// a listed case that fails is expected; a listed case that passes, or an
    /// unlisted one that fails, fails the run. With several adapters, say
    /// whose: NAME=FILE, NAME the adapter's `name` (repeatable)
    #[arg(long, value_name = "[NAME=]FILE")]
    pub known: Vec<String>,

    /// Also write the HTML matrix to this file
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// List the selected cases and exit
    #[arg(long)]
    pub list: bool,

    /// Program for adapters that use the current executable (default:
    /// this binary). Set by the test harness.
    #[arg(skip)]
    pub self_exe: Option<PathBuf>,
}

/// One known divergence of an implementation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Divergence {
    /// Case id, or, when it starts with `^`, a regex over case ids (for a
    /// family of generated cases with one cause); every case it names
    /// must fail.
    pub case: String,
    /// Clause id the divergence breaks.
    pub clause: String,
    /// What the implementation does.
    pub does: String,
    /// Why it matters.
    pub why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DivergenceFile {
    #[serde(default)]
    divergence: Vec<Divergence>,
}

impl Divergence {
    /// Whether this divergence names case `id` (exactly, or by its `^`
    /// regex; a regex that does not compile names nothing, and
    /// [`parse_divergences`] refuses it).
    pub fn matches(&self, id: &str) -> bool {
        if self.case.starts_with('^') {
            regex::Regex::new(&self.case).is_ok_and(|r| r.is_match(id))
        } else {
            self.case == id
        }
    }
}

/// Reads a known-divergences file.
///
/// # Errors
/// Unreadable or malformed file (the message names it).
pub fn load_divergences(path: &Path) -> Result<Vec<Divergence>, String> {
    let text = source::read_input(path).map_err(|e| format!("known-divergences file: {e}"))?;
    parse_divergences(&path.display().to_string(), &text)
}

/// Parses a known-divergences document.
///
/// # Errors
/// Malformed TOML.
pub fn parse_divergences(origin: &str, text: &str) -> Result<Vec<Divergence>, String> {
    let f: DivergenceFile = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
    for d in &f.divergence {
        if d.case.starts_with('^')
            && let Err(e) = regex::Regex::new(&d.case)
        {
            return Err(format!("{origin}: case {:?} is not a regex: {e}", d.case));
        }
    }
    Ok(f.divergence)
}

/// Loads the case set (built in, or `dir`) and validates every case
/// against the contract's clause ids.
///
/// # Errors
/// Every problem found, one message each.
pub fn load_cases(dir: Option<&Path>) -> Result<Vec<Case>, Vec<String>> {
    let cases = match dir {
        Some(d) => source::dir_cases(d)?,
        None => {
            let mut c = source::embedded_cases()?;
            c.extend(hostile::cases()?);
            c.extend(edit_matrix::cases()?);
            c
        }
    };
    let clauses = assetpin_contract::contract_clauses();
    let errs: Vec<String> = cases.iter().flat_map(|c| c.validate(&clauses)).collect();
    if errs.is_empty() {
        Ok(cases)
    } else {
        Err(errs)
    }
}

/// True when `case` is selected by `filters` (empty selects all).
pub fn selected(case: &Case, filters: &[String]) -> bool {
    filters.is_empty() || filters.iter().any(|f| names(case, f))
}

/// Whether `text` names `case`: a contract clause id names the cases
/// citing it (`P1`, not `P10`), any other text the cases whose id
/// contains it. `--filter` and `--skip` both read it so.
fn names(case: &Case, text: &str) -> bool {
    static CLAUSES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    if CLAUSES
        .get_or_init(assetpin_contract::contract_clauses)
        .iter()
        .any(|c| c == text)
    {
        case.clauses.iter().any(|c| c == text)
    } else {
        case.id.contains(text)
    }
}

/// True when `case` is taken: claimed by `ad`, selected by `--filter`,
/// not left out by `--skip`.
fn taken(case: &Case, ad: &Adapter, args: &ConformArgs) -> bool {
    ad.claims_id(&case.id)
        && selected(case, &args.filter)
        && !args.skip.iter().any(|s| names(case, s))
}

/// `--filter` and `--skip`: an empty text would match every case.
fn non_empty(s: &str) -> Result<String, String> {
    if s.is_empty() {
        Err("an empty text matches every case; give a clause id or part of a case id".into())
    } else {
        Ok(s.to_owned())
    }
}

/// `--jobs`: 1 to 1024 (more threads than that only cost memory).
fn parse_jobs(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!("{s:?} is not a number of jobs from 1 to 1024")),
    }
}

/// Runs `cases` on a pool of `jobs` threads, calling `tick` after each.
pub fn run_cases(
    cases: &[&Case],
    ad: &Adapter,
    jobs: usize,
    tick: &(dyn Fn(&CaseResult) + Sync),
) -> Vec<CaseResult> {
    let run = || {
        cases
            .par_iter()
            .map(|c| {
                let r = runner::run_case(c, ad);
                tick(&r);
                r
            })
            .collect::<Vec<_>>()
    };
    match rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.clamp(1, cases.len().max(1)))
        .build()
    {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    }
}

/// One implementation's run: its adapter, results and what failed the
/// run besides its cases.
#[derive(Debug)]
pub struct ImplRun {
    /// The adapter.
    pub adapter: Adapter,
    /// Results in case order (only the cases the adapter is for).
    pub results: Vec<CaseResult>,
    /// Clause coverage of these results.
    pub coverage: coverage::Coverage,
    /// Problems that fail this run regardless of cases.
    pub run_errors: Vec<String>,
    /// Ids of failed-and-expected cases (its known divergences).
    pub known: Vec<String>,
}

impl ImplRun {
    /// The single-implementation report of this run.
    pub fn report(&self) -> report::Report<'_> {
        // A program under the current directory is shown relative to it
        // (target/peers/...), so that a kept report names no one's home.
        let exe = &self.adapter.exe;
        let shown = std::env::current_dir()
            .ok()
            .and_then(|d| exe.strip_prefix(d).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| exe.clone());
        report::Report {
            adapter: &self.adapter.spec.name,
            program: format!("{}; {}", self.adapter.spec.description, shown.display()),
            results: &self.results,
            coverage: &self.coverage,
            run_errors: &self.run_errors,
            known: &self.known,
        }
    }

    /// True when this run fails: a case failed (not known) or errored, or
    /// a run error.
    pub fn failed(&self) -> bool {
        !self.run_errors.is_empty()
            || self.results.iter().any(|r| match r.outcome {
                Outcome::Error => true,
                Outcome::Failed => !self.known.contains(&r.id),
                _ => false,
            })
    }
}

/// Splits the `--known` arguments over the adapters: `NAME=FILE` goes to
/// the adapter named NAME, a bare FILE to the only adapter.
///
/// # Errors
/// A bare FILE with several adapters, an unknown NAME, a bad file.
pub fn known_for(
    args: &[String],
    ads: &[Adapter],
) -> Result<Vec<(Vec<Divergence>, String)>, String> {
    let mut out: Vec<(Vec<Divergence>, Vec<String>)> = vec![(Vec::new(), Vec::new()); ads.len()];
    let names: Vec<&str> = ads.iter().map(|x| x.spec.name.as_str()).collect();
    for a in args {
        let (who, file) = match a.split_once('=') {
            Some((n, f)) if names.contains(&n) => (Some(n), f),
            // NAME=FILE naming no adapter (unless the whole is a file).
            Some((n, _)) if !Path::new(a).exists() => {
                return Err(format!(
                    "--known {a}: no adapter is named {n:?} (adapters: {})",
                    names.join(", ")
                ));
            }
            _ => (None, a.as_str()),
        };
        let idx = match who {
            Some(n) => names.iter().position(|x| *x == n).unwrap_or(0),
            None if ads.len() == 1 => 0,
            None => {
                return Err(format!(
                    "--known {a}: with several adapters say whose, as NAME=FILE (NAME one of {})",
                    names.join(", ")
                ));
            }
        };
        let d = load_divergences(Path::new(file))?;
        out[idx].0.extend(d);
        out[idx].1.push(file.to_owned());
    }
    Ok(out
        .into_iter()
        .map(|(d, files)| (d, files.join(" or ")))
        .collect())
}

/// Runs the selected cases against one adapter and judges the run.
fn run_impl(
    args: &ConformArgs,
    all: &[Case],
    ad: Adapter,
    known: &[Divergence],
    known_file: &str,
    jobs: usize,
) -> ImplRun {
    let mut run_errors = Vec::new();
    for d in known {
        if !all.iter().any(|c| d.matches(&c.id)) {
            run_errors.push(format!(
                "known divergence names case {:?}, which is not in the case set",
                d.case
            ));
        }
    }
    let chosen: Vec<&Case> = all.iter().filter(|c| taken(c, &ad, args)).collect();
    if all.is_empty() {
        run_errors.push(format!(
            "no cases found in {}; a run with zero cases fails",
            args.cases
                .as_ref()
                .map_or("the built-in set".into(), |p| p.display().to_string())
        ));
    } else if chosen.is_empty() {
        run_errors.push(format!(
            "no case selected for adapter {} (its cases = {:?}, --filter {:?}, --skip {:?})",
            ad.spec.name, ad.spec.cases, args.filter, args.skip
        ));
    }
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(chosen.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed}] {prefix} {bar:40} {pos}/{len} {msg}",
        ) {
            b.set_style(style);
        }
        b.set_prefix(ad.spec.name.clone());
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let results = run_cases(&chosen, &ad, jobs, &|r: &CaseResult| {
        bar.set_message(r.id.clone());
        bar.inc(1);
    });
    bar.finish_and_clear();
    let cov = coverage::coverage(&assetpin_contract::contract_clauses(), all, &results);
    if !cov.uncovered.is_empty() {
        run_errors.push(format!(
            "contract clause(s) without a case: {}",
            cov.uncovered.join(", ")
        ));
    }
    let known_ids: Vec<String> = all
        .iter()
        .filter(|c| known.iter().any(|d| d.matches(&c.id)))
        .map(|c| c.id.clone())
        .collect();
    for r in &results {
        if r.outcome == Outcome::Passed && known_ids.contains(&r.id) {
            run_errors.push(format!(
                "{} is listed as a known divergence but passed; remove it from {known_file}",
                r.id
            ));
        }
    }
    ImplRun {
        adapter: ad,
        results,
        coverage: cov,
        run_errors,
        known: known_ids,
    }
}

/// A report renderer over the runs.
type Render = fn(&[ImplRun]) -> String;

/// Why `conform` stopped outside its cases: `usage` (exit 2: an adapter,
/// known-divergences file, case directory or output path that cannot be
/// used as given) or `io` (exit 1: a report that cannot be written).
struct Stop {
    kind: &'static str,
    message: String,
}

impl Stop {
    fn usage(message: impl Into<String>) -> Stop {
        Stop {
            kind: "usage",
            message: message.into(),
        }
    }

    fn io(message: impl Into<String>) -> Stop {
        Stop {
            kind: "io",
            message: message.into(),
        }
    }

    /// Prints `error[<kind>]: <message>` (and, for JSON, the object
    /// `{"status", "kind", "message"}` on stdout); returns the exit code.
    fn report(&self, json: bool) -> i32 {
        say_err(&format!("error[{}]: {}", self.kind, self.message));
        let usage = self.kind == "usage";
        if json {
            let status = if usage { "usage" } else { "error" };
            let v =
                serde_json::json!({"status": status, "kind": self.kind, "message": self.message});
            say(&format!("{v}\n"));
        }
        if usage { 2 } else { 1 }
    }
}

/// A report file (`--junit`, `--html`) opened before the run, so that a
/// path that cannot take it fails at once, not after every case ran.
struct Output {
    path: PathBuf,
    /// The open made the file (removed again if the run is refused).
    created: bool,
    what: &'static str,
    file: std::fs::File,
    render: Render,
}

impl Output {
    /// Opens `path` for writing without truncating it yet (the report
    /// replaces it when the run ends). A FIFO with no reader is refused
    /// rather than waited on; a directory is refused.
    fn open(path: &Path, what: &'static str, render: Render) -> Result<Output, Stop> {
        use rustix::fs::{Mode, OFlags};
        let fail = |e: &dyn std::fmt::Display| {
            Stop::usage(format!(
                "cannot write the {what} report to {}: {e}; give a writable file path",
                path.display()
            ))
        };
        let fd = rustix::fs::open(
            path,
            OFlags::WRONLY | OFlags::CREATE | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )
        .map_err(|e| match e {
            rustix::io::Errno::NXIO => fail(&"a FIFO that nobody reads"),
            rustix::io::Errno::ISDIR => fail(&"a directory"),
            e => fail(&e),
        })?;
        // Writes at the end block as usual (a FIFO's reader is there).
        let _ = rustix::fs::fcntl_setfl(&fd, OFlags::empty());
        Ok(Output {
            path: path.to_owned(),
            created: false,
            what,
            file: std::fs::File::from(fd),
            render,
        })
    }

    /// Identity of the opened file (device, inode).
    fn id(&self) -> Option<(u64, u64)> {
        self.file.metadata().ok().as_ref().map(dev_ino)
    }

    /// Replaces the file's bytes with the report.
    fn write(mut self, runs: &[ImplRun]) -> Result<(), Stop> {
        use std::io::Write;
        let text = (self.render)(runs);
        let fail = |e: std::io::Error| {
            Stop::io(format!(
                "cannot write the {} report {}: {e}",
                self.what,
                self.path.display()
            ))
        };
        if self.file.metadata().is_ok_and(|m| m.is_file()) {
            self.file.set_len(0).map_err(fail)?;
        }
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(fail)
    }
}

/// A file's identity: (device, inode).
fn dev_ino(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

/// Identity of an existing file.
fn file_id(p: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(p).ok().as_ref().map(dev_ino)
}

/// Opens `--junit` and `--html`, refusing one that is an input of the run
/// (an adapter or known-divergences file) or the other output.
fn open_outputs(args: &ConformArgs, ads: &[Adapter]) -> Result<Vec<Output>, Stop> {
    let mut outs: Vec<Output> = Vec::new();
    match open_each(args, ads, &mut outs) {
        Ok(()) => Ok(outs),
        Err(e) => {
            // Nothing of a refused run is left behind.
            for o in outs.iter().filter(|o| o.created) {
                let _ = std::fs::remove_file(&o.path);
            }
            Err(e)
        }
    }
}

fn open_each(args: &ConformArgs, ads: &[Adapter], outs: &mut Vec<Output>) -> Result<(), Stop> {
    let inputs: Vec<String> = args
        .adapter
        .iter()
        .cloned()
        .chain(
            args.known
                .iter()
                .map(|k| k.split_once('=').map_or(k.as_str(), |(_, f)| f).to_owned()),
        )
        .chain(ads.iter().map(|a| a.exe.display().to_string()))
        .collect();
    let cases_dir = args
        .cases
        .as_ref()
        .and_then(|d| std::fs::canonicalize(d).ok());
    let wanted: [(&Option<PathBuf>, &'static str, Render); 2] = [
        (&args.junit, "JUnit", matrix::junit),
        (&args.html, "HTML", matrix::html),
    ];
    for (path, what, render) in wanted {
        let Some(p) = path else { continue };
        let parent = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if let (Some(cases), Ok(dir)) = (&cases_dir, std::fs::canonicalize(parent))
            && dir.starts_with(cases)
        {
            return Err(Stop::usage(format!(
                "the {what} report {} is inside the case directory {}; write it elsewhere",
                p.display(),
                cases.display()
            )));
        }
        let before = file_id(p);
        if let Some(id) = before {
            if let Some(i) = inputs.iter().find(|i| file_id(Path::new(i)) == Some(id)) {
                return Err(Stop::usage(format!(
                    "the {what} report {} is the input {i}; write it elsewhere",
                    p.display()
                )));
            }
            if let Some(o) = outs.iter().find(|o| o.id() == Some(id)) {
                return Err(Stop::usage(format!(
                    "the {what} report {} is also the {} report; give each its own file",
                    p.display(),
                    o.what
                )));
            }
        }
        let mut o = Output::open(p, what, render)?;
        o.created = before.is_none();
        outs.push(o);
    }
    Ok(())
}

/// Entry point of `assetpin conform`; returns the exit code.
pub fn run(args: ConformArgs) -> i32 {
    let json = args.format == Format::Json;
    reaper::install();
    let code = match run_checked(&args) {
        Ok(code) => code,
        Err(stop) => stop.report(json),
    };
    // The interrupt's handler ends the process (130); the run it cut
    // short must not end it first with the cut cases' code.
    reaper::park_if_interrupted();
    let left = reaper::sweep();
    let claimed = reaper::claimed();
    if left > 0 || !claimed.is_empty() {
        say_err(&left_running_note(&claimed, left));
    }
    code
}

/// The note on the processes the tools left running: those killed as
/// their step ended, by case (the first ten), and those found only at
/// the end of the run.
fn left_running_note(claimed: &[(String, usize)], at_end: usize) -> String {
    let at_steps: usize = claimed.iter().map(|(_, n)| n).sum();
    let mut by_case: Vec<String> = claimed
        .iter()
        .take(10)
        .map(|(c, n)| format!("{c}: {n}"))
        .collect();
    if claimed.len() > 10 {
        by_case.push(format!("{} more case(s)", claimed.len() - 10));
    }
    let mut parts = Vec::new();
    if at_steps > 0 {
        parts.push(format!(
            "{at_steps} as their step ended ({})",
            by_case.join(", ")
        ));
    }
    if at_end > 0 {
        parts.push(format!("{at_end} at the end of the run"));
    }
    format!(
        "note: processes that the tools started and left running were killed: {}",
        parts.join("; ")
    )
}

fn run_checked(args: &ConformArgs) -> Result<i32, Stop> {
    let self_exe = match args.self_exe.clone() {
        Some(p) => p,
        None => std::env::current_exe()
            .map_err(|e| Stop::io(format!("cannot find the running executable: {e}")))?,
    };
    let mut ads = Vec::new();
    for a in &args.adapter {
        let ad = Adapter::from_arg(Some(a), &self_exe).map_err(Stop::usage)?;
        if ads.iter().any(|x: &Adapter| x.spec.name == ad.spec.name) {
            return Err(Stop::usage(format!(
                "two adapters are named {:?}; each --adapter needs its own name",
                ad.spec.name
            )));
        }
        ads.push(ad);
    }
    let all = load_cases(args.cases.as_deref()).map_err(|errs| {
        for e in &errs {
            say_err(&format!("error[usage]: {e}"));
        }
        Stop::usage(format!(
            "{} problem(s) in the case set; nothing was run",
            errs.len()
        ))
    })?;
    let known = known_for(&args.known, &ads).map_err(Stop::usage)?;
    if args.list {
        return list(args, &ads, &all);
    }
    let outputs = open_outputs(args, &ads)?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let runs: Vec<ImplRun> = ads
        .into_iter()
        .zip(known)
        .map(|(ad, (k, file))| run_impl(args, &all, ad, &k, &file, jobs))
        .collect();
    let text = if let [one] = runs.as_slice() {
        let r = one.report();
        match args.format {
            Format::Human => r.human(),
            Format::Json => format!("{}\n", r.json()),
            Format::Junit => r.junit(),
            Format::Html => matrix::html(&runs),
        }
    } else {
        match args.format {
            Format::Human => matrix::human(&runs),
            Format::Json => format!("{}\n", matrix::json(&runs)),
            Format::Junit => matrix::junit(&runs),
            Format::Html => matrix::html(&runs),
        }
    };
    // The files first: stdout then holds one document, the report or
    // the error.
    for o in outputs {
        o.write(&runs)?;
    }
    // A closed pipe (`| head`) ends the report quietly; any other write
    // failure (a full disk) is an error, never a silent exit 0.
    if let Err(e) = write_out(&text)
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(Stop::io(format!("write to stdout: {e}")));
    }
    Ok(i32::from(runs.iter().any(ImplRun::failed)))
}

/// `--list`: the selected cases of each adapter, a line each, or with
/// `--format json` one object `{"cases": [{"adapter", "id", "clauses",
/// "summary", "unsupported"}]}` (`unsupported`: the reason, or null).
fn list(args: &ConformArgs, ads: &[Adapter], all: &[Case]) -> Result<i32, Stop> {
    let mut rows = Vec::new();
    for ad in ads {
        for c in all.iter().filter(|c| taken(c, ad, args)) {
            rows.push((ad, c, ad.unsupported_reason(c)));
        }
    }
    if rows.is_empty() {
        return Err(Stop::usage(format!(
            "no case selected (--filter {:?}, --skip {:?}, and each adapter's cases)",
            args.filter, args.skip
        )));
    }
    if args.format == Format::Json {
        let cases: Vec<serde_json::Value> = rows
            .iter()
            .map(|(ad, c, why)| {
                serde_json::json!({"adapter": ad.spec.name, "id": c.id, "clauses": c.clauses,
                    "summary": c.summary, "unsupported": why})
            })
            .collect();
        say(&format!("{}\n", serde_json::json!({ "cases": cases })));
        return Ok(0);
    }
    for (ad, c, why) in rows {
        let note = why
            .map(|r| format!("  (unsupported: {r})"))
            .unwrap_or_default();
        let who = if ads.len() > 1 {
            format!("{:<12} ", ad.spec.name)
        } else {
            String::new()
        };
        let line = format!(
            "{who}{:<48} {:<12} {}{note}\n",
            c.id,
            c.clauses.join(" "),
            c.summary
        );
        if !say(&line) {
            // A closed pipe (`conform --list | head`): stop quietly.
            return Ok(0);
        }
    }
    Ok(0)
}

/// Writes `text` to stdout; false when it cannot be written. A closed pipe
/// (`assetpin conform --list | head`) must end the output, not panic the
/// way `print!` does (E4).
fn say(text: &str) -> bool {
    write_out(text).is_ok()
}

/// Writes `text` to stdout and flushes it.
fn write_out(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush())
}

/// Writes a line to stderr, ignoring failures (E4).
fn say_err(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
