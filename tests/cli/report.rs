//! `assetpin report` over runs `assetpin conform --save-run` wrote: the
//! same installer name driven once by an installer that plans again under
//! the per-asset lock and once by one that acts on what it saw before
//! waiting (tests/fixtures/interleave-installer): `report diff` finds the
//! regression and exits 1, the other way round finds the fix and exits 0;
//! `report badge` and `report summary` show the same.

use assetpin_test_support::{assetpin_test, bin};
use std::path::Path;
use std::process::{Command, Output};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const CASE: &str = "k-interleave/install@asset-lock:install-same";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn assetpin(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// The control installer's adapter `fixture` (careless or replan) as
/// `installer`, its program named absolutely.
fn adapter(dir: &Path, fixture: &str) -> String {
    let src = std::fs::read_to_string(format!(
        "{REPO}/tests/fixtures/interleave-installer/{fixture}.toml"
    ))
    .unwrap();
    let name = src.lines().find(|l| l.starts_with("name = ")).unwrap();
    let text = src.replace(name, "name = \"installer\"").replace(
        "candidates = [\"tests/",
        &format!("candidates = [\"{REPO}/tests/"),
    );
    let p = dir.join(format!("{fixture}.toml"));
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn save(dir: &Path, fixture: &str, to: &str) {
    let ad = adapter(dir, fixture);
    let out = assetpin(
        dir,
        &[
            "conform",
            "--adapter",
            &ad,
            "--filter",
            CASE,
            "--save-run",
            to,
        ],
    );
    assert!(dir.join(to).is_file(), "{}", text(&out.stderr));
}

#[assetpin_test]
fn diff_badge_and_summary_over_saved_runs() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    save(d, "replan", "sound.json");
    save(d, "careless", "careless.json");

    let out = assetpin(d, &["report", "diff", "sound.json", "careless.json"]);
    let o = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{o}{}", text(&out.stderr));
    assert!(
        o.contains(&format!("regressed  {CASE} (passed -> failed)")),
        "{o}"
    );
    assert!(o.contains("1 regression(s)"), "{o}");

    // The other way round it is a fix, and no regression.
    let out = assetpin(d, &["report", "diff", "careless.json", "sound.json"]);
    let o = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{o}");
    assert!(
        o.contains(&format!("fixed      {CASE} (failed -> passed)")),
        "{o}"
    );

    let out = assetpin(
        d,
        &["--json", "report", "diff", "sound.json", "careless.json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["regressions"], 1);
    assert_eq!(
        v["diff"]["implementations"][0]["regressions"][0]["id"],
        CASE
    );

    let out = assetpin(
        d,
        &["report", "badge", "careless.json", "--profile", "core"],
    );
    let svg = text(&out.stdout);
    assert!(
        svg.starts_with("<svg") && svg.contains("0/1 passed") && svg.contains("#e05d44"),
        "{svg}"
    );
    let out = assetpin(d, &["report", "badge", "sound.json"]);
    assert!(text(&out.stdout).contains("1/1 passed"));

    let out = assetpin(d, &["report", "summary", "sound.json", "careless.json"]);
    let o = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{o}");
    let k3 = o.lines().find(|l| l.starts_with("K3")).unwrap_or_default();
    assert!(k3.contains("ok 1/1") && k3.contains("FAIL 0/1"), "{o}");
}

/// A saved run names the tool's version when its adapter says how to ask
/// (`version_args`), and the suite it ran.
#[assetpin_test]
fn a_saved_run_records_versions() {
    let t = tempfile::tempdir().unwrap();
    let out = assetpin(
        t.path(),
        &["conform", "--filter", "Y3", "--save-run", "r.json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(v["format"], "assetpin-conform-run");
    assert_eq!(v["format_version"], 1);
    let imp = &v["implementations"][0];
    assert!(
        imp["tool_version"]
            .as_str()
            .is_some_and(|s| s.starts_with("assetpin ")),
        "{imp}"
    );
    let n = imp["cases"].as_array().map_or(0, Vec::len);
    assert!(n > 0 && v["suite"]["cases"] == n, "{v}");
    assert_eq!(
        imp["cases"][0]["profile"]
            .as_str()
            .map(str::len)
            .map(|l| l > 0),
        Some(true)
    );
}

#[assetpin_test]
fn what_is_no_saved_run_is_a_usage_error_naming_it() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("report.json"), "{\"summary\": {}}").unwrap();
    let out = assetpin(d, &["report", "badge", "report.json"]);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(
        e.starts_with("error[usage]: report.json: not a saved run") && e.contains("--save-run"),
        "{e}"
    );
    let out = assetpin(d, &["report", "diff", "missing.json", "report.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("error[io]: missing.json: cannot read it"));
}
