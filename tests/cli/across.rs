//! The verbs across projects through the binary: the terminal
//! confirmation of `update --all` (A3), a hostile registry (R3, E4) and a
//! hostile project inside a batch (A4).

use assetpin_test_support::race::wait_limited;
use assetpin_test_support::*;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Skill `x` installed in the project and registered, then the wiki moved
/// on: an `update --all` has one project to update.
fn one_behind() -> (Wiki, Project) {
    let wiki = Wiki::new();
    wiki.file("skills/x/SKILL.md", "# x v1\n");
    wiki.commit("v1");
    let project = Project::new();
    assetpin(&project, &wiki)
        .args(["install", "skill", "x"])
        .assert()
        .success();
    assetpin(&project, &wiki)
        .args(["projects", "add"])
        .assert()
        .success();
    wiki.file("skills/x/SKILL.md", "# x v2\n");
    wiki.commit("v2");
    (wiki, project)
}

/// `update skill x --all` on a pseudo-terminal (`script(1)`), answering
/// `answer`.
fn on_a_terminal(project: &Project, wiki: &Wiki, answer: &str) -> std::process::Output {
    let cmd = format!(
        "{} --project {} --wiki {} update skill x --all",
        bin().display(),
        project.path().display(),
        wiki.path().display()
    );
    let mut child = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("HOME", project.home())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux runs the pseudo-terminal of this test");
    {
        use std::io::Write;
        // The question is asked after the preview; an early answer waits
        // in the terminal's input.
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(answer.as_bytes()).unwrap();
    }
    wait_limited(child, Duration::from_secs(60), "update --all on a terminal")
}

/// A3: on a terminal the batch asks; "n" writes nothing (exit 1,
/// unconfirmed), "y" updates.
#[assetpin_test]
fn a3_a_terminal_is_asked_and_the_answer_decides() {
    let (wiki, project) = one_behind();
    let before = snapshot(project.parent());
    let out = on_a_terminal(&project, &wiki, "n\n");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("update 1 project(s)? [y/N]"), "{text}");
    assert!(text.contains("error[unconfirmed]"), "{text}");
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_same(&before, &snapshot(project.parent()), "after a no");
    let out = on_a_terminal(&project, &wiki, "y\n");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert_eq!(project.entry("skill", "x")["wiki_commit"], wiki.head());
}

/// R3, E4: a FIFO where the registry is neither blocks a reader nor a
/// writer: `projects list` warns and lists nothing, `projects add` refuses
/// (unsafe-path), each within the time limit, the FIFO left in place.
#[assetpin_test]
fn r3_a_fifo_registry_blocks_nobody() {
    let project = Project::new();
    let wiki = Wiki::new();
    let dir = project.home().join(".memtomem");
    std::fs::create_dir_all(&dir).unwrap();
    mkfifo(&dir.join("known_projects.json"));
    for (args, code) in [
        (&["projects", "list"][..], 0),
        (&["projects", "add"][..], 1),
    ] {
        let child = assetpin_std(&project, &wiki)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = wait_limited(child, Duration::from_secs(20), "projects on a FIFO");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains("not a regular file"), "{args:?}: {err}");
    }
    let kind = std::fs::symlink_metadata(dir.join("known_projects.json"))
        .unwrap()
        .file_type();
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&kind));
}

/// A4, Y2: a registered project whose `.memtomem` is a link out of it
/// fails its own row (unsafe-path) and nothing is written through the
/// link; the other project is updated; the exit status says one failed.
#[assetpin_test]
fn a4_a_linked_project_fails_alone() {
    let (wiki, project) = one_behind();
    let other = Project::new();
    assetpin(&other, &wiki)
        .args(["install", "skill", "x"])
        .assert()
        .success();
    std::fs::rename(other.memtomem(), other.outside().join("mt")).unwrap();
    std::os::unix::fs::symlink(other.outside().join("mt"), other.memtomem()).unwrap();
    let added = assetpin_at(&project.home(), &other.path(), wiki.path())
        .args(["projects", "add"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    let outside = snapshot(other.outside());
    let out = assetpin(&project, &wiki)
        .args(["update", "skill", "x", "--all", "--yes"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("unsafe-path"), "{text}");
    assert!(text.contains("1 updated, 0 unchanged, 1 failed"), "{text}");
    assert_eq!(project.entry("skill", "x")["wiki_commit"], wiki.head());
    assert_same(&outside, &snapshot(other.outside()), "through the link");
}

/// R3, E1: a `HOME` that is missing or a file is refused (io, naming
/// `HOME` and the remedy) and nothing is created where it points.
#[assetpin_test]
fn r3_a_missing_home_is_refused_not_created() {
    let project = Project::new();
    let wiki = Wiki::new();
    let missing = project.outside().join("no-home");
    let file = project.outside().join("home-file");
    std::fs::write(&file, "x").unwrap();
    let before = snapshot(project.parent());
    for home in [&missing, &file] {
        let out = assetpin_at(home, &project.path(), wiki.path())
            .args(["projects", "add"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("error[io]"), "{err}");
        assert!(err.contains("set HOME"), "{err}");
    }
    assert!(!missing.exists(), "a missing HOME was created");
    assert_same(&before, &snapshot(project.parent()), "after the refusals");
}

/// A2, U3: a project where the user's own file stands where HEAD adds
/// one is a `refuse` row in the preview, as the single update refuses it,
/// so the batch stops before any write: neither project is written.
#[assetpin_test]
fn a2_a_users_file_in_heads_way_refuses_the_batch_up_front() {
    let (wiki, project) = one_behind();
    let other = Project::new();
    assetpin(&other, &wiki)
        .args(["install", "skill", "x"])
        .assert()
        .success();
    let added = assetpin_at(&project.home(), &other.path(), wiki.path())
        .args(["projects", "add"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    wiki.file("skills/x/new.md", "head\n");
    wiki.commit("v3");
    // The user's own new.md in the other project, where HEAD now adds one.
    std::fs::write(other.dest("skill", "x").join("new.md"), "mine\n").unwrap();
    let single = assetpin_at(&other.home(), &other.path(), wiki.path())
        .args(["update", "skill", "x"])
        .output()
        .unwrap();
    assert_eq!(single.status.code(), Some(1), "{single:?}");
    assert!(String::from_utf8_lossy(&single.stderr).contains("error[dirty]"));
    let (mine, theirs) = (snapshot(project.path()), snapshot(other.path()));
    let preview = assetpin(&project, &wiki)
        .args(["--json", "update", "skill", "x", "--all", "--dry-run"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&preview.stdout).unwrap();
    let states: Vec<(&str, &serde_json::Value)> = v["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["state"].as_str().unwrap(), &p["dirty_files"]))
        .collect();
    assert_eq!(
        states,
        [
            ("update", &serde_json::json!([])),
            ("refuse", &serde_json::json!(["new.md"]))
        ],
        "{v}"
    );
    let out = assetpin(&project, &wiki)
        .args(["update", "skill", "x", "--all", "--yes"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}{err}");
    assert!(err.contains("error[dirty]"), "{text}{err}");
    assert_same(&mine, &snapshot(project.path()), "the clean project");
    assert_same(&theirs, &snapshot(other.path()), "the project in the way");
}

/// R3, L3: a registry whose unknown key nests as deep as the peer's reader
/// follows (past serde_json's 128) is read and kept by a writer, as the
/// lockfile is; one level past the bound is `registry-corrupt`.
#[assetpin_test]
fn r3_a_deeply_nested_unknown_key_in_the_registry_is_kept() {
    let (wiki, project) = one_behind();
    let file = project.home().join(".memtomem/known_projects.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    doc.as_object_mut()
        .unwrap()
        .insert("zz_peer".into(), serde_json::json!("DEEP"));
    let depth = 300;
    let text = serde_json::to_string(&doc).unwrap().replace(
        "\"DEEP\"",
        &format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
    );
    std::fs::write(&file, &text).unwrap();
    let other = Project::new();
    let added = assetpin_at(&project.home(), &other.path(), wiki.path())
        .args(["projects", "add"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    let after = std::fs::read_to_string(&file).unwrap();
    // The deepest nesting of arrays in the text (no path here holds '[').
    let arrays = after.chars().fold((0i32, 0i32), |(d, max), c| match c {
        '[' => (d + 1, max.max(d + 1)),
        ']' => (d - 1, max),
        _ => (d, max),
    });
    assert_eq!(arrays.1, depth as i32, "the nested key was not kept");
    assert!(
        after.contains(&other.path().display().to_string()),
        "{after}"
    );
    let too_deep = assetpin::lock::lockfile::MAX_NESTING + 1;
    std::fs::write(
        &file,
        format!(
            "{{\"version\": 1, \"projects\": [], \"zz\": {}{}}}",
            "[".repeat(too_deep),
            "]".repeat(too_deep)
        ),
    )
    .unwrap();
    let out = assetpin_at(&project.home(), &other.path(), wiki.path())
        .args(["projects", "add"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error[registry-corrupt]"), "{err}");
}
