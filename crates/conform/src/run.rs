//! `assetpin conform` end to end ([`run`]): adapters, cases and
//! known divergences from the arguments, the run of each implementation,
//! the reports on stdout and in files, and the exit code.

use crate::adapter::{Adapter, AdapterError};
use crate::args::{ConformArgs, Format};
use crate::case::Case;
use crate::divergence::{DivergenceError, known_for};
use crate::output::{OutputError, open_outputs};
use crate::reaper::Claimed;
use crate::source::CaseSetError;
use crate::suite::{ImplRun, load_cases, run_impl, taken};
use crate::{matrix, reaper};

/// Why `conform` stopped outside its cases: a usage error (exit 2: an
/// adapter, known-divergences file, case directory or output path that
/// cannot be used as given) or an I/O error (exit 1: a report that cannot
/// be written).
#[derive(Debug, thiserror::Error)]
pub enum Stop {
    /// The running executable cannot be found.
    #[error("cannot find the running executable: {0}")]
    NoSelfExe(#[source] std::io::Error),
    /// An `--adapter` cannot be used.
    #[error(transparent)]
    Adapter(#[from] AdapterError),
    /// Two adapters share a name.
    #[error("two adapters are named {0:?}; each --adapter needs its own name")]
    SameName(String),
    /// The case set has problems (each is printed before this line).
    #[error("{} problem(s) in the case set; nothing was run", .0.problems.len())]
    Cases(CaseSetError),
    /// A `--known` cannot be used.
    #[error(transparent)]
    Known(#[from] DivergenceError),
    /// `--list` selected nothing.
    #[error("no case selected (--filter {filter:?}, --skip {skip:?}, and each adapter's cases)")]
    NoneSelected {
        /// The `--filter` texts.
        filter: Vec<String>,
        /// The `--skip` texts.
        skip: Vec<String>,
    },
    /// A `--junit` or `--html` file cannot take the report.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The report cannot be written to stdout.
    #[error("write to stdout: {0}")]
    Stdout(#[source] std::io::Error),
    /// The scratch directory (`$TMPDIR` or `$ASSETPIN_CONFORM_SCRATCH`)
    /// cannot take the case directories.
    #[error(
        "case directories cannot go to {} ({}): not a directory this process may write; \
         create it, or name another with --scratch DIR",
        .0.dir.display(),
        .0.source()
    )]
    Scratch(crate::scratch::Scratch),
}

/// The two kinds of [`Stop`], as reports name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    /// Arguments that cannot be used as given: exit 2.
    Usage,
    /// A report that cannot be written: exit 1.
    Io,
}

impl StopKind {
    /// `usage` or `io`, as in `error[usage]`.
    pub fn as_str(self) -> &'static str {
        match self {
            StopKind::Usage => "usage",
            StopKind::Io => "io",
        }
    }
}

impl Stop {
    /// Whether it is a usage error or an I/O error.
    pub fn kind(&self) -> StopKind {
        match self {
            Stop::NoSelfExe(_) | Stop::Stdout(_) => StopKind::Io,
            Stop::Output(e) if !e.is_usage() => StopKind::Io,
            _ => StopKind::Usage,
        }
    }

    /// Prints `error[<kind>]: <message>` (after each problem of a case
    /// set, one `error[usage]:` line each) and, for `--format json`, the
    /// object `{"status", "kind", "message"}` on stdout; returns the exit
    /// code.
    fn report(&self, format: Format) -> i32 {
        if let Stop::Cases(e) = self {
            for p in &e.problems {
                say_err(&format!("error[usage]: {p}"));
            }
        }
        let kind = self.kind();
        let message = self.to_string();
        say_err(&format!("error[{}]: {message}", kind.as_str()));
        let usage = kind == StopKind::Usage;
        if format == Format::Json {
            let status = if usage { "usage" } else { "error" };
            let v =
                serde_json::json!({"status": status, "kind": kind.as_str(), "message": message});
            say(&format!("{v}\n"));
        }
        if usage { 2 } else { 1 }
    }
}

/// Entry point of `assetpin conform`; returns the exit code.
pub fn run(args: ConformArgs) -> i32 {
    reaper::install();
    let code = match run_checked(&args) {
        Ok(code) => code,
        Err(stop) => stop.report(args.format),
    };
    // The interrupt's handler ends the process (130); the run it cut
    // short must not end it first with the cut cases' code.
    reaper::park_if_interrupted();
    crate::finish();
    let left = reaper::sweep();
    let claimed = reaper::claimed();
    if left > 0 || !claimed.is_empty() {
        say_err(&left_running_note(&claimed, left));
    }
    let gave_up = reaper::gave_up();
    if gave_up > 0 {
        say_err(&format!(
            "note: {gave_up} sweep(s) for processes the tools left gave up (still finding \
             new ones after 10,000 passes or 5 s); some may still be running"
        ));
    }
    code
}

/// The note on the processes the tools left running: those killed as
/// their step ended, by case (the first ten), and those found only at
/// the end of the run.
fn left_running_note(claimed: &[Claimed], at_end: usize) -> String {
    let at_steps: usize = claimed.iter().map(|c| c.killed).sum();
    let mut by_case: Vec<String> = claimed
        .iter()
        .take(10)
        .map(|c| format!("{}: {}", c.case, c.killed))
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
        None => std::env::current_exe().map_err(Stop::NoSelfExe)?,
    };
    let mut ads = Vec::new();
    for a in &args.adapter {
        let ad = Adapter::from_arg(Some(a), &self_exe)?;
        if ads.iter().any(|x: &Adapter| x.spec.name == ad.spec.name) {
            return Err(Stop::SameName(ad.spec.name));
        }
        ads.push(ad);
    }
    if args.explore {
        return explore(args, &ads, &self_exe);
    }
    let all = load_cases(args.cases.as_deref()).map_err(Stop::Cases)?;
    let known = known_for(&args.known, &ads)?;
    if args.list {
        return list(args, &ads, &all);
    }
    let outputs = open_outputs(args, &ads)?;
    if let Some(d) = &args.scratch {
        crate::scratch::set(d);
    }
    let scratch = crate::scratch::get();
    if !crate::scratch::writable_dir(&scratch.dir) {
        return Err(Stop::Scratch(scratch.clone()));
    }
    say_err(&format!("note: {}", scratch.note()));
    let jobs = args.jobs.unwrap_or_else(crate::args::default_jobs);
    let runs: Vec<ImplRun> = ads
        .into_iter()
        .zip(known)
        .map(|(ad, k)| run_impl(args, &all, ad, &k, jobs))
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
        return Err(Stop::Stdout(e));
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
        return Err(Stop::NoneSelected {
            filter: args.filter.clone(),
            skip: args.skip.clone(),
        });
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
pub(crate) fn write_out(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush())
}

/// Writes a line to stderr, ignoring failures (E4).
pub(crate) fn say_err(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// `--explore`: the first adapter against the reference (or against
/// itself, when it is the reference); the report on stdout, progress on
/// stderr; exit 1 when a divergence or a broken invariant was found.
fn explore(args: &ConformArgs, ads: &[Adapter], self_exe: &std::path::Path) -> Result<i32, Stop> {
    use crate::explore::{Settings, explore};
    let usage = |m: String| {
        say_err(&format!("error[usage]: {m}"));
        Ok(2)
    };
    let ad = match ads {
        [ad] => ad,
        _ => {
            return usage(format!(
                "--explore compares one adapter with the reference; {} were given",
                ads.len()
            ));
        }
    };
    if let Some(root) = ad
        .spec
        .layout
        .root
        .as_ref()
        .filter(|r| r.trim_end_matches('/') != ".memtomem/skills")
    {
        return usage(format!(
            "--explore compares with the reference's layout (.memtomem/skills and its \
             lockfile); adapter {} installs into its own ({root}): run its cases instead \
             (assetpin conform --adapter ...)",
            ad.spec.name
        ));
    }
    let out_dir = args.explore_out.clone().unwrap_or_else(|| ".".into());
    if std::fs::create_dir_all(&out_dir).is_err() || !crate::scratch::writable_dir(&out_dir) {
        return usage(format!(
            "--explore-out {}: not a directory this process may write (a found case is \
             written there); create it, or name another",
            out_dir.display()
        ));
    }
    let oracle = Adapter::from_arg(Some("reference"), self_exe)?;
    if let Some(d) = &args.scratch {
        crate::scratch::set(d);
    }
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let settings = Settings {
        seed,
        scenarios: args.scenarios.map_or(100, |n| n as usize),
        seconds: args.seconds,
        max_len: 8,
        out: out_dir,
    };
    let against = if ad.spec.name == oracle.spec.name {
        "itself (a second run)".to_owned()
    } else {
        oracle.spec.name.clone()
    };
    say_err(&format!(
        "explore: adapter {} against {against}, seed {seed}, up to {} scenarios",
        ad.spec.name, settings.scenarios
    ));
    let r = match explore(ad, &oracle, &settings, &mut |l| say_err(l)) {
        Ok(r) => r,
        Err(e) => {
            say_err(&format!("error[harness]: {e}"));
            return Ok(1);
        }
    };
    crate::finish();
    let mut out = String::new();
    let found = r.found.is_some() || !r.broken.is_empty();
    if args.format == crate::args::Format::Json {
        let v = serde_json::json!({
            "adapter": ad.spec.name,
            "seed": seed,
            "scenarios": r.ran,
            "found": r.found.as_ref().map(|f| serde_json::json!({
                "file": f.file.display().to_string(),
                "steps": f.scenario.ops.iter().map(|o| o.describe()).collect::<Vec<_>>(),
                "steps_before_shrinking": f.original_len,
                "verified": f.verified,
                "differences": f.differences,
            })),
            "invariants_broken": r.broken.iter().map(|(s, w)| serde_json::json!({"seed": s, "what": w})).collect::<Vec<_>>(),
        });
        out.push_str(&format!("{v}\n"));
    } else {
        match &r.found {
            Some(f) => {
                out.push_str(&format!(
                    "diverges from {against} after {} scenario(s); shrunk from {} to {} step(s):\n",
                    r.ran,
                    f.original_len,
                    f.scenario.ops.len()
                ));
                for (k, o) in f.scenario.ops.iter().enumerate() {
                    out.push_str(&format!("  {}. {}\n", k + 1, o.describe()));
                }
                for d in &f.differences {
                    out.push_str(&format!("  {d}\n"));
                }
                if f.verified {
                    out.push_str(&format!(
                        "wrote {}: run as a case, it passes against the reference and fails \
                         against {} (copy it into a case directory and run `assetpin conform \
                         --cases DIR --adapter ...`; its line in the report is its verdict)\n",
                        f.file.display(),
                        ad.spec.name
                    ));
                } else {
                    out.push_str(&format!(
                        "wrote {}; note: run as a case it does not tell the two apart (what \
                         differs is outside what a case checks, or not deterministic)\n",
                        f.file.display()
                    ));
                }
            }
            None => out.push_str(&format!(
                "{} scenario(s), no divergence from {against}\n",
                r.ran
            )),
        }
        for (s, w) in &r.broken {
            out.push_str(&format!("invariant broken (seed {s}): {w}\n"));
        }
    }
    say(&out);
    Ok(if found { 1 } else { 0 })
}
