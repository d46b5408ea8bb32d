//! K5, K6 with real processes: every child is spawned before any is
//! waited for, so they race on one project and one lockfile.

use assetpin_test_support::race::{describe, race, skill_names};
use assetpin_test_support::*;
use std::collections::BTreeMap;
use std::process::Output;

/// K5: 16 concurrent installs of distinct assets leave 16 entries, each
/// with its dest.
#[test]
fn k5_sixteen_distinct_installs_leave_sixteen_entries() {
    let names: Vec<String> = (0..16).map(|i| format!("s{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let wiki = Wiki::with_skills(&refs);
    let project = Project::new();
    let outs = race(
        names
            .iter()
            .map(|n| {
                let mut c = assetpin_std(&project, &wiki);
                c.args(["install", "skill", n]);
                c
            })
            .collect(),
    );
    for (n, o) in names.iter().zip(&outs) {
        assert!(o.status.success(), "{n}: {}", describe(o));
    }
    let mut entries = skill_names(&project);
    entries.sort();
    assert_eq!(entries, names);
    let head = wiki.head();
    for n in &names {
        assert_eq!(project.entry("skill", n)["wiki_commit"], head.as_str());
        assert_eq!(
            std::fs::read(project.dest("skill", n).join("SKILL.md")).unwrap(),
            wiki.committed(&format!("skills/{n}/SKILL.md"))
        );
    }
    assert_eq!(
        ls(&project.memtomem())
            .into_iter()
            .filter(|f| f.contains(".tmp-"))
            .count(),
        0,
        "no temporary lockfile left"
    );
}

/// K6: of 8 concurrent installs of one asset exactly one succeeds and
/// seven refuse with `already-installed`; dest equals the tree at the pin
/// and the digests match dest.
#[test]
fn k6_eight_installs_of_one_asset_one_wins() {
    let wiki = Wiki::new();
    wiki.file("skills/x/SKILL.md", "# x\n")
        .file("skills/x/a/b/c.md", "deep\n")
        .exec_file("skills/x/tool.sh", "#!/bin/sh\n");
    for i in 0..20 {
        wiki.file(&format!("skills/x/many/f{i}.txt"), format!("file {i}\n"));
    }
    wiki.commit("x");
    let project = Project::new();
    let outs = race(
        (0..8)
            .map(|_| {
                let mut c = assetpin_std(&project, &wiki);
                c.args(["install", "skill", "x"]);
                c
            })
            .collect(),
    );
    let won: Vec<&Output> = outs.iter().filter(|o| o.status.success()).collect();
    assert_eq!(
        won.len(),
        1,
        "exactly one success: {:#?}",
        outs.iter().map(describe).collect::<Vec<_>>()
    );
    for o in outs.iter().filter(|o| !o.status.success()) {
        assert_eq!(o.status.code(), Some(1), "{}", describe(o));
        assert!(
            first_line(&o.stderr).starts_with("error[already-installed]: "),
            "{}",
            describe(o)
        );
    }

    let entry = project.entry("skill", "x");
    let pin = entry["wiki_commit"].as_str().unwrap().to_owned();
    assert_eq!(pin, wiki.head());
    // dest equals the committed tree at the pin (paths, bytes, modes).
    let listing = wiki.git(&["ls-tree", "-r", &pin, "skills/x/"]);
    let mut expected = BTreeMap::new();
    for line in listing.lines() {
        let (meta, path) = line.split_once('\t').unwrap();
        let mode = if meta.starts_with("100755") {
            0o755
        } else {
            0o644
        };
        let rel = path.strip_prefix("skills/x/").unwrap().to_owned();
        let bytes = wiki.committed(path);
        expected.insert(rel, (mode, bytes));
    }
    let dest = files_of(&snapshot(project.dest("skill", "x")));
    assert_eq!(
        dest.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    assert!(dest == expected, "dest differs from the tree at the pin");
    let digests: BTreeMap<String, String> = entry["digests"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let actual: BTreeMap<String, String> = dest
        .iter()
        .map(|(k, (_, b))| (k.clone(), sha256(b)))
        .collect();
    assert_eq!(digests, actual);
    let leftovers: Vec<String> = ls(&project.memtomem().join("skills"))
        .into_iter()
        .filter(|n| n.contains("staging"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// I8 under K3: 6 concurrent `install --all` processes restoring the same
/// 12 missing dests all succeed; a process that finds a dest restored by
/// another while it waited for the asset lock counts it as present, not
/// as a failure; every dest equals the tree at its pin afterwards.
#[test]
fn i8_concurrent_install_all_restore_each_dest_once() {
    let names: Vec<String> = (0..12).map(|i| format!("r{i:02}")).collect();
    let wiki = Wiki::new();
    for n in &names {
        wiki.skill(n);
        for i in 0..20 {
            wiki.file(&format!("skills/{n}/more/f{i}.md"), format!("{n} {i}\n"));
        }
    }
    wiki.commit("assets");
    let project = Project::new();
    for n in &names {
        let o = assetpin_std(&project, &wiki)
            .args(["install", "skill", n])
            .output()
            .unwrap();
        assert!(o.status.success(), "{n}: {}", describe(&o));
        std::fs::remove_dir_all(project.dest("skill", n)).unwrap();
    }
    let outs = race(
        (0..6)
            .map(|_| {
                let mut c = assetpin_std(&project, &wiki);
                c.args(["install", "--all"]);
                c
            })
            .collect(),
    );
    for o in &outs {
        assert!(o.status.success(), "{}", describe(o));
    }
    for n in &names {
        assert_eq!(
            project.entry("skill", n)["wiki_commit"],
            wiki.head().as_str()
        );
        let dest = files_of(&snapshot(project.dest("skill", n)));
        assert_eq!(dest.len(), 21, "{n}: {:?}", dest.keys());
        for (rel, (_, bytes)) in &dest {
            assert_eq!(
                bytes,
                &wiki.committed(&format!("skills/{n}/{rel}")),
                "{n}/{rel}"
            );
        }
    }
}
