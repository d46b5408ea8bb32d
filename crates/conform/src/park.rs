//! Parking a process at a lock point (K1, K3; [`crate::interleave`]):
//! who waits for which lock (`/proc/locks`), and a process group stopped
//! with `SIGSTOP` while another process runs, continued when dropped.
//!
//! A process stopped in `flock(2)` leaves the queue (the call returns
//! `ERESTARTSYS` and is restarted on `SIGCONT`), so the lock the harness
//! releases then goes to whoever asks next: the second process of the
//! step, which thereby runs entirely between the first's plan and its
//! wait, as a scheduler could have placed it.

use std::time::{Duration, Instant};

/// A file as `/proc/locks` names it: device major, minor, inode.
pub type FileId = (u32, u32, u64);

/// The device and inode of an open file.
pub fn file_id(f: &impl std::os::fd::AsFd) -> Option<FileId> {
    let st = rustix::fs::fstat(f).ok()?;
    Some((
        rustix::fs::major(st.st_dev),
        rustix::fs::minor(st.st_dev),
        st.st_ino,
    ))
}

/// Every blocked waiter `/proc/locks` shows (its `->` lines): the
/// waiting pid and the file it waits for. Empty when it cannot be read.
pub fn waiters() -> Vec<(i32, FileId)> {
    let Ok(text) = std::fs::read_to_string("/proc/locks") else {
        return Vec::new();
    };
    text.lines()
        .filter(|l| l.contains("->"))
        .filter_map(|l| {
            // `1: -> FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF`
            let f: Vec<&str> = l.split_whitespace().collect();
            let at = f.iter().position(|x| *x == "->")?;
            let pid = f.get(at + 4)?.parse().ok()?;
            let parts: Vec<&str> = f.get(at + 5)?.split(':').collect();
            match parts.as_slice() {
                [ma, mi, i] => Some((
                    pid,
                    (
                        u32::from_str_radix(ma, 16).ok()?,
                        u32::from_str_radix(mi, 16).ok()?,
                        i.parse().ok()?,
                    ),
                )),
                _ => None,
            }
        })
        .collect()
}

/// The pid blocked waiting for a lock on `file`, if one is.
pub fn waiter_on(file: FileId) -> Option<i32> {
    waiters()
        .into_iter()
        .find_map(|(pid, f)| (f == file).then_some(pid))
}

/// Whether some process waits for a lock on a file below one of `roots`
/// (the case's own directories: nothing else in the case is running
/// while its first process is stopped, so the waiter is the second).
pub fn waits_below(roots: &[&std::path::Path]) -> bool {
    let w = waiters();
    if w.is_empty() {
        return false;
    }
    let mut ids = std::collections::HashSet::new();
    for r in roots {
        crate::snapshot::for_each_path(r, |_, m| {
            use std::os::unix::fs::MetadataExt;
            ids.insert((
                rustix::fs::major(m.dev()),
                rustix::fs::minor(m.dev()),
                m.ino(),
            ));
        });
    }
    w.iter().any(|(_, f)| ids.contains(f))
}

/// A process group (or, when the process shares the harness's group, the
/// process alone) stopped with `SIGSTOP`; `SIGCONT` when dropped.
#[derive(Debug)]
pub struct Stopped {
    target: Target,
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Group(rustix::process::Pid),
    Process(rustix::process::Pid),
}

impl Stopped {
    /// Stops `pid`'s process group and waits (up to 2 s) until `pid` is
    /// seen stopped. `None` when it cannot be signalled (it has ended).
    pub fn stop(pid: i32) -> Option<Stopped> {
        let p = rustix::process::Pid::from_raw(pid)?;
        let ours = rustix::process::getpgrp();
        let target = match rustix::process::getpgid(Some(p)) {
            Ok(g) if g != ours => Target::Group(g),
            _ => Target::Process(p),
        };
        let sent = match target {
            Target::Group(g) => {
                rustix::process::kill_process_group(g, rustix::process::Signal::STOP)
            }
            Target::Process(p) => rustix::process::kill_process(p, rustix::process::Signal::STOP),
        };
        sent.ok()?;
        let s = Stopped { target };
        let until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < until && !is_stopped(pid) {
            std::thread::sleep(Duration::from_micros(100));
        }
        Some(s)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = match self.target {
            Target::Group(g) => {
                rustix::process::kill_process_group(g, rustix::process::Signal::CONT)
            }
            Target::Process(p) => rustix::process::kill_process(p, rustix::process::Signal::CONT),
        };
    }
}

/// Whether every thread of `pid` is stopped (`T`) or gone: the thread
/// that waits in `flock(2)` need not be the main one, and until it has
/// stopped a release could still wake it into the lock.
fn is_stopped(pid: i32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return true;
    };
    tasks.flatten().all(|t| {
        let Ok(s) = std::fs::read_to_string(t.path().join("stat")) else {
            return true;
        };
        // The state follows the command's closing parenthesis.
        s.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_none_or(|st| matches!(st, "T" | "t" | "Z" | "X"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `flock` waiter is found by the file it waits for, and a stopped
    /// process is seen stopped and continued on drop (negative control:
    /// the same file unlocked shows no waiter).
    #[test]
    fn a_waiter_is_found_stopped_and_continued() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".a.lock");
        let f = std::fs::File::create(&path).unwrap();
        let id = file_id(&f).unwrap();
        assert_eq!(waiter_on(id), None, "nothing waits yet");
        f.lock().unwrap();
        let mut child = std::process::Command::new("flock")
            .arg(&path)
            .arg("true")
            .spawn()
            .expect("flock(1) runs");
        let until = Instant::now() + Duration::from_secs(10);
        let pid = loop {
            if let Some(p) = waiter_on(id) {
                break p;
            }
            assert!(Instant::now() < until, "flock(1) never waited");
            std::thread::sleep(Duration::from_millis(1));
        };
        assert!(waits_below(&[dir.path()]));
        let stopped = Stopped::stop(pid).expect("stops");
        assert!(is_stopped(pid));
        // Stopped, it no longer queues for the lock.
        assert_eq!(waiter_on(id), None);
        f.unlock().unwrap();
        drop(stopped);
        assert!(child.wait().unwrap().success());
    }
}
