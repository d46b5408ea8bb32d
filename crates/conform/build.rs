//! Rebuilds when the embedded conformance data changes: `include_dir!`
//! cannot tell cargo about files added to the case directory.
fn main() {
    println!("cargo:rerun-if-changed=cases");
    println!("cargo:rerun-if-changed=adapters");
}
