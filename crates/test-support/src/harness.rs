//! The libtest-mimic main of a test binary whose tests register
//! themselves ([`crate::registry`]): one trial per registered test, sorted
//! by name. A test whose tool is missing is reported as ignored with the
//! reason, never as passed; under `CI` a missing peer or browser fails the
//! test instead, so CI cannot skip them silently (the web peer needs
//! Python >= 3.12 and stays ignored where there is none).

use crate::peer::{CHROMIUM_MISSING, PEER_MISSING, PEER_WEB_MISSING, chromium, peer, peer_web};
use crate::registry::{Run, TESTS, Test};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Tests that took at least [`SLOW`], with their wall time.
static SLOWEST: std::sync::Mutex<Vec<(Duration, String)>> = std::sync::Mutex::new(Vec::new());

/// A test taking this long is named in the end-of-run note.
const SLOW: Duration = Duration::from_secs(5);

/// Runs test `name`'s body `f`, turning a panic into a failure with its
/// message, and records it in [`SLOWEST`] when it took [`SLOW`] or more.
fn outcome(name: &str, f: impl FnOnce() + std::panic::UnwindSafe) -> Result<(), Failed> {
    let start = Instant::now();
    let r = run_caught(f);
    let took = start.elapsed();
    if took >= SLOW {
        SLOWEST
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((took, name.to_owned()));
    }
    r
}

/// The end-of-run note: the ten slowest tests of [`SLOWEST`] (where the
/// gate's time goes, docs/performance.md).
fn slowest_note() -> Option<String> {
    let mut slow = SLOWEST.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if slow.is_empty() {
        return None;
    }
    slow.sort_by_key(|s| std::cmp::Reverse(s.0));
    let list: Vec<String> = slow
        .iter()
        .take(10)
        .map(|(d, n)| format!("{n} {:.1} s", d.as_secs_f64()))
        .collect();
    Some(format!(
        "note: {} test(s) took {} s or more; the slowest: {}",
        slow.len(),
        SLOW.as_secs(),
        list.join(", ")
    ))
}

fn run_caught(f: impl FnOnce() + std::panic::UnwindSafe) -> Result<(), Failed> {
    std::panic::catch_unwind(f).map_err(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "panicked".to_owned());
        Failed::from(msg)
    })
}

/// A trial for a test that takes a tool found at `tool`: run with it, or
/// failed under CI, or ignored with `missing` as the reason.
fn with_tool(
    name: String,
    f: fn(&std::path::Path),
    tool: Option<PathBuf>,
    missing: &'static str,
    fail_when_missing: bool,
) -> Trial {
    match tool {
        Some(p) => Trial::test(name.clone(), move || outcome(&name, move || f(&p))),
        None if fail_when_missing => Trial::test(name, move || Err(Failed::from(missing))),
        None => Trial::test(name, || Ok(())).with_ignored_flag(true),
    }
}

/// How many registered tests need each tool, for the notes.
#[derive(Default)]
struct Needs {
    peer: usize,
    web: usize,
}

fn trial(t: &Test, under_ci: bool, needs: &mut Needs) -> Trial {
    let name = t.full_name();
    match t.run {
        Run::Plain(f) => Trial::test(name.clone(), move || outcome(&name, f)),
        Run::Peer(f) => {
            needs.peer += 1;
            with_tool(name, f, peer(), PEER_MISSING, under_ci)
        }
        // Without Python >= 3.12 the web peer cannot exist: ignored with
        // the reason, under CI too (.ci/run installs it wherever it can).
        Run::Web(f) => {
            needs.web += 1;
            with_tool(name, f, peer_web(), PEER_WEB_MISSING, false)
        }
        Run::Browser(f) => {
            if chromium().is_none() && !under_ci {
                eprintln!("note: {name} is ignored: {CHROMIUM_MISSING}");
            }
            with_tool(name, f, chromium(), CHROMIUM_MISSING, under_ci)
        }
    }
}

/// The registered tests sorted by name.
///
/// # Errors
/// None is registered (a registration that broke must not pass as a run
/// of zero tests), or two share a name.
pub fn registered(tests: &[Test]) -> Result<Vec<Test>, String> {
    if tests.is_empty() {
        return Err("no test is registered in this binary (#[assetpin_test])".into());
    }
    let mut sorted = tests.to_vec();
    sorted.sort_by_key(Test::full_name);
    if let Some(w) = sorted
        .windows(2)
        .find(|w| w[0].full_name() == w[1].full_name())
    {
        return Err(format!("two tests are named {}", w[0].full_name()));
    }
    Ok(sorted)
}

/// The free space `/dev/shm` needs to hold the tests' temporary
/// directories (the largest test writes a 384 MiB asset four times).
const SHM_FREE: u64 = 4 << 30;

/// Without `$TMPDIR`, the tests' temporary directories go to `/dev/shm`
/// when it is a tmpfs with [`SHM_FREE`] bytes free: no test depends on
/// a disk, and the 10,000-directory and 100,000-level bounds tests took
/// 142 s on this machine's disk against 54 s there.
fn tmpdir_in_memory() {
    if std::env::var_os("TMPDIR").is_some_and(|t| !t.is_empty()) {
        return;
    }
    if let Some(shm) = assetpin_conform::scratch::shm(SHM_FREE) {
        // SAFETY: first thing in main, before any thread is started.
        unsafe { std::env::set_var("TMPDIR", &shm) };
    }
}

/// Runs every registered test and exits with libtest's status; exits 101
/// when [`registered`] refuses the set.
pub fn main() -> ! {
    tmpdir_in_memory();
    let args = Arguments::from_args();
    let under_ci = std::env::var_os("CI").is_some();
    let tests = registered(&TESTS).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(101)
    });
    let mut needs = Needs::default();
    let trials: Vec<Trial> = tests
        .iter()
        .map(|t| trial(t, under_ci, &mut needs))
        .collect();
    if !args.list {
        if peer().is_none() {
            eprintln!(
                "note: {} interop tests are ignored: {PEER_MISSING}",
                needs.peer
            );
        }
        if peer_web().is_none() {
            eprintln!(
                "note: {} web interop tests are ignored: {PEER_WEB_MISSING}",
                needs.web
            );
        }
    }
    let conclusion = libtest_mimic::run(&args, trials);
    if let Some(note) = slowest_note() {
        eprintln!("{note}");
    }
    conclusion.exit();
}
