//! The install contract (docs/CONTRACT.md) checked through the real
//! `assetpin` binary, on real git wikis in temporary directories. Test
//! names carry the clause they check (`y2_...`, `l5_...`).

mod across;
mod adapters;
mod bounds;
mod edit;
mod errors;
mod explore;
mod hostile;
mod install;
mod lockfile;
mod matrix;
mod paths;
mod refusals;
mod report;
mod runner;
mod shipping;
mod wiki_objects;

use assetpin_test_support::*;
use std::process::Output;

/// Asserts `out` is a refusal of `kind`: exit 1 and a first stderr line
/// `error[<kind>]: ...` (E1, E2). Returns stderr as text.
#[track_caller]
pub fn assert_refused(out: &Output, kind: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let first = first_line(&out.stderr);
    assert!(
        first.starts_with(&format!("error[{kind}]: ")),
        "expected error[{kind}] as the first stderr line, got {first:?}\nstderr: {stderr}\nstdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(1), "exit code; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// Runs `assetpin args` and asserts it succeeds. Returns the output.
#[track_caller]
pub fn ok(project: &Project, wiki: &Wiki, args: &[&str]) -> Output {
    let out = assetpin(project, wiki).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "assetpin {args:?} failed ({:?}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `assetpin args`, asserts a refusal of `kind` and that neither the
/// project's directory (with its HOME and `outside/`) nor the wiki changed
/// by a byte (I5). Returns stderr.
#[track_caller]
pub fn refuses_unchanged(project: &Project, wiki: &Wiki, args: &[&str], kind: &str) -> String {
    let before = (snapshot(project.parent()), snapshot(wiki.path()));
    let out = assetpin(project, wiki).args(args).output().unwrap();
    let stderr = assert_refused(&out, kind);
    assert_same(&before.0, &snapshot(project.parent()), "project");
    assert_same(&before.1, &snapshot(wiki.path()), "wiki");
    stderr
}

/// A wiki holding skill `x` (a nested two-level tree with an executable),
/// agent `a` and command `c`.
pub fn sample_wiki() -> Wiki {
    let w = Wiki::new();
    w.file("skills/x/SKILL.md", "# x\n\nÜber-skill.\n")
        .file("skills/x/docs/guide.md", "guide\n")
        .file("skills/x/docs/deep/more.txt", "more\n")
        .exec_file("skills/x/run.sh", "#!/bin/sh\necho x\n")
        .file("agents/a/agent.md", "# agent a\n")
        .file("commands/c/command.md", "# command c\n")
        .skill("other");
    w.commit("sample assets");
    w
}
