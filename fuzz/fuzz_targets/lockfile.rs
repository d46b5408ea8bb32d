//! Fuzz target: the lockfile's hand-written parsers (CONTRACT L3, L5, L8),
//! by the properties of `assetpin_test_support::lockfile_oracle`. Run (see README):
//!
//! ```text
//! scripts/fuzz.sh 60          # seconds
//! ```
#![no_main]

use assetpin_test_support::lockfile_oracle as properties;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    properties::check_lockfile_bytes(data);
});
