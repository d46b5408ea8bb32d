//! Fuzz target: the lockfile's hand-written parsers (CONTRACT L3, L5, L8),
//! by the properties of `fuzz/properties.rs`. Run (see README):
//!
//! ```text
//! scripts/fuzz.sh 60          # seconds
//! ```
#![no_main]

#[path = "../properties.rs"]
mod properties;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    properties::check_lockfile_bytes(data);
});
