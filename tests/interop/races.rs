//! Both tools racing on one lockfile (K1, K5, K6): real processes, every
//! other one the peer's `mm context install`.

use assetpin_test_support::race::{describe, mixed_race, race, skill_names};
use assetpin_test_support::*;
use std::collections::BTreeMap;
use std::path::Path;

/// K1, K5 across tools: 8 `assetpin` and 8 `mm context install` processes
/// of distinct assets on one lockfile leave 16 entries.
#[assetpin_test(peer)]
fn k5_mixed_tools_race_loses_no_entry(mm: &Path) {
    let names: Vec<String> = (0..16).map(|i| format!("m{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let wiki = Wiki::with_skills(&refs);
    let project = Project::new();
    let cmds = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            if i % 2 == 0 {
                let mut c = assetpin_std(&project, &wiki);
                c.args(["install", "skill", n]);
                c
            } else {
                let mut c = mm_std(mm, &project, &wiki);
                c.args(["context", "install", "skill", n]);
                c
            }
        })
        .collect();
    let outs = race(cmds);
    for (n, o) in names.iter().zip(&outs) {
        assert!(o.status.success(), "{n}: {}", describe(o));
    }
    let mut entries = skill_names(&project);
    entries.sort();
    assert_eq!(entries, names);
    for n in &names {
        assert_eq!(
            std::fs::read(project.dest("skill", n).join("SKILL.md")).unwrap(),
            wiki.committed(&format!("skills/{n}/SKILL.md")),
            "{n}"
        );
    }
}

/// K6 across tools: 4 `assetpin` and 4 `mm` installs of one asset give
/// exactly one success; every other process refuses as already
/// installed, and dest equals the tree at the pin.
#[assetpin_test(peer)]
fn k6_mixed_tools_same_asset_one_wins(mm: &Path) {
    let wiki = Wiki::new();
    wiki.file("skills/x/SKILL.md", "# x\n")
        .file("skills/x/a/b.md", "b\n");
    wiki.commit("x");
    let project = Project::new();
    let cmds = (0..8)
        .map(|i| {
            if i % 2 == 0 {
                let mut c = assetpin_std(&project, &wiki);
                c.args(["install", "skill", "x"]);
                c
            } else {
                let mut c = mm_std(mm, &project, &wiki);
                c.args(["context", "install", "skill", "x"]);
                c
            }
        })
        .collect();
    let outs = race(cmds);
    let all: Vec<String> = outs.iter().map(describe).collect();
    assert_eq!(
        outs.iter().filter(|o| o.status.success()).count(),
        1,
        "{all:#?}"
    );
    for o in outs.iter().filter(|o| !o.status.success()) {
        assert_eq!(o.status.code(), Some(1), "{all:#?}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("lockfile_entry="), "{all:#?}");
    }
    assert_eq!(
        project.entry("skill", "x")["wiki_commit"],
        wiki.head().as_str()
    );
    let dest = files_of(&snapshot(project.dest("skill", "x")));
    let got: BTreeMap<String, Vec<u8>> = dest.into_iter().map(|(k, (_, b))| (k, b)).collect();
    let expected: BTreeMap<String, Vec<u8>> = ["SKILL.md", "a/b.md"]
        .into_iter()
        .map(|f| (f.to_owned(), wiki.committed(&format!("skills/x/{f}"))))
        .collect();
    assert_eq!(got, expected);
}

/// K1, K5, K6 across implementations: the mixed race of distinct and
/// identical installs with every other process being the peer's
/// `mm context install`.
#[assetpin_test(peer)]
fn k5_k6_sixteen_processes_mixing_tools(mm: &Path) {
    mixed_race(Some(mm));
}
