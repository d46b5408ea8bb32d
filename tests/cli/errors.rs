//! E1-E4: errors, exit codes, `--json`, and inputs that must never panic.

use super::{assert_refused, ok, sample_wiki};
use assetpin_test_support::*;
use serde_json::Value;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::process::Output;

/// Parses `stdout` as exactly one JSON object (E3).
#[track_caller]
fn one_object(stdout: &[u8]) -> serde_json::Map<String, Value> {
    let mut it = serde_json::Deserializer::from_slice(stdout).into_iter::<Value>();
    let first = it
        .next()
        .unwrap_or_else(|| panic!("no JSON on stdout"))
        .unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}",
                String::from_utf8_lossy(stdout)
            )
        });
    assert!(
        it.next().is_none(),
        "more than one JSON value: {}",
        String::from_utf8_lossy(stdout)
    );
    match first {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// E4: no panic, and an exit code of 1 or 2.
#[track_caller]
fn failed_cleanly(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert!(
        matches!(out.status.code(), Some(1 | 2)),
        "{what}: exit {:?}, stderr {stderr}",
        out.status
    );
}

/// E1: the first stderr line of each refusal kind an install can meet is
/// `error[<kind>]: ` followed by a message.
#[assetpin_test]
fn e1_first_stderr_line_is_error_kind() {
    let wiki = sample_wiki();
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "other"]);
    let cases: [(&[&str], &str); 3] = [
        (&["install", "skill", "a b"], "invalid-name"),
        (&["install", "skill", "zzz"], "asset-not-found"),
        (&["install", "skill", "other"], "already-installed"),
    ];
    for (args, kind) in cases {
        let out = assetpin(&project, &wiki).args(args).output().unwrap();
        assert_refused(&out, kind);
        let first = first_line(&out.stderr);
        let msg = first.strip_prefix(&format!("error[{kind}]: ")).unwrap();
        assert!(msg.len() > 10, "a real message: {first:?}");
    }
}

/// E2: 0 for success and `--help`, 1 for a refusal, 2 for usage errors.
#[assetpin_test]
fn e2_exit_codes() {
    let wiki = sample_wiki();
    let project = Project::new();
    let code = |args: &[&str]| {
        let out = assetpin(&project, &wiki).args(args).output().unwrap();
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
        out.status.code()
    };
    assert_eq!(code(&["install", "skill", "x"]), Some(0));
    assert_eq!(code(&["status"]), Some(0));
    assert_eq!(code(&["--help"]), Some(0));
    assert_eq!(code(&["install", "skill", "x"]), Some(1));
    assert_eq!(code(&["install", "skill", "nope"]), Some(1));
    for usage in [
        &["frobnicate"][..],
        &["install", "widget", "x"],
        &["install", "skills", "x"],
        &["install", "skill"],
        &["install"],
        &[],
        &["install", "skill", "x", "extra"],
        &["status", "--bogus"],
    ] {
        assert_eq!(code(usage), Some(2), "usage error: {usage:?}");
    }
}

/// E3: `--json` success is one object with status, pin and files.
#[assetpin_test]
fn e3_json_success_is_one_object() {
    let wiki = sample_wiki();
    let project = Project::new();
    let out = ok(&project, &wiki, &["--json", "install", "skill", "x"]);
    let v = one_object(&out.stdout);
    assert_eq!(v["status"], "installed");
    assert_eq!(v["type"], "skill");
    assert_eq!(v["name"], "x");
    assert_eq!(v["pin"], wiki.head().as_str());
    assert_eq!(v["files"].as_array().unwrap().len(), 4);
    // `bytes` is the files' total size as installed.
    let dest = std::path::Path::new(v["dest"].as_str().unwrap());
    let total: u64 = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            std::fs::metadata(dest.join(f.as_str().unwrap()))
                .unwrap()
                .len()
        })
        .sum();
    assert!(total > 1, "the sample asset's files hold more than a byte");
    assert_eq!(v["bytes"], total);

    // The flag may come after the verb too (global flag).
    let out = ok(&project, &wiki, &["install", "agent", "a", "--json"]);
    assert_eq!(one_object(&out.stdout)["status"], "installed");

    let out = ok(&project, &wiki, &["--json", "status"]);
    let v = one_object(&out.stdout);
    assert_eq!(v["assets"].as_array().unwrap().len(), 2);
}

/// E3: `--json` refusals are one object `{"status": "refused", "kind",
/// "message"}` on stdout, for every kind an install can meet.
#[assetpin_test]
fn e3_json_refusal_is_one_object() {
    let wiki = sample_wiki();
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "other"]);
    let corrupt = Project::new();
    corrupt.write_lockfile("nope");
    let missing = project.parent().join("missing");
    let cases: Vec<(assert_cmd::Command, &str)> = vec![
        (assetpin(&project, &wiki), "invalid-name"),
        (assetpin(&project, &wiki), "asset-not-found"),
        (assetpin(&project, &wiki), "already-installed"),
        (assetpin(&corrupt, &wiki), "lockfile-corrupt"),
        (
            assert_cmd::Command::from_std(assetpin_at(&project.home(), &missing, wiki.path())),
            "project-not-found",
        ),
        (
            assert_cmd::Command::from_std(assetpin_at(&project.home(), &project.path(), &missing)),
            "wiki-not-found",
        ),
    ];
    let names = ["..", "nope", "other", "x", "x", "x"];
    for ((mut cmd, kind), name) in cases.into_iter().zip(names) {
        let out = cmd
            .args(["--json", "install", "skill", name])
            .output()
            .unwrap();
        assert_refused(&out, kind);
        let v = one_object(&out.stdout);
        assert_eq!(v["status"], "refused", "{kind}");
        assert_eq!(v["kind"], kind);
        let msg = v["message"].as_str().unwrap();
        assert!(
            !msg.is_empty() && !msg.starts_with("error["),
            "{kind}: {msg}"
        );
    }
}

/// E4: a name that is not UTF-8 is refused without panic.
#[assetpin_test]
fn e4_non_utf8_name() {
    let wiki = sample_wiki();
    let project = Project::new();
    let before = snapshot(project.parent());
    let out = assetpin(&project, &wiki)
        .arg("install")
        .arg("skill")
        .arg(OsString::from_vec(b"x\xff\xfe".to_vec()))
        .output()
        .unwrap();
    failed_cleanly(&out, "non-UTF-8 name");
    assert_same(&before, &snapshot(project.parent()), "project");
}

/// E4: a very long name is `invalid-name` (a name with NUL cannot be
/// passed through argv at all, so it is not tested here).
#[assetpin_test]
fn e4_very_long_name() {
    let wiki = sample_wiki();
    let project = Project::new();
    let out = assetpin(&project, &wiki)
        .args(["install", "skill", &"n".repeat(100_000)])
        .output()
        .unwrap();
    assert_refused(&out, "invalid-name");
}

/// E4: a wiki path that is a regular file.
#[assetpin_test]
fn e4_wiki_is_a_file() {
    let project = Project::new();
    let file = project.parent().join("wiki-file");
    std::fs::write(&file, "not a repo").unwrap();
    let out = assetpin_at(&project.home(), &project.path(), &file)
        .args(["install", "skill", "x"])
        .output()
        .unwrap();
    failed_cleanly(&out, "wiki is a file");
    assert_refused(&out, "wiki-not-found");
}

/// E4: a lockfile that is a directory.
#[assetpin_test]
fn e4_lockfile_is_a_directory() {
    let wiki = sample_wiki();
    let project = Project::new();
    std::fs::create_dir_all(project.lockfile_path().join("inner")).unwrap();
    let before = snapshot(project.parent());
    for args in [&["install", "skill", "x"][..], &["status"]] {
        let out = assetpin(&project, &wiki).args(args).output().unwrap();
        failed_cleanly(&out, "lockfile is a directory");
        assert!(first_line(&out.stderr).starts_with("error["), "{args:?}");
    }
    assert_same(&before, &snapshot(project.parent()), "project");
}

/// E4: `.memtomem` that is a regular file.
#[assetpin_test]
fn e4_memtomem_is_a_file() {
    let wiki = sample_wiki();
    let project = Project::new();
    std::fs::write(project.memtomem(), "oops").unwrap();
    let before = snapshot(project.parent());
    for args in [&["install", "skill", "x"][..], &["status"]] {
        let out = assetpin(&project, &wiki).args(args).output().unwrap();
        failed_cleanly(&out, ".memtomem is a file");
        assert!(first_line(&out.stderr).starts_with("error["), "{args:?}");
    }
    assert_same(&before, &snapshot(project.parent()), "project");
}

/// E4: a regular file or a fifo at dest, and a section that is a file.
#[assetpin_test]
fn e4_odd_files_where_directories_belong() {
    let wiki = sample_wiki();
    let project = Project::new();
    std::fs::create_dir_all(project.memtomem().join("skills")).unwrap();
    std::fs::write(project.dest("skill", "x"), "file at dest").unwrap();
    std::fs::write(project.memtomem().join("agents"), "file at section").unwrap();
    let fifo = project.dest("skill", "other");
    mkfifo(&fifo);
    let before = snapshot(project.parent());
    for (ty, name) in [("skill", "x"), ("agent", "a"), ("skill", "other")] {
        let out = assetpin(&project, &wiki)
            .args(["install", ty, name])
            .output()
            .unwrap();
        failed_cleanly(&out, name);
        assert!(first_line(&out.stderr).starts_with("error["), "{name}");
    }
    assert_same(&before, &snapshot(project.parent()), "project");
}

/// E4: odd wikis: empty directory, no commits, asset path that is a file,
/// and no wiki configured at all (no `--wiki`, no `HOME`).
#[assetpin_test]
fn e4_odd_wikis() {
    let project = Project::new();
    let empty = project.parent().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = assetpin_at(&project.home(), &project.path(), &empty)
        .args(["install", "skill", "x"])
        .output()
        .unwrap();
    assert_refused(&out, "wiki-not-found");

    let wiki = Wiki::new();
    wiki.file("skills/x", "a file, not a directory");
    wiki.commit("odd");
    let out = assetpin(&project, &wiki)
        .args(["install", "skill", "x"])
        .output()
        .unwrap();
    assert_refused(&out, "asset-not-found");

    let out = assert_cmd::Command::new(bin())
        .env_remove("HOME")
        .env_remove("MEMTOMEM_WIKI_PATH")
        .current_dir(project.path())
        .args(["install", "skill", "x"])
        .output()
        .unwrap();
    assert_refused(&out, "wiki-not-found");
}

/// E4: a closed stdout (EPIPE) is a failure to report, not a panic.
#[assetpin_test]
fn e4_closed_stdout_is_not_a_panic() {
    let wiki = sample_wiki();
    let project = Project::new();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = assetpin_std(&project, &wiki)
        .args(["status"])
        .stdout(writer)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}

/// `assetpin args` run by `sh` under `ulimit -f <blocks>` (RLIMIT_FSIZE).
fn under_file_size_limit(project: &Project, wiki: &Wiki, blocks: u32, args: &[&str]) -> Output {
    assetpin_after_sh(project, wiki, &format!("ulimit -f {blocks}"))
        .args(args)
        .output()
        .unwrap()
}

/// E4: a write past RLIMIT_FSIZE (`ulimit -f`) is an `io` failure that
/// rolls back, as ENOSPC is, not a silent death by SIGXFSZ that leaves
/// dest without its entry and a temporary lockfile behind. Checked for a
/// first install and for an update that writes a larger file.
#[assetpin_test]
fn e4_a_file_size_limit_is_an_io_error_and_a_rollback() {
    let wiki = Wiki::new();
    let big = "x".repeat(4 << 20);
    wiki.file("skills/big/SKILL.md", &big).skill("small");
    wiki.commit("a 4 MiB skill");
    let project = Project::new();
    // 1024 blocks is 512 KiB or 1 MiB depending on the shell: below 4 MiB,
    // above everything else the verbs write.
    for args in [
        &["install", "skill", "big"][..],
        &["install", "skill", "big", "--json"],
    ] {
        let before = (snapshot(project.parent()), snapshot(wiki.path()));
        let out = under_file_size_limit(&project, &wiki, 1024, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {:?} {stderr}",
            out.status
        );
        if args.contains(&"--json") {
            let v = one_object(&out.stdout);
            assert_eq!(v["kind"], "io", "{v:?}");
        } else {
            assert!(
                first_line(&out.stderr).starts_with("error[io]: "),
                "{stderr}"
            );
        }
        rolled_back(&before.0, &snapshot(project.parent()));
        assert_same(&before.1, &snapshot(wiki.path()), "wiki");
    }
    // An update whose new bytes pass the limit leaves the installed
    // version as it was.
    ok(&project, &wiki, &["install", "skill", "small"]);
    wiki.file("skills/small/SKILL.md", &big);
    wiki.commit("small grows to 4 MiB");
    let before = snapshot(project.parent());
    let out = under_file_size_limit(&project, &wiki, 1024, &["update", "skill", "small"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{:?} {stderr}", out.status);
    assert!(
        first_line(&out.stderr).starts_with("error[io]: "),
        "{stderr}"
    );
    rolled_back(&before, &snapshot(project.parent()));
}

/// Asserts a failed write left the project as it was, but for what the
/// first write may create and K1 never removes: `.memtomem/`, the section
/// directory and the lock files (no dest, no entry, no temporary file).
#[track_caller]
fn rolled_back(before: &Snapshot, after: &Snapshot) {
    let diff = before.diff(after);
    for line in diff.lines() {
        let kept = line == "created project/.memtomem"
            || line == "created project/.memtomem/skills"
            || (line.starts_with("created project/.memtomem/") && line.ends_with(".lock"));
        assert!(kept, "not rolled back: {line}\n{diff}");
    }
}
