//! I4, I5: the refusal posture of `install`, for random sets of assets in
//! every combination of lockfile entry and dest presence.

use assetpin_test_support::{Project, Wiki, assetpin, files_of, first_line, snapshot};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Asset names of the wiki; each case uses a random subset.
const ASSETS: [&str; 5] = ["r0", "r1", "r2", "r3", "r4"];

/// How an asset's lockfile entry looks before `install`.
#[derive(Clone, Copy, Debug)]
enum EntryState {
    Absent,
    /// A well-formed entry object.
    Object,
    /// Some other JSON value under the name: still an entry (I4 asks
    /// whether one exists, not whether it is valid).
    Junk,
}

/// How an asset's dest looks before `install`.
#[derive(Clone, Copy, Debug)]
enum DestState {
    Absent,
    EmptyDir,
    WithFile,
}

fn arb_case() -> impl Strategy<Value = Vec<(usize, EntryState, DestState)>> {
    let entry = prop_oneof![
        Just(EntryState::Absent),
        Just(EntryState::Object),
        Just(EntryState::Junk)
    ];
    let dest = prop_oneof![
        Just(DestState::Absent),
        Just(DestState::EmptyDir),
        Just(DestState::WithFile)
    ];
    proptest::sample::subsequence((0..ASSETS.len()).collect::<Vec<_>>(), 1..=ASSETS.len())
        .prop_flat_map(move |ix| {
            let n = ix.len();
            (
                Just(ix),
                proptest::collection::vec((entry.clone(), dest.clone()), n),
            )
        })
        .prop_map(|(ix, states)| {
            ix.into_iter()
                .zip(states)
                .map(|(i, (e, d))| (i, e, d))
                .collect()
        })
        .prop_shuffle()
}

thread_local! {
    static WIKI: Wiki = {
        let w = Wiki::new();
        for n in ASSETS {
            w.skill(n);
            w.file(&format!("skills/{n}/ref/notes.md"), format!("notes of {n}\n"));
        }
        w.commit("assets");
        w
    };
}

proptest! {
    #![proptest_config(crate::config(24))]

    /// I4, I5, E1, E3: `install` refuses with `already-installed` when an
    /// entry OR dest exists, stating both sides in the message and in the
    /// `--json` details, and leaves the project byte-for-byte as it was;
    /// with neither it installs, touching no other entry. A junk value
    /// under the name (not an object) is no entry, and the install writes
    /// its entry over it.
    #[test]
    fn i4_refuses_when_entry_or_dest_exists(case in arb_case(), json_out in any::<bool>()) {
        WIKI.with(|wiki| -> Result<(), TestCaseError> {
            let project = Project::new();
            // A lockfile with an unknown top-level key and the entries the
            // case asks for.
            let mut skills = serde_json::Map::new();
            for (i, e, _) in &case {
                match e {
                    EntryState::Absent => {}
                    EntryState::Object => {
                        skills.insert(ASSETS[*i].into(), json!({"wiki_commit": wiki.head(), "note": "kept"}));
                    }
                    EntryState::Junk => {
                        skills.insert(ASSETS[*i].into(), json!(["not", "an", "object"]));
                    }
                }
            }
            let doc = json!({"version": 1, "x-unknown": {"k": [1, 2]}, "skills": skills});
            project.write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
            for (i, _, d) in &case {
                let dest = project.dest("skill", ASSETS[*i]);
                match d {
                    DestState::Absent => {}
                    DestState::EmptyDir => std::fs::create_dir_all(&dest).unwrap(),
                    DestState::WithFile => {
                        std::fs::create_dir_all(&dest).unwrap();
                        std::fs::write(dest.join("mine.md"), "mine\n").unwrap();
                    }
                }
            }

            for (i, e, d) in &case {
                let name = ASSETS[*i];
                // Only an object is an entry (the L5 sharpening): a junk
                // value under the name records nothing.
                let entry = matches!(e, EntryState::Object);
                let dest = !matches!(d, DestState::Absent);
                let before = snapshot(project.path());
                let lock_before = project.lockfile_json();
                let mut cmd = assetpin(&project, wiki);
                if json_out {
                    cmd.arg("--json");
                }
                let out = cmd.args(["install", "skill", name]).output().unwrap();
                let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
                if entry || dest {
                    let yn = |b: bool| if b { "yes" } else { "no" };
                    let first = first_line(&out.stderr);
                    prop_assert!(first.starts_with("error[already-installed]: "), "{}: {}", name, stderr);
                    let sides = format!("lockfile_entry={}, dest={}", yn(entry), yn(dest));
                    prop_assert!(first.contains(&sides), "{} lacks {}", first, sides);
                    prop_assert_eq!(out.status.code(), Some(1));
                    if json_out {
                        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
                        prop_assert_eq!(&v["status"], "refused");
                        prop_assert_eq!(&v["kind"], "already-installed");
                        prop_assert_eq!(&v["lockfile_entry"], &json!(entry));
                        prop_assert_eq!(&v["dest"], &json!(dest));
                    }
                    let after = snapshot(project.path());
                    prop_assert!(before == after, "a refusal wrote:\n{}", before.diff(&after));
                } else {
                    prop_assert_eq!(out.status.code(), Some(0), "{}: {}", name, stderr);
                    let files = files_of(&snapshot(project.dest("skill", name)));
                    let names: Vec<&String> = files.keys().collect();
                    prop_assert_eq!(names, vec!["SKILL.md", "ref/notes.md"]);
                    let lock_after = project.lockfile_json();
                    prop_assert_eq!(&lock_after["skills"][name]["wiki_commit"], &json!(wiki.head()));
                    // Every other key is untouched (L3); a junk value under
                    // the name is what the new entry replaced.
                    let mut rest = lock_after.clone();
                    rest["skills"].as_object_mut().unwrap().shift_remove(name);
                    let mut before_rest = lock_before.clone();
                    before_rest["skills"].as_object_mut().unwrap().shift_remove(name);
                    prop_assert_eq!(serde_json::to_string(&rest).unwrap(), serde_json::to_string(&before_rest).unwrap());
                }
            }
            Ok(())
        })?;
    }
}

proptest! {
    #![proptest_config(crate::config(12))]

    /// I5, Y2, I8: a sidecar lock path that is not a regular file (here a
    /// directory, so `flock` could never be taken) is refused before the
    /// first write by `install` and `install --all` alike: `unsafe-path`
    /// naming the sidecar, no section directory, no dest, no lock file,
    /// the lockfile unchanged. Assets with an entry go through
    /// `install --all` (restore at the pin), the others through `install`.
    /// (Dest taken back out when the entry write fails after all, I7:
    /// `tests/cli/lockfile.rs`.)
    #[test]
    fn i5_sidecar_that_is_no_file_is_refused_before_any_write(
        case in proptest::sample::subsequence((0..ASSETS.len()).collect::<Vec<_>>(), 1..=ASSETS.len())
            .prop_flat_map(|ix| {
                let n = ix.len();
                (Just(ix), proptest::collection::vec(any::<bool>(), n))
            }),
    ) {
        WIKI.with(|wiki| -> Result<(), TestCaseError> {
            let (ix, with_entry) = case;
            let project = Project::new();
            let mut skills = serde_json::Map::new();
            for (i, e) in ix.iter().zip(&with_entry) {
                if *e {
                    skills.insert(ASSETS[*i].into(), json!({"wiki_commit": wiki.head(), "note": "kept"}));
                }
            }
            let doc = json!({"version": 1, "skills": skills});
            project.write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
            let lock_path = project.path().join(".memtomem/lock.json");
            let lock_before = std::fs::read(&lock_path).unwrap();
            std::fs::create_dir_all(project.path().join(".memtomem/.lock.json.lock")).unwrap();

            let mut runs: Vec<Vec<&str>> = ix
                .iter()
                .zip(&with_entry)
                .filter(|(_, e)| !**e)
                .map(|(i, _)| vec!["install", "skill", ASSETS[*i]])
                .collect();
            if with_entry.iter().any(|e| *e) {
                runs.push(vec!["install", "--all"]);
            }
            for args in runs {
                let out = assetpin(&project, wiki).args(&args).output().unwrap();
                let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
                prop_assert_eq!(out.status.code(), Some(1), "{:?}: {}", args, stderr);
                prop_assert!(stderr.contains("error[unsafe-path]: "), "{:?}: {}", args, stderr);
                prop_assert!(stderr.contains(".lock.json.lock"), "{:?}: {}", args, stderr);
            }
            prop_assert!(
                !project.path().join(".memtomem/skills").exists(),
                "a section directory was created before the refusal"
            );
            prop_assert!(std::fs::read(&lock_path).unwrap() == lock_before, "lock.json changed");
            Ok(())
        })?;
    }
}
