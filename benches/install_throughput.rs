//! `cargo bench --bench install_throughput`: installing one asset of 1,
//! 100, 1,000 and 10,000 files through [`assetpin::ops::install`]
//! (wiki read at a commit, work-tree check, staging with parallel hashing
//! and writing, fsync of every file and directory, rename into place,
//! lockfile upsert), into a fresh project each time.
//!
//! Asset shapes (chosen so a run stays bounded; text-like content):
//! * `1`: one file of 1,000,000 B;
//! * `100` and `1000`: sizes spread log-uniformly over 100 B to 1,000,000 B
//!   (about 10.9 MB and 108.6 MB in total), 100 files per directory;
//! * `10000`: 10,000 files of 100 B, 100 per directory.
//!
//! The floor writes the same bytes into the same layout with one fsync per
//! file, sequentially (`floor`), and for reference with rayon (`floor_par`).
//! A summary (files/s, MB/s, ratio to the floor) is printed and written to
//! `target/bench-report/install_throughput.json`.
//! `ASSETPIN_BENCH_QUICK=1` runs the 1- and 100-file cases only.

use assetpin::AssetType;
use assetpin::ops::{Context, install};
use assetpin_test_support::bench::*;
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use rayon::prelude::*;
use serde_json::json;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

fn file_counts() -> Vec<usize> {
    if quick() {
        vec![1, 100]
    } else {
        vec![1, 100, 1000, 10_000]
    }
}

/// The files of the `n`-file asset: (relative path, bytes).
fn asset_files(n: usize) -> Vec<(String, Vec<u8>)> {
    let sizes: Vec<usize> = match n {
        1 => vec![1_000_000],
        10_000 => vec![100; n],
        _ => {
            // Stratified log-uniform sizes over [100 B, 1 MB], shuffled
            // deterministically so big and small files interleave.
            let mut s: Vec<usize> = (0..n)
                .map(|i| (100.0 * 10f64.powf(4.0 * (i as f64 + 0.5) / n as f64)) as usize)
                .collect();
            let mut rng = Rng(n as u64);
            for i in (1..s.len()).rev() {
                let j = (rng.next_u64() % (i as u64 + 1)) as usize;
                s.swap(i, j);
            }
            s
        }
    };
    sizes
        .into_iter()
        .enumerate()
        .map(|(i, len)| {
            let rel = if i == 0 {
                "SKILL.md".to_owned()
            } else if n <= 100 {
                format!("f{i:05}.md")
            } else {
                format!("d{:03}/f{i:05}.md", i / 100)
            };
            (rel, text_bytes(len, i as u64 * 31 + n as u64))
        })
        .collect()
}

/// The floor: the same bytes in the same layout, one fsync per file.
fn floor_write(dir: &Path, files: &[(String, Vec<u8>)], parallel: bool) {
    std::fs::create_dir(dir).expect("floor dir");
    let dirs: BTreeSet<&str> = files
        .iter()
        .filter_map(|(rel, _)| rel.rsplit_once('/').map(|(d, _)| d))
        .collect();
    for d in dirs {
        std::fs::create_dir_all(dir.join(d)).expect("floor subdir");
    }
    let write = |(rel, bytes): &(String, Vec<u8>)| {
        let mut f = std::fs::File::create(dir.join(rel)).expect("create");
        f.write_all(bytes).expect("write");
        f.sync_all().expect("fsync");
    };
    if parallel {
        files.par_iter().for_each(write);
    } else {
        files.iter().for_each(write);
    }
}

/// The steps of [`install`] timed separately for the asset `name` (the
/// "where does the time go" breakdown): (step, median ns) over `runs`
/// installs into fresh projects under `scratch`.
fn breakdown(scratch: &Path, wiki: &Path, name: &str, runs: usize) -> Vec<(&'static str, u64)> {
    use assetpin::fs::stage;
    use assetpin::lock::lockfile::EntryWrite;
    use assetpin::lock::lockfile::timestamp::now_utc_micros;
    use assetpin::lock::{self, AssetLock, DiskStore};
    use assetpin::ops::project::Project;
    use assetpin::wiki::Wiki;
    const STEPS: [&str; 7] = [
        "open_wiki_head",
        "read_asset",
        "check_clean",
        "checks_locks",
        "stage",
        "rename_sync",
        "upsert",
    ];
    let ty = AssetType::Skill;
    let mut samples: Vec<Vec<u64>> = vec![Vec::new(); STEPS.len()];
    for r in 0..runs {
        let root = scratch.join(format!("breakdown{r}"));
        std::fs::create_dir(&root).expect("project dir");
        let mut t = Instant::now();
        let mut lap = |k: usize, t: &mut Instant| {
            samples[k].push(t.elapsed().as_nanos() as u64);
            *t = Instant::now();
        };
        let project = Project::open(&root).expect("project");
        let wiki = Wiki::open(wiki).expect("wiki");
        let commit = wiki.head().expect("head");
        lap(0, &mut t);
        let tree = wiki.read_asset(commit, ty, name).expect("read");
        lap(1, &mut t);
        wiki.check_clean(commit, ty, name).expect("clean");
        lap(2, &mut t);
        let _ = project.load_strict().expect("lockfile");
        let section = project.ensure_section(ty).expect("section");
        let _asset_lock = AssetLock::acquire(&section, &lock::asset_lock_name(name)).expect("lock");
        let _ = project.load_strict().expect("lockfile");
        stage::clean_stale(&section, name).expect("clean stale");
        lap(3, &mut t);
        let staged = stage::stage(&section, name, &tree).expect("stage");
        lap(4, &mut t);
        section
            .rename(&staged.name, &section, name, assetpin::fs::IfExists::Keep)
            .expect("rename");
        section.sync().expect("sync");
        lap(5, &mut t);
        let write = EntryWrite {
            wiki_commit: commit.to_string(),
            installed_at: now_utc_micros(),
            files: tree.files.iter().map(|f| f.path.clone()).collect(),
            digests: Some(staged.digests),
        };
        let memtomem = project.ensure_memtomem().expect(".memtomem");
        lock::transact_upsert(&DiskStore::new(&memtomem), ty, name, &write, |_| Ok(true))
            .expect("upsert");
        lap(6, &mut t);
        std::fs::remove_dir_all(&root).expect("remove");
    }
    phase_medians(&STEPS, &mut samples)
}

struct Case {
    n: usize,
    bytes: u64,
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let records: RefCell<Records> = RefCell::new(Records::new());
    let scratch = scratch("install");
    let wiki = scratch.path().join("wiki");
    let mut cases = Vec::new();
    let mut assets = Vec::new();
    for n in file_counts() {
        let files = asset_files(n);
        let bytes = files.iter().map(|(_, b)| b.len() as u64).sum();
        cases.push(Case { n, bytes });
        assets.push(WikiAsset {
            section: "skills",
            name: format!("a{n}"),
            files,
        });
    }
    make_wiki(&wiki, &assets);

    let mut group = c.benchmark_group("install_throughput");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    if quick() {
        group
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_secs(1));
    } else {
        group
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
    }
    let mut k = 0usize;
    for (case, asset) in cases.iter().zip(&assets) {
        group.throughput(Throughput::Bytes(case.bytes));
        for label in ["install", "floor", "floor_par"] {
            group.bench_function(BenchmarkId::new(label, case.n), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        k += 1;
                        let dir = scratch.path().join(format!("run{k}"));
                        match label {
                            "install" => {
                                std::fs::create_dir(&dir).expect("project dir");
                                let ctx = Context {
                                    project: dir.clone(),
                                    wiki: wiki.clone(),
                                };
                                let t = Instant::now();
                                let done =
                                    install(&ctx, AssetType::Skill, &asset.name).expect("install");
                                total += t.elapsed();
                                assert_eq!(done.files.len(), case.n);
                            }
                            _ => {
                                let t = Instant::now();
                                floor_write(&dir, &asset.files, label == "floor_par");
                                total += t.elapsed();
                            }
                        }
                        std::fs::remove_dir_all(&dir).expect("remove run dir");
                    }
                    records
                        .borrow_mut()
                        .entry(format!("{label}/{}", case.n))
                        .or_default()
                        .rounds
                        .push((total.as_secs_f64(), iters));
                    total
                })
            });
        }
    }
    group.finish();
    c.final_summary();

    let recs = records.borrow();
    println!();
    println!("install_throughput summary (medians; time per install of one asset)");
    println!(
        "{:>6} {:>10} {:>10} {:>11} {:>9} {:>10} {:>10} {:>8} {:>11}",
        "files", "MB", "install", "files/s", "MB/s", "floor", "floor_par", "ratio", "ratio_par"
    );
    let mut rows = Vec::new();
    for case in &cases {
        // Each record round is (seconds, installs): median seconds per install.
        let per = |label: &str| {
            recs.get(&format!("{label}/{}", case.n)).map(|r| {
                let mut v: Vec<f64> = r
                    .rounds
                    .iter()
                    .map(|(s, it)| s / (*it).max(1) as f64)
                    .collect();
                median(&mut v)
            })
        };
        let (Some(inst), floor, floor_par) = (per("install"), per("floor"), per("floor_par"))
        else {
            continue;
        };
        let mb = case.bytes as f64 / 1e6;
        let ratio = floor.map(|f| inst / f);
        let ratio_par = floor_par.map(|f| inst / f);
        println!(
            "{:>6} {:>10.2} {:>8.1}ms {:>11.0} {:>9.1} {:>8.1}ms {:>8.1}ms {:>8.2} {:>11.2}",
            case.n,
            mb,
            inst * 1e3,
            case.n as f64 / inst,
            mb / inst,
            floor.unwrap_or(0.0) * 1e3,
            floor_par.unwrap_or(0.0) * 1e3,
            ratio.unwrap_or(0.0),
            ratio_par.unwrap_or(0.0)
        );
        rows.push(json!({
            "files": case.n, "bytes": case.bytes,
            "install_s": inst, "files_per_s": case.n as f64 / inst, "mb_per_s": mb / inst,
            "floor_s": floor, "floor_par_s": floor_par,
            "ratio_to_floor": ratio, "ratio_to_floor_par": ratio_par,
        }));
    }
    println!();
    println!("install steps, median per step (outside criterion)");
    let mut steps = json!({});
    for (case, asset) in cases.iter().zip(&assets) {
        let runs = if quick() || case.n >= 1000 { 3 } else { 10 };
        let b = breakdown(scratch.path(), &wiki, &asset.name, runs);
        let total: u64 = b.iter().map(|(_, ns)| ns).sum();
        let line: Vec<String> = b
            .iter()
            .map(|(s, ns)| format!("{s} {:.2}ms", *ns as f64 / 1e6))
            .collect();
        println!(
            "  files={:<6} sum {:.1}ms: {}",
            case.n,
            total as f64 / 1e6,
            line.join(", ")
        );
        steps[case.n.to_string()] =
            json!(b.into_iter().collect::<std::collections::BTreeMap<_, _>>());
    }
    let path = write_report(
        "install_throughput",
        &json!({"machine": machine_json(), "cases": rows, "install_steps_median_ns": steps}),
    );
    println!("report: {}", path.display());
}
