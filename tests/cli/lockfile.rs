//! L1-L10: the lockfile, and K1/K3/K7: locks and readers.

use super::{assert_refused, ok, refuses_unchanged, sample_wiki};
use assetpin_test_support::race::{hold_lock, wait_for};
use assetpin_test_support::*;
use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;

/// L2: `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
fn is_micros_utc(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.into_iter().all(|i| b[i].is_ascii_digit());
    b.len() == 27
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..26)
        && b[26] == b'Z'
}

fn now() -> String {
    humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string()
}

/// L1, L2: the entry written by an install, field by field.
#[assetpin_test]
fn l1_l2_entry_fields() {
    let wiki = sample_wiki();
    let project = Project::new();
    let t0 = now();
    ok(&project, &wiki, &["install", "skill", "x"]);
    let t1 = now();

    let doc = project.lockfile_json();
    assert_eq!(doc["version"], json!(1), "L1 version");
    assert!(doc["skills"].is_object(), "L1 skills section: {doc}");
    let e = &doc["skills"]["x"];
    let keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "wiki_commit",
            "installed_at",
            "files",
            "files_commit",
            "digests",
            "digests_installed_at"
        ]
    );

    let pin = e["wiki_commit"].as_str().unwrap();
    assert_eq!(pin.len(), 40);
    assert!(
        pin.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "{pin}"
    );
    assert_eq!(pin, wiki.head(), "pin is the wiki HEAD");
    assert_eq!(e["files_commit"], e["wiki_commit"]);

    let at = e["installed_at"].as_str().unwrap();
    assert!(is_micros_utc(at), "installed_at format: {at}");
    assert!(
        t0.as_str() <= at && at <= t1.as_str(),
        "{t0} <= {at} <= {t1}"
    );
    assert_eq!(e["digests_installed_at"], e["installed_at"]);

    let files: Vec<&str> = e["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        ["SKILL.md", "docs/deep/more.txt", "docs/guide.md", "run.sh"]
    );
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted, "files sorted");

    let digests = e["digests"].as_object().unwrap();
    assert_eq!(digests.len(), files.len());
    for f in &files {
        let committed = wiki.committed(&format!("skills/x/{f}"));
        assert_eq!(digests[*f], sha256(&committed), "digest of {f}");
        assert_eq!(
            std::fs::read(project.dest("skill", "x").join(f)).unwrap(),
            committed,
            "dest bytes of {f}"
        );
    }
}

/// L1: each type goes to its own section; sections are objects.
#[assetpin_test]
fn l1_sections_per_type() {
    let wiki = sample_wiki();
    let project = Project::new();
    ok(&project, &wiki, &["install", "agent", "a"]);
    ok(&project, &wiki, &["install", "command", "c"]);
    ok(&project, &wiki, &["install", "skill", "x"]);
    let doc = project.lockfile_json();
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["version", "agents", "commands", "skills"]);
    assert_eq!(doc["agents"]["a"]["files"], json!(["agent.md"]));
    assert_eq!(doc["commands"]["c"]["files"], json!(["command.md"]));
    assert!(project.dest("agent", "a").join("agent.md").is_file());
    assert!(project.dest("command", "c").join("command.md").is_file());
}

/// A lockfile with unknown keys everywhere, entries of other assets with
/// broken pairings (L9), non-ASCII and exact numbers.
const RICH_LOCKFILE: &str = r#"{
  "x_first": {"keep": [1, 2.5, "ü"]},
  "version": 1,
  "skills": {
    "old": {
      "custom": "first",
      "wiki_commit": "0123456789abcdef0123456789abcdef01234567",
      "installed_at": "2020-01-01T00:00:00.000000Z",
      "files": ["../escape", "/abs", "a\\b"],
      "files_commit": "ffffffffffffffffffffffffffffffffffffffff",
      "digests": {"SKILL.md": "NOT-HEX"},
      "digests_installed_at": "1999-01-01T00:00:00.000000Z",
      "big": 12345678901234567890123
    },
    "note": "not an entry",
    "junk": [1, {"a": null}]
  },
  "agents": {},
  "y_last": null
}"#;

/// L3 (and L9): unknown keys at the top level, in sections and in other
/// entries keep their values and order; the new entry is appended to its
/// section, a new section to the document.
#[assetpin_test]
fn l3_unknown_keys_survive_and_new_keys_are_appended() {
    let wiki = sample_wiki();
    let project = Project::new();
    project.write_lockfile(RICH_LOCKFILE);
    let before: Value = serde_json::from_str(RICH_LOCKFILE).unwrap();

    ok(&project, &wiki, &["install", "skill", "x"]);
    ok(&project, &wiki, &["install", "command", "c"]);

    let mut after = project.lockfile_json();
    let top: Vec<&str> = after
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        top,
        [
            "x_first", "version", "skills", "agents", "y_last", "commands"
        ]
    );
    let skills: Vec<&str> = after["skills"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(skills, ["old", "note", "junk", "x"]);

    // Take the new parts out: what remains is the old document, in order.
    after["skills"].as_object_mut().unwrap().shift_remove("x");
    after.as_object_mut().unwrap().shift_remove("commands");
    assert_eq!(
        serde_json::to_string(&after).unwrap(),
        serde_json::to_string(&before).unwrap()
    );
    // Exact spelling of values (not just equal numbers).
    let text = String::from_utf8(project.lockfile()).unwrap();
    assert!(text.contains("\"big\": 12345678901234567890123"), "{text}");
}

/// L4: a missing lockfile is an empty document; the first write creates
/// it and `.memtomem/`. Also when `.memtomem/` exists without a lockfile.
#[assetpin_test]
fn l4_missing_lockfile_is_created() {
    let wiki = sample_wiki();
    let project = Project::new();
    assert!(!project.memtomem().exists());
    ok(&project, &wiki, &["install", "skill", "x"]);
    let doc = project.lockfile_json();
    assert_eq!(doc.as_object().unwrap().len(), 2, "{doc}");
    assert_eq!(doc["version"], json!(1));

    let project = Project::new();
    std::fs::create_dir_all(project.memtomem().join("skills")).unwrap();
    ok(&project, &wiki, &["install", "skill", "x"]);
    assert_eq!(
        project.lockfile_json()["skills"]["x"]["wiki_commit"],
        wiki.head().as_str()
    );
}

/// L5: a lockfile that is not a JSON object is `lockfile-corrupt`, and
/// stays byte-for-byte as it was (as does everything else).
#[assetpin_test]
fn l5_corrupt_lockfile_is_refused_and_untouched() {
    let wiki = sample_wiki();
    let cases: [(&str, &[u8]); 8] = [
        ("invalid JSON", b"{\"version\": 1,"),
        ("JSON array", b"[{\"version\": 1}]"),
        ("invalid UTF-8", b"{\"version\": 1, \"x\": \"\xff\xfe\"}"),
        ("a string", b"\"version\""),
        ("a number", b"1"),
        ("empty file", b""),
        ("skills not an object", b"{\"version\": 1, \"skills\": []}"),
        ("trailing garbage", b"{\"version\": 1} {}"),
    ];
    for (what, bytes) in cases {
        let project = Project::new();
        project.write_lockfile(bytes);
        let stderr = refuses_unchanged(
            &project,
            &wiki,
            &["install", "skill", "x"],
            "lockfile-corrupt",
        );
        assert!(
            stderr.contains("lock.json"),
            "{what}: message names the file: {stderr}"
        );
        assert_eq!(project.lockfile(), bytes, "{what}");
        assert!(!project.dest("skill", "x").exists(), "{what}");
    }
}

/// L6: a version other than 1 is `lockfile-version` for install, and
/// `status --json` reports the version found.
#[assetpin_test]
fn l6_other_version_is_refused_and_reported() {
    let wiki = sample_wiki();
    for version in ["2", "0", "\"1\"", "null"] {
        let project = Project::new();
        let text = format!("{{\"version\": {version}, \"skills\": {{}}}}");
        project.write_lockfile(&text);
        refuses_unchanged(
            &project,
            &wiki,
            &["install", "skill", "x"],
            "lockfile-version",
        );
        assert_eq!(project.lockfile(), text.as_bytes());
    }
    let project = Project::new();
    project.write_lockfile("{\"version\": 2, \"skills\": {}}");
    let out = assetpin(&project, &wiki)
        .args(["--json", "status"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "status --json: {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(v["lockfile_version"], json!(2), "{v}");
}

/// L7: the lockfile is 0600 whatever the umask, also when it replaces a
/// 0644 file, and no temporary file is left in `.memtomem`.
#[assetpin_test]
fn l7_lockfile_mode_0600_and_no_temp_files() {
    let wiki = sample_wiki();
    for mask in ["000", "077", "022"] {
        let project = Project::new();
        assetpin_umask(&project, &wiki, mask)
            .args(["install", "skill", "x"])
            .assert()
            .success();
        assert_eq!(mode(&project.lockfile_path()), 0o600, "umask {mask}");
        assetpin_umask(&project, &wiki, mask)
            .args(["install", "agent", "a"])
            .assert()
            .success();
        assert_eq!(
            mode(&project.lockfile_path()),
            0o600,
            "umask {mask}, replaced"
        );
        assert_eq!(
            ls(&project.memtomem()),
            [".lock.json.lock", "agents", "lock.json", "skills"],
            "umask {mask}"
        );
    }
    let project = Project::new();
    project.write_lockfile("{\"version\": 1}");
    std::fs::set_permissions(
        project.lockfile_path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    ok(&project, &wiki, &["install", "skill", "x"]);
    assert_eq!(mode(&project.lockfile_path()), 0o600);
}

fn python_dumps(path: &std::path::Path) -> Vec<u8> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json,sys; d=json.load(open(sys.argv[1], encoding='utf-8')); \
             sys.stdout.buffer.write(json.dumps(d, indent=2, ensure_ascii=False).encode('utf-8'))",
        ])
        .arg(path)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// L8: 2-space indent, raw UTF-8 (also for a value that was `\u`-escaped
/// in the file), no trailing newline; the bytes equal Python's
/// `json.dumps(indent=2, ensure_ascii=False)` of the same document.
#[assetpin_test]
fn l8_serialization_matches_python() {
    let wiki = sample_wiki();
    let project = Project::new();
    project.write_lockfile(
        "{\"version\":1,\"note\":\"caf\\u00e9 – ü \\ud83d\\ude00\",\"ctl\":\"a\\tb\\u0001\\\"\",\"n\":[1.0,-0.0,0.1,2.5,12345678901234567890123,-7],\"e\":[],\"o\":{}}",
    );
    ok(&project, &wiki, &["install", "skill", "x"]);
    let bytes = project.lockfile();
    let text = String::from_utf8(bytes.clone()).expect("UTF-8");
    assert!(
        text.starts_with("{\n  \"version\": 1,\n  \"note\": "),
        "{text}"
    );
    assert!(
        text.contains("\"note\": \"café – ü 😀\""),
        "raw UTF-8: {text}"
    );
    assert!(!text.ends_with('\n'), "no trailing newline");
    assert!(text.ends_with("\n}"));
    assert_eq!(
        String::from_utf8(python_dumps(&project.lockfile_path())).unwrap(),
        text
    );
}

/// L8: floats are spelled as Python spells them (`1e-07`, `100000.0`,
/// `1e+20`), so a document holding them serializes to the peer's bytes.
#[assetpin_test]
fn l8_float_spelling_matches_python() {
    let wiki = sample_wiki();
    let project = Project::new();
    project.write_lockfile("{\"version\":1,\"n\":[1E5,1e-7,100000000000000000000.0,1.5e300]}");
    ok(&project, &wiki, &["install", "skill", "x"]);
    assert_eq!(
        String::from_utf8(python_dumps(&project.lockfile_path())).unwrap(),
        String::from_utf8(project.lockfile()).unwrap()
    );
}

/// K1, K3: the sidecar lock and the per-asset lock exist after an
/// install, empty, mode 0600 whatever the umask.
#[assetpin_test]
fn k1_k3_lock_files_exist_with_mode_0600() {
    let wiki = sample_wiki();
    for mask in ["000", "077"] {
        let project = Project::new();
        assetpin_umask(&project, &wiki, mask)
            .args(["install", "skill", "x"])
            .assert()
            .success();
        for lock in [
            project.memtomem().join(".lock.json.lock"),
            project.memtomem().join("skills/.x.lock"),
        ] {
            assert!(lock.is_file(), "{}", lock.display());
            assert_eq!(mode(&lock), 0o600, "umask {mask}: {}", lock.display());
        }
    }
}

/// K1, K2, I7: an install blocks on the sidecar lock before it touches
/// the lockfile; by then dest is already whole (asset bytes are written
/// outside the lock, and the entry only after dest is in place).
#[assetpin_test]
fn k1_i7_install_waits_for_the_sidecar_lock_with_dest_in_place() {
    let wiki = sample_wiki();
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "other"]);
    let before = project.lockfile();
    let guard = hold_lock(&project.memtomem().join(".lock.json.lock"));

    let mut child = assetpin_std(&project, &wiki)
        .args(["install", "skill", "x"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let dest = project.dest("skill", "x");
    assert!(
        wait_for(20, || dest.join("run.sh").exists()),
        "dest appears while the sidecar lock is held (K2)"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "install waits for the sidecar lock (K1)"
    );
    assert_eq!(
        project.lockfile(),
        before,
        "no entry while the lock is held"
    );
    // I7: dest is complete before the entry exists.
    let committed = ["SKILL.md", "docs/deep/more.txt", "docs/guide.md", "run.sh"];
    for f in committed {
        assert_eq!(
            std::fs::read(dest.join(f)).unwrap(),
            wiki.committed(&format!("skills/x/{f}"))
        );
    }
    drop(guard);
    assert!(child.wait().unwrap().success());
    assert_eq!(
        project.entry("skill", "x")["wiki_commit"],
        wiki.head().as_str()
    );
    assert_eq!(
        project.entry("skill", "other")["wiki_commit"],
        wiki.head().as_str()
    );
}

/// K3: an install blocks on the per-asset lock before it writes dest.
#[assetpin_test]
fn k3_install_waits_for_the_asset_lock() {
    let wiki = sample_wiki();
    let project = Project::new();
    let guard = hold_lock(&project.memtomem().join("skills/.x.lock"));
    let mut child = assetpin_std(&project, &wiki)
        .args(["install", "skill", "x"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "install waits for the asset lock"
    );
    assert_eq!(
        ls(&project.memtomem().join("skills")),
        [".x.lock"],
        "nothing staged yet"
    );
    drop(guard);
    assert!(child.wait().unwrap().success());
    assert!(project.dest("skill", "x").join("SKILL.md").is_file());
}

/// I7 / I5: when the lockfile turns corrupt while the install waits for
/// the sidecar lock, the install fails with `lockfile-corrupt`, leaves
/// the corrupt bytes alone and takes dest back out.
#[assetpin_test]
fn i7_failed_entry_write_takes_dest_back_out() {
    let wiki = sample_wiki();
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "other"]);
    let guard = hold_lock(&project.memtomem().join(".lock.json.lock"));
    let child = assetpin_std(&project, &wiki)
        .args(["install", "skill", "x"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let dest = project.dest("skill", "x");
    assert!(wait_for(20, || dest.join("run.sh").exists()));
    std::fs::write(project.lockfile_path(), "[corrupt]").unwrap();
    drop(guard);
    let out = child.wait_with_output().unwrap();
    assert_refused(&out, "lockfile-corrupt");
    assert_eq!(project.lockfile(), b"[corrupt]");
    assert!(!dest.exists(), "dest taken back out");
}

/// K7: `status` on a fresh project creates nothing.
#[assetpin_test]
fn k7_status_on_fresh_project_creates_nothing() {
    let wiki = sample_wiki();
    let project = Project::new();
    let before = snapshot(project.parent());
    for args in [&["status"][..], &["--json", "status"]] {
        assetpin(&project, &wiki).args(args).assert().success();
    }
    assert_same(&before, &snapshot(project.parent()), "project");
    assert!(!project.memtomem().exists());
}

/// K7: `status` on an installed project changes nothing, even with the
/// lock files gone, and does not wait for a held sidecar lock.
#[assetpin_test]
fn k7_status_on_installed_project_changes_nothing_and_takes_no_lock() {
    let wiki = sample_wiki();
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "x"]);
    ok(&project, &wiki, &["install", "agent", "a"]);
    std::fs::remove_file(project.memtomem().join("skills/.x.lock")).unwrap();
    let before = snapshot(project.parent());
    let _guard = hold_lock(&project.memtomem().join(".lock.json.lock"));
    let mut child = assetpin_std(&project, &wiki)
        .args(["--json", "status"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert!(
        wait_for(20, || child.try_wait().unwrap().is_some()),
        "status finishes while the sidecar lock is held"
    );
    assert!(child.wait().unwrap().success());
    assetpin(&project, &wiki).arg("status").assert().success();
    assert_same(&before, &snapshot(project.parent()), "project");
}

/// L9: entries of other assets with broken manifests and digests never
/// crash an install or a status, and are kept as they were (L3).
#[assetpin_test]
fn l9_broken_entries_of_other_assets_do_not_crash() {
    let wiki = sample_wiki();
    let project = Project::new();
    project.write_lockfile(RICH_LOCKFILE);
    std::fs::create_dir_all(project.dest("skill", "old")).unwrap();
    assetpin(&project, &wiki).arg("status").assert().success();
    ok(&project, &wiki, &["install", "skill", "x"]);
    let out = assetpin(&project, &wiki)
        .args(["--json", "status"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"old") && names.contains(&"x"), "{v}");
    let before: Value = serde_json::from_str(RICH_LOCKFILE).unwrap();
    assert_eq!(
        project.lockfile_json()["skills"]["old"],
        before["skills"]["old"]
    );
}

/// L10: an install supplies digests, so it writes `digests` and
/// `digests_installed_at` together (never one without the other).
#[assetpin_test]
fn l10_install_writes_digests_with_their_timestamp() {
    let wiki = sample_wiki();
    let project = Project::new();
    ok(&project, &wiki, &["install", "command", "c"]);
    let e = project.entry("command", "c");
    assert_eq!(
        e["digests"],
        json!({"command.md": sha256(b"# command c\n")})
    );
    assert_eq!(e["digests_installed_at"], e["installed_at"]);
}

/// L5 for a refusal that happens before any read: a corrupt lockfile is
/// reported by `status` too (T2), without change.
#[assetpin_test]
fn l5_status_reports_corrupt_lockfile() {
    let wiki = sample_wiki();
    let project = Project::new();
    project.write_lockfile("{not json");
    let before = snapshot(project.parent());
    let out = assetpin(&project, &wiki).arg("status").output().unwrap();
    assert_refused(&out, "lockfile-corrupt");
    assert_same(&before, &snapshot(project.parent()), "project");
}

/// L3, L5: an unknown key is the peer's to keep, however deep it nests:
/// the peer's `json.loads` follows about 990 levels, so the reference
/// reads and keeps a 200- and a 900-level one (serde_json's default stops
/// at 128), and refuses one level past its bound as `lockfile-corrupt`,
/// unchanged.
#[assetpin_test]
fn l3_a_deeply_nested_unknown_key_is_kept() {
    let wiki = sample_wiki();
    for depth in [200, assetpin::lock::lockfile::MAX_NESTING - 1] {
        let project = Project::new();
        let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        project.write_lockfile(format!(
            "{{\"version\": 1, \"skills\": {{}}, \"zz_peer\": {deep}}}"
        ));
        ok(&project, &wiki, &["install", "skill", "x"]);
        // Parsed on a thread with room for the recursion (a test thread
        // has 2 MiB).
        let (levels, entry) = std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(64 << 20)
                .spawn_scoped(s, || {
                    let doc = project.lockfile_json();
                    let mut v = &doc["zz_peer"];
                    let mut levels = 0;
                    while let Some(inner) = v.as_array() {
                        levels += 1;
                        match inner.first() {
                            Some(next) => v = next,
                            None => break,
                        }
                    }
                    (levels, doc["skills"]["x"].is_object())
                })
                .unwrap()
                .join()
                .unwrap()
        });
        assert_eq!(levels, depth);
        assert!(entry);
    }
    let project = Project::new();
    let depth = assetpin::lock::lockfile::MAX_NESTING;
    project.write_lockfile(format!(
        "{{\"version\": 1, \"zz_peer\": {}{}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    ));
    let err = refuses_unchanged(
        &project,
        &wiki,
        &["install", "skill", "x"],
        "lockfile-corrupt",
    );
    assert!(err.contains("levels deep"), "{err}");
}

/// K1, E4: a writer that waits for a lock says so on stderr after a
/// second, naming the lock (a holder that was stopped, not killed, holds
/// it until it continues), then goes on when the lock is free; with
/// `--lock-timeout` it gives up as `io`, naming the lock and the remedy,
/// having written nothing.
#[assetpin_test]
fn k1_a_waiting_writer_says_what_it_waits_for_and_can_give_up() {
    let wiki = sample_wiki();
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "other"]);
    let sidecar = project.memtomem().join(".lock.json.lock");
    let held = hold_lock(&sidecar);
    let start = std::time::Instant::now();
    let out = assetpin(&project, &wiki)
        .args(["--lock-timeout", "0.3", "install", "skill", "x"])
        .output()
        .unwrap();
    let waited = start.elapsed();
    let stderr = assert_refused(&out, "io");
    assert!(
        stderr.contains(".lock.json.lock") && stderr.contains("--lock-timeout"),
        "{stderr}"
    );
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    // The per-asset lock and the staging may exist; dest and entry do not.
    assert!(!project.dest("skill", "x").exists());
    assert!(project.entry("skill", "x").is_null());
    // Without a limit: the note after a second, then the install when the
    // lock is released.
    let child = assetpin_std(&project, &wiki)
        .args(["install", "skill", "x"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1600));
    drop(held);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("note: waiting for the lock") && stderr.contains(".lock.json.lock"),
        "{stderr}"
    );
    assert!(project.dest("skill", "x").is_dir());
    // A limit that is not a duration is a usage error naming the forms.
    let out = assetpin(&project, &wiki)
        .args(["--lock-timeout", "soon", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("500ms"));
}
