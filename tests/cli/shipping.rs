//! What ships beside the verbs: `--version` naming the commit, shell
//! completions and the man page, generated from the same clap definitions
//! as the parser (so they cannot drift from it).

use super::*;
use crate::Test;
use std::process::Command;

fn run(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().unwrap()
}

fn stdout_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "assetpin {args:?}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The verbs a user can type, as `--help` lists them.
const VERBS: [&str; 7] = [
    "install",
    "update",
    "adopt",
    "status",
    "conform",
    "completions",
    "man",
];

/// `--version` is `assetpin <version> (<commit>)`, the commit being the
/// checkout's HEAD when the tests are built from one.
fn version_names_the_commit() {
    let text = stdout_ok(&["--version"]);
    let head = Command::new("git")
        .args(["-C", env!("CARGO_MANIFEST_DIR"), "rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8(o.stdout).unwrap().trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let want = format!("assetpin {} ({head})\n", env!("CARGO_PKG_VERSION"));
    assert_eq!(text, want);
}

/// `completions bash` is a script bash loads, and it completes a verb
/// from its first letters; every shell clap knows gets a script naming
/// every verb; an unknown shell is a usage error (exit 2) naming the
/// possible values.
fn completions_complete_the_verbs() {
    let script = stdout_ok(&["completions", "bash"]);
    let out = Command::new("bash")
        .arg("-c")
        .arg(
            "eval \"$(cat)\"; COMP_WORDS=(assetpin ins); COMP_CWORD=1; \
             _assetpin assetpin ins assetpin; echo \"${COMPREPLY[*]}\"",
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(script.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "install",
        "{out:?}"
    );
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout_ok(&["completions", shell]);
        for verb in VERBS {
            assert!(script.contains(verb), "{shell} completions lack {verb}");
        }
    }
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("possible values: bash"));
}

/// `man` prints a roff page for section 1 that names every verb and the
/// version it documents.
fn man_page_lists_every_verb() {
    let page = stdout_ok(&["man"]);
    assert!(page.contains(".TH assetpin 1"), "{page}");
    assert!(page.contains(env!("CARGO_PKG_VERSION")), "{page}");
    for verb in VERBS {
        assert!(
            page.contains(&format!("assetpin\\-{verb}(1)")),
            "{verb}: {page}"
        );
    }
}

pub const TESTS: &[Test] = &[
    Test::plain("version_names_the_commit", version_names_the_commit),
    Test::plain(
        "completions_complete_the_verbs",
        completions_complete_the_verbs,
    ),
    Test::plain("man_page_lists_every_verb", man_page_lists_every_verb),
];
