//! Nothing a run starts outlives it: the process groups of the tools
//! under test and the cases' temporary directories are tracked while they
//! live, `conform` is made the child subreaper (a process a tool starts
//! and abandons, even one that left the tool's group with `setsid`, is
//! re-parented to the runner instead of `init`), and at the end of the
//! run, or on SIGINT, SIGTERM or SIGHUP, whatever is left is killed and
//! the temporary directories removed.

use crate::error::{HResult, HarnessError};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

static GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());
static DIRS: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
/// Set by the signal handler before it takes the sets: from then on a
/// group is killed as it is tracked and no case directory is made.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// The data behind `m`, also when a panicking thread poisoned it (a
/// panic in one case must not stop the run's bookkeeping).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A tool's process group (its leader's pid) is alive. Once the run is
/// being interrupted, the group is killed at once instead.
pub fn track_group(pgid: i32) {
    let mut groups = lock(&GROUPS);
    groups.insert(pgid);
    // Read under the lock: either the handler takes the group from the
    // set, or it has already set the flag and the group dies here.
    if STOPPING.load(Ordering::SeqCst) {
        kill_group(pgid);
    }
}

/// Kills a tool's process group (`SIGKILL`; one already gone is fine)
/// and stops tracking it.
pub fn end_group(pgid: i32) {
    kill_group(pgid);
    lock(&GROUPS).remove(&pgid);
}

/// What [`tracked_dir`]'s `make` made: a value owning a directory (a
/// `TempDir`) and the directory's path, which is tracked.
#[derive(Debug)]
pub struct MadeDir<T> {
    /// What was made; [`tracked_dir`] returns it.
    pub made: T,
    /// The directory to remove if the run is interrupted.
    pub path: PathBuf,
}

/// Makes a case's temporary directory with `make` and tracks its path,
/// both under the set's lock, so that an interrupt finds every directory
/// made and none is made after it.
///
/// # Errors
/// `make`'s error, or `interrupted` once the run is being interrupted.
pub fn tracked_dir<T>(make: impl FnOnce() -> HResult<MadeDir<T>>) -> HResult<T> {
    let mut dirs = lock(&DIRS);
    if STOPPING.load(Ordering::SeqCst) {
        return Err(HarnessError::Interrupted);
    }
    let MadeDir { made, path } = make()?;
    dirs.insert(path);
    Ok(made)
}

/// A case's temporary directory was removed.
pub fn untrack_dir(dir: &Path) {
    lock(&DIRS).remove(dir);
}

/// Removes the tracked directories, again while a worker still writes
/// into one (it may not have seen its tool die yet): up to 2 s.
fn remove_dirs() {
    let dirs = std::mem::take(&mut *lock(&DIRS));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    for d in dirs {
        while std::fs::symlink_metadata(&d).is_ok() && std::time::Instant::now() < deadline {
            if super::remove::remove_deep(&d).is_err() {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }
}

/// Makes this process the subreaper of what it starts, and on SIGINT,
/// SIGTERM or SIGHUP kills every tracked group and abandoned process,
/// removes the temporary directories and exits 130. Called once by
/// `conform`; a second call changes nothing.
pub fn install() {
    // Best effort: without it, abandoned processes go to init as before.
    let _ = rustix::process::set_child_subreaper(Some(rustix::process::getpid()));
    let _ = ctrlc::set_handler(|| {
        STOPPING.store(true, Ordering::SeqCst);
        for g in std::mem::take(&mut *lock(&GROUPS)) {
            kill_group(g);
        }
        sweep();
        remove_dirs();
        eprintln!("assetpin conform: interrupted; the tools it started were killed");
        std::process::exit(130);
    });
}

fn kill_group(pgid: i32) {
    if let Some(p) = rustix::process::Pid::from_raw(pgid) {
        let _ = rustix::process::kill_process_group(p, rustix::process::Signal::KILL);
    }
}

/// Blocks for good once the run is being interrupted: the signal
/// handler is then removing the case directories and exits 130 itself.
pub fn park_if_interrupted() {
    while STOPPING.load(Ordering::SeqCst) {
        std::thread::park();
    }
}

/// The variable every tool process of a case is started with (its value
/// the case's directory), which what the tool starts inherits: how the
/// processes a case left behind are told from another case's.
pub const CASE_VAR: &str = "ASSETPIN_CONFORM_CASE";

/// Processes killed when their case's step ended, by case.
static CLAIMED: Mutex<Vec<Claimed>> = Mutex::new(Vec::new());

/// The processes a case's step left running, killed by [`claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The case id.
    pub case: String,
    /// How many processes were killed.
    pub killed: usize,
}

/// The marks of this run's cases (every one [`claim`] was given): the
/// end-of-run [`sweep`] kills what still carries one of them.
static MARKS: Mutex<BTreeSet<Vec<u8>>> = Mutex::new(BTreeSet::new());

/// At most this many passes of a sweep ([`until_quiet`])...
const MAX_PASSES: usize = 10_000;
/// ... and at most this long.
const MAX_SWEEP: std::time::Duration = std::time::Duration::from_secs(5);
/// Passes in a row that must find nothing before a sweep is done.
const QUIET_PASSES: usize = 2;

/// Sweeps that gave up (a process still found after [`MAX_PASSES`]
/// passes or [`MAX_SWEEP`]), for the end-of-run note.
static GAVE_UP: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Repeats `pass` (which kills what it finds and returns their pids)
/// until [`QUIET_PASSES`] passes in a row find nothing: a process that
/// forks and exits in a loop has moved to a new pid after one pass, but
/// its child is found by the next (a killed process forks no more).
/// Returns the distinct pids killed; counts a sweep that gives up.
fn until_quiet(mut pass: impl FnMut() -> Vec<i32>) -> BTreeSet<i32> {
    let deadline = std::time::Instant::now() + MAX_SWEEP;
    let mut killed = BTreeSet::new();
    let mut quiet = 0;
    for _ in 0..MAX_PASSES {
        let found = pass();
        if found.is_empty() {
            quiet += 1;
            if quiet == QUIET_PASSES {
                return killed;
            }
        } else {
            quiet = 0;
            killed.extend(found);
        }
        if std::time::Instant::now() > deadline {
            break;
        }
        // Time for a fork chain's next link to appear.
        std::thread::sleep(std::time::Duration::from_micros(100));
    }
    GAVE_UP.fetch_add(1, Ordering::SeqCst);
    killed
}

/// How many sweeps gave up with processes still being found.
pub fn gave_up() -> usize {
    GAVE_UP.load(Ordering::SeqCst)
}

/// `CASE_VAR=<mark>` as bytes, as it appears in `/proc/<pid>/environ`.
fn mark_entry(mark: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    let mut want = format!("{CASE_VAR}=").into_bytes();
    want.extend_from_slice(mark.as_os_str().as_bytes());
    want
}

/// Whether `pid`'s environment holds one of `marks`.
fn carries(pid: i32, marks: &BTreeSet<Vec<u8>>) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|env| env.split(|&b| b == 0).any(|v| marks.contains(v)))
}

/// Kills every live process that carries `CASE_VAR=<mark>` and is not in
/// one of `ended` (process groups the step has just killed, whose members
/// may not be gone yet): what a step of case `case` started and left
/// running outside its group. Repeats until nothing carries the mark
/// ([`until_quiet`]). Returns how many there were and records them for
/// the end-of-run note.
///
/// Only the pids allocated since `since` (taken before the step started
/// its tools) are looked at, as everything the step started has one of
/// them; without it, or once as many processes were started as there are
/// pids, every process is.
pub fn claim(case: &str, mark: &Path, ended: &[i32], since: Option<Since>) -> usize {
    let want = BTreeSet::from([mark_entry(mark)]);
    lock(&MARKS).extend(want.iter().cloned());
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let n = until_quiet(|| {
        candidates(since)
            .into_iter()
            .filter(|&pid| pid != me)
            // The environment first: a read that fails at once for a pid
            // not in use, and rarely holds the mark.
            .filter(|&pid| carries(pid, &want))
            .filter(|&pid| is_process(pid))
            .filter_map(|pid| Some((pid, stat_of(pid)?)))
            .filter(|(_, s)| s.state != 'Z' && !ended.contains(&s.pgid))
            .filter(|(pid, s)| kill_tool(*pid, s))
            .map(|(pid, _)| pid)
            .collect()
    })
    .len();
    if n > 0 {
        lock(&CLAIMED).push(Claimed {
            case: case.to_owned(),
            killed: n,
        });
    }
    n
}

/// The processes [`claim`] killed, by case, in the order claimed.
pub fn claimed() -> Vec<Claimed> {
    lock(&CLAIMED).clone()
}

/// Kills and reaps the processes re-parented to this one (abandoned by the
/// tools it ran; call it when no tool of the run is still running) and
/// those carrying the mark of one of the run's cases, pass after pass
/// until none is found ([`until_quiet`]: a fork chain cannot outrun it,
/// as each link it kills forks no more and the link it had forked is
/// re-parented here or carries the mark), and returns how many were
/// still running (one that had ended is only reaped).
pub fn sweep() -> usize {
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let marks = lock(&MARKS).clone();
    until_quiet(|| {
        let found = procs()
            .filter(|&pid| pid != me)
            .filter_map(|pid| Some((pid, stat_of(pid)?)))
            .filter(|(pid, s)| s.state != 'Z' && (s.ppid == me || carries(*pid, &marks)))
            .filter(|(pid, s)| kill_tool(*pid, s))
            .map(|(pid, _)| pid)
            .collect();
        // Reap them (and any other child that ended), never blocking: no
        // tool of the run is running, so no `Child` waits on one.
        while let Ok(Some(_)) = rustix::process::wait(rustix::process::WaitOptions::NOHANG) {}
        found
    })
    .len()
}

/// Kills `pid`, a process a tool left, and, when it leads a process
/// group of its own making (`setsid`, `setpgid`) other than this one's,
/// that group too: what it forked into the group a moment ago dies with
/// it. A group it merely joined is not killed.
fn kill_tool(pid: i32, s: &Stat) -> bool {
    let own = rustix::process::getpgid(None).map_or(0, |p| p.as_raw_nonzero().get());
    if s.pgid == pid && s.pgid != own {
        kill_group(s.pgid);
    }
    kill(pid)
}

fn kill(pid: i32) -> bool {
    rustix::process::Pid::from_raw(pid)
        .is_some_and(|p| rustix::process::kill_process(p, rustix::process::Signal::KILL).is_ok())
}

/// Where the pid allocator stood when a step was about to start its
/// tools ([`since`]): the last pid handed out, and how many processes
/// had been started since boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Since {
    last: i32,
    forks: u64,
}

/// The pid allocator now; `None` when `/proc` does not say (every
/// process is then looked at).
pub fn since() -> Option<Since> {
    Some(Since {
        last: last_pid()?,
        forks: forks()?,
    })
}

/// The last pid handed out in this pid namespace.
fn last_pid() -> Option<i32> {
    std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Processes and threads started since boot (`processes` of
/// `/proc/stat`, all namespaces: never fewer than this one's).
fn forks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    stat.lines()
        .find_map(|l| l.strip_prefix("processes "))?
        .trim()
        .parse()
        .ok()
}

/// The largest pid plus one.
fn pid_max() -> Option<i32> {
    static MAX: std::sync::OnceLock<Option<i32>> = std::sync::OnceLock::new();
    *MAX.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/pid_max")
            .ok()?
            .trim()
            .parse()
            .ok()
    })
}

/// At most this many pids are looked at one by one; a wider window reads
/// the whole of `/proc` instead.
const MAX_WINDOW: i32 = 4096;

/// The pids that may belong to a process started after `since`: those
/// allocated since, in allocation order (which wraps at `pid_max`), or
/// every pid in `/proc`.
fn candidates(since: Option<Since>) -> Vec<i32> {
    let window = || {
        let s = since?;
        let (now, max) = (last_pid()?, pid_max()?);
        // Every pid may have been handed out again: look at all.
        if forks()?.saturating_sub(s.forks) >= u64::try_from(max / 2).ok()? {
            return None;
        }
        let pids: Vec<i32> = if now >= s.last {
            (s.last + 1..=now).collect()
        } else {
            (s.last + 1..max).chain(1..=now).collect()
        };
        (pids.len() <= MAX_WINDOW as usize).then_some(pids)
    };
    window().unwrap_or_else(|| procs().collect())
}

/// Whether `pid` is a process (its thread group's leader), not another
/// thread of one: `/proc/<tid>` answers for threads too.
fn is_process(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Tgid:"))
            .is_some_and(|t| t.trim().parse() == Ok(pid))
    })
}

/// The pids in `/proc`.
fn procs() -> impl Iterator<Item = i32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()))
}

/// The fields of `/proc/<pid>/stat` used here.
#[derive(Debug, PartialEq, Eq)]
struct Stat {
    state: char,
    ppid: i32,
    pgid: i32,
}

/// State, parent pid and process group from `/proc/<pid>/stat` (the
/// fields after the command name, which may itself hold spaces and
/// parentheses).
fn stat_of(pid: i32) -> Option<Stat> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut f = stat[stat.rfind(')')? + 1..].split_whitespace();
    Some(Stat {
        state: f.next()?.chars().next()?,
        ppid: f.next()?.parse().ok()?,
        pgid: f.next()?.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A process started after `since` is in the window a claim looks
    /// at; one started before is not (so the window is not all of
    /// `/proc`), and without a `since` every process is.
    #[test]
    fn the_window_holds_what_was_started_since() {
        let mut before = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let since = since().expect("/proc tells the pid allocator");
        let mut after = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let window = candidates(Some(since));
        let all = candidates(None);
        for c in [&mut before, &mut after] {
            let _ = c.kill();
            let _ = c.wait();
        }
        let (b, a) = (before.id() as i32, after.id() as i32);
        assert!(window.contains(&a), "{a} not in {window:?}");
        assert!(!window.contains(&b), "{b} in {window:?}");
        assert!(all.contains(&a) && all.contains(&b));
    }

    /// A thread answers in `/proc` by its id, but is not a process.
    #[test]
    fn a_thread_is_not_a_process() {
        let me = rustix::process::getpid().as_raw_nonzero().get();
        assert!(is_process(me));
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            let _ = done_rx.recv();
        });
        let tids: Vec<i32> = std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .filter(|&t| t != me)
            .collect();
        assert!(!tids.is_empty(), "a thread is running");
        for tid in &tids {
            assert!(!is_process(*tid), "thread {tid} taken for a process");
        }
        done_tx.send(()).unwrap();
        t.join().unwrap();
    }

    #[test]
    fn stat_of_reads_state_parent_and_group() {
        let me = rustix::process::getpid().as_raw_nonzero().get();
        let parent = rustix::process::getppid().map_or(0, |p| p.as_raw_nonzero().get());
        let group = rustix::process::getpgid(None).map_or(0, |p| p.as_raw_nonzero().get());
        let s = stat_of(me).unwrap();
        // The main thread's state: running, or asleep waiting for this one.
        assert!("RS".contains(s.state), "{s:?}");
        assert_eq!((s.ppid, s.pgid), (parent, group));
    }
}
