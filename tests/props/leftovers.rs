//! L7, I6: what a crashed writer leaves (lockfile temporaries, staging
//! directories) is removed by the next write of the same kind, and nothing
//! else is.

use assetpin_test_support::{Project, Wiki, assetpin, ls};
use proptest::prelude::*;

proptest! {
    #![proptest_config(crate::config(12))]

    /// L7, I6, K1: stale `.lock.json.tmp-*` files and `.<name>~staging-*`
    /// directories are removed by the next install of that asset; other
    /// names that only look alike are kept.
    #[test]
    fn l7_i6_leftovers_cleaned(
        temps in proptest::collection::btree_set("[0-9]{1,5}-[0-9]{1,2}-[0-9a-f]{1,8}", 0..3),
        stagings in proptest::collection::btree_set("[0-9]{1,5}-[0-9]{1,2}-[0-9a-f]{1,8}", 0..3),
    ) {
        let wiki = Wiki::with_skills(&["s"]);
        let project = Project::new();
        let mm = project.memtomem();
        let section = mm.join("skills");
        std::fs::create_dir_all(&section).unwrap();
        for t in &temps {
            std::fs::write(mm.join(format!(".lock.json.tmp-{t}")), "{partial").unwrap();
        }
        for s in &stagings {
            std::fs::create_dir_all(section.join(format!(".s~staging-{s}/sub"))).unwrap();
            std::fs::write(section.join(format!(".s~staging-{s}/sub/f")), "x").unwrap();
        }
        // Look-alikes that belong to nobody's crash.
        std::fs::write(mm.join("lock.json.tmp-1"), "keep").unwrap();
        std::fs::create_dir_all(section.join(".other~staging-1-0-a")).unwrap();
        let out = assetpin(&project, &wiki).args(["install", "skill", "s"]).output().unwrap();
        prop_assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        prop_assert_eq!(ls(&mm), vec![".lock.json.lock", "lock.json", "lock.json.tmp-1", "skills"]);
        prop_assert_eq!(ls(&section), vec![".other~staging-1-0-a", ".s.lock", "s"]);
    }
}

/// L5, K1: a read-modify-write that finds the lockfile corrupt refuses
/// with `lockfile-corrupt` naming the file, runs no mutation and leaves
/// the bytes as they were.
#[test]
fn l5_transact_refuses_corrupt_naming_the_file() {
    use assetpin::fs::safedir::SafeDir;
    use assetpin::lock::{DiskStore, transact};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lock.json"), "[1]").unwrap();
    let sd = SafeDir::open_root(dir.path()).unwrap();
    let mut ran = false;
    let e = transact(&DiskStore::new(&sd), |_| {
        ran = true;
        Ok(())
    })
    .unwrap_err();
    assert_eq!(e.kind, assetpin::Kind::LockfileCorrupt);
    assert!(e.message.contains("lock.json"), "{}", e.message);
    assert!(!ran);
    assert_eq!(std::fs::read(dir.path().join("lock.json")).unwrap(), b"[1]");
}
