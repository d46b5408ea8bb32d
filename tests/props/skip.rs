//! I2, I3: arbitrary trees (nesting; `.git`, `.DS_Store`, `__pycache__` at
//! any depth; `.bak` files and `x.bak` directories; symbolic links;
//! executables; a submodule) committed to a real git wiki install to
//! exactly the files and modes an oracle computes, whatever the umask.

use assetpin_test_support::{Node as SNode, Project, Wiki, assetpin_umask, sha256, snapshot};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// One entry of a generated asset directory.
#[derive(Clone, Debug)]
pub enum Node {
    /// A regular file; `exec` commits it as 100755.
    File { bytes: Vec<u8>, exec: bool },
    /// A symbolic link to `target`.
    Link(String),
    /// A directory (git only records it when it holds something).
    Dir(BTreeMap<String, Node>),
}

/// Names that hit the rules from every side.
const NAMES: [&str; 13] = [
    "a",
    "b.md",
    "x.bak",
    ".bak",
    ".git",
    ".DS_Store",
    "__pycache__",
    "c.bakery",
    "bak",
    "é.md",
    ".hidden",
    "run.sh",
    "d.bak.txt",
];

fn arb_tree() -> impl Strategy<Value = BTreeMap<String, Node>> {
    let name = proptest::sample::select(NAMES.to_vec()).prop_map(str::to_owned);
    let leaf = prop_oneof![
        5 => (proptest::collection::vec(any::<u8>(), 0..12), any::<bool>())
            .prop_map(|(bytes, exec)| Node::File { bytes, exec }),
        1 => proptest::sample::select(vec!["SKILL.md", "../../../etc/passwd", "/etc/hostname", "nowhere", "a"])
            .prop_map(|t| Node::Link(t.to_owned())),
    ];
    let node = leaf.prop_recursive(3, 24, 4, move |inner| {
        proptest::collection::btree_map(
            proptest::sample::select(NAMES.to_vec()).prop_map(str::to_owned),
            inner,
            0..4,
        )
        .prop_map(Node::Dir)
    });
    proptest::collection::btree_map(name, node, 0..6)
}

/// What the oracle expects: installed files (path -> (mode, bytes)) and
/// the paths that must be warned about (links and submodules).
#[derive(Default, Debug)]
struct Expected {
    files: BTreeMap<String, (u32, Vec<u8>)>,
    warned: Vec<String>,
}

/// I2 from the clause: a name in {.git, .DS_Store, __pycache__} drops the
/// entry (and a directory's subtree) at any depth; a non-directory whose
/// name ends in `.bak` is dropped; links are dropped with a warning. I3:
/// executables 0755, other files 0644. `.git` entries never reach a
/// commit at all (git refuses them), which the rule covers too.
fn oracle(tree: &BTreeMap<String, Node>, prefix: &str, out: &mut Expected) {
    for (name, node) in tree {
        let rel = format!("{prefix}{name}");
        if [".git", ".DS_Store", "__pycache__"].contains(&name.as_str()) {
            continue;
        }
        match node {
            Node::Dir(children) => oracle(children, &format!("{rel}/"), out),
            _ if name.ends_with(".bak") => {}
            Node::Link(_) => out.warned.push(rel),
            Node::File { bytes, exec } => {
                out.files
                    .insert(rel, (if *exec { 0o755 } else { 0o644 }, bytes.clone()));
            }
        }
    }
}

fn write(wiki: &Wiki, tree: &BTreeMap<String, Node>, prefix: &str) {
    for (name, node) in tree {
        let rel = format!("{prefix}{name}");
        match node {
            Node::File { bytes, exec: true } => {
                wiki.exec_file(&rel, bytes);
            }
            Node::File { bytes, exec: false } => {
                wiki.file(&rel, bytes);
            }
            Node::Link(t) => {
                wiki.symlink(&rel, t);
            }
            Node::Dir(children) => {
                std::fs::create_dir_all(wiki.path().join(&rel)).unwrap();
                write(wiki, children, &format!("{rel}/"));
            }
        }
    }
}

proptest! {
    #![proptest_config(crate::config(24))]

    /// I2, I3, L2: dest holds exactly the oracle's files with the oracle's
    /// modes (directories 0755) under any umask; `files` and `digests`
    /// list exactly them; each skipped link and submodule is named in a
    /// warning.
    #[test]
    fn i2_i3_install_matches_skip_oracle(
        tree in arb_tree(),
        submodule in any::<bool>(),
        umask in proptest::sample::select(vec!["000", "022", "077", "027"]),
    ) {
        let wiki = Wiki::new();
        let name = "tree";
        let base = format!("skills/{name}/");
        wiki.file(&format!("{base}SKILL.md"), "# tree\n");
        write(&wiki, &tree, &base);
        if submodule {
            wiki.gitlink(&format!("{base}vendored"), &"1".repeat(40));
        }
        wiki.commit("tree");

        let mut want = Expected::default();
        let mut full = tree.clone();
        full.insert("SKILL.md".into(), Node::File { bytes: b"# tree\n".to_vec(), exec: false });
        oracle(&full, "", &mut want);
        if submodule {
            want.warned.push("vendored".into());
        }

        let project = Project::new();
        let out = assetpin_umask(&project, &wiki, umask)
            .args(["install", "skill", name])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        prop_assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr);

        // Dest: exactly the files, and the directories leading to them.
        let snap = snapshot(project.dest("skill", name));
        let mut expect = BTreeMap::new();
        expect.insert(".".to_owned(), SNode::Dir(0o755));
        for (rel, (mode, bytes)) in &want.files {
            let mut acc = String::new();
            for seg in rel.split('/').collect::<Vec<_>>().split_last().unwrap().1 {
                acc = if acc.is_empty() { (*seg).to_owned() } else { format!("{acc}/{seg}") };
                expect.insert(acc.clone(), SNode::Dir(0o755));
            }
            expect.insert(rel.clone(), SNode::File(*mode, bytes.clone()));
        }
        prop_assert!(snap.0 == expect, "dest differs from the oracle:\n{}",
            assetpin_test_support::Snapshot(expect.clone()).diff(&snap));

        // The entry lists exactly the same files, sorted, with digests.
        let entry = project.entry("skill", name);
        let files: Vec<String> = entry["files"].as_array().unwrap().iter()
            .map(|v| v.as_str().unwrap().to_owned()).collect();
        let sorted: Vec<String> = want.files.keys().cloned().collect();
        prop_assert_eq!(&files, &sorted);
        let digests: BTreeMap<String, String> = entry["digests"].as_object().unwrap().iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect();
        let want_digests: BTreeMap<String, String> = want.files.iter()
            .map(|(k, (_, b))| (k.clone(), sha256(b))).collect();
        prop_assert_eq!(digests, want_digests);

        // One warning per skipped link or submodule, naming it.
        let warnings: Vec<&str> = stderr.lines().filter(|l| l.starts_with("warning:")).collect();
        prop_assert_eq!(warnings.len(), want.warned.len(), "stderr: {}", stderr);
        for w in &want.warned {
            let full = format!("{base}{w}");
            prop_assert!(warnings.iter().any(|l| l.contains(&full)), "no warning names {}: {}", full, stderr);
        }
    }
}
