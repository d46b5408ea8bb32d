//! Loom models of the edit protocol, `edit_order::edit` itself, on a tiny
//! in-memory dest: two edits from one read (W3: exactly one lands) and an
//! edit racing a writer that takes no lock (the guard at the swap: that
//! writer's bytes are never lost). Each has a negative control that removes
//! guards and requires loom to find the violation. Without the feature `loom` the
//! models run once on std threads.

use assetpin::lock::edit_order::{self, EditSteps};
use assetpin::lock::sync::{Arc, Mutex, MutexGuard, model, thread};
use assetpin::{Error, Kind, Result};
use std::collections::BTreeMap;

/// A file: bytes, mtime (a tick of the model's clock) and inode.
#[derive(Debug, Clone, PartialEq, Eq)]
struct File {
    bytes: Vec<u8>,
    mtime: u64,
    ino: u64,
}

/// Dest of one asset: names to files, a clock that gives every write a
/// new mtime and every new file a new inode, and the per-asset lock.
#[derive(Debug)]
struct Dest {
    files: Mutex<(BTreeMap<String, File>, u64)>,
    lock: Mutex<()>,
}

const MAIN: &str = "SKILL.md";

impl Dest {
    fn new(bytes: &[u8]) -> Dest {
        let f = File {
            bytes: bytes.to_vec(),
            mtime: 1,
            ino: 1,
        };
        Dest {
            files: Mutex::new((BTreeMap::from([(MAIN.to_owned(), f)]), 1)),
            lock: Mutex::new(()),
        }
    }

    fn stat(&self, name: &str) -> Option<File> {
        self.files.lock().unwrap().0.get(name).cloned()
    }

    /// A writer that takes no lock: rewrites `MAIN` in place (same inode,
    /// new bytes, new mtime), as a text editor saving over the file.
    fn write_in_place(&self, bytes: &[u8]) {
        let mut g = self.files.lock().unwrap();
        g.1 += 1;
        let now = g.1;
        if let Some(f) = g.0.get_mut(MAIN) {
            f.bytes = bytes.to_vec();
            f.mtime = now;
        }
    }
}

/// Guards removed for the negative controls.
#[derive(Debug, Clone, Copy, Default)]
struct Faults {
    /// W3: no check again once the lock is held.
    no_recheck: bool,
    /// The guard at the swap: the old file is not compared with what the
    /// check saw.
    no_swap_check: bool,
}

/// One process's edit of `MAIN` to `content`, expecting `expect`.
struct MemEdit<'a> {
    dest: &'a Dest,
    id: usize,
    expect: u64,
    content: &'a [u8],
    faults: Faults,
    first: std::cell::Cell<Option<(u64, u64)>>,
}

fn conflict() -> Error {
    Error::new(Kind::Conflict, "changed since it was read")
}

impl<'a> EditSteps for MemEdit<'a> {
    type Seen = (u64, u64);
    type Held = MutexGuard<'a, ()>;
    type Staged = String;

    fn check(&self) -> Result<(u64, u64)> {
        if self.faults.no_recheck
            && let Some(seen) = self.first.get()
        {
            return Ok(seen);
        }
        let f = self
            .dest
            .stat(MAIN)
            .ok_or_else(|| Error::new(Kind::NotInstalled, "no main file"))?;
        if f.mtime != self.expect {
            return Err(conflict());
        }
        self.first.set(Some((f.ino, f.mtime)));
        Ok((f.ino, f.mtime))
    }

    fn lock_asset(&self) -> Result<Self::Held> {
        Ok(self.dest.lock.lock().unwrap())
    }

    fn tidy(&self, _held: &Self::Held) -> Result<()> {
        Ok(())
    }

    fn stage(&self, _held: &Self::Held, _seen: &(u64, u64)) -> Result<String> {
        let tmp = format!(".{MAIN}.tmp-{}", self.id);
        let mut g = self.dest.files.lock().unwrap();
        g.1 += 1;
        let now = g.1;
        g.0.insert(
            tmp.clone(),
            File {
                bytes: self.content.to_vec(),
                mtime: now,
                ino: 100 + now,
            },
        );
        Ok(tmp)
    }

    fn exchange(&self, _held: &Self::Held, staged: &String) -> Result<()> {
        let mut g = self.dest.files.lock().unwrap();
        let a = g.0.remove(staged).expect("staged");
        let b = g.0.remove(MAIN).expect("main");
        g.0.insert(MAIN.to_owned(), a);
        g.0.insert(staged.clone(), b);
        Ok(())
    }

    fn unchanged_since(
        &self,
        _held: &Self::Held,
        staged: &String,
        seen: &(u64, u64),
    ) -> Result<bool> {
        if self.faults.no_swap_check {
            return Ok(true);
        }
        Ok(self
            .dest
            .stat(staged)
            .is_some_and(|f| (f.ino, f.mtime) == *seen))
    }

    fn put_back(&self, held: &Self::Held, staged: &String) -> Error {
        let _ = self.exchange(held, staged);
        conflict()
    }

    fn discard(&self, _held: &Self::Held, staged: &String) -> Result<()> {
        self.dest.files.lock().unwrap().0.remove(staged);
        Ok(())
    }

    fn new_mtime(&self, _held: &Self::Held) -> Result<i128> {
        Ok(self.dest.stat(MAIN).map_or(0, |f| i128::from(f.mtime)))
    }
}

fn run_edit(dest: &Dest, id: usize, content: &[u8], faults: Faults) -> Result<i128> {
    edit_order::edit(&MemEdit {
        dest,
        id,
        expect: 1,
        content,
        faults,
        first: std::cell::Cell::new(None),
    })
}

fn only_main(dest: &Dest) {
    let names: Vec<String> = dest.files.lock().unwrap().0.keys().cloned().collect();
    assert_eq!(names, vec![MAIN.to_owned()], "a temporary name is left");
}

/// W3: two edits from one read: exactly one lands, the other is aborted
/// with conflict, and the file holds the one that landed.
fn two_edits_model(faults: Faults) -> impl Fn() + Sync + Send + 'static {
    move || {
        let dest = Arc::new(Dest::new(b"v1\n"));
        let other = {
            let dest = dest.clone();
            thread::spawn(move || run_edit(&dest, 1, b"from 1\n", faults).map_err(|e| e.kind))
        };
        let mine = run_edit(&dest, 0, b"from 0\n", faults).map_err(|e| e.kind);
        let other = other.join().unwrap();
        let landed: Vec<&[u8]> = [(&mine, &b"from 0\n"[..]), (&other, &b"from 1\n"[..])]
            .into_iter()
            .filter(|(r, _)| r.is_ok())
            .map(|(_, b)| b)
            .collect();
        assert_eq!(landed.len(), 1, "W3: {mine:?} and {other:?}");
        assert!(matches!(
            (&mine, &other),
            (Err(Kind::Conflict), _) | (_, Err(Kind::Conflict))
        ));
        assert_eq!(dest.stat(MAIN).unwrap().bytes, landed[0]);
        only_main(&dest);
    }
}

/// The guard at the swap: an edit racing a writer that takes no lock
/// never loses that writer's bytes, whatever the interleaving; the edit
/// lands (before the writer) or is aborted with conflict.
fn unlocked_writer_model(faults: Faults) -> impl Fn() + Sync + Send + 'static {
    move || {
        let dest = Arc::new(Dest::new(b"v1\n"));
        let writer = {
            let dest = dest.clone();
            thread::spawn(move || dest.write_in_place(b"theirs\n"))
        };
        let res = run_edit(&dest, 0, b"mine\n", faults).map_err(|e| e.kind);
        writer.join().unwrap();
        assert!(matches!(res, Ok(_) | Err(Kind::Conflict)), "{res:?}");
        assert_eq!(
            dest.stat(MAIN).unwrap().bytes,
            b"theirs\n",
            "the unlocked writer's bytes were lost (edit ended {res:?})"
        );
        only_main(&dest);
    }
}

#[test]
fn w3_of_two_edits_from_one_read_exactly_one_lands() {
    model(two_edits_model(Faults::default()));
}

#[test]
fn w5_an_unlocked_writer_racing_an_edit_is_never_lost() {
    model(unlocked_writer_model(Faults::default()));
}

#[cfg(feature = "loom")]
mod controls {
    use super::*;
    use crate::memfs::assert_loom_finds;

    /// Either guard alone keeps W3 (the swap guard refuses what the
    /// re-check would have), so the control removes both.
    #[test]
    fn w3_control_without_recheck_and_swap_check_lands_twice() {
        assert_loom_finds(
            "no check under the lock and none at the swap",
            two_edits_model(Faults {
                no_recheck: true,
                no_swap_check: true,
            }),
        );
    }

    #[test]
    fn w5_control_without_the_swap_check_loses_the_writer() {
        assert_loom_finds(
            "no check of the old file at the swap",
            unlocked_writer_model(Faults {
                no_swap_check: true,
                ..Faults::default()
            }),
        );
    }
}
