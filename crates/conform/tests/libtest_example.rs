//! `cargo test -p assetpin-conform`: runs `examples/libtest.rs` (the
//! documented library use) against the reference binary on the `E1` error
//! cases. The binary is found at `$ASSETPIN_BIN`, else
//! `target/debug/assetpin` of this workspace (the harness does not depend
//! on the reference package); without it the trial is ignored, with a
//! note saying how to build it, never passed.

#[allow(dead_code)]
#[path = "../examples/libtest.rs"]
mod example;

use libtest_mimic::{Arguments, Trial};
use std::path::{Path, PathBuf};

fn main() {
    let args = Arguments::from_args();
    let exe = std::env::var_os("ASSETPIN_BIN").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/assetpin"),
        PathBuf::from,
    );
    let trials = if exe.is_file() {
        match example::trials("reference", &exe, |id| id.starts_with("e-errors/E1-")) {
            Ok(t) if !t.is_empty() => t,
            Ok(_) => vec![Trial::test("example::e1_cases", || {
                Err("no e-errors/E1- case in the embedded set".into())
            })],
            Err(e) => {
                let e = e.to_string();
                vec![Trial::test("example::loads", move || Err(e.into()))]
            }
        }
    } else {
        eprintln!(
            "note: example::against_the_reference is ignored: no assetpin binary at {}; \
             run `cargo build --bin assetpin` or set ASSETPIN_BIN",
            exe.display()
        );
        vec![Trial::test("example::against_the_reference", || Ok(())).with_ignored_flag(true)]
    };
    let conclusion = libtest_mimic::run(&args, trials);
    assetpin_conform::finish();
    conclusion.exit();
}
