//! `cargo bench --bench lock_contention`: the lock protocol under load.
//!
//! 1. **Upsert contention.** N concurrent writers (N = 1, 2, 4, 8, 16, 32;
//!    threads of one process, and separate processes) each do a fixed batch
//!    of [`BATCH`] lockfile upserts through
//!    [`assetpin::lock::transact_upsert`], the path install and update take
//!    (sidecar `flock`, validating scan, in-place upsert of the entry,
//!    atomic replace with file and directory fsync) on a lockfile of 10,
//!    100 or 1,000 full L2
//!    entries. Writers rewrite existing entries, so the document keeps its
//!    size. One round = all writers' batches, timed from a common start to
//!    the last writer's end (`iter_custom`); every upsert's latency (lock
//!    wait included) is recorded for p50/p99.
//! 2. **The floor**, in the same run: a bare loop of write + fsync + rename
//!    of a file of the lockfile's size (and, for reference, the same plus
//!    the directory fsync that L7 requires).
//! 3. **Protocol shape (K2).** 8 concurrent install processes of distinct
//!    50-file skills into one project: the reference `install` (sidecar lock
//!    over load/mutate/write only) against the same steps with the sidecar
//!    lock held over the whole install, and against the install's disk
//!    part alone (its writes and fsyncs, the wiki read before the clock:
//!    the round's floor).
//!
//! A summary table (upserts/s, p50, p99, ratio to the floor) is printed and
//! written to `target/bench-report/lock_contention.json`.
//! `ASSETPIN_BENCH_QUICK=1` runs a small matrix; `-- --test` runs each
//! benchmark once.
//!
//! Process workers are this binary re-executed with `ASSETPIN_BENCH_WORKER`
//! set (see `assetpin_test_support::bench::spawn_worker`).

use assetpin::asset::validate_name;
use assetpin::fs::safedir::PRIVATE_MODE;
use assetpin::fs::stage;
use assetpin::lock::install_order::refuse_if_present;
use assetpin::lock::lockfile::{self, EntryWrite};
use assetpin::lock::{self, AssetLock, DiskStore, FlockGuard, LockfileStore, SIDECAR_NAME};
use assetpin::ops::project::Project;
use assetpin::ops::{Context, install};
use assetpin::wiki::Wiki;
use assetpin::{AssetType, Result};
use assetpin::{fs::digest::sha256_hex, lock::lockfile::timestamp::now_utc_micros};
use assetpin_test_support::bench::*;
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use serde_json::json;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// Upserts per writer per round.
const BATCH: usize = 16;
/// Files per asset in the protocol-shape comparison.
const K2_FILES: usize = 50;
/// Concurrent installs in the protocol-shape comparison.
const K2_WRITERS: usize = 8;

fn writer_counts() -> Vec<usize> {
    if quick() {
        vec![1, 8]
    } else {
        vec![1, 2, 4, 8, 16, 32]
    }
}

fn entry_counts() -> Vec<usize> {
    if quick() {
        vec![100]
    } else {
        vec![10, 100, 1000]
    }
}

/// The full L2 entry an install of a two-file skill writes.
fn entry_write(name: &str) -> EntryWrite {
    let commit = sha256_hex(name.as_bytes())[..40].to_owned();
    let mut digests = BTreeMap::new();
    for f in ["SKILL.md", "scripts/run.sh"] {
        digests.insert(f.to_owned(), sha256_hex(format!("{name}:{f}").as_bytes()));
    }
    EntryWrite {
        wiki_commit: commit,
        installed_at: now_utc_micros(),
        files: digests.keys().cloned().collect(),
        digests: Some(digests),
    }
}

fn entry_name(i: usize) -> String {
    format!("e-{i}")
}

/// Creates `.memtomem/lock.json` in `root` with `entries` full entries;
/// returns the document's size in bytes.
fn seed_lockfile(root: &Path, entries: usize) -> usize {
    let project = Project::open(root).expect("open project");
    let dir = project.ensure_memtomem().expect(".memtomem");
    let mut doc = lockfile::empty();
    for i in 0..entries {
        let name = entry_name(i);
        lockfile::upsert(&mut doc, AssetType::Skill, &name, &entry_write(&name));
    }
    let bytes = lockfile::serialize(&doc);
    dir.atomic_write(lockfile::LOCKFILE_NAME, &bytes, PRIVATE_MODE)
        .expect("seed lockfile");
    bytes.len()
}

/// Writer `w`'s batch: the names it rewrites and their entries.
fn batch_for(w: usize, entries: usize) -> Vec<(String, EntryWrite)> {
    (0..BATCH)
        .map(|i| {
            let name = entry_name((w * BATCH + i) % entries);
            let write = entry_write(&name);
            (name, write)
        })
        .collect()
}

/// Runs one writer's batch against the project at `root`; per-upsert
/// latencies in ns. `installed_at` is taken fresh for each upsert, as an
/// install does, so every upsert changes the bytes.
fn upsert_batch(root: &Path, batch: &mut [(String, EntryWrite)], ready: impl FnOnce()) -> Vec<u64> {
    let project = Project::open(root).expect("open project");
    let dir = project.ensure_memtomem().expect(".memtomem");
    let store = DiskStore::new(&dir);
    ready();
    let mut lats = Vec::with_capacity(batch.len());
    for (name, write) in batch.iter_mut() {
        let t = Instant::now();
        write.installed_at = now_utc_micros();
        lock::transact_upsert(&store, AssetType::Skill, name, write, |_| Ok(true)).expect("upsert");
        lats.push(t.elapsed().as_nanos() as u64);
    }
    lats
}

/// One round with `n` writer threads; (wall time, latencies).
fn round_threads(root: &Path, n: usize, entries: usize) -> (Duration, Vec<u64>) {
    let barrier = Arc::new(Barrier::new(n + 1));
    let handles: Vec<_> = (0..n)
        .map(|w| {
            let barrier = barrier.clone();
            let root = root.to_owned();
            let mut batch = batch_for(w, entries);
            std::thread::spawn(move || {
                upsert_batch(&root, &mut batch, || {
                    barrier.wait();
                })
            })
        })
        .collect();
    barrier.wait();
    let t0 = Instant::now();
    let lats: Vec<Vec<u64>> = handles
        .into_iter()
        .map(|h| h.join().expect("writer thread"))
        .collect();
    (t0.elapsed(), lats.concat())
}

/// One round with `n` writer processes; (wall time, latencies).
fn round_processes(root: &Path, n: usize, entries: usize) -> (Duration, Vec<u64>) {
    let workers = (0..n)
        .map(|w| {
            spawn_worker(
                "upsert",
                &[
                    root.display().to_string(),
                    w.to_string(),
                    entries.to_string(),
                ],
            )
        })
        .collect();
    let (elapsed, lines) = run_workers(workers);
    let lats = lines.iter().flat_map(|l| decode_lats(l)).collect();
    (elapsed, lats)
}

/// The floor: write + fsync + rename of `size` bytes, `iters` times;
/// with `dir_sync`, the directory fsync of L7 too. Per-op latencies.
fn floor_loop(dir: &Path, size: usize, iters: u64, dir_sync: bool) -> Vec<u64> {
    let bytes = text_bytes(size, 7);
    let target = dir.join("floor.json");
    let tmp = dir.join(".floor.json.tmp");
    let dirfd = std::fs::File::open(dir).expect("open floor dir");
    let mut lats = Vec::with_capacity(iters as usize);
    for _ in 0..iters {
        let t = Instant::now();
        let mut f = std::fs::File::create(&tmp).expect("create tmp");
        f.write_all(&bytes).expect("write tmp");
        f.sync_all().expect("fsync tmp");
        drop(f);
        std::fs::rename(&tmp, &target).expect("rename");
        if dir_sync {
            dirfd.sync_all().expect("fsync dir");
        }
        lats.push(t.elapsed().as_nanos() as u64);
    }
    lats
}

/// A bench worker: `upsert <root> <writer> <entries>` or
/// `install-narrow|install-wide|install-disk <wiki> <project> <name>`.
fn worker_main(role: &str) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match role {
        "upsert" => {
            let root = PathBuf::from(&args[0]);
            let w: usize = args[1].parse().expect("writer index");
            let entries: usize = args[2].parse().expect("entries");
            let mut batch = batch_for(w, entries);
            let lats = upsert_batch(&root, &mut batch, worker_ready_wait_go);
            worker_done(&encode_lats(&lats));
        }
        "install-narrow" | "install-wide" | "install-disk" => {
            let ctx = Context {
                wiki: PathBuf::from(&args[0]),
                project: PathBuf::from(&args[1]),
            };
            let name = &args[2];
            // The disk part's asset is read from the wiki before the start.
            let read = (role == "install-disk").then(|| read_head(&ctx, name));
            worker_ready_wait_go();
            let t = Instant::now();
            match read {
                Some(read) => install_disk_part(&ctx, name, read).expect("install (disk part)"),
                None if role == "install-narrow" => {
                    install(&ctx, AssetType::Skill, name).expect("install");
                }
                None => install_whole_lock(&ctx, AssetType::Skill, name).expect("install (wide)"),
            }
            worker_done(&t.elapsed().as_nanos().to_string());
        }
        other => panic!("unknown bench worker role {other:?}"),
    }
}

/// The lockfile and dest checks of I4/L5/L6, read-only (as `install` does).
fn check_absent(project: &Project, ty: AssetType, name: &str) -> Result<()> {
    let doc = project.load_strict()?;
    let entry = lockfile::get(&doc, ty, name).is_some();
    let dest = project.dest_exists(ty, name)?;
    refuse_if_present(ty, name, entry, dest, &project.dest_path(ty, name))
}

/// The counterfactual for K2: the same steps as
/// [`assetpin::ops::install`], but with the sidecar lock taken first
/// and held over the whole install (wiki read, work-tree check, staging,
/// hashing, fsyncs, rename) and the lockfile read-modify-write done inside
/// it. Built from the library's public pieces; not a supported code path
/// (it creates `.memtomem/` before the refusal checks, and takes the
/// sidecar lock before the per-asset lock).
fn install_whole_lock(ctx: &Context, ty: AssetType, name: &str) -> Result<()> {
    validate_name(name)?;
    let project = Project::open(&ctx.project)?;
    let memtomem = project.ensure_memtomem()?;
    let _whole = FlockGuard::acquire(&memtomem, SIDECAR_NAME)?;
    let wiki = Wiki::open(&ctx.wiki)?;
    let commit = wiki.head()?;
    let tree = wiki.read_asset(commit, ty, name)?;
    wiki.check_clean(commit, ty, name)?;
    check_absent(&project, ty, name)?;
    let section = project.ensure_section(ty)?;
    let _asset_lock = AssetLock::acquire(&section, &lock::asset_lock_name(name))?;
    check_absent(&project, ty, name)?;
    stage::clean_stale(&section, name)?;
    let staged = stage::stage(&section, name, &tree)?;
    if !section.rename(&staged.name, &section, name, assetpin::fs::IfExists::Keep)? {
        let _ = section.remove_tree(&staged.name);
        return refuse_if_present(ty, name, false, true, &project.dest_path(ty, name));
    }
    section.sync()?;
    let write = installed_entry(commit, &tree, staged);
    // The same upsert as `lock::transact_upsert` (in place when the bytes
    // are canonical, else load + upsert + serialize), under the lock
    // already held.
    let store = DiskStore::new(&memtomem);
    let before = store.read()?;
    let after = match before
        .as_deref()
        .and_then(|b| lockfile::splice::locate(b, ty, name))
    {
        Some(located) => located.upsert(&write),
        None => {
            let mut doc = lockfile::parse_strict(before.as_deref(), &store.display())?;
            lockfile::upsert(&mut doc, ty, name, &write);
            lockfile::serialize(&doc)
        }
    };
    store.replace(&after)
}

/// The entry an install records for `tree` at `commit`, staged as
/// `staged` (L2), as `install` builds it.
fn installed_entry(
    commit: gix::ObjectId,
    tree: &assetpin::asset::AssetTree,
    staged: stage::Staged,
) -> EntryWrite {
    EntryWrite {
        wiki_commit: commit.to_string(),
        installed_at: now_utc_micros(),
        files: tree.files.iter().map(|f| f.path.clone()).collect(),
        digests: Some(staged.digests),
    }
}

/// The wiki HEAD and skill `name`'s files at it (the read-only start of
/// an install, done by [`install_disk_part`]'s worker before the clock).
fn read_head(ctx: &Context, name: &str) -> (gix::ObjectId, assetpin::asset::AssetTree) {
    let wiki = Wiki::open(&ctx.wiki).expect("open wiki");
    let commit = wiki.head().expect("wiki HEAD");
    let tree = wiki
        .read_asset(commit, AssetType::Skill, name)
        .expect("read asset");
    (commit, tree)
}

/// The disk part of an install, for the K2 floor: what
/// [`assetpin::ops::install`] writes (per-asset lock, staging with an
/// fsync per file and directory, rename into place, section fsync, the
/// lockfile upsert with its fsyncs), without reading the wiki or checking
/// its work tree, the project or the lockfile first.
fn install_disk_part(
    ctx: &Context,
    name: &str,
    (commit, tree): (gix::ObjectId, assetpin::asset::AssetTree),
) -> Result<()> {
    let project = Project::open(&ctx.project)?;
    let section = project.ensure_section(AssetType::Skill)?;
    let _asset_lock = AssetLock::acquire(&section, &lock::asset_lock_name(name))?;
    let staged = stage::stage(&section, name, &tree)?;
    section.rename(&staged.name, &section, name, assetpin::fs::IfExists::Keep)?;
    section.sync()?;
    let write = installed_entry(commit, &tree, staged);
    let memtomem = project.ensure_memtomem()?;
    let store = DiskStore::new(&memtomem);
    lock::transact_upsert(&store, AssetType::Skill, name, &write, |_| Ok(true))?;
    Ok(())
}

/// A wiki with `K2_WRITERS` skills of `K2_FILES` text files (~2 KiB each,
/// some in a subdirectory).
fn k2_wiki(dir: &Path) {
    let assets: Vec<WikiAsset> = (0..K2_WRITERS)
        .map(|a| WikiAsset {
            section: "skills",
            name: format!("s{a}"),
            files: (0..K2_FILES)
                .map(|i| {
                    let rel = match i {
                        0 => "SKILL.md".to_owned(),
                        i if i % 5 == 0 => format!("refs/r{i}.md"),
                        i => format!("f{i}.md"),
                    };
                    (
                        rel,
                        text_bytes(1024 + (i * 37) % 2048, (a * 1000 + i) as u64),
                    )
                })
                .collect(),
        })
        .collect();
    make_wiki(dir, &assets);
}

/// `pairs` pairs of measurements `a` and `b`, back to back, `a` first in
/// even pairs and `b` first in odd ones (after one unrecorded pair that
/// warms the page cache and the workers' binary), so slow drift of the
/// disk hits both alike: `(a, b)` per pair.
fn alternating(
    pairs: usize,
    mut a: impl FnMut() -> f64,
    mut b: impl FnMut() -> f64,
) -> Vec<(f64, f64)> {
    a();
    b();
    (0..pairs)
        .map(|i| {
            if i % 2 == 0 {
                let x = a();
                (x, b())
            } else {
                let y = b();
                (a(), y)
            }
        })
        .collect()
}

/// (median, min, max) of `v`, which is sorted in place.
fn spread(v: &mut [f64]) -> (f64, f64, f64) {
    let med = median(v);
    (
        med,
        v.first().copied().unwrap_or(0.0),
        v.last().copied().unwrap_or(0.0),
    )
}

/// Writers in the paired comparison with the floor (the target in docs/performance.md:
/// 8 processes on a 100-entry lockfile).
const PAIRED_WRITERS: usize = 8;

/// The floor and the protocol measured in alternation: `pairs` pairs of
/// one floor batch (as many write + fsync + rename ops as one round has
/// upserts) and one round of [`PAIRED_WRITERS`] writer processes, back to
/// back, the order flipped every pair. Returns each pair's ratio of the
/// round's upserts/s to the floor's ops/s. Why: this disk's fsync latency
/// drifts by up to 3x within a minute, so a floor measured seconds before
/// the protocol can make the ratio anything from 0.5 to 1.6; a pair sees
/// the same disk. With `dir_sync`, the floor also fsyncs the directory
/// after each rename, as L7 requires of the protocol.
fn paired_ratios(entries: usize, pairs: usize, dir_sync: bool) -> Vec<f64> {
    let scratch = scratch("paired");
    let floor_dir = scratch.path().join("floor");
    std::fs::create_dir_all(&floor_dir).expect("floor dir");
    let size = seed_lockfile(scratch.path(), entries);
    let ops = PAIRED_WRITERS * BATCH;
    let floor_rate = || {
        let total: u64 = floor_loop(&floor_dir, size, ops as u64, dir_sync)
            .iter()
            .sum();
        ops as f64 / (total as f64 / 1e9)
    };
    let round_rate = || {
        let (el, _) = round_processes(scratch.path(), PAIRED_WRITERS, entries);
        ops as f64 / el.as_secs_f64()
    };
    alternating(pairs, floor_rate, round_rate)
        .into_iter()
        .map(|(floor, round)| round / floor)
        .collect()
}

/// Phases of one uncontended upsert, timed separately (the "where does
/// the time go" breakdown): (phase, median ns) for a lockfile of
/// `entries` entries over `iters` upserts. The critical section is the
/// path `transact_upsert` takes on canonical bytes (`locate`, `splice`);
/// the full path's `parse`, `upsert` and `serialize` are timed after the
/// lock is released, for comparison, and are not part of [`CRITICAL`].
fn breakdown(entries: usize, iters: usize) -> Vec<(&'static str, u64)> {
    let scratch = scratch("breakdown");
    seed_lockfile(scratch.path(), entries);
    let project = Project::open(scratch.path()).expect("open project");
    let dir = project.ensure_memtomem().expect(".memtomem");
    let store = DiskStore::new(&dir);
    let mut samples: Vec<Vec<u64>> = vec![Vec::with_capacity(iters); PHASES.len()];
    for i in 0..iters {
        let name = entry_name(i % entries);
        let mut write = entry_write(&name);
        let mut t = Instant::now();
        let mut lap = |k: usize, t: &mut Instant| {
            samples[k].push(t.elapsed().as_nanos() as u64);
            *t = Instant::now();
        };
        let guard = store.lock().expect("lock");
        lap(0, &mut t);
        store.clean_temps().expect("clean temps");
        lap(1, &mut t);
        let before = store.read().expect("read").expect("seeded");
        lap(2, &mut t);
        let located = lockfile::splice::locate(&before, AssetType::Skill, &name)
            .expect("the seeded lockfile is canonical");
        lap(3, &mut t);
        write.installed_at = now_utc_micros();
        let after = located.upsert(&write);
        lap(4, &mut t);
        let tmp = assetpin::fs::safedir::temp_name(lockfile::LOCKFILE_NAME);
        dir.write_new_file(
            &tmp,
            &after,
            PRIVATE_MODE,
            assetpin::fs::Durability::NoFsync,
        )
        .expect("write tmp");
        lap(5, &mut t);
        std::fs::File::open(dir.child_path(&tmp))
            .and_then(|f| f.sync_all())
            .expect("fsync tmp");
        lap(6, &mut t);
        dir.rename(
            &tmp,
            &dir,
            lockfile::LOCKFILE_NAME,
            assetpin::fs::IfExists::Replace,
        )
        .expect("rename");
        lap(7, &mut t);
        drop(guard);
        // After the unlock, as in `transact_upsert`: the replaced
        // lockfile's inode is freed at the release.
        let mut t = Instant::now();
        store.release();
        lap(8, &mut t);
        dir.sync().expect("fsync dir");
        lap(9, &mut t);
        let mut doc = lockfile::parse_strict(Some(&before), "lock.json").expect("parse");
        lap(10, &mut t);
        lockfile::upsert(&mut doc, AssetType::Skill, &name, &write);
        lap(11, &mut t);
        let full = lockfile::serialize(&doc);
        lap(12, &mut t);
        assert!(full == after, "splice and rebuild disagree");
    }
    phase_medians(&PHASES, &mut samples)
}

/// The phases of [`breakdown`]; the first [`CRITICAL`] are the critical
/// section of `transact_upsert`, `release` and `dir_fsync` follow the
/// unlock.
const PHASES: [&str; 13] = [
    "lock",
    "clean_temps",
    "read",
    "locate",
    "splice",
    "write",
    "fsync",
    "rename",
    "release",
    "dir_fsync",
    "full_parse",
    "full_upsert",
    "full_serialize",
];
const CRITICAL: usize = 8;

struct Shared {
    records: RefCell<Records>,
}

fn record(shared: &Shared, key: &str, secs: f64, ops: u64, lats: Vec<u64>) {
    let mut recs = shared.records.borrow_mut();
    let r = recs.entry(key.to_owned()).or_default();
    r.rounds.push((secs, ops));
    r.lats.extend(lats);
}

fn configure(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    if quick() {
        group
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_secs(1));
    } else {
        group
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
    }
}

fn bench_upserts(c: &mut Criterion, shared: &Shared) {
    for entries in entry_counts() {
        let scratch = scratch("upsert");
        let floor_dir = scratch.path().join("floor");
        std::fs::create_dir_all(&floor_dir).expect("floor dir");
        let size = seed_lockfile(scratch.path(), entries);

        let mut group = c.benchmark_group(format!("lock_contention/entries={entries}"));
        configure(&mut group);
        group.throughput(Throughput::Elements(1));
        for (label, dir_sync) in [("floor", false), ("floor+dirsync", true)] {
            group.bench_function(BenchmarkId::new(label, format!("{size}B")), |b| {
                b.iter_custom(|iters| {
                    let lats = floor_loop(&floor_dir, size, iters, dir_sync);
                    let total: u64 = lats.iter().sum();
                    record(
                        shared,
                        &format!("{label}/entries={entries}"),
                        total as f64 / 1e9,
                        iters,
                        lats,
                    );
                    Duration::from_nanos(total)
                })
            });
        }
        for n in writer_counts() {
            let ops = (n * BATCH) as u64;
            group.throughput(Throughput::Elements(ops));
            for mode in ["threads", "processes"] {
                group.bench_function(BenchmarkId::new(mode, n), |b| {
                    b.iter_custom(|iters| {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            let (el, lats) = if mode == "threads" {
                                round_threads(scratch.path(), n, entries)
                            } else {
                                round_processes(scratch.path(), n, entries)
                            };
                            total += el;
                            record(
                                shared,
                                &format!("{mode}/entries={entries}/writers={n}"),
                                el.as_secs_f64(),
                                ops,
                                lats,
                            );
                        }
                        total
                    })
                });
            }
        }
        group.finish();
        // Every entry is still there: no lost updates (K5) under the load.
        assert_skill_entries(scratch.path(), entries);
    }
}

/// K5 under load: the project's lockfile holds `n` skill entries.
fn assert_skill_entries(project: &Path, n: usize) {
    let bytes = std::fs::read(project.join(".memtomem/lock.json")).expect("lockfile");
    let doc = lockfile::parse_strict(Some(&bytes), "lock.json").expect("parses");
    assert_eq!(lockfile::entries(&doc, AssetType::Skill).count(), n);
}

/// One K2 round: [`K2_WRITERS`] install processes of `role` into a fresh
/// project in `scratch` (removed after); (wall time, per-install ns).
fn k2_round(wiki: &Path, scratch: &Path, role: &str) -> (Duration, Vec<u64>) {
    let project = &scratch.join("project");
    std::fs::create_dir_all(project).expect("project dir");
    let workers = (0..K2_WRITERS)
        .map(|a| {
            spawn_worker(
                role,
                &[
                    wiki.display().to_string(),
                    project.display().to_string(),
                    format!("s{a}"),
                ],
            )
        })
        .collect();
    let (el, lines) = run_workers(workers);
    let lats = lines.iter().flat_map(|l| decode_lats(l)).collect();
    assert_skill_entries(project, K2_WRITERS);
    std::fs::remove_dir_all(project).expect("remove project");
    (el, lats)
}

/// K2 in alternating pairs (see [`paired_ratios`] for why): `pairs`
/// pairs of the narrow window's round and, per `other` role, a round of
/// that role; wall times in s, `(narrow, other)` per pair, one list per
/// role. `install-wide` is the whole-install lock (the ratio of a pair is
/// `wide / narrow`); `install-disk` is the disk part of the install alone,
/// the round's floor (`narrow / disk`).
fn paired_k2(pairs: usize, others: &[&str]) -> Vec<Vec<(f64, f64)>> {
    let scratch = scratch("k2-paired");
    let wiki = scratch.path().join("wiki");
    k2_wiki(&wiki);
    let round = |role: &str| k2_round(&wiki, scratch.path(), role).0.as_secs_f64();
    others
        .iter()
        .map(|other| alternating(pairs, || round("install-narrow"), || round(other)))
        .collect()
}

fn bench_k2(c: &mut Criterion, shared: &Shared) {
    let scratch = scratch("k2");
    let wiki = scratch.path().join("wiki");
    k2_wiki(&wiki);
    let mut group = c.benchmark_group("protocol_shape");
    configure(&mut group);
    group.throughput(Throughput::Elements(K2_WRITERS as u64));
    for (label, role) in [
        ("narrow_window", "install-narrow"),
        ("whole_install_lock", "install-wide"),
    ] {
        group.bench_function(
            BenchmarkId::new(label, format!("{K2_WRITERS}x{K2_FILES}files")),
            |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (el, lats) = k2_round(&wiki, scratch.path(), role);
                        total += el;
                        record(shared, label, el.as_secs_f64(), K2_WRITERS as u64, lats);
                    }
                    total
                })
            },
        );
    }
    group.finish();
}

fn summarize(shared: &Shared) {
    let mut recs = shared.records.borrow_mut();
    let mut rows = Vec::new();
    println!();
    println!("lock_contention summary (medians over timed rounds; latency includes lock wait)");
    println!(
        "{:<10} {:>7} {:>7} {:>11} {:>9} {:>9} {:>11} {:>7} {:>11}",
        "mode", "entries", "writers", "upserts/s", "p50", "p99", "floor/s", "ratio", "ratio+dsync"
    );
    for entries in entry_counts() {
        let floor = recs
            .get(&format!("floor/entries={entries}"))
            .map(Record::median_rate)
            .unwrap_or(0.0);
        let floor_ds = recs
            .get(&format!("floor+dirsync/entries={entries}"))
            .map(Record::median_rate)
            .unwrap_or(0.0);
        for (label, rate) in [("floor", floor), ("floor+dirsync", floor_ds)] {
            if let Some(r) = recs.get_mut(&format!("{label}/entries={entries}")) {
                let (p50, p99) = r.p50_p99();
                println!(
                    "{:<10} {:>7} {:>7} {:>11.0} {:>9} {:>9} {:>11} {:>7} {:>11}",
                    if label == "floor" {
                        "floor"
                    } else {
                        "floor+ds"
                    },
                    entries,
                    1,
                    rate,
                    fmt_ns(p50),
                    fmt_ns(p99),
                    "",
                    "",
                    ""
                );
                rows.push(json!({"mode": label, "entries": entries, "writers": 1,
                    "ops_per_s": rate, "p50_ns": p50, "p99_ns": p99,
                    "rounds": r.rounds.len()}));
            }
        }
        for mode in ["threads", "processes"] {
            for n in writer_counts() {
                let Some(r) = recs.get_mut(&format!("{mode}/entries={entries}/writers={n}")) else {
                    continue;
                };
                let rate = r.median_rate();
                let (p50, p99) = r.p50_p99();
                let ratio = if floor > 0.0 { rate / floor } else { 0.0 };
                let ratio_ds = if floor_ds > 0.0 { rate / floor_ds } else { 0.0 };
                println!(
                    "{:<10} {:>7} {:>7} {:>11.0} {:>9} {:>9} {:>11.0} {:>7.2} {:>11.2}",
                    mode,
                    entries,
                    n,
                    rate,
                    fmt_ns(p50),
                    fmt_ns(p99),
                    floor,
                    ratio,
                    ratio_ds
                );
                rows.push(json!({"mode": mode, "entries": entries, "writers": n,
                    "ops_per_s": rate, "p50_ns": p50, "p99_ns": p99,
                    "floor_ops_per_s": floor, "ratio_to_floor": ratio,
                    "floor_dirsync_ops_per_s": floor_ds, "ratio_to_floor_dirsync": ratio_ds,
                    "rounds": r.rounds.len(), "upserts_per_round": n * BATCH}));
            }
        }
    }
    println!();
    println!(
        "protocol_shape (K2): {K2_WRITERS} concurrent install processes, {K2_FILES} files each"
    );
    let narrow = recs.get("narrow_window").map(Record::median_secs);
    let wide = recs.get("whole_install_lock").map(Record::median_secs);
    let mut k2 = json!({});
    for (label, secs) in [("narrow_window", narrow), ("whole_install_lock", wide)] {
        if let (Some(s), Some(r)) = (secs, recs.get_mut(label)) {
            let (p50, p99) = r.p50_p99();
            println!(
                "  {label:<20} round {:>8.1} ms  per-install p50 {:>9} p99 {:>9}",
                s * 1e3,
                fmt_ns(p50),
                fmt_ns(p99)
            );
            k2[label] = json!({"median_round_s": s, "install_p50_ns": p50,
                "install_p99_ns": p99, "rounds": r.rounds.len()});
        }
    }
    if let (Some(n), Some(w)) = (narrow, wide)
        && n > 0.0
    {
        println!("  speed-up of the narrow window: {:.2}x", w / n);
        k2["speedup"] = json!(w / n);
    }
    println!();
    let pairs = if quick() { 3 } else { 21 };
    println!(
        "paired: {PAIRED_WRITERS} writer processes vs the floor, alternating, {pairs} pairs \
         (ratio of upserts/s to the floor's ops/s within each pair)"
    );
    let mut paired = json!({});
    for entries in entry_counts() {
        let mut r = paired_ratios(entries, pairs, false);
        let (med, lo, hi) = spread(&mut r);
        println!("  entries={entries:<5} median ratio {med:.2} (min {lo:.2}, max {hi:.2})");
        paired[entries.to_string()] =
            json!({"median_ratio": med, "min": lo, "max": hi, "ratios": r});
    }
    // The target's configuration once more, against the floor that L7
    // permits: the directory fsync is the one step the bare floor skips.
    let mut r = paired_ratios(100, pairs, true);
    let (med, lo, hi) = spread(&mut r);
    println!("  entries=100   vs floor+dirsync: median ratio {med:.2} (min {lo:.2}, max {hi:.2})");
    paired["100_vs_floor_dirsync"] =
        json!({"median_ratio": med, "min": lo, "max": hi, "ratios": r});
    println!();
    let k2_pairs = paired_k2(
        if quick() { 3 } else { 15 },
        &["install-wide", "install-disk"],
    );
    // Each ratio is the slower round over the faster: wide / narrow,
    // narrow / disk part; `(narrow, other)` seconds in.
    type Ratio = fn(f64, f64) -> f64;
    let ratio_of: [(&str, &str, Ratio); 2] = [
        (
            "paired_speedup",
            "whole-install lock round / narrow window round",
            |narrow, wide| wide / narrow,
        ),
        (
            "paired_disk_part",
            "narrow window round / its disk part alone",
            |narrow, disk| narrow / disk,
        ),
    ];
    for ((key, what, ratio), pairs) in ratio_of.into_iter().zip(&k2_pairs) {
        let mut ratios: Vec<f64> = pairs.iter().map(|&(n, o)| ratio(n, o)).collect();
        let mut narrow_s: Vec<f64> = pairs.iter().map(|p| p.0).collect();
        let mut other_s: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        let (med, lo, hi) = spread(&mut ratios);
        let (narrow_med, other_med) = (median(&mut narrow_s), median(&mut other_s));
        println!(
            "paired K2: {what}, alternating, {} pairs: median {med:.2}x (min {lo:.2}, \
             max {hi:.2}); median rounds: narrow {:.1} ms, other {:.1} ms",
            ratios.len(),
            narrow_med * 1e3,
            other_med * 1e3
        );
        k2[key] = json!({"median": med, "min": lo, "max": hi, "ratios": ratios,
            "median_narrow_round_s": narrow_med, "median_other_round_s": other_med});
    }
    println!();
    println!("uncontended upsert, median per phase (single writer, outside criterion)");
    let mut phases = json!({});
    for entries in entry_counts() {
        let b = breakdown(entries, if quick() { 30 } else { 200 });
        let total: u64 = b[..CRITICAL].iter().map(|(_, ns)| ns).sum();
        let line: Vec<String> = b
            .iter()
            .map(|(p, ns)| format!("{p} {:.0}µs", *ns as f64 / 1e3))
            .collect();
        println!(
            "  entries={entries:<5} critical section {:.0}µs: {}",
            total as f64 / 1e3,
            line.join(", ")
        );
        phases[entries.to_string()] = json!(b.into_iter().collect::<BTreeMap<_, _>>());
    }
    let path = write_report(
        "lock_contention",
        &json!({
            "machine": machine_json(),
            "batch_per_writer": BATCH,
            "upserts": rows,
            "protocol_shape": k2,
            "upsert_phases_median_ns": phases,
            "paired_8_processes": paired,
        }),
    );
    println!("report: {}", path.display());
}

fn main() {
    if let Some(role) = worker_role() {
        worker_main(&role);
        return;
    }
    let shared = Shared {
        records: RefCell::new(Records::new()),
    };
    let mut c = Criterion::default().configure_from_args();
    bench_upserts(&mut c, &shared);
    bench_k2(&mut c, &shared);
    c.final_summary();
    summarize(&shared);
}
