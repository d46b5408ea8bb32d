//! `assetpin conform` end to end ([`run`]): adapters, cases and
//! known divergences from the arguments, the run of each implementation,
//! the reports on stdout and in files, and the exit code.

use crate::adapter::Adapter;
use crate::args::{ConformArgs, Format};
use crate::case::Case;
use crate::divergence::known_for;
use crate::output::open_outputs;
use crate::suite::{ImplRun, load_cases, run_impl, taken};
use crate::{matrix, reaper};

/// Why `conform` stopped outside its cases: `usage` (exit 2: an adapter,
/// known-divergences file, case directory or output path that cannot be
/// used as given) or `io` (exit 1: a report that cannot be written).
pub(crate) struct Stop {
    kind: &'static str,
    message: String,
}

impl Stop {
    pub(crate) fn usage(message: impl Into<String>) -> Stop {
        Stop {
            kind: "usage",
            message: message.into(),
        }
    }

    pub(crate) fn io(message: impl Into<String>) -> Stop {
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
