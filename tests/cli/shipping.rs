//! What ships beside the verbs: `--version` naming the commit, shell
//! completions and the man page, generated from the same clap definitions
//! as the parser (so they cannot drift from it).

use super::*;
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
const VERBS: [&str; 11] = [
    "install",
    "update",
    "adopt",
    "status",
    "remove",
    "edit",
    "projects",
    "conform",
    "report",
    "completions",
    "man",
];

/// `--version` is `assetpin <version> (<commit>)`, the commit being the
/// checkout's HEAD when the tests are built from one.
#[assetpin_test]
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
    // E3: with --json, one object naming the same build, before or after
    // the flag.
    for args in [["--version", "--json"], ["--json", "--version"]] {
        let v: serde_json::Value = serde_json::from_str(&stdout_ok(&args)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"status": "version", "name": "assetpin",
                "version": env!("CARGO_PKG_VERSION"), "commit": head}),
            "{args:?}"
        );
    }
}

/// `completions bash` is a script bash loads, and it completes a verb
/// from its first letters; every shell clap knows gets a script naming
/// every verb; an unknown shell is a usage error (exit 2) naming the
/// possible values.
#[assetpin_test]
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
/// version it documents; `man VERB` prints the page that SEE ALSO names,
/// with the verb's own options; an unknown verb is a usage error (exit 2)
/// listing the verbs.
#[assetpin_test]
fn man_page_lists_every_verb() {
    let page = stdout_ok(&["man"]);
    assert!(page.contains(".TH assetpin 1"), "{page}");
    assert!(page.contains(env!("CARGO_PKG_VERSION")), "{page}");
    for verb in VERBS {
        assert!(
            page.contains(&format!("assetpin\\-{verb}(1)")),
            "{verb}: {page}"
        );
        let own = stdout_ok(&["man", verb]);
        let title = format!(
            ".TH assetpin-{verb} 1  \"{verb} {}\"",
            env!("CARGO_PKG_VERSION")
        );
        assert!(own.contains(&title), "{verb}: {own}");
    }
    assert!(stdout_ok(&["man", "install"]).contains("\\-\\-all"));
    let out = run(&["man", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass one of install, update"));
}

/// The wheel's data (pyproject.toml's `data` directory, committed under
/// dist/wheel-data) is what this binary prints: the man page and the bash,
/// zsh and fish completions. A CLI change without
/// `scripts/build-wheel.sh --regen` fails here.
#[assetpin_test]
fn wheel_data_is_what_the_binary_prints() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let pyproject: toml::Table = std::fs::read_to_string(root.join("pyproject.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let data = pyproject["tool"]["maturin"]["data"].as_str().unwrap();
    let share = root.join(data).join("data/share");
    let mut shipped: Vec<(String, Vec<&str>)> = vec![
        ("man/man1/assetpin.1".into(), vec!["man"]),
        (
            "bash-completion/completions/assetpin".into(),
            vec!["completions", "bash"],
        ),
        (
            "zsh/site-functions/_assetpin".into(),
            vec!["completions", "zsh"],
        ),
        (
            "fish/vendor_completions.d/assetpin.fish".into(),
            vec!["completions", "fish"],
        ),
    ];
    for verb in VERBS {
        shipped.push((format!("man/man1/assetpin-{verb}.1"), vec!["man", verb]));
    }
    let mut pages: Vec<String> = std::fs::read_dir(share.join("man/man1"))
        .unwrap()
        .map(|e| format!("man/man1/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    pages.sort();
    let mut want: Vec<String> = shipped
        .iter()
        .map(|(f, _)| f.clone())
        .filter(|f| f.starts_with("man/"))
        .collect();
    want.sort();
    assert_eq!(
        pages, want,
        "the shipped man pages: run scripts/build-wheel.sh --regen"
    );
    for (file, args) in &shipped {
        let path = share.join(file);
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let printed = stdout_ok(args);
        assert!(
            on_disk == printed.as_bytes(),
            "{} differs from `assetpin {}`: run scripts/build-wheel.sh --regen",
            path.display(),
            args.join(" ")
        );
    }
}
