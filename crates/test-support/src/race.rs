//! Process races: every child spawned before any is waited for, so they
//! race on one project and one lockfile (K5, K6); and the mixed race of
//! distinct and identical installs, with or without the peer.

use super::{Project, Wiki, assetpin_std, files_of, mm_std, sha256, snapshot};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

/// Spawns every command, then waits for all of them, each at most 120 s.
pub fn race(cmds: Vec<std::process::Command>) -> Vec<Output> {
    let children: Vec<Child> = cmds
        .into_iter()
        .map(|mut c| {
            c.stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    children
        .into_iter()
        .map(|c| wait_limited(c, Duration::from_secs(120), "a racing process"))
        .collect()
}

/// Waits for `child` at most `limit`, killing it when it runs longer.
pub fn wait_limited(mut child: Child, limit: Duration, what: &str) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "{what} still ran after {limit:?} (blocked?): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A child's exit status and stderr, for assertion messages.
pub fn describe(o: &Output) -> String {
    format!(
        "{:?}: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr).trim_end()
    )
}

/// The entry names of lockfile section `skills`, in file order.
pub fn skill_names(project: &Project) -> Vec<String> {
    project.lockfile_json()["skills"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// 16 processes, 8 installing distinct assets `d0..d7` and 8 installing
/// the same asset `same`; with `mm`, every odd process is the peer's
/// `mm context install`. Checks K5 (no lost entry), K6 (one winner for
/// `same`, the others refuse naming both sides) and that every dest
/// equals its committed tree with matching digests.
pub fn mixed_race(mm: Option<&Path>) {
    let distinct: Vec<String> = (0..8).map(|i| format!("d{i}")).collect();
    let wiki = Wiki::new();
    for n in distinct.iter().map(String::as_str).chain(["same"]) {
        wiki.file(&format!("skills/{n}/SKILL.md"), format!("# {n}\n"))
            .file(
                &format!("skills/{n}/ref/notes.md"),
                format!("notes of {n}\n"),
            );
    }
    wiki.commit("assets");
    let project = Project::new();
    let targets: Vec<&str> = (0..16)
        .map(|i| if i < 8 { distinct[i].as_str() } else { "same" })
        .collect();
    let cmds = targets
        .iter()
        .enumerate()
        .map(|(i, n)| match mm {
            Some(mm) if i % 2 == 1 => {
                let mut c = mm_std(mm, &project, &wiki);
                c.args(["context", "install", "skill", n]);
                c
            }
            _ => {
                let mut c = assetpin_std(&project, &wiki);
                c.args(["install", "skill", n]);
                c
            }
        })
        .collect();
    let outs = race(cmds);
    let all: Vec<String> = targets
        .iter()
        .zip(&outs)
        .map(|(n, o)| {
            format!(
                "{n}: {:?} {}",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim_end()
            )
        })
        .collect();
    for (i, o) in outs.iter().enumerate().take(8) {
        assert!(o.status.success(), "K5: {}", all[i]);
    }
    let same: Vec<&Output> = outs[8..].iter().collect();
    assert_eq!(
        same.iter().filter(|o| o.status.success()).count(),
        1,
        "K6: one winner: {all:#?}"
    );
    for o in same.iter().filter(|o| !o.status.success()) {
        assert_eq!(o.status.code(), Some(1), "{all:#?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("lockfile_entry="),
            "I4: the refusal names both sides: {all:#?}"
        );
    }
    let mut names = skill_names(&project);
    names.sort();
    let mut want: Vec<String> = distinct.clone();
    want.push("same".into());
    want.sort();
    assert_eq!(names, want, "K5: entries");
    let head = wiki.head();
    for n in &want {
        let entry = project.entry("skill", n);
        assert_eq!(entry["wiki_commit"], head.as_str(), "{n}");
        let dest: BTreeMap<String, Vec<u8>> = files_of(&snapshot(project.dest("skill", n)))
            .into_iter()
            .map(|(k, (_, b))| (k, b))
            .collect();
        let expected: BTreeMap<String, Vec<u8>> = ["SKILL.md", "ref/notes.md"]
            .into_iter()
            .map(|f| (f.to_owned(), wiki.committed(&format!("skills/{n}/{f}"))))
            .collect();
        assert_eq!(dest, expected, "K6: dest of {n} equals the tree at the pin");
        if let Some(d) = entry["digests"].as_object() {
            for (f, bytes) in &dest {
                assert_eq!(d[f], sha256(bytes).as_str(), "digest of {n}/{f}");
            }
        }
    }
}

/// Holds an exclusive flock on `path` (created if needed) until dropped.
pub fn hold_lock(path: &std::path::Path) -> std::fs::File {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    f.lock().unwrap();
    f
}

/// Waits up to `secs` for `cond`.
pub fn wait_for(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}
