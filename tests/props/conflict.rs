//! U7 (*ext*): `update --expect-mtime-ns N` proceeds exactly when N is
//! dest's current `mtime_ns` as `status --json` prints it; otherwise it
//! exits 3 with `error[conflict]`, echoes the current value and writes
//! nothing, for random offsets of N and with or without a touch of dest
//! between the `status` and the `update`.

use assetpin_test_support::{Project, Wiki, assetpin, first_line, snapshot};
use proptest::prelude::*;
use serde_json::Value;

proptest! {
    #![proptest_config(crate::config(12))]

    #[test]
    fn u7_expect_mtime_ns_gates_update(
        offset in prop_oneof![3 => Just(0i128), 1 => -5i128..5, 1 => Just(1_000_000_000i128)],
        touch in any::<bool>(),
        json_out in any::<bool>(),
    ) {
        let wiki = Wiki::new();
        wiki.skill("c");
        wiki.file("skills/c/notes.md", "v1\n");
        wiki.commit("c1");
        let project = Project::new();
        let out = assetpin(&project, &wiki).args(["install", "skill", "c"]).output().unwrap();
        prop_assert_eq!(out.status.code(), Some(0));
        wiki.file("skills/c/notes.md", "v2\n");
        wiki.commit("c2");

        let mtime = |project: &Project| -> i128 {
            let out = assetpin(project, &wiki).args(["--json", "status"]).output().unwrap();
            let v: Value = serde_json::from_slice(&out.stdout).expect("status --json");
            v["assets"][0]["mtime_ns"].as_i64().expect("mtime_ns") as i128
        };
        let seen = mtime(&project);
        if touch {
            let f = project.dest("skill", "c").join("notes.md");
            let bytes = std::fs::read(&f).unwrap();
            // Far enough for any file-system clock to move.
            std::thread::sleep(std::time::Duration::from_millis(20));
            std::fs::write(&f, bytes).unwrap();
        }
        let current = mtime(&project);
        prop_assert!(touch || current == seen);

        let expect = (seen + offset).to_string();
        let before = snapshot(project.path());
        let mut cmd = assetpin(&project, &wiki);
        if json_out {
            cmd.arg("--json");
        }
        let out = cmd
            .args(["update", "skill", "c", "--expect-mtime-ns", &expect])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if seen + offset == current {
            prop_assert_eq!(out.status.code(), Some(0), "{}", stderr);
            let notes = std::fs::read(project.dest("skill", "c").join("notes.md")).unwrap();
            prop_assert_eq!(notes, b"v2\n".to_vec());
        } else {
            prop_assert_eq!(out.status.code(), Some(3), "{}", stderr);
            let first = first_line(&out.stderr);
            prop_assert!(first.starts_with("error[conflict]: "), "{}", stderr);
            prop_assert!(first.contains(&current.to_string()), "no current mtime_ns in {}", first);
            if json_out {
                let v: Value = serde_json::from_slice(&out.stdout).expect("--json");
                prop_assert_eq!(&v["status"], "aborted");
            }
            let after = snapshot(project.path());
            prop_assert!(before == after, "a conflict wrote:\n{}", before.diff(&after));
        }
    }
}
