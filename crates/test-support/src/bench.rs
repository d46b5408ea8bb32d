//! Helpers shared by the benchmark binaries: run-size knobs, percentile
//! statistics, JSON reports under `target/bench-report/`, throw-away git
//! wikis, deterministic file contents, and the re-exec worker protocol used
//! to measure separate processes.
//!
//! Used by the bench binaries in `benches/` as `assetpin_test_support::bench`.

use crate::git::run_git;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// Environment variable that turns a bench binary into a worker process:
/// its value is the worker's role, its command-line arguments the job.
pub const WORKER_ENV: &str = "ASSETPIN_BENCH_WORKER";

/// `ASSETPIN_BENCH_QUICK=1` (or any non-empty value but `0`) shrinks every
/// matrix to a smoke run for CI.
pub fn quick() -> bool {
    std::env::var("ASSETPIN_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The role this process was started in, when it is a worker.
pub fn worker_role() -> Option<String> {
    std::env::var(WORKER_ENV).ok().filter(|r| !r.is_empty())
}

/// `p`-th percentile (0..=100) of `sorted` by nearest rank; 0 when empty.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Median of `v` (sorted in place); 0 when empty.
pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Directory the JSON reports go to: `<crate>/target/bench-report`.
pub fn report_dir() -> PathBuf {
    crate::repo_root().join("target/bench-report")
}

/// Writes `value` as pretty JSON to `target/bench-report/<name>.json` and
/// returns the path.
pub fn write_report(name: &str, value: &serde_json::Value) -> PathBuf {
    let dir = report_dir();
    std::fs::create_dir_all(&dir).expect("create target/bench-report");
    let path = dir.join(format!("{name}.json"));
    let mut text = serde_json::to_string_pretty(value).expect("report serializes");
    text.push('\n');
    std::fs::write(&path, text).expect("write bench report");
    path
}

/// Machine context recorded with every report: load average and core count.
pub fn machine_json() -> serde_json::Value {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    serde_json::json!({
        "loadavg": load.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "quick": quick(),
    })
}

/// A scratch directory for one benchmark, removed on drop.
pub fn scratch(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("assetpin-bench-{prefix}-"))
        .tempdir()
        .expect("create scratch dir")
}

/// One asset to put in a wiki: section directory (`skills`, ...), name,
/// and files as (relative path, bytes).
pub struct WikiAsset {
    /// `skills`, `agents` or `commands`.
    pub section: &'static str,
    /// Asset name.
    pub name: String,
    /// Files, relative to the asset directory.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Creates a git wiki at `dir` holding `assets`, all in one commit.
pub fn make_wiki(dir: &Path, assets: &[WikiAsset]) {
    std::fs::create_dir_all(dir).expect("create wiki dir");
    run_git(dir, ["init", "-q"]);
    for a in assets {
        let base = dir.join(a.section).join(&a.name);
        for (rel, bytes) in &a.files {
            let p = base.join(rel);
            std::fs::create_dir_all(p.parent().expect("has parent")).expect("mkdir");
            std::fs::write(&p, bytes).expect("write wiki file");
        }
    }
    run_git(dir, ["add", "-A"]);
    run_git(dir, ["commit", "-q", "-m", "bench assets"]);
}

/// splitmix64: a small deterministic generator for bench contents.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const WORDS: &[&str] = &[
    "the", "skill", "asset", "install", "lockfile", "commit", "wiki", "agent", "command", "when",
    "review", "project", "should", "run", "tests", "before", "and", "after", "each", "change",
    "pin", "digest", "file", "update", "status", "with", "a", "of", "to", "in",
];

/// Markdown-like text of exactly `len` bytes (words, spaces, newlines),
/// deterministic in `seed`: what real skills hold, and compressible the
/// way real text is in git's object store.
pub fn text_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(len + 16);
    let mut col = 0;
    while out.len() < len {
        let w = WORDS[(rng.next_u64() % WORDS.len() as u64) as usize];
        out.extend_from_slice(w.as_bytes());
        col += w.len() + 1;
        if col > 72 {
            out.push(b'\n');
            col = 0;
        } else {
            out.push(b' ');
        }
    }
    out.truncate(len);
    out
}

/// A worker process started by [`spawn_worker`], waiting for "go".
pub struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// Re-executes this bench binary as a worker in `role` with `args`. Returns
/// once the worker has done its set-up and printed `ready`.
pub fn spawn_worker(role: &str, args: &[String]) -> Worker {
    let exe = std::env::current_exe().expect("current_exe");
    let mut child = Command::new(exe)
        .env(WORKER_ENV, role)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn bench worker");
    let stdin = child.stdin.take().expect("piped stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read worker ready");
    assert_eq!(line.trim(), "ready", "worker {role} {args:?} did not start");
    Worker {
        child,
        stdin,
        stdout,
    }
}

/// Starts every worker at once and waits for all of them. Returns the wall
/// time from "go" to the last exit and each worker's result line (without
/// the leading `ok `). Panics when a worker fails.
pub fn run_workers(mut workers: Vec<Worker>) -> (Duration, Vec<String>) {
    let t0 = Instant::now();
    for w in &mut workers {
        w.stdin.write_all(b"go\n").expect("send go");
        w.stdin.flush().expect("flush go");
    }
    let mut lines = Vec::with_capacity(workers.len());
    for w in &mut workers {
        let mut line = String::new();
        w.stdout.read_line(&mut line).expect("read worker result");
        lines.push(line);
    }
    let elapsed = t0.elapsed();
    let mut out = Vec::with_capacity(lines.len());
    for (mut w, line) in workers.into_iter().zip(lines) {
        let status = w.child.wait().expect("wait worker");
        let line = line.trim_end();
        assert!(
            status.success() && line.starts_with("ok"),
            "bench worker failed ({status}): {line}"
        );
        out.push(line.trim_start_matches("ok").trim_start().to_owned());
    }
    (elapsed, out)
}

/// Worker side of the protocol: prints `ready` and blocks until the parent
/// says `go`.
pub fn worker_ready_wait_go() {
    let mut out = std::io::stdout().lock();
    out.write_all(b"ready\n").expect("write ready");
    out.flush().expect("flush ready");
    drop(out);
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).expect("read go");
}

/// Worker side: reports success with `payload` (one line).
pub fn worker_done(payload: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "ok {payload}").expect("write result");
    out.flush().expect("flush result");
}

/// Latencies in ns as one space-separated line, for a worker's result.
pub fn encode_lats(lats: &[u64]) -> String {
    lats.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The inverse of [`encode_lats`].
pub fn decode_lats(s: &str) -> Vec<u64> {
    s.split_whitespace()
        .map(|t| t.parse().expect("latency is an integer"))
        .collect()
}

/// Per-benchmark records collected by `iter_custom` closures: wall time
/// of every timed round, the work done in it, and per-operation latencies.
#[derive(Debug, Default, Clone)]
pub struct Record {
    /// (seconds, operations) per timed round.
    pub rounds: Vec<(f64, u64)>,
    /// Per-operation latencies in ns over all rounds.
    pub lats: Vec<u64>,
}

impl Record {
    /// Median over rounds of operations per second.
    pub fn median_rate(&self) -> f64 {
        let mut r: Vec<f64> = self
            .rounds
            .iter()
            .filter(|(s, _)| *s > 0.0)
            .map(|(s, n)| *n as f64 / s)
            .collect();
        median(&mut r)
    }

    /// Median round time in seconds.
    pub fn median_secs(&self) -> f64 {
        let mut r: Vec<f64> = self.rounds.iter().map(|(s, _)| *s).collect();
        median(&mut r)
    }

    /// (p50, p99) of the latencies in ns.
    pub fn p50_p99(&mut self) -> (u64, u64) {
        self.lats.sort_unstable();
        (percentile(&self.lats, 50.0), percentile(&self.lats, 99.0))
    }
}

/// Records keyed by benchmark id, in insertion order of first use.
pub type Records = BTreeMap<String, Record>;

/// Formats ns as a short human string (µs below 10 ms, else ms).
pub fn fmt_ns(ns: u64) -> String {
    if ns < 10_000_000 {
        format!("{:.0}µs", ns as f64 / 1e3)
    } else {
        format!("{:.1}ms", ns as f64 / 1e6)
    }
}

/// The median (ns) of each phase's samples, paired with the phase's name;
/// sorts each sample vector in place.
pub fn phase_medians(names: &[&'static str], samples: &mut [Vec<u64>]) -> Vec<(&'static str, u64)> {
    names
        .iter()
        .zip(samples.iter_mut())
        .map(|(n, v)| {
            v.sort_unstable();
            (*n, percentile(v, 50.0))
        })
        .collect()
}
