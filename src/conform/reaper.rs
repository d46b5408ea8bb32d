//! Nothing a run starts outlives it: the process groups of the tools
//! under test and the cases' temporary directories are tracked while they
//! live, `conform` is made the child subreaper (a process a tool starts
//! and abandons, even one that left the tool's group with `setsid`, is
//! re-parented to the runner instead of `init`), and at the end of the
//! run, or on SIGINT, SIGTERM or SIGHUP, whatever is left is killed and
//! the temporary directories removed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

static GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());
static DIRS: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A tool's process group (its leader's pid) is alive.
pub fn track_group(pgid: i32) {
    lock(&GROUPS).insert(pgid);
}

/// Kills a tool's process group (`SIGKILL`; one already gone is fine)
/// and stops tracking it.
pub fn end_group(pgid: i32) {
    kill_group(pgid);
    lock(&GROUPS).remove(&pgid);
}

/// A case's temporary directory exists.
pub fn track_dir(dir: &Path) {
    lock(&DIRS).insert(dir.to_owned());
}

/// A case's temporary directory was removed.
pub fn untrack_dir(dir: &Path) {
    lock(&DIRS).remove(dir);
}

/// Makes this process the subreaper of what it starts, and on SIGINT,
/// SIGTERM or SIGHUP kills every tracked group and abandoned process,
/// removes the temporary directories and exits 130. Called once by
/// `conform`; a second call changes nothing.
pub fn install() {
    // Best effort: without it, abandoned processes go to init as before.
    let _ = rustix::process::set_child_subreaper(Some(rustix::process::getpid()));
    let _ = ctrlc::set_handler(|| {
        for g in std::mem::take(&mut *lock(&GROUPS)) {
            kill_group(g);
        }
        sweep();
        for d in std::mem::take(&mut *lock(&DIRS)) {
            let _ = super::workspace::remove_deep(&d);
        }
        eprintln!("assetpin conform: interrupted; the tools it started were killed");
        std::process::exit(130);
    });
}

fn kill_group(pgid: i32) {
    if let Some(p) = rustix::process::Pid::from_raw(pgid) {
        let _ = rustix::process::kill_process_group(p, rustix::process::Signal::KILL);
    }
}

/// Kills and reaps the processes re-parented to this one (abandoned by the
/// tools it ran; call it when no tool of the run is still running) and
/// returns how many there were.
pub fn sweep() -> usize {
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            if parent_of(pid) == Some(me)
                && let Some(p) = rustix::process::Pid::from_raw(pid)
            {
                let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
                n += 1;
            }
        }
    }
    // Reap them (and any other child that ended), never blocking.
    while let Ok(Some(_)) = rustix::process::wait(rustix::process::WaitOptions::NOHANG) {}
    n
}

/// The parent pid in `/proc/<pid>/stat` (the field after the command
/// name, which may itself hold spaces and parentheses).
fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_of_reads_the_ppid_field() {
        let me = rustix::process::getpid().as_raw_nonzero().get();
        let parent = rustix::process::getppid().map_or(0, |p| p.as_raw_nonzero().get());
        assert_eq!(parent_of(me), Some(parent));
    }
}
