//! Loom models of the install protocol, `install_order::install` itself, on the
//! in-memory file system and wiki: a same-asset race (K3, K6, I4, I5), a
//! wiki commit racing an install (K4) and installs of distinct assets
//! (K5). Each has a negative control that removes its guard and requires
//! loom to find the violation. Without the feature `loom` the models run once on
//! std threads.

use crate::memfs::{self, Faults, Fs, MemInstall};
use assetpin::lock::install_order;
use assetpin::lock::lockfile;
use assetpin::lock::sync::{Arc, model, thread};
use assetpin::{AssetType, Kind};
use std::collections::BTreeMap;

/// How one modelled install ended: the error kind (`None`: installed) and
/// the writes it made.
type Outcome = (Option<Kind>, u32);

fn run_install(fs: &Fs, id: usize, name: &str) -> Outcome {
    let steps = MemInstall::new(fs, id, name);
    let res = install_order::install(&steps);
    (res.err().map(|e| e.kind), steps.writes.get())
}

/// K3, K6, I5: two installs of one asset: exactly one wins, the other
/// refuses `already-installed` having written nothing, and dest equals
/// the tree at the recorded pin.
fn same_asset_model(faults: Faults) -> impl Fn() + Sync + Send + 'static {
    move || {
        let fs = Arc::new(Fs::new(BTreeMap::new(), &["a"], memfs::tree("a1"), faults));
        let other = {
            let fs = fs.clone();
            thread::spawn(move || run_install(&fs, 1, "a"))
        };
        let mine = run_install(&fs, 0, "a");
        let outcomes = [mine, other.join().unwrap()];
        let winners = outcomes.iter().filter(|(k, _)| k.is_none()).count();
        assert_eq!(winners, 1, "K6: exactly one winner: {outcomes:?}");
        for (kind, writes) in outcomes.iter().filter(|(k, _)| k.is_some()) {
            assert_eq!(*kind, Some(Kind::AlreadyInstalled), "K6: the loser refuses");
            assert_eq!(*writes, 0, "K3, I5: the loser refused before writing");
        }
        memfs::assert_pinned_tree(&fs, "a");
        memfs::assert_no_leftovers(&fs);
    }
}

/// K4: a commit lands in the wiki while an install runs: the recorded pin
/// always matches the bytes installed.
fn commit_race_model(faults: Faults) -> impl Fn() + Sync + Send + 'static {
    move || {
        let fs = Arc::new(Fs::new(BTreeMap::new(), &["a"], memfs::tree("a1"), faults));
        let committer = {
            let fs = fs.clone();
            thread::spawn(move || fs.commit(memfs::tree("a2")))
        };
        let (kind, _) = run_install(&fs, 0, "a");
        committer.join().unwrap();
        assert_eq!(kind, None, "the install succeeds");
        memfs::assert_pinned_tree(&fs, "a");
    }
}

/// K5 through the whole install: two installs of distinct assets leave
/// both entries and both dests.
fn distinct_model(faults: Faults) -> impl Fn() + Sync + Send + 'static {
    move || {
        let fs = Arc::new(Fs::new(
            BTreeMap::new(),
            &["a", "b"],
            memfs::tree("t"),
            faults,
        ));
        let other = {
            let fs = fs.clone();
            thread::spawn(move || run_install(&fs, 1, "b"))
        };
        let mine = run_install(&fs, 0, "a");
        assert_eq!((mine.0, other.join().unwrap().0), (None, None));
        let doc = memfs::doc_of(&fs);
        for n in ["a", "b"] {
            assert!(
                lockfile::get(&doc, AssetType::Skill, n).is_some(),
                "K5: the entry of {n} was lost"
            );
            memfs::assert_pinned_tree(&fs, n);
        }
    }
}

#[test]
fn k3_k6_same_asset_race_has_one_winner() {
    model(same_asset_model(Faults::default()));
}

#[test]
fn k4_commit_racing_install_records_the_bytes_pin() {
    model(commit_race_model(Faults::default()));
}

#[test]
fn k5_distinct_installs_keep_both_entries() {
    model(distinct_model(Faults::default()));
}

#[cfg(feature = "loom")]
mod controls {
    use super::*;
    use crate::memfs::assert_loom_finds;

    #[test]
    fn k3_control_without_recheck_writes_before_refusing() {
        assert_loom_finds(
            "no re-check after the per-asset lock",
            same_asset_model(Faults {
                no_recheck: true,
                ..Faults::default()
            }),
        );
    }

    #[test]
    fn k4_control_pin_read_after_copy_mismatches() {
        assert_loom_finds(
            "pin read after the copy",
            commit_race_model(Faults {
                pin_after_copy: true,
                ..Faults::default()
            }),
        );
    }

    #[test]
    fn k5_control_without_sidecar_lock_loses_an_entry() {
        assert_loom_finds(
            "no sidecar lock",
            distinct_model(Faults {
                no_sidecar_lock: true,
                ..Faults::default()
            }),
        );
    }
}
