//! `assetpin conform`: the executable form of `docs/CONTRACT.md`.
//!
//! Cases are data (`tests/fixtures/cases/<group>/<name>.toml`, format in
//! `docs/conformance.md`), embedded in the binary; an adapter
//! (`adapters/*.toml`) says how to drive one implementation. Each case runs
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
//! (several side by side, and the HTML matrix).

pub mod adapter;
pub mod case;
pub mod check;
pub mod coverage;
pub mod edit_matrix;
pub mod exec;
pub mod hostile;
pub mod matrix;
pub mod portable;
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
    assetpin conform --adapter adapters/memtomem.toml
    assetpin conform --filter K6 --format json
    assetpin conform --filter h-hostile/update: --skip :fifo
    assetpin conform --cases my-cases/ --format junit > junit.xml
    assetpin conform --adapter reference --adapter adapters/skills.toml \\
        --known skills=tests/conformance/skills-divergences.toml --html matrix.html

Adapters are TOML files (see adapters/ and docs/conformance.md); `reference`
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

    /// Only run cases whose id contains this text, or that cite this
    /// clause id (repeatable; any match selects)
    #[arg(long, value_name = "TEXT")]
    pub filter: Vec<String>,

    /// Leave out cases whose id contains this text (repeatable; after
    /// --filter)
    #[arg(long, value_name = "TEXT")]
    pub skip: Vec<String>,

    /// Cases run at once [default: number of CPUs]
    #[arg(long, short = 'j', value_name = "N")]
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
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read known-divergences file {}: {e}", path.display()))?;
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
    let clauses = source::contract_clauses();
    let errs: Vec<String> = cases.iter().flat_map(|c| c.validate(&clauses)).collect();
    if errs.is_empty() {
        Ok(cases)
    } else {
        Err(errs)
    }
}

/// True when `case` is selected by `filters` (empty selects all).
pub fn selected(case: &Case, filters: &[String]) -> bool {
    filters.is_empty()
        || filters
            .iter()
            .any(|f| case.id.contains(f.as_str()) || case.clauses.iter().any(|c| c == f))
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
        .num_threads(jobs.max(1))
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
    let mut out: Vec<(Vec<Divergence>, String)> = vec![(Vec::new(), String::new()); ads.len()];
    for a in args {
        let (who, file) = match a.split_once('=') {
            Some((n, f)) if ads.iter().any(|x| x.spec.name == n) => (Some(n), f),
            _ => (None, a.as_str()),
        };
        let idx = match who {
            Some(n) => ads.iter().position(|x| x.spec.name == n).unwrap_or(0),
            None if ads.len() == 1 => 0,
            None => {
                let names: Vec<&str> = ads.iter().map(|x| x.spec.name.as_str()).collect();
                return Err(format!(
                    "--known {a}: with several adapters say whose, as NAME=FILE (NAME one of {})",
                    names.join(", ")
                ));
            }
        };
        let d = load_divergences(Path::new(file))?;
        out[idx].0.extend(d);
        out[idx].1 = file.to_owned();
    }
    Ok(out)
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
    let chosen: Vec<&Case> = all
        .iter()
        .filter(|c| {
            ad.claims_id(&c.id)
                && selected(c, &args.filter)
                && !args.skip.iter().any(|s| c.id.contains(s.as_str()))
        })
        .collect();
    if all.is_empty() {
        run_errors.push(format!(
            "no cases found in {}; a run with zero cases fails",
            args.cases
                .as_ref()
                .map_or("the built-in set".into(), |p| p.display().to_string())
        ));
    } else if chosen.is_empty() {
        run_errors.push(format!(
            "--filter {:?} --skip {:?} selected no case for adapter {}",
            args.filter, args.skip, ad.spec.name
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
    let cov = coverage::coverage(&source::contract_clauses(), all, &results);
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

/// Entry point of `assetpin conform`; returns the exit code.
pub fn run(args: ConformArgs) -> i32 {
    let self_exe = match args
        .self_exe
        .clone()
        .map(Ok)
        .unwrap_or_else(std::env::current_exe)
    {
        Ok(p) => p,
        Err(e) => {
            say_err(&format!("error: cannot find the running executable: {e}"));
            return 1;
        }
    };
    let mut ads = Vec::new();
    for a in &args.adapter {
        match Adapter::from_arg(Some(a), &self_exe) {
            Ok(ad) => {
                if ads.iter().any(|x: &Adapter| x.spec.name == ad.spec.name) {
                    say_err(&format!(
                        "error: two adapters are named {:?}; each --adapter needs its own name",
                        ad.spec.name
                    ));
                    return 2;
                }
                ads.push(ad);
            }
            Err(e) => {
                say_err(&format!("error: {e}"));
                return 1;
            }
        }
    }
    let all = match load_cases(args.cases.as_deref()) {
        Ok(c) => c,
        Err(errs) => {
            for e in &errs {
                say_err(&format!("error: {e}"));
            }
            say_err(&format!(
                "error: {} problem(s) in the case set; nothing was run",
                errs.len()
            ));
            return 1;
        }
    };
    let known = match known_for(&args.known, &ads) {
        Ok(k) => k,
        Err(e) => {
            say_err(&format!("error: {e}"));
            return 1;
        }
    };
    if args.list {
        for ad in &ads {
            for c in all.iter().filter(|c| {
                ad.claims_id(&c.id)
                    && selected(c, &args.filter)
                    && !args.skip.iter().any(|s| c.id.contains(s.as_str()))
            }) {
                let note = ad
                    .unsupported_reason(c)
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
                    return 0;
                }
            }
        }
        return 0;
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let runs: Vec<ImplRun> = ads
        .into_iter()
        .zip(known)
        .map(|(ad, (k, file))| run_impl(&args, &all, ad, &k, &file, jobs))
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
    // A closed pipe (`| head`) ends the report quietly; any other write
    // failure (a full disk) is an error, never a silent exit 0.
    if let Err(e) = write_out(&text)
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        say_err(&format!("error[io]: write to stdout: {e}"));
        return 1;
    }
    let writes: [(&Option<PathBuf>, &str, Render); 2] = [
        (&args.junit, "JUnit", matrix::junit),
        (&args.html, "HTML", matrix::html),
    ];
    for (path, what, render) in writes {
        if let Some(p) = path
            && let Err(e) = std::fs::write(p, render(&runs))
        {
            say_err(&format!(
                "error: cannot write the {what} report {}: {e}",
                p.display()
            ));
            return 1;
        }
    }
    i32::from(runs.iter().any(ImplRun::failed))
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
