//! `assetpin conform --explore`: against the reference it runs its budget
//! with no divergence; against an installer that replaces a dest the user
//! made (tests/fixtures/interleave-installer, `--entry-only`) it finds the
//! divergence, shrinks it to the two steps that show it, and writes a
//! case that passes against the reference and fails against that
//! installer; against the same installer without the flaw it finds
//! nothing (no false divergence).

use assetpin_test_support::{assetpin_test, bin};
use std::process::{Command, Output};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const FLAWED: &str = "tests/fixtures/interleave-installer/entry-only.toml";
const SOUND: &str = "tests/fixtures/interleave-installer/replan.toml";

fn conform(args: &[&str]) -> Output {
    Command::new(bin())
        .arg("conform")
        .args(args)
        .current_dir(REPO)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[assetpin_test]
fn explore_against_the_reference_runs_its_budget_with_no_divergence() {
    let out = conform(&["--explore", "--scenarios", "40", "--seed", "7"]);
    let (o, e) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{o}{e}");
    assert!(
        o.contains("40 scenario(s), no divergence from itself"),
        "{o}{e}"
    );
}

#[assetpin_test]
fn explore_finds_shrinks_and_writes_a_case_that_tells_the_two_apart() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap();
    let out = conform(&[
        "--explore",
        "--adapter",
        FLAWED,
        "--scenarios",
        "50",
        "--seed",
        "1",
        "--explore-out",
        out_dir,
        "--format",
        "json",
    ]);
    let (o, e) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{o}{e}");
    let v: serde_json::Value = serde_json::from_str(o.trim()).unwrap_or_else(|_| panic!("{o}"));
    let found = &v["found"];
    let steps: Vec<&str> = found["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("{o}{e}"))
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    // The flaw needs a dest the user made, then an install over it.
    assert_eq!(steps.len(), 2, "shrunk to the two steps: {steps:?}");
    assert!(steps[0].starts_with("user writes "), "{steps:?}");
    assert!(steps[1].starts_with("install "), "{steps:?}");
    assert!(found["steps_before_shrinking"].as_u64() > Some(2), "{o}");
    assert_eq!(found["verified"], true, "{o}");
    // The written case, run as any case: passes against the reference,
    // fails against the flawed installer.
    let file = found["file"].as_str().unwrap();
    let cases = dir.path().join("cases");
    std::fs::create_dir(&cases).unwrap();
    std::fs::copy(file, cases.join("found.toml")).unwrap();
    let cases = cases.to_str().unwrap();
    // (A case directory without a case for every clause exits 1 for the
    // coverage: the case's own line is what counts here.)
    let outcome = |args: &[&str]| {
        let out = conform(args);
        let o = text(&out.stdout);
        o.lines()
            .find(|l| l.starts_with("top/found "))
            .map(|l| l.split_whitespace().nth(1).unwrap_or("").to_owned())
            .unwrap_or_else(|| panic!("no line for the case: {o}{}", text(&out.stderr)))
    };
    assert_eq!(outcome(&["--cases", cases]), "passed");
    assert_eq!(outcome(&["--cases", cases, "--adapter", FLAWED]), "failed");
}

#[assetpin_test]
fn explore_finds_nothing_in_the_same_installer_without_the_flaw() {
    let dir = tempfile::tempdir().unwrap();
    let out = conform(&[
        "--explore",
        "--adapter",
        SOUND,
        "--scenarios",
        "50",
        "--seed",
        "1",
        "--explore-out",
        dir.path().to_str().unwrap(),
    ]);
    let (o, e) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{o}{e}");
    assert!(
        o.contains("50 scenario(s), no divergence from reference"),
        "{o}{e}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[assetpin_test]
fn explore_options_need_explore() {
    let out = conform(&["--seed", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    // A tool with its own layout cannot be compared with the reference's
    // tree; two adapters are one too many.
    for args in [
        &[
            "--explore",
            "--adapter",
            "tests/fixtures/naive-installer/naive.toml",
        ][..],
        &["--explore", "--adapter", "reference", "--adapter", SOUND][..],
    ] {
        let out = conform(args);
        let e = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {e}");
        assert!(e.starts_with("error[usage]: --explore"), "{e}");
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    let out = conform(&["--explore", "--explore-out", file.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--explore-out"),
        "{}",
        text(&out.stderr)
    );
}
