//! `assetpin` binary: see [`assetpin::cli`].

fn main() {
    let code = assetpin::cli::main_with_args(std::env::args_os().collect());
    std::process::exit(code);
}
