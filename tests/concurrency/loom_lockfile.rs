//! Loom models of the lockfile protocol, `lock::transact_upsert` itself, on the
//! in-memory store: no lost update (K1, K5) and no partial document seen
//! by a reader (L7). Each has a negative control that removes the guard
//! and requires loom to find the violation. Without the feature `loom` the
//! models run once on std threads.

use crate::memfs::{self, Faults, Fs, LOCKFILE, MemStore};
use assetpin::lock::LockfileStore;
use assetpin::lock::lockfile;
use assetpin::lock::sync::{Arc, model, thread};
use assetpin::{AssetType, lock::lockfile::Document};
use std::collections::BTreeMap;

/// A lockfile holding one sibling entry, `keep`.
fn initial() -> BTreeMap<String, Vec<u8>> {
    BTreeMap::from([(LOCKFILE.to_owned(), memfs::with_entry(None, 9, "keep"))])
}

fn names(doc: &Document) -> Vec<String> {
    lockfile::entries(doc, AssetType::Skill)
        .map(|(n, _)| n.to_owned())
        .collect()
}

/// K1, K5: `writers` processes upserting distinct entries concurrently
/// leave every entry, the sibling included.
fn writers_model(writers: usize, faults: Faults) -> impl Fn() + Sync + Send + 'static {
    let files = initial();
    move || {
        let fs = Arc::new(Fs::new(files.clone(), &[], memfs::tree("x"), faults));
        let handles: Vec<_> = (0..writers)
            .map(|i| {
                let fs = fs.clone();
                thread::spawn(move || memfs::upsert(&fs, i, &format!("w{i}")))
            })
            .collect();
        for h in handles {
            h.join().unwrap().expect("upsert succeeds");
        }
        let mut got = names(&memfs::doc_of(&fs));
        got.sort();
        let mut want: Vec<String> = (0..writers).map(|i| format!("w{i}")).collect();
        want.push("keep".into());
        want.sort();
        assert_eq!(got, want, "K5: an update was lost");
        memfs::assert_no_leftovers(&fs);
    }
}

/// L7: a reader during a write sees the old document or the new one,
/// byte for byte, never a partial one.
fn reader_model(faults: Faults) -> impl Fn() + Sync + Send + 'static {
    let files = initial();
    let old = files[LOCKFILE].clone();
    let new = memfs::with_entry(Some(&old), 0, "w0");
    move || {
        let fs = Arc::new(Fs::new(files.clone(), &[], memfs::tree("x"), faults));
        let writer = {
            let fs = fs.clone();
            thread::spawn(move || memfs::upsert(&fs, 0, "w0"))
        };
        let seen = MemStore { fs: &fs, id: 1 }.read().unwrap().unwrap();
        assert!(
            seen == old || seen == new,
            "L7: a reader saw a partial document: {:?}",
            String::from_utf8_lossy(&seen)
        );
        lockfile::parse_tolerant(Some(&seen), LOCKFILE).expect("L7: what a reader sees parses");
        writer.join().unwrap().unwrap();
    }
}

#[test]
fn k1_k5_two_writers_lose_no_update() {
    model(writers_model(2, Faults::default()));
}

#[test]
fn k1_k5_three_writers_lose_no_update() {
    model(writers_model(3, Faults::default()));
}

#[test]
fn l7_reader_never_sees_a_partial_document() {
    model(reader_model(Faults::default()));
}

#[cfg(feature = "loom")]
mod controls {
    use super::*;
    use crate::memfs::assert_loom_finds;

    #[test]
    fn k1_control_without_sidecar_lock_loses_an_update() {
        assert_loom_finds(
            "no sidecar lock",
            writers_model(
                2,
                Faults {
                    no_sidecar_lock: true,
                    ..Faults::default()
                },
            ),
        );
    }

    #[test]
    fn l7_control_writing_in_place_shows_a_partial_document() {
        assert_loom_finds(
            "write in place",
            reader_model(Faults {
                write_in_place: true,
                ..Faults::default()
            }),
        );
    }
}
