//! K1, K5 with many real processes: 32 processes of 20 upserts each into
//! one lockfile, and 16 `assetpin` processes mixing installs of distinct
//! and of identical assets.
//!
//! Upsert workers are this test binary run again with `ASSETPIN_TEST_JOB`
//! set ([`worker`]): [`worker_entry`] then runs the job through the
//! library (`lock::transact_upsert`) instead of testing. No extra binary or CLI
//! verb is needed.

use assetpin::AssetType;
use assetpin::lock::lockfile::EntryWrite;
use assetpin::lock::lockfile::timestamp::now_utc_micros;
use assetpin::lock::{self, DiskStore, FlockGuard, SIDECAR_NAME};
use assetpin_test_support::race::{skill_names, wait_limited};
use assetpin_test_support::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The variable that makes this test binary a worker.
const JOB_ENV: &str = "ASSETPIN_TEST_JOB";

/// This test binary, run as a worker for `job` (fields separated by
/// tabs): `upsert <project> <prefix> <count>` upserts entries
/// `<prefix>-0..count` into the lockfile, one `transact_upsert` each; `hold
/// <project> <ready-file>` takes the sidecar and the per-asset lock of
/// skill `held`, creates the ready file and sleeps.
pub fn worker(job: &[&str]) -> Command {
    let mut c = Command::new(std::env::current_exe().expect("current exe"));
    c.args([
        "--exact",
        "upserts::worker_entry",
        "--nocapture",
        "--test-threads=1",
        "--quiet",
    ])
    .env(JOB_ENV, job.join("\t"))
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    c
}

/// The names of the entries a worker `upsert <project> <prefix> <count>`
/// writes, in order.
pub fn upsert_names(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}-{i}")).collect()
}

fn run_job(job: &str) {
    let fields: Vec<&str> = job.split('\t').collect();
    let project = assetpin::ops::project::Project::open(Path::new(fields[1])).expect("project");
    let memtomem = project.ensure_memtomem().expect(".memtomem");
    match fields[0] {
        "upsert" => {
            let count: usize = fields[3].parse().expect("count");
            for (i, name) in upsert_names(fields[2], count).iter().enumerate() {
                let write = EntryWrite {
                    wiki_commit: format!("{i:040x}"),
                    installed_at: now_utc_micros(),
                    files: vec!["SKILL.md".into()],
                    digests: None,
                };
                let store = DiskStore::new(&memtomem);
                lock::transact_upsert(&store, AssetType::Skill, name, &write, |_| Ok(true))
                    .expect("upsert");
            }
        }
        "hold" => {
            let _sidecar = FlockGuard::acquire(&memtomem, SIDECAR_NAME).expect("sidecar");
            let section = project.ensure_section(AssetType::Skill).expect("section");
            let _asset =
                FlockGuard::acquire(&section, &lock::asset_lock_name("held")).expect("lock");
            std::fs::write(fields[2], b"ready").expect("ready file");
            std::thread::sleep(Duration::from_secs(120));
        }
        other => panic!("unknown job {other:?}"),
    }
}

/// The entry point of [`worker`]. Run as a plain test, it runs the
/// upsert job in process as a baseline: 20 upserts leave 20 entries.
#[test]
fn worker_entry() {
    if let Ok(job) = std::env::var(JOB_ENV) {
        run_job(&job);
        return;
    }
    let project = Project::new();
    let path = project.path();
    run_job(&["upsert", path.to_str().unwrap(), "base", "20"].join("\t"));
    assert_eq!(skill_names(&project), upsert_names("base", 20));
}

/// K1, K5: 32 processes × 20 upserts of distinct entries into one
/// lockfile leave 640 entries, and no temporary file.
#[test]
fn k5_32_processes_x_20_upserts_leave_640_entries() {
    let project = Project::new();
    let path = project.path();
    let start = Instant::now();
    let children: Vec<Child> = (0..32)
        .map(|p| {
            worker(&["upsert", path.to_str().unwrap(), &format!("p{p}"), "20"])
                .spawn()
                .expect("spawn worker")
        })
        .collect();
    for (p, c) in children.into_iter().enumerate() {
        let out = wait_limited(c, Duration::from_secs(120), "upsert worker");
        assert!(
            out.status.success(),
            "worker p{p}: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let elapsed = start.elapsed();
    let mut got = skill_names(&project);
    got.sort();
    let mut want: Vec<String> = (0..32)
        .flat_map(|p| upsert_names(&format!("p{p}"), 20))
        .collect();
    want.sort();
    assert_eq!(got.len(), 640, "K5: lost updates");
    assert_eq!(got, want);
    let temps: Vec<String> = ls(&project.memtomem())
        .into_iter()
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(temps.is_empty(), "temporary files left: {temps:?}");
    eprintln!("32 processes x 20 upserts: 640 entries in {elapsed:.2?}");
}

/// K5, K6: 16 `assetpin` processes mixing distinct and identical assets.
#[test]
fn k5_k6_sixteen_processes_mixing_distinct_and_identical() {
    assetpin_test_support::race::mixed_race(None);
}

/// A process killed (SIGKILL) while holding the sidecar and a per-asset
/// lock never blocks the next one: the kernel drops a dead holder's
/// `flock` (K1, K3).
#[test]
fn k1_k3_killed_lock_holder_never_blocks() {
    let wiki = Wiki::with_skills(&["held"]);
    let project = Project::new();
    let ready = project.parent().join("ready");
    let mut holder = worker(&[
        "hold",
        project.path().to_str().unwrap(),
        ready.to_str().unwrap(),
    ])
    .spawn()
    .expect("spawn holder");
    let start = Instant::now();
    while !ready.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "holder never ready"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(holder.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill");
    let status = holder.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9)
    );
    let mut install = assetpin_std(&project, &wiki);
    install
        .args(["install", "skill", "held"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = wait_limited(
        install.spawn().unwrap(),
        Duration::from_secs(20),
        "install after a killed lock holder",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(skill_names(&project), ["held"]);
}
