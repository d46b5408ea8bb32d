//! `cargo bench --bench update_all`: one asset moved to a new wiki HEAD in
//! N registered projects, by one `assetpin update skill x --all --yes`
//! against N `assetpin update skill x` processes run one after another
//! (what a shell loop over the same projects does), for N = 10, 100 and
//! 1,000 (the loop up to 100 only: at 1,000 it is the slow side and its
//! time is N times the 100-project figure per project).
//!
//! Every measurement starts with every project one commit behind (the
//! wiki commit is made before the clock starts). Each figure is the median
//! of 3 runs; the summary (ms per batch, ms per project, the ratio of the
//! loop to the batch, and how the batch grows with N) is printed and
//! written to `target/bench-report/update_all.json`.
//! `ASSETPIN_BENCH_QUICK=1` runs N = 10 only.

use assetpin_test_support::bench::*;
use assetpin_test_support::git;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const RUNS: usize = 3;

struct Fleet {
    _dir: tempfile::TempDir,
    home: PathBuf,
    wiki: PathBuf,
    projects: Vec<PathBuf>,
    version: usize,
}

fn assetpin(home: &Path, wiki: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_assetpin"));
    c.env("HOME", home)
        .arg("--wiki")
        .arg(wiki)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn ok(mut c: Command, what: &str) {
    let st = c.status().expect("run assetpin");
    assert!(st.success(), "{what}: {st}");
}

impl Fleet {
    /// `n` projects with skill `x` installed and registered.
    fn new(n: usize) -> Fleet {
        let dir = scratch("update-all");
        let (home, wiki) = (dir.path().join("home"), dir.path().join("wiki"));
        std::fs::create_dir_all(&home).unwrap();
        make_wiki(
            &wiki,
            &[WikiAsset {
                section: "skills",
                name: "x".into(),
                files: vec![
                    ("SKILL.md".into(), b"# x v0\n".to_vec()),
                    ("ref/guide.md".into(), text_bytes(20_000, 1)),
                ],
            }],
        );
        let projects: Vec<PathBuf> = (0..n)
            .map(|i| dir.path().join(format!("p{i:04}")))
            .collect();
        for p in &projects {
            std::fs::create_dir_all(p.join(".git")).unwrap();
            let mut c = assetpin(&home, &wiki);
            c.arg("--project").arg(p).args(["install", "skill", "x"]);
            ok(c, "install");
            let mut c = assetpin(&home, &wiki);
            c.args(["projects", "add"]).arg(p);
            ok(c, "projects add");
        }
        Fleet {
            _dir: dir,
            home,
            wiki,
            projects,
            version: 0,
        }
    }

    /// A new wiki commit: every project is now one commit behind.
    fn advance(&mut self) {
        self.version += 1;
        let f = self.wiki.join("skills/x/SKILL.md");
        std::fs::write(&f, format!("# x v{}\n", self.version)).unwrap();
        let st = git(&self.wiki)
            .args(["commit", "-qam", "next"])
            .status()
            .unwrap();
        assert!(st.success());
    }

    fn batch(&mut self) -> f64 {
        self.advance();
        let mut c = assetpin(&self.home, &self.wiki);
        c.args(["update", "skill", "x", "--all", "--yes"]);
        let t = Instant::now();
        ok(c, "update --all");
        t.elapsed().as_secs_f64() * 1e3
    }

    fn one_by_one(&mut self) -> f64 {
        self.advance();
        let t = Instant::now();
        for p in &self.projects {
            let mut c = assetpin(&self.home, &self.wiki);
            c.arg("--project").arg(p).args(["update", "skill", "x"]);
            ok(c, "update");
        }
        t.elapsed().as_secs_f64() * 1e3
    }
}

fn median_of(mut f: impl FnMut() -> f64) -> f64 {
    let mut v: Vec<f64> = (0..RUNS).map(|_| f()).collect();
    median(&mut v)
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench` absent.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("update_all: skipped (run with cargo bench)");
        return;
    }
    let sizes: &[usize] = if quick() { &[10] } else { &[10, 100, 1000] };
    let mut rows = Vec::new();
    for &n in sizes {
        let mut fleet = Fleet::new(n);
        let batch = median_of(|| fleet.batch());
        let loop_ms = (n <= 100).then(|| median_of(|| fleet.one_by_one()));
        println!(
            "update_all n={n:>5}: --all {batch:>9.1} ms ({:.2} ms/project){}",
            batch / n as f64,
            loop_ms.map_or(String::new(), |l| format!(
                "; one by one {l:>9.1} ms ({:.2} ms/project); loop/batch {:.2}",
                l / n as f64,
                l / batch
            ))
        );
        rows.push(json!({
            "projects": n,
            "batch_ms": batch,
            "batch_ms_per_project": batch / n as f64,
            "loop_ms": loop_ms,
            "loop_over_batch": loop_ms.map(|l| l / batch),
        }));
    }
    let growth: Vec<_> = rows
        .windows(2)
        .map(|w| {
            let (a, b) = (&w[0], &w[1]);
            json!({
                "from": a["projects"], "to": b["projects"],
                "batch_time_ratio": b["batch_ms"].as_f64().unwrap() / a["batch_ms"].as_f64().unwrap(),
            })
        })
        .collect();
    for g in &growth {
        println!(
            "update_all growth {} -> {} projects: batch time x{:.2}",
            g["from"],
            g["to"],
            g["batch_time_ratio"].as_f64().unwrap()
        );
    }
    let path = write_report(
        "update_all",
        &json!({"machine": machine_json(), "runs": RUNS, "rows": rows, "growth": growth}),
    );
    println!("update_all: report in {}", path.display());
}
