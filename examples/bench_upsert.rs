//! The `assetpin` twin of `scripts/peer_upsert.py`, for `benches/peer.sh`:
//! performs N lockfile upserts of distinct entries through
//! [`assetpin::lock::transact_upsert`] (sidecar `flock`, validating scan,
//! in-place upsert, atomic replace), the same read-modify-write an install
//! does after writing dest.
//!
//! ```text
//! bench_upsert --project DIR --prefix P [--count N] [--start-at EPOCH_SECS]
//! ```
//!
//! Entry names are `<prefix>-<i>` (i = 0..count-1) in section `skills`,
//! each with the full L2 field set of a two-file skill, the same shape
//! and size as the peer driver's entries. `--start-at` waits for that wall-clock time
//! before the first upsert, so processes started together contend from the
//! same instant. Prints one JSON object on stdout:
//! `{"project", "prefix", "count", "elapsed_s", "upserts_per_s"}`.

use assetpin::AssetType;
use assetpin::lock::lockfile::EntryWrite;
use assetpin::lock::{DiskStore, transact_upsert};
use assetpin::ops::project::Project;
use assetpin::{fs::digest::sha256_hex, lock::lockfile::timestamp::now_utc_micros};
use clap::Parser;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Drive assetpin's lockfile upsert N times (benchmark helper).
#[derive(Debug, Parser)]
struct Args {
    /// Project root (must exist)
    #[arg(long)]
    project: PathBuf,
    /// Entry name prefix
    #[arg(long)]
    prefix: String,
    /// Number of upserts
    #[arg(long, default_value_t = 100)]
    count: usize,
    /// Wall-clock epoch seconds to wait for before starting
    #[arg(long)]
    start_at: Option<f64>,
}

/// An entry of the same shape and size as the one the peer driver writes
/// for `name` (a 40-hex commit, the same two digests).
fn entry_write(name: &str) -> EntryWrite {
    let commit = sha256_hex(name.as_bytes())[..40].to_owned();
    let mut digests = BTreeMap::new();
    digests.insert(
        "SKILL.md".to_owned(),
        sha256_hex(format!("{name}:SKILL.md").as_bytes()),
    );
    digests.insert(
        "scripts/run.sh".to_owned(),
        sha256_hex(format!("{name}:run.sh").as_bytes()),
    );
    EntryWrite {
        wiki_commit: commit,
        installed_at: String::new(),
        files: digests.keys().cloned().collect(),
        digests: Some(digests),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let project = Project::open(&args.project)?;
    let dir = project.ensure_memtomem()?;
    let store = DiskStore::new(&dir);
    let mut writes: Vec<(String, EntryWrite)> = (0..args.count)
        .map(|i| {
            let name = format!("{}-{i}", args.prefix);
            let w = entry_write(&name);
            (name, w)
        })
        .collect();
    if let Some(at) = args.start_at {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs_f64();
        if at > now {
            std::thread::sleep(Duration::from_secs_f64(at - now));
        }
    }
    let t0 = Instant::now();
    for (name, write) in &mut writes {
        write.installed_at = now_utc_micros();
        transact_upsert(&store, AssetType::Skill, name, write, |_| Ok(true))?;
    }
    let elapsed = t0.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "project": args.project.display().to_string(),
            "prefix": args.prefix,
            "count": args.count,
            "elapsed_s": elapsed,
            "upserts_per_s": if elapsed > 0.0 { args.count as f64 / elapsed } else { 0.0 },
        })
    );
    Ok(())
}
