//! I8: `install --all` restores every missing dest at its entry's own pin
//! (never HEAD), rewrites only the restored entries (same pin, fresh
//! `installed_at`, digests of the bytes written, unknown keys kept),
//! leaves present dests and their entries alone, and reports a pin that
//! lacks the asset as a failed row, for random mixes of these states.
//! And U3 on a missing dest: `update` refuses `dirty` (every recorded file
//! is missing) and writes nothing; `update --force` writes HEAD's tree.

use assetpin_test_support::{Project, Wiki, assetpin, files_of, git, sha256, snapshot};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Asset names; `r3` exists at the second commit only.
const ASSETS: [&str; 4] = ["r0", "r1", "r2", "r3"];

/// The wiki's two commits: r0..r2 at the first; r0, r1 changed and r3
/// added at the second (HEAD).
struct History {
    wiki: Wiki,
    commits: [String; 2],
}

thread_local! {
    static HISTORY: History = {
        let wiki = Wiki::new();
        for n in &ASSETS[..3] {
            wiki.skill(n);
            wiki.file(&format!("skills/{n}/ref/v.md"), format!("{n} at c0\n"));
        }
        let c0 = wiki.commit("c0");
        for n in &ASSETS[..2] {
            wiki.file(&format!("skills/{n}/ref/v.md"), format!("{n} at c1\n"));
        }
        wiki.skill("r3");
        let c1 = wiki.commit("c1");
        History { wiki, commits: [c0, c1] }
    };
}

/// One asset's state before `install --all`.
#[derive(Clone, Copy, Debug)]
struct State {
    /// Which commit the entry pins (index into `History::commits`).
    pin: usize,
    /// Whether dest is there (holding the pin's bytes).
    dest: bool,
    /// Whether the entry carries `digests` (a peer of an older version
    /// may have written it without them).
    digests: bool,
}

fn arb_states() -> impl Strategy<Value = Vec<(usize, State)>> {
    let state = (0..2usize, any::<bool>(), any::<bool>()).prop_map(|(pin, dest, digests)| State {
        pin,
        dest,
        digests,
    });
    proptest::sample::subsequence((0..ASSETS.len()).collect::<Vec<_>>(), 1..=ASSETS.len())
        .prop_flat_map(move |ix| {
            let n = ix.len();
            (Just(ix), proptest::collection::vec(state.clone(), n))
        })
        .prop_map(|(ix, st)| ix.into_iter().zip(st).collect())
}

/// The asset's files at `commit`, as (path below dest, bytes); empty when
/// the commit lacks the asset.
fn files_at(wiki: &Wiki, commit: &str, name: &str) -> Vec<(String, Vec<u8>)> {
    let listing = wiki.git(&[
        "ls-tree",
        "-r",
        "--name-only",
        commit,
        &format!("skills/{name}/"),
    ]);
    listing
        .lines()
        .filter(|l| !l.is_empty())
        .map(|path| {
            let rel = path
                .strip_prefix(&format!("skills/{name}/"))
                .unwrap()
                .to_owned();
            let out = git(wiki.path())
                .args(["cat-file", "blob", &format!("{commit}:{path}")])
                .output()
                .unwrap();
            assert!(out.status.success(), "no {path} at {commit}");
            let bytes = out.stdout;
            (rel, bytes)
        })
        .collect()
}

/// Dest's files as (path below dest, bytes), in the order of [`files_at`].
fn tree_of(dest: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    files_of(&snapshot(dest))
        .into_iter()
        .map(|(p, (_, b))| (p, b))
        .collect()
}

const OLD_TIME: &str = "2020-01-01T00:00:00.000000Z";

/// An entry pinning `pin` for `files`, with an unknown key and, when
/// `digests`, the files' digests.
fn entry_of(pin: &str, files: &[(String, Vec<u8>)], digests: bool) -> Value {
    let mut entry = json!({
        "wiki_commit": pin,
        "installed_at": OLD_TIME,
        "files": files.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        "files_commit": pin,
        "x-note": "kept",
    });
    if digests {
        entry["digests"] = files
            .iter()
            .map(|(p, b)| (p.clone(), Value::from(sha256(b))))
            .collect();
        entry["digests_installed_at"] = json!(OLD_TIME);
    }
    entry
}

proptest! {
    #![proptest_config(crate::config(16))]

    /// I8, L2, L3, L10: see the module docs.
    #[test]
    fn i8_install_all_restores_missing_dests_at_their_pins(states in arb_states()) {
        HISTORY.with(|h| -> Result<(), TestCaseError> {
            let project = Project::new();
            let mut skills = serde_json::Map::new();
            for (i, s) in &states {
                let name = ASSETS[*i];
                let pin = &h.commits[s.pin];
                let files = files_at(&h.wiki, pin, name);
                skills.insert(name.into(), entry_of(pin, &files, s.digests));
                if s.dest {
                    let dest = project.dest("skill", name);
                    for (p, b) in &files {
                        let f = dest.join(p);
                        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
                        std::fs::write(f, b).unwrap();
                    }
                    std::fs::create_dir_all(&dest).unwrap();
                }
            }
            project.write_lockfile(serde_json::to_vec_pretty(&json!({"version": 1, "skills": skills})).unwrap());
            let before = project.lockfile_json();

            let out = assetpin(&project, &h.wiki).args(["--json", "install", "--all"]).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            let v: Value = serde_json::from_slice(&out.stdout)
                .map_err(|e| TestCaseError::fail(format!("--json output: {e}; stderr: {stderr}")))?;
            let rows = v["entries"].as_array().unwrap();
            let after = project.lockfile_json();
            let mut failed = false;
            for (i, s) in &states {
                let name = ASSETS[*i];
                let pin = &h.commits[s.pin];
                let files = files_at(&h.wiki, pin, name);
                let row = rows.iter().find(|r| r["name"] == name)
                    .ok_or_else(|| TestCaseError::fail(format!("no row for {name}: {v}")))?;
                let entry = &after["skills"][name];
                let dest = project.dest("skill", name);
                if s.dest {
                    prop_assert_eq!(&row["status"], "present", "{}: {}", name, row);
                    prop_assert_eq!(entry, &before["skills"][name], "{} present: entry rewritten", name);
                } else if files.is_empty() {
                    failed = true;
                    prop_assert_eq!(&row["kind"], "asset-not-found", "{}: {}", name, row);
                    prop_assert!(!dest.exists(), "{}: dest made from nothing", name);
                    prop_assert_eq!(entry, &before["skills"][name], "{} failed: entry rewritten", name);
                } else {
                    prop_assert_eq!(&row["status"], "restored", "{}: {} / {}", name, row, stderr);
                    // The pin's bytes, not HEAD's.
                    prop_assert_eq!(&tree_of(&dest), &files, "{} dest bytes", name);
                    prop_assert_eq!(&entry["wiki_commit"], &json!(pin));
                    prop_assert_eq!(&entry["files_commit"], &json!(pin));
                    prop_assert_eq!(&entry["x-note"], "kept");
                    prop_assert_ne!(&entry["installed_at"], OLD_TIME, "{}: entry not rewritten", name);
                    let digests: serde_json::Map<String, Value> = files.iter()
                        .map(|(p, b)| (p.clone(), Value::from(sha256(b)))).collect();
                    prop_assert_eq!(&entry["digests"], &Value::Object(digests), "{} digests", name);
                }
            }
            prop_assert_eq!(out.status.code(), Some(if failed { 1 } else { 0 }), "{}", stderr);
            Ok(())
        })?;
    }

    /// U2, U3, E1: an installed asset whose dest was removed reads as
    /// every recorded file missing: `update` refuses `dirty` and leaves
    /// the project as it was; `update --force` writes HEAD's tree at dest
    /// and pins HEAD, keeping the entry's unknown keys.
    #[test]
    fn u3_update_of_a_missing_dest(a in 0..ASSETS.len(), old in any::<bool>(), force in any::<bool>(), digests in any::<bool>()) {
        HISTORY.with(|h| -> Result<(), TestCaseError> {
            // r3 exists at HEAD only.
            let pin = &h.commits[if old && a < 3 { 0 } else { 1 }];
            let name = ASSETS[a];
            let project = Project::new();
            let files = files_at(&h.wiki, pin, name);
            let doc = json!({"version": 1, "skills": {name: entry_of(pin, &files, digests)}});
            project.write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
            std::fs::create_dir_all(project.dest("skill", name).parent().unwrap()).unwrap();
            let before = snapshot(project.path());

            let mut cmd = assetpin(&project, &h.wiki);
            cmd.args(["update", "skill", name]);
            if force {
                cmd.arg("--force");
            }
            let out = cmd.output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            let dest = project.dest("skill", name);
            if !force {
                prop_assert_eq!(out.status.code(), Some(1), "{}", stderr);
                prop_assert!(stderr.starts_with("error[dirty]: "), "{}", stderr);
                let after = snapshot(project.path());
                prop_assert!(after == before, "a refused update wrote: {}", before.diff(&after));
                return Ok(());
            }
            prop_assert_eq!(out.status.code(), Some(0), "{}", stderr);
            let head = &h.commits[1];
            prop_assert_eq!(tree_of(&dest), files_at(&h.wiki, head, name), "{} dest is HEAD's tree", name);
            let entry = project.entry("skill", name);
            prop_assert_eq!(&entry["wiki_commit"], &json!(head));
            prop_assert_eq!(&entry["x-note"], "kept");
            Ok(())
        })?;
    }
}
