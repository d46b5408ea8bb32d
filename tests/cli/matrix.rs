//! `conform` over several implementations: the side-by-side reports and
//! the HTML matrix, the page checked in a real browser (Debian's
//! chromium, headless) when one is installed.

use assetpin_test_support::{assetpin_test, bin};
use std::path::Path;
use std::process::{Command, Output};

const NAIVE: &str = "tests/fixtures/naive-installer/naive.toml";

/// `assetpin conform ARGS` from the repository root (adapter candidates
/// are relative to it).
fn conform(args: &[&str]) -> Output {
    Command::new(bin())
        .arg("conform")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// The reference and the careless installer on the hand-written
/// portable cases (`p-portable/P<n>-...`): the naive tool fails, so the
/// run exits 1 with both columns filled.
fn two_impls(format: &str, extra: &[&str]) -> (Output, String) {
    let mut args = vec![
        "--adapter",
        "reference",
        "--adapter",
        NAIVE,
        "--filter",
        "p-portable/P",
        "--format",
        format,
    ];
    args.extend_from_slice(extra);
    let out = conform(&args);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, text)
}

#[assetpin_test]
fn human_has_a_column_per_implementation() {
    let (out, text) = two_impls("human", &[]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let header = text
        .lines()
        .find(|l| l.starts_with("CASE"))
        .expect("a case table");
    assert!(
        header.contains("reference") && header.contains("naive"),
        "{header}"
    );
    let row = text
        .lines()
        .find(|l| l.starts_with("p-portable/P6-exec "))
        .expect("a P6 row");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells, ["p-portable/P6-exec", "passed", "failed"], "{row}");
    assert!(text.contains("\nreference: 16 passed, 0 failed"), "{text}");
    assert!(text.contains("\nnaive: 1 passed, 15 failed"), "{text}");
}

#[assetpin_test]
fn json_and_junit_carry_the_implementation() {
    let (_, text) = two_impls("json", &[]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let impls = v["implementations"].as_array().unwrap();
    assert_eq!(impls.len(), 2);
    assert_eq!(impls[1]["adapter"], "naive");
    assert_eq!(impls[1]["cases"][0]["implementation"], "naive");
    let p6 = v["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["clause"] == "P6")
        .unwrap();
    assert_eq!(p6["cells"]["reference"]["mark"], "passed");
    assert_eq!(p6["cells"]["naive"]["mark"], "failed");
    assert_eq!(p6["cells"]["naive"]["failing"][0], "p-portable/P6-exec");
    let (_, xml) = two_impls("junit", &[]);
    assert_eq!(xml.matches("<testsuite ").count(), 2, "{xml}");
    assert!(xml.contains(r#"classname="naive.p-portable""#), "{xml}");
}

#[assetpin_test]
fn known_needs_a_name_with_two_adapters() {
    let out = conform(&[
        "--adapter",
        "reference",
        "--adapter",
        NAIVE,
        "--known",
        "tests/conformance/peer-divergences.toml",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error[usage]: ") && err.contains("as NAME=FILE"),
        "{err}"
    );
    let out = conform(&["--adapter", "reference", "--adapter", "reference"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("two adapters are named"));
}

#[assetpin_test]
fn html_is_self_contained_with_a_cell_per_clause_and_implementation() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("m.html");
    let (_, stdout) = two_impls("human", &["--html", page.to_str().unwrap()]);
    assert!(
        stdout.contains("naive: 1 passed"),
        "--html keeps the chosen format"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    for external in ["http://", "https://", "src=", "<link", "<script", "url("] {
        assert!(
            !html.contains(external),
            "the page refers outside itself: {external}"
        );
    }
    // The rows are the clauses the run's cases cite: P1-P10 here.
    let clauses = 10;
    assert!(html.contains(r#"data-clause="P10""#) && !html.contains(r#"data-clause="Y1""#));
    assert_eq!(html.matches("data-impl=\"naive\"").count(), clauses);
    assert_eq!(html.matches("data-impl=\"reference\"").count(), clauses);
    assert!(html.contains(r#"data-impl="naive" data-clause="P2" data-mark="failed""#));
    assert!(html.contains(r#"data-impl="reference" data-clause="P2" data-mark="passed""#));
    // A failing cell opens its cases' expected vs observed.
    assert!(html.contains("<details><summary>✗ failed"), "{html}");
    assert!(
        html.contains("P2-SECRET-BYTES"),
        "the failure details are on the page"
    );
}

/// The page in chromium: it loads, the matrix is in the DOM the browser
/// built, and a screenshot is drawn.
#[assetpin_test(browser)]
fn html_renders_in_chromium(chromium: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("m.html");
    two_impls("human", &["--html", page.to_str().unwrap()]);
    let url = format!("file://{}", page.display());
    let base = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-dev-shm-usage",
    ];
    let profile = format!("--user-data-dir={}", dir.path().join("profile").display());
    let dom = Command::new(chromium)
        .args(base)
        .arg(&profile)
        .args(["--dump-dom", &url])
        .output()
        .unwrap();
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    assert!(dom_text.contains(r#"<table id="matrix">"#), "{dom_text}");
    assert!(
        dom_text.contains(r#"data-impl="naive" data-clause="P6" data-mark="failed""#),
        "{dom_text}"
    );
    let shot = dir.path().join("m.png");
    let out = Command::new(chromium)
        .args(base)
        .arg(&profile)
        .arg(format!("--screenshot={}", shot.display()))
        .args(["--window-size=1000,800", "--hide-scrollbars", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
}

/// E4: the report into a full disk is an `error[io]`, exit 1; into a
/// closed pipe it ends quietly (tests/cli/hostile.rs), never exit 0 with
/// the report lost.
#[assetpin_test]
fn report_into_a_full_disk_is_an_error() {
    let full = std::fs::File::create("/dev/full").unwrap();
    let out = Command::new(bin())
        .args([
            "conform",
            "--filter",
            "p-portable/P6-exec",
            "--format",
            "html",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(full)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("error[io]: write to stdout"), "{err}");
}
