//! The layout the README states, checked from the files: the reference's
//! modules import only downward (README, Layout), the conformance harness
//! depends on nothing of the reference, and the README's layout section
//! names every folder of the code.

use assetpin_test_support::{assetpin_test, repo_root};
use std::path::{Path, PathBuf};

/// The reference's top-level modules, lowest first (README, Layout;
/// `src/lib.rs`). `error` is used everywhere and is not in the order.
const LAYERS: [&str; 8] = [
    "asset", "fs", "lock", "wiki", "registry", "ops", "cli", "main",
];

/// The layer of a file under `src/`, by its top-level module; `None` for
/// `lib.rs` (the root only declares and re-exports) and `error.rs`.
fn layer_of(rel: &Path) -> Option<usize> {
    let first = rel.components().next()?.as_os_str().to_str()?;
    let module = first.strip_suffix(".rs").unwrap_or(first);
    LAYERS.iter().position(|l| *l == module)
}

/// Every `crate::<module>` a source text names outside comments, with its
/// line number.
fn crate_refs(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `crate::{a, b}` names several.
            if name.is_empty() && after.starts_with('{') {
                let inner = after[1..].split('}').next().unwrap_or("");
                for part in inner.split(',') {
                    let n: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !n.is_empty() {
                        out.push((i + 1, n));
                    }
                }
            } else if !name.is_empty() {
                out.push((i + 1, name));
            }
            rest = after;
        }
    }
    out
}

/// The upward imports of one file: `(line, module)` for each `crate::X`
/// whose layer is above the file's own.
fn upward(rel: &Path, text: &str) -> Vec<(usize, String)> {
    let Some(own) = layer_of(rel) else {
        return Vec::new();
    };
    crate_refs(text)
        .into_iter()
        .filter(|(_, m)| LAYERS.iter().position(|l| l == m).is_some_and(|l| l > own))
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[assetpin_test]
fn the_reference_imports_only_downward() {
    let src = repo_root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 40, "only {} files under src/", files.len());
    let mut found = Vec::new();
    let mut checked = 0;
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let text = std::fs::read_to_string(f).unwrap();
        checked += crate_refs(&text).len();
        for (line, m) in upward(rel, &text) {
            found.push(format!("src/{}:{line} uses crate::{m}", rel.display()));
        }
    }
    eprintln!(
        "layout: {checked} crate:: references in {} files",
        files.len()
    );
    assert!(
        checked > 100,
        "only {checked} crate:: references found: the scan is broken"
    );
    assert!(
        found.is_empty(),
        "upward imports (order, lowest first: {LAYERS:?}):\n{}",
        found.join("\n")
    );
}

/// The negative control: an upward import is found, a downward one and
/// one in a comment are not.
#[assetpin_test]
fn an_upward_import_is_caught() {
    let text = "use crate::fs::safedir;\n// crate::ops in a comment\n\
                use crate::{error::Error, ops::Context};\nlet x = crate::cli::run();\n";
    let found = upward(Path::new("lock/rmw.rs"), text);
    assert_eq!(found, [(3, "ops".to_owned()), (4, "cli".to_owned())]);
    assert!(upward(Path::new("ops/install.rs"), "use crate::lock::rmw;\n").is_empty());
    assert!(upward(Path::new("lib.rs"), "use crate::cli;\n").is_empty());
}

/// `assetpin-conform` is a black-box suite: no dependency of any kind on
/// the reference package (or on the test support, which depends on it),
/// and no source of it names the reference's crate.
#[assetpin_test]
fn the_harness_depends_on_nothing_of_the_reference() {
    let dir = repo_root().join("crates/conform");
    let manifest: toml::Table = std::fs::read_to_string(dir.join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let mut deps = Vec::new();
    for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(t) = manifest.get(key).and_then(|v| v.as_table()) {
            deps.extend(t.keys().cloned());
        }
    }
    assert!(deps.iter().any(|d| d == "assetpin-contract"), "{deps:?}");
    for d in &deps {
        assert!(
            !matches!(d.as_str(), "assetpin" | "assetpin-test-support"),
            "crates/conform depends on {d}"
        );
    }
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    assert!(
        files.len() > 10,
        "only {} files in crates/conform",
        files.len()
    );
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            assert!(
                !code.contains("assetpin::"),
                "{}:{} names the reference: {line}",
                f.display(),
                i + 1
            );
        }
    }
}

/// The README's layout section names every folder of the code (it drifted
/// twice before this test).
#[assetpin_test]
fn the_readme_layout_names_every_folder() {
    let root = repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let layout = readme
        .split("\n## Layout\n")
        .nth(1)
        .expect("README.md has a Layout section")
        .split("\n## ")
        .next()
        .unwrap();
    let mut missing = Vec::new();
    let mut dirs = 0;
    for top in ["src", "crates", "crates/conform/src", "tests", "benches"] {
        for e in std::fs::read_dir(root.join(top)).unwrap().flatten() {
            let p = e.path();
            let name = e.file_name().into_string().unwrap();
            if !p.is_dir() || name.starts_with('.') || name == "proptest-regressions" {
                continue;
            }
            dirs += 1;
            if !layout.contains(&format!("{name}/")) && !layout.contains(&format!("`{name}`")) {
                missing.push(format!("{top}/{name}"));
            }
        }
    }
    assert!(dirs > 15, "only {dirs} folders found");
    assert!(
        missing.is_empty(),
        "README's Layout does not name: {missing:?}"
    );
}
