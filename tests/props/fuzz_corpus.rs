//! The lockfile fuzz target's properties (`assetpin_test_support::lockfile_oracle`: L3, L5,
//! L8, the splice against the full path, the peer's `json.dumps`) over the
//! seed corpus `fuzz/corpus/lockfile/` and every saved crash under
//! `fuzz/regressions/lockfile/`: a crash the fuzzer found stays a
//! regression test once its input is saved there.

use assetpin_test_support::lockfile_oracle as properties;

use std::path::Path;

fn inputs(dir: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| e.file_name() != ".gitkeep")
        .map(|e| {
            let bytes = std::fs::read(e.path()).unwrap();
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    out.sort();
    out
}

/// Every seed and every saved crash passes; the seed corpus is not empty,
/// and under CI the Python oracle must run.
#[test]
fn l8_fuzz_properties_hold_on_the_corpus_and_every_saved_crash() {
    let seeds = inputs("fuzz/corpus/lockfile");
    assert!(
        seeds.len() >= 10,
        "the seed corpus holds {} inputs",
        seeds.len()
    );
    let crashes = inputs("fuzz/regressions/lockfile");
    if std::env::var_os("CI").is_some() {
        assert!(
            properties::oracle_available(),
            "CI needs python3 for the oracle"
        );
    }
    for (name, bytes) in seeds.iter().chain(&crashes) {
        let r = std::panic::catch_unwind(|| properties::check_lockfile_bytes(bytes));
        assert!(r.is_ok(), "fuzz property fails on {name}");
    }
    eprintln!(
        "fuzz corpus: {} seeds and {} saved crashes checked",
        seeds.len(),
        crashes.len()
    );
}

/// The properties can fail: a splice that is not canonical-only, or a
/// loader that disagrees with serde_json, is caught (negative control on
/// the oracle itself: Python writes `1E5` as `100000.0`, so a writer
/// that kept `1E5` would be told apart).
#[test]
fn l8_the_python_oracle_tells_a_wrong_spelling_apart() {
    if !properties::oracle_available() {
        assert!(std::env::var_os("CI").is_none(), "CI needs python3");
        eprintln!("skipped: no python3 for the oracle");
        return;
    }
    let py = properties::python_rewrite(b"{\"n\": 1E5}")
        .unwrap()
        .unwrap();
    assert_eq!(py, b"{\n  \"n\": 100000.0\n}");
    assert_ne!(py, b"{\n  \"n\": 1E5\n}");
}
