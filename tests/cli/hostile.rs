//! Hostile and unlucky inputs that once broke the reference: each test
//! failed before its fix (docs/CONTRACT.md sharpenings Y1, L3/L8, E3).

use super::{assert_refused, ok, refuses_unchanged, sample_wiki};
use assetpin_test_support::*;
use serde_json::Value;

/// Y2, K3: a per-asset lock hard-linked to a file outside the project is
/// refused before it is opened, like one that is a link or a directory
/// (locking it would also create nothing, but a later writer that trusts
/// the name would write through it).
#[assetpin_test]
fn y2_a_hard_linked_asset_lock_is_refused() {
    let wiki = sample_wiki();
    let project = Project::new();
    let section = project.path().join(".memtomem/skills");
    std::fs::create_dir_all(&section).unwrap();
    let outside = project.parent().join("outside.txt");
    std::fs::write(&outside, "keep\n").unwrap();
    std::fs::hard_link(&outside, section.join(".x.lock")).unwrap();
    let stderr = refuses_unchanged(&project, &wiki, &["install", "skill", "x"], "unsafe-path");
    assert!(stderr.contains(".x.lock"), "{stderr}");
}

/// I4: each one-sided state's refusal names a remedy that the tool then
/// accepts: entry without dest -> `install --all`; dest without entry ->
/// move it away and install again.
#[assetpin_test]
fn i4_already_installed_remedies_are_accepted() {
    let wiki = sample_wiki();
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "x"]);
    std::fs::remove_dir_all(project.dest("skill", "x")).unwrap();
    let out = assetpin(&project, &wiki)
        .args(["install", "skill", "x"])
        .output()
        .unwrap();
    let stderr = assert_refused(&out, "already-installed");
    assert!(stderr.contains("lockfile_entry=yes, dest=no"), "{stderr}");
    assert!(stderr.contains("`assetpin install --all`"), "{stderr}");
    ok(&project, &wiki, &["install", "--all"]);
    assert!(project.dest("skill", "x").join("SKILL.md").is_file());

    std::fs::create_dir_all(project.dest("skill", "other")).unwrap();
    let out = assetpin(&project, &wiki)
        .args(["install", "skill", "other"])
        .output()
        .unwrap();
    let stderr = assert_refused(&out, "already-installed");
    assert!(stderr.contains("lockfile_entry=no, dest=yes"), "{stderr}");
    assert!(stderr.contains("`assetpin adopt skill other`"), "{stderr}");
    assert!(
        stderr.contains("move it aside and install again"),
        "{stderr}"
    );
    // An empty dest is not the asset: adopt refuses it, reporting the
    // files only at HEAD; moved aside, install takes it.
    let out = assetpin(&project, &wiki)
        .args(["adopt", "skill", "other"])
        .output()
        .unwrap();
    let stderr = assert_refused(&out, "dirty");
    assert!(stderr.contains("only at HEAD: SKILL.md"), "{stderr}");
    std::fs::remove_dir_all(project.dest("skill", "other")).unwrap();
    ok(&project, &wiki, &["install", "skill", "other"]);
    // An install killed after placing dest, before its entry: adopt.
    let doc = project.lockfile_json();
    let mut doc = doc.clone();
    doc["skills"].as_object_mut().unwrap().remove("other");
    project.write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
    ok(&project, &wiki, &["adopt", "skill", "other"]);
    assert_eq!(
        project.entry("skill", "other")["wiki_commit"],
        wiki.head().as_str()
    );
    let out = ok(&project, &wiki, &["status", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["assets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["state"] == "ok"),
        "{v}"
    );
}

/// T3, U7: an mtime after 2262 does not fit an i64 of nanoseconds;
/// `status --json` prints it exactly and `--expect-mtime-ns` with that
/// value matches.
#[assetpin_test]
fn t3_u7_mtime_after_2262_is_exact() {
    let wiki = sample_wiki();
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "other"]);
    let file = project.dest("skill", "other").join("SKILL.md");
    let out = std::process::Command::new("touch")
        .args(["-d", "2300-01-02T03:04:05.123456789Z"])
        .arg(&file)
        .status()
        .unwrap();
    assert!(out.success());
    let out = ok(&project, &wiki, &["status", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mtime = v["assets"][0]["mtime_ns"].to_string();
    let on_disk = std::fs::metadata(&file)
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    assert!(on_disk > i64::MAX as u128, "{on_disk}");
    assert_eq!(mtime, on_disk.to_string(), "{v}");
    let out = ok(
        &project,
        &wiki,
        &["update", "skill", "other", "--expect-mtime-ns", &mtime],
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("up to date"),
        "{out:?}"
    );
}

/// T1: entry names and pins in a lockfile are untrusted: a newline or an
/// ESC in them is escaped in human output, so they cannot forge rows or
/// drive the terminal.
#[assetpin_test]
fn t1_control_characters_in_entries_are_escaped() {
    let wiki = sample_wiki();
    let project = Project::new();
    project.write_lockfile(
        "{\"version\": 1, \"skills\": {\
         \"evil\\nskill    forged                           ok         0123456789ab\": {\"wiki_commit\": \"x\"},\
         \"\\u001b[31mred\": {\"wiki_commit\": \"\\u001b[2J\"}}}",
    );
    for args in [&["status"][..], &["install", "--all"][..]] {
        let out = assetpin(&project, &wiki).args(args).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            !stdout.contains('\u{1b}'),
            "{args:?}: raw ESC in {stdout:?}"
        );
        assert!(
            !stdout.lines().any(|l| l.starts_with("skill    forged")),
            "{args:?}: forged row in {stdout:?}"
        );
        assert!(stdout.contains("evil\\nskill"), "{args:?}: {stdout:?}");
    }
}

/// E3: `--json` on a usage error still prints one JSON object on stdout
/// (exit 2, E2).
#[assetpin_test]
fn e3_json_on_usage_errors() {
    let wiki = sample_wiki();
    let project = Project::new();
    for args in [
        &["--json", "install"][..],
        &["install", "--bogus", "--json"][..],
        &["--json", "update", "skill"][..],
    ] {
        let out = assetpin(&project, &wiki).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e}): {out:?}"));
        assert_eq!(v["status"], "usage", "{args:?}: {v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    }
}

/// L3, L8: an unknown number beyond a double's range is written back as
/// its own text, never as the bare token `Infinity`, so every verb still
/// reads the lockfile afterwards, and so does Python's `json`.
#[assetpin_test]
fn l8_huge_numbers_stay_json() {
    let wiki = sample_wiki();
    let project = Project::new();
    project.write_lockfile("{\"version\": 1, \"x\": {\"big\": 1e999, \"neg\": -1e999}}");
    ok(&project, &wiki, &["install", "skill", "x"]);
    let text = String::from_utf8(project.lockfile()).unwrap();
    assert!(!text.contains("Infinity"), "{text}");
    assert!(text.contains("\"big\": 1e+999"), "{text}");
    ok(&project, &wiki, &["install", "skill", "other"]);
    ok(&project, &wiki, &["status"]);
    let py = std::process::Command::new("python3")
        .args(["-c", "import json,sys; json.load(open(sys.argv[1]))"])
        .arg(project.lockfile_path())
        .status()
        .unwrap();
    assert!(py.success());
}

/// Y1, K3: `.a.lock` is the per-asset lock of `a`, so it is no asset name.
#[assetpin_test]
fn y1_lock_file_names_are_invalid() {
    let wiki = Wiki::new();
    wiki.skill("a").skill(".a.lock");
    wiki.commit("look-alike");
    let project = Project::new();
    let out = assetpin(&project, &wiki)
        .args(["install", "skill", ".a.lock"])
        .output()
        .unwrap();
    assert_refused(&out, "invalid-name");
    ok(&project, &wiki, &["install", "skill", "a"]);
}

/// E4: `conform --list` and the report into a closed pipe (`| head`)
/// end quietly instead of panicking on the failed write.
#[assetpin_test]
fn e4_conform_output_into_a_closed_pipe_does_not_panic() {
    for args in [
        &["conform", "--list"][..],
        &["conform", "--filter", "Y1-dot"][..],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(bin())
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
    }
}

/// I1: a committed file whose name is not UTF-8 is never dropped
/// silently: install refuses naming it (escaped) and writes nothing.
#[assetpin_test]
fn i1_a_committed_name_that_is_not_utf8_is_refused() {
    use std::os::unix::ffi::OsStrExt;
    let wiki = Wiki::new();
    wiki.skill("odd");
    let bad = std::ffi::OsStr::from_bytes(b"caf\xe9.md");
    std::fs::write(wiki.path().join("skills/odd").join(bad), "x\n").unwrap();
    wiki.commit("a latin-1 name");
    let project = Project::new();
    let before = snapshot(project.parent());
    let out = assetpin(&project, &wiki)
        .args(["install", "skill", "odd"])
        .output()
        .unwrap();
    let stderr = assert_refused(&out, "unsafe-path");
    assert!(stderr.contains("caf\\xe9.md"), "{stderr}");
    assert_same(&before, &snapshot(project.parent()), "project");
}

/// Truncates the loose object of `rev` (a blob) to half its size: its
/// header still reads, its bytes do not.
fn truncate_loose_object(wiki: &Wiki, rev: &str) {
    let id = wiki.git(&["rev-parse", rev]);
    let id = id.trim();
    let path = wiki
        .path()
        .join(".git/objects")
        .join(&id[..2])
        .join(&id[2..]);
    let len = std::fs::metadata(&path).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&path);
    let f = f.unwrap_or_else(|_| {
        let mut perm = std::fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o644);
        std::fs::set_permissions(&path, perm).unwrap();
        std::fs::OpenOptions::new().write(true).open(&path).unwrap()
    });
    f.set_len(len / 2).unwrap();
}

/// I1, I5: a blob the wiki cannot read (a loose object cut short) is
/// refused before anything is locked or created: install and update
/// leave the project exactly as it was (no `.memtomem/`, no lock file).
#[assetpin_test]
fn i1_an_unreadable_blob_is_refused_before_anything_is_written() {
    let noise: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let wiki = Wiki::new();
    wiki.file("skills/s/SKILL.md", "# s\n")
        .file("skills/s/data.bin", &noise);
    wiki.commit("s");
    truncate_loose_object(&wiki, "HEAD:skills/s/data.bin");
    let project = Project::new();
    let stderr = refuses_unchanged(&project, &wiki, &["install", "skill", "s"], "io");
    assert!(stderr.contains("skills/s/data.bin"), "{stderr}");
    assert!(!project.path().join(".memtomem").exists(), "I5");

    let wiki = Wiki::new();
    wiki.file("skills/s/SKILL.md", "# s\n");
    wiki.commit("s v1");
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "s"]);
    let mut v2 = noise.clone();
    v2.reverse();
    wiki.file("skills/s/data.bin", &v2);
    wiki.commit("s v2");
    truncate_loose_object(&wiki, "HEAD:skills/s/data.bin");
    for args in [
        &["update", "skill", "s"][..],
        &["update", "skill", "s", "--force"],
    ] {
        refuses_unchanged(&project, &wiki, args, "io");
    }
}

/// I1, U2, E4, T2: trees nested deeper than the walks accept are refused
/// with a classified error, in the asset and in dest, never a stack
/// overflow; status reports such a dest as dirty and exits 0.
#[assetpin_test]
fn e4_trees_deeper_than_the_walks_accept_are_refused() {
    let deep: String = (0..300).map(|_| "d/").collect();
    let wiki = Wiki::new();
    wiki.skill("ok");
    wiki.file(&format!("skills/deep/{deep}SKILL.md"), "# deep\n");
    wiki.commit("deep");
    let project = Project::new();
    let out = assetpin(&project, &wiki)
        .args(["install", "skill", "deep"])
        .output()
        .unwrap();
    let stderr = assert_refused(&out, "unsafe-path");
    assert!(stderr.contains("deeper than"), "{stderr}");
    ok(&project, &wiki, &["install", "skill", "ok"]);
    std::fs::create_dir_all(project.dest("skill", "ok").join(&deep)).unwrap();
    let out = assetpin(&project, &wiki)
        .args(["update", "skill", "ok", "--force"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error[unsafe-path]: "), "{stderr}");
    // T2: status still exits 0, and cannot call that dest unchanged.
    let out = ok(&project, &wiki, &["status", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["assets"][0]["state"], "dirty", "{v}");
}

/// I1: the work tree is compared as git compares it, through the clean
/// filters: with `core.autocrlf=true` or an `eol=crlf` attribute, a
/// checkout with CRLF line ends that `git status` calls clean installs the
/// committed (LF) bytes; a real edit is still `uncommitted`.
#[assetpin_test]
fn i1_line_end_filters_are_applied_as_git_applies_them() {
    for (setup, file) in [
        ("autocrlf", "skills/a/SKILL.md"),
        ("attribute", "skills/b/SKILL.md"),
    ] {
        let wiki = Wiki::new();
        wiki.file("skills/a/SKILL.md", "# a\nline two\n")
            .file("skills/b/SKILL.md", "# b\nline two\n");
        if setup == "attribute" {
            wiki.file(".gitattributes", "*.md text eol=crlf\n");
        } else {
            wiki.git(&["config", "core.autocrlf", "true"]);
        }
        wiki.commit("assets");
        std::fs::remove_file(wiki.path().join(file)).unwrap();
        wiki.git(&["checkout", "--", file]);
        let on_disk = std::fs::read(wiki.path().join(file)).unwrap();
        assert!(
            on_disk.windows(2).any(|w| w == b"\r\n"),
            "{setup}: git wrote CRLF"
        );
        assert!(
            wiki.git(&["status", "--porcelain"]).is_empty(),
            "{setup}: git says clean"
        );
        let project = Project::new();
        let name = if file.contains("/a/") { "a" } else { "b" };
        ok(&project, &wiki, &["install", "skill", name]);
        let installed = std::fs::read(project.dest("skill", name).join("SKILL.md")).unwrap();
        assert!(
            !installed.contains(&b'\r'),
            "{setup}: the committed LF bytes"
        );
        std::fs::write(wiki.path().join(file), "# edited\r\n").unwrap();
        let out = assetpin(&Project::new(), &wiki)
            .args(["install", "skill", name])
            .output()
            .unwrap();
        assert_refused(&out, "uncommitted");
    }
}

/// I1, untrusted wiki: a clean filter driver in the wiki's config is never
/// run (it would be a program the wiki chooses).
#[assetpin_test]
fn i1_a_wikis_filter_driver_is_never_run() {
    let wiki = Wiki::new();
    wiki.file(".gitattributes", "*.md filter=evil\n")
        .file("skills/a/SKILL.md", "# a\n");
    wiki.commit("assets");
    let marker = wiki.path().join(".git/driver-ran");
    wiki.git(&[
        "config",
        "filter.evil.clean",
        &format!("sh -c 'touch {}; cat'", marker.display()),
    ]);
    let out = assetpin(&Project::new(), &wiki)
        .args(["install", "skill", "a"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{out:?}"
    );
    assert!(!marker.exists(), "the wiki's filter driver ran");
}

/// I4 (adopt), I3: adopt records dest only when it equals a fresh install
/// file by file, and a fresh install makes a file git records as
/// executable 0755 and any other 0644: a dest whose executable bits differ
/// from the wiki's is refused, naming the file, and nothing is written;
/// with the bits as the wiki has them it is adopted.
#[assetpin_test]
fn i4_adopt_sees_a_difference_of_the_executable_bit() {
    use std::os::unix::fs::PermissionsExt;
    let wiki = sample_wiki();
    let project = Project::new();
    let dest = project.dest("skill", "x");
    for rel in ["SKILL.md", "docs/guide.md", "docs/deep/more.txt", "run.sh"] {
        let p = dest.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, wiki.committed(&format!("skills/x/{rel}"))).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let set = |rel: &str, mode: u32| {
        std::fs::set_permissions(dest.join(rel), std::fs::Permissions::from_mode(mode)).unwrap()
    };
    // run.sh is executable in the wiki but not here; then guide.md is
    // executable here but not in the wiki.
    let err = refuses_unchanged(&project, &wiki, &["adopt", "skill", "x"], "dirty");
    assert!(err.contains("run.sh"), "{err}");
    set("run.sh", 0o755);
    set("docs/guide.md", 0o755);
    let err = refuses_unchanged(&project, &wiki, &["adopt", "skill", "x"], "dirty");
    assert!(
        err.contains("docs/guide.md") && !err.contains("run.sh"),
        "{err}"
    );
    // As git reads a work tree, only the owner's x bit counts: a group or
    // other x bit is not "executable" (and a setuid 4755 file is).
    set("docs/guide.md", 0o654);
    set("run.sh", 0o4755);
    ok(&project, &wiki, &["adopt", "skill", "x"]);
    assert_eq!(
        project.entry("skill", "x")["wiki_commit"],
        wiki.head().as_str()
    );
}
