//! The crash soak (ignored by default): at least 500 real runs killed by
//! SIGKILL at random moments, every invariant of `crash.rs` checked after
//! each, and the counts printed. Takes a few minutes on 2 cores:
//!
//! ```text
//! cargo test --release --test concurrency -- --ignored soak --nocapture
//! ```
//!
//! `ASSETPIN_SOAK_KILLS` sets the number of kills (default 500);
//! `ASSETPIN_CRASH_SEED` replays a run.

use crate::crash::{random_kills, seed};

/// I6, I7, L7, K1 under at least 500 random kills.
#[test]
#[ignore = "soak: cargo test --release --test concurrency -- --ignored soak --nocapture"]
fn soak_random_sigkills() {
    let kills = std::env::var("ASSETPIN_SOAK_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    let counts = random_kills(kills, seed());
    println!("soak: {}\n{}", counts.line(), counts.recovery_table());
    assert!(counts.kills >= kills);
}
