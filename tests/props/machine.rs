//! A state machine (`proptest-state-machine`) over random sequences of
//! `install`, `update` (plain, `--force`, `--force-head`, `--dry-run`),
//! outside edits, touches and deletes in dest, hand edits of the lockfile,
//! wiki commits, uncommitted wiki edits and rollbacks, and `install --all`.
//! After every step the real binary's project is compared with an abstract
//! model: dest bytes and modes, lockfile entries, `status --json` states,
//! and every refusal (kind, exit code, nothing written).
//!
//! Clauses: I1, I2, I4, I5, I6, I7, I8, L2, L3, L9, L10, U1-U6, T1-T3, E1,
//! E2.

use assetpin_test_support::{Project, Wiki, assetpin, files_of, first_line, sha256, snapshot};
use proptest::prelude::*;
use proptest::strategy::Union;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The assets: (CLI type, name).
const ASSETS: [(&str, &str); 3] = [("skill", "m0"), ("skill", "m1"), ("agent", "m2")];

/// Paths an asset's wiki directory may hold (`MAIN.md` always).
const WIKI_FILES: [&str; 3] = ["MAIN.md", "ref.md", "sub/x.md"];

/// Paths an outside edit may touch: the wiki's, a file of the user's own
/// and a backup.
const EDIT_FILES: [&str; 5] = ["MAIN.md", "ref.md", "sub/x.md", "own.md", "MAIN.md.bak"];

/// Contents: few variants, so that edits often restore recorded bytes.
const BYTES: [&str; 3] = ["v1\n", "v2\n", "v3\n"];

/// Files of one asset: relative path -> bytes.
type Content = BTreeMap<String, Vec<u8>>;

#[derive(Clone, Debug)]
pub struct Commit {
    parent: Option<usize>,
    /// Per asset: its directory at this commit, `None` when absent.
    assets: Vec<Option<Content>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pin {
    /// A commit of the model's wiki, by index.
    Commit(usize),
    /// A hand-written id the wiki does not have.
    Forged(String),
}

#[derive(Clone, Debug)]
pub struct Entry {
    pin: Pin,
    /// The recorded files and the bytes their digests were taken of.
    files: Content,
}

/// What the last transition must have done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Exit 0 and the state changed as the model says.
    Done,
    /// Exit 0, nothing written (U1 up to date).
    NoWrite,
    /// U6 dry run: exit 0, nothing written, and this plan in `--json`:
    /// (path, action, dirty) per file.
    Plan(BTreeSet<(String, &'static str, bool)>),
    /// Exit 1 with `error[kind]` and nothing written (E1, E2, I5).
    Refused(&'static str),
    /// `install --all`: rows (name, status) and the exit code (I8).
    All(BTreeSet<(String, String)>, i32),
    /// Nothing to run (a change to the wiki or dest made by hand).
    Outside,
}

#[derive(Clone, Debug)]
pub struct Model {
    commits: Vec<Commit>,
    head: usize,
    /// Per asset: the wiki work tree differs from HEAD in its directory.
    wiki_dirty: Vec<bool>,
    entries: Vec<Option<Entry>>,
    dest: Vec<Option<Content>>,
    last: Expect,
}

#[derive(Clone, Debug)]
pub enum Step {
    Install(usize),
    Update {
        a: usize,
        force: bool,
        force_head: bool,
        dry_run: bool,
    },
    InstallAll,
    /// Write `bytes` at `file` in dest (outside edit).
    Edit {
        a: usize,
        file: &'static str,
        bytes: &'static str,
    },
    /// Rewrite a file with its own bytes: a new mtime, same content.
    Touch {
        a: usize,
        file: String,
    },
    DeleteFile {
        a: usize,
        file: String,
    },
    DeleteDest(usize),
    /// The user makes dest by hand (no entry).
    MakeDest(usize),
    /// The user deletes the entry from the lockfile by hand.
    DropEntry(usize),
    /// The user writes a pin the wiki does not have.
    ForgePin {
        a: usize,
        pin: String,
    },
    WikiCommit(Vec<Option<Content>>),
    /// `git reset --hard` to an earlier commit.
    WikiRollback(usize),
    /// An uncommitted change in the wiki's asset directory.
    WikiDirty(usize),
}

fn arb_content() -> impl Strategy<Value = Option<Content>> {
    let b = || proptest::sample::select(BYTES.to_vec());
    prop_oneof![
        1 => Just(None),
        6 => (b(), proptest::option::of(b()), proptest::option::of(b())).prop_map(|(m, r, s)| {
            let mut c = Content::new();
            c.insert(WIKI_FILES[0].into(), m.as_bytes().to_vec());
            if let Some(r) = r {
                c.insert(WIKI_FILES[1].into(), r.as_bytes().to_vec());
            }
            if let Some(s) = s {
                c.insert(WIKI_FILES[2].into(), s.as_bytes().to_vec());
            }
            Some(c)
        }),
    ]
}

fn arb_contents() -> impl Strategy<Value = Vec<Option<Content>>> {
    proptest::collection::vec(arb_content(), ASSETS.len())
}

impl Model {
    fn is_ancestor(&self, a: usize, mut d: usize) -> bool {
        loop {
            if a == d {
                return true;
            }
            match self.commits[d].parent {
                Some(p) => d = p,
                None => return false,
            }
        }
    }

    /// U2 with valid digests: recorded files missing from dest or whose
    /// bytes differ; `.bak` never.
    fn dirty(&self, a: usize) -> Vec<String> {
        let Some(e) = &self.entries[a] else {
            return Vec::new();
        };
        e.files
            .iter()
            .filter(|(p, b)| {
                !p.ends_with(".bak") && self.dest[a].as_ref().and_then(|d| d.get(*p)) != Some(*b)
            })
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// T1 precedence: missing, dirty, then the wiki states.
    fn state(&self, a: usize) -> &'static str {
        let Some(e) = &self.entries[a] else {
            return "untracked";
        };
        if self.dest[a].is_none() {
            return "missing";
        }
        if !self.dirty(a).is_empty() {
            return "dirty";
        }
        match e.pin {
            Pin::Forged(_) => "stale-pin",
            Pin::Commit(p) if p == self.head => "ok",
            Pin::Commit(p) if self.is_ancestor(p, self.head) => "behind",
            Pin::Commit(_) => "stale-pin",
        }
    }

    fn install(&mut self, a: usize) -> Expect {
        let Some(content) = self.commits[self.head].assets[a].clone() else {
            return Expect::Refused("asset-not-found");
        };
        if self.wiki_dirty[a] {
            return Expect::Refused("uncommitted");
        }
        if self.entries[a].is_some() || self.dest[a].is_some() {
            return Expect::Refused("already-installed");
        }
        self.dest[a] = Some(content.clone());
        self.entries[a] = Some(Entry {
            pin: Pin::Commit(self.head),
            files: content,
        });
        Expect::Done
    }

    fn update(&mut self, a: usize, force: bool, force_head: bool, dry_run: bool) -> Expect {
        let Some(entry) = self.entries[a].clone() else {
            return Expect::Refused("not-installed");
        };
        let dirty = self.dirty(a);
        let forward = matches!(entry.pin, Pin::Commit(p) if self.is_ancestor(p, self.head));
        if !forward && !force_head {
            return Expect::Refused("stale-pin");
        }
        if entry.pin == Pin::Commit(self.head) && dirty.is_empty() && self.dest[a].is_some() {
            return Expect::NoWrite;
        }
        let Some(head) = self.commits[self.head].assets[a].clone() else {
            return Expect::Refused("asset-not-found");
        };
        if self.wiki_dirty[a] {
            return Expect::Refused("uncommitted");
        }
        // Sharpening U3: the user's own file where HEAD puts one with other
        // bytes stands in the way like a modified recorded file.
        let in_the_way: Vec<String> = self.dest[a]
            .iter()
            .flat_map(|d| d.iter())
            .filter(|(p, b)| !entry.files.contains_key(*p) && head.get(*p).is_some_and(|h| h != *b))
            .map(|(p, _)| p.clone())
            .collect();
        if dry_run {
            // U6: every file of HEAD (keep when dest already has its bytes,
            // restore when the entry recorded it and it is gone, modify when
            // the entry recorded it, else add) and every
            // recorded file HEAD removed (delete), with its dirty mark
            // (dirty, or in the way).
            let current = |p: &String| self.dest[a].as_ref().and_then(|d| d.get(p));
            let mut plan = BTreeSet::new();
            for (p, b) in &head {
                let action = if current(p) == Some(b) {
                    "keep"
                } else if current(p).is_none() && entry.files.contains_key(p) {
                    "restore"
                } else if entry.files.contains_key(p) {
                    "modify"
                } else {
                    "add"
                };
                plan.insert((
                    p.clone(),
                    action,
                    dirty.contains(p) || in_the_way.contains(p),
                ));
            }
            for p in entry.files.keys().filter(|p| !head.contains_key(*p)) {
                plan.insert((p.clone(), "delete", dirty.contains(p)));
            }
            return Expect::Plan(plan);
        }
        // Sharpening U3: a dirty file that already is what HEAD makes it
        // (HEAD's bytes, or gone where HEAD removed it) loses nothing to
        // the update; only the others block it, and only they get a `.bak`.
        let current = |p: &String| self.dest[a].as_ref().and_then(|d| d.get(p)).cloned();
        let blocking: Vec<String> = dirty
            .iter()
            .filter(|p| current(p) != head.get(*p).cloned())
            .cloned()
            .chain(in_the_way.iter().cloned())
            .collect();
        if !blocking.is_empty() && !force {
            return Expect::Refused("dirty");
        }
        // U3, U4: the HEAD tree, the user's own files kept, and a `.bak`
        // of every blocking file still present (a modified recorded file,
        // or the user's file in HEAD's way).
        let mut new = head.clone();
        if let Some(old) = &self.dest[a] {
            for (p, b) in old {
                if !entry.files.contains_key(p) && !new.contains_key(p) {
                    new.insert(p.clone(), b.clone());
                }
            }
            // A backup never replaces anything: `<p>.bak`, else the first
            // free `<p>.<n>.bak` (the user's own `.bak` is kept as it is).
            let mut taken: BTreeSet<String> = old.keys().chain(head.keys()).cloned().collect();
            for p in &blocking {
                if let Some(b) = old.get(p) {
                    let mut name = format!("{p}.bak");
                    let mut n = 0;
                    while taken.contains(&name) {
                        n += 1;
                        name = format!("{p}.{n}.bak");
                    }
                    taken.insert(name.clone());
                    new.insert(name, b.clone());
                }
            }
        }
        self.dest[a] = Some(new);
        self.entries[a] = Some(Entry {
            pin: Pin::Commit(self.head),
            files: head,
        });
        Expect::Done
    }

    fn install_all(&mut self) -> Expect {
        let mut rows = BTreeSet::new();
        let mut code = 0;
        for (a, (_, name)) in ASSETS.iter().enumerate() {
            let Some(e) = self.entries[a].clone() else {
                continue;
            };
            let name = (*name).to_owned();
            // I8: an unknown pin is reported even where dest is present.
            if let Pin::Forged(_) = e.pin {
                rows.insert((name, "refused:stale-pin".into()));
                code = 1;
                continue;
            }
            if self.dest[a].is_some() {
                rows.insert((name, "present".into()));
                continue;
            }
            match e.pin {
                Pin::Forged(_) => unreachable!("handled above"),
                Pin::Commit(p) => {
                    let content = self.commits[p].assets[a]
                        .clone()
                        .expect("an entry's pin holds its asset");
                    self.dest[a] = Some(content.clone());
                    self.entries[a] = Some(Entry {
                        pin: Pin::Commit(p),
                        files: content,
                    });
                    rows.insert((name, "restored".into()));
                }
            }
        }
        Expect::All(rows, code)
    }
}

fn file_choices(d: &Content) -> Vec<String> {
    d.keys().cloned().collect()
}

pub struct Machine;

impl ReferenceStateMachine for Machine {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        arb_contents()
            .prop_map(|assets| Model {
                commits: vec![Commit {
                    parent: None,
                    assets,
                }],
                head: 0,
                wiki_dirty: vec![false; ASSETS.len()],
                entries: vec![None; ASSETS.len()],
                dest: vec![None; ASSETS.len()],
                last: Expect::Outside,
            })
            .boxed()
    }

    fn transitions(s: &Model) -> BoxedStrategy<Step> {
        let n = ASSETS.len();
        let asset = move || 0..n;
        let mut v: Vec<(u32, BoxedStrategy<Step>)> = vec![
            (5, asset().prop_map(Step::Install).boxed()),
            (
                6,
                (
                    asset(),
                    any::<bool>(),
                    prop::bool::weighted(0.25),
                    prop::bool::weighted(0.2),
                )
                    .prop_map(|(a, force, force_head, dry_run)| Step::Update {
                        a,
                        force,
                        force_head,
                        dry_run,
                    })
                    .boxed(),
            ),
            (2, Just(Step::InstallAll).boxed()),
            (3, arb_contents().prop_map(Step::WikiCommit).boxed()),
            (1, (0..s.commits.len()).prop_map(Step::WikiRollback).boxed()),
        ];
        let with_dest: Vec<usize> = (0..n).filter(|a| s.dest[*a].is_some()).collect();
        let without_dest: Vec<usize> = (0..n).filter(|a| s.dest[*a].is_none()).collect();
        let with_entry: Vec<usize> = (0..n).filter(|a| s.entries[*a].is_some()).collect();
        let at_head: Vec<usize> = (0..n)
            .filter(|a| s.commits[s.head].assets[*a].is_some())
            .collect();
        if !with_dest.is_empty() {
            let files: Vec<(usize, String)> = with_dest
                .iter()
                .flat_map(|a| {
                    file_choices(s.dest[*a].as_ref().unwrap())
                        .into_iter()
                        .map(move |f| (*a, f))
                })
                .collect();
            v.push((
                4,
                (
                    proptest::sample::select(with_dest.clone()),
                    proptest::sample::select(EDIT_FILES.to_vec()),
                    proptest::sample::select(vec!["v1\n", "v2\n", "mine\n"]),
                )
                    .prop_map(|(a, file, bytes)| Step::Edit { a, file, bytes })
                    .boxed(),
            ));
            v.push((
                1,
                proptest::sample::select(with_dest)
                    .prop_map(Step::DeleteDest)
                    .boxed(),
            ));
            if !files.is_empty() {
                v.push((
                    2,
                    proptest::sample::select(files.clone())
                        .prop_map(|(a, file)| Step::Touch { a, file })
                        .boxed(),
                ));
                v.push((
                    2,
                    proptest::sample::select(files)
                        .prop_map(|(a, file)| Step::DeleteFile { a, file })
                        .boxed(),
                ));
            }
        }
        if !without_dest.is_empty() {
            v.push((
                1,
                proptest::sample::select(without_dest)
                    .prop_map(Step::MakeDest)
                    .boxed(),
            ));
        }
        if !with_entry.is_empty() {
            v.push((
                1,
                proptest::sample::select(with_entry.clone())
                    .prop_map(Step::DropEntry)
                    .boxed(),
            ));
            v.push((
                1,
                (proptest::sample::select(with_entry), "[0-9a-f]{40}")
                    .prop_map(|(a, pin)| Step::ForgePin { a, pin })
                    .boxed(),
            ));
        }
        if !at_head.is_empty() {
            v.push((
                1,
                proptest::sample::select(at_head)
                    .prop_map(Step::WikiDirty)
                    .boxed(),
            ));
        }
        Union::new_weighted(v).boxed()
    }

    fn preconditions(s: &Model, t: &Step) -> bool {
        match t {
            Step::Edit { a, .. } | Step::DeleteDest(a) => s.dest[*a].is_some(),
            Step::Touch { a, file } | Step::DeleteFile { a, file } => {
                s.dest[*a].as_ref().is_some_and(|d| d.contains_key(file))
            }
            Step::MakeDest(a) => s.dest[*a].is_none(),
            Step::DropEntry(a) | Step::ForgePin { a, .. } => s.entries[*a].is_some(),
            Step::WikiRollback(i) => *i < s.commits.len(),
            Step::WikiDirty(a) => s.commits[s.head].assets[*a].is_some(),
            _ => true,
        }
    }

    fn apply(mut s: Model, t: &Step) -> Model {
        s.last = match t {
            Step::Install(a) => s.install(*a),
            Step::Update {
                a,
                force,
                force_head,
                dry_run,
            } => s.update(*a, *force, *force_head, *dry_run),
            Step::InstallAll => s.install_all(),
            Step::Edit { a, file, bytes } => {
                let d = s.dest[*a].as_mut().unwrap();
                d.insert((*file).to_owned(), bytes.as_bytes().to_vec());
                Expect::Outside
            }
            Step::Touch { .. } => Expect::Outside,
            Step::DeleteFile { a, file } => {
                s.dest[*a].as_mut().unwrap().remove(file);
                Expect::Outside
            }
            Step::DeleteDest(a) => {
                s.dest[*a] = None;
                Expect::Outside
            }
            Step::MakeDest(a) => {
                let mut c = Content::new();
                c.insert("own.md".into(), b"mine\n".to_vec());
                s.dest[*a] = Some(c);
                Expect::Outside
            }
            Step::DropEntry(a) => {
                s.entries[*a] = None;
                Expect::Outside
            }
            Step::ForgePin { a, pin } => {
                s.entries[*a].as_mut().unwrap().pin = Pin::Forged(pin.clone());
                Expect::Outside
            }
            Step::WikiCommit(assets) => {
                s.commits.push(Commit {
                    parent: Some(s.head),
                    assets: assets.clone(),
                });
                s.head = s.commits.len() - 1;
                s.wiki_dirty = vec![false; ASSETS.len()];
                Expect::Outside
            }
            Step::WikiRollback(i) => {
                s.head = *i;
                s.wiki_dirty = vec![false; ASSETS.len()];
                Expect::Outside
            }
            Step::WikiDirty(a) => {
                s.wiki_dirty[*a] = true;
                Expect::Outside
            }
        };
        s
    }
}

/// The system under test: a real wiki and project, driven through the
/// binary.
pub struct Sut {
    wiki: Wiki,
    project: Project,
    /// Commit ids, indexed like the model's commits.
    ids: Vec<String>,
}

fn asset_dir(a: usize) -> String {
    let (ty, name) = ASSETS[a];
    format!("{}/{name}", assetpin_test_support::section(ty))
}

fn write_commit(wiki: &Wiki, assets: &[Option<Content>], n: usize) -> String {
    for (a, content) in assets.iter().enumerate() {
        let dir = wiki.path().join(asset_dir(a));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        if let Some(c) = content {
            for (p, b) in c {
                wiki.file(&format!("{}/{p}", asset_dir(a)), b);
            }
        }
    }
    wiki.commit(&format!("c{n}"))
}

impl Sut {
    fn dest(&self, a: usize) -> std::path::PathBuf {
        let (ty, name) = ASSETS[a];
        self.project.dest(ty, name)
    }

    fn pin_text(&self, p: &Pin) -> String {
        match p {
            Pin::Commit(i) => self.ids[*i].clone(),
            Pin::Forged(s) => s.clone(),
        }
    }

    fn edit_lockfile(&self, a: usize, f: impl FnOnce(&mut serde_json::Map<String, Value>)) {
        let (ty, name) = ASSETS[a];
        let mut doc = self.project.lockfile_json();
        let sec = doc[assetpin_test_support::section(ty)]
            .as_object_mut()
            .unwrap();
        let mut entry = sec.get(name).unwrap().as_object().unwrap().clone();
        f(&mut entry);
        sec.insert(name.into(), Value::Object(entry));
        self.project
            .write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
    }

    fn drop_entry(&self, a: usize) {
        let (ty, name) = ASSETS[a];
        let mut doc = self.project.lockfile_json();
        doc[assetpin_test_support::section(ty)]
            .as_object_mut()
            .unwrap()
            .shift_remove(name);
        self.project
            .write_lockfile(serde_json::to_vec_pretty(&doc).unwrap());
    }
}

fn run(sut: &Sut, args: &[&str]) -> std::process::Output {
    assetpin(&sut.project, &sut.wiki)
        .args(args)
        .output()
        .unwrap()
}

pub struct MachineTest;

impl StateMachineTest for MachineTest {
    type SystemUnderTest = Sut;
    type Reference = Machine;

    fn init_test(m: &Model) -> Sut {
        let wiki = Wiki::new();
        let id = write_commit(&wiki, &m.commits[0].assets, 0);
        Sut {
            wiki,
            project: Project::new(),
            ids: vec![id],
        }
    }

    fn apply(mut sut: Sut, m: &Model, t: Step) -> Sut {
        let before = snapshot(sut.project.path());
        let out = match &t {
            Step::Install(a) => {
                let (ty, name) = ASSETS[*a];
                Some(run(&sut, &["install", ty, name]))
            }
            Step::Update {
                a,
                force,
                force_head,
                dry_run,
            } => {
                let (ty, name) = ASSETS[*a];
                // `--json` for the dry run's plan (U6).
                let mut args = if *dry_run {
                    vec!["--json", "update", ty, name]
                } else {
                    vec!["update", ty, name]
                };
                for (on, flag) in [
                    (*force, "--force"),
                    (*force_head, "--force-head"),
                    (*dry_run, "--dry-run"),
                ] {
                    if on {
                        args.push(flag);
                    }
                }
                Some(run(&sut, &args))
            }
            Step::InstallAll => Some(run(&sut, &["--json", "install", "--all"])),
            Step::Edit { a, file, bytes } => {
                let p = sut.dest(*a).join(file);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(&p, bytes).unwrap();
                None
            }
            Step::Touch { a, file } => {
                let p = sut.dest(*a).join(file);
                let bytes = std::fs::read(&p).unwrap();
                // Make sure the mtime moves even on a coarse clock.
                std::thread::sleep(std::time::Duration::from_millis(2));
                std::fs::write(&p, bytes).unwrap();
                None
            }
            Step::DeleteFile { a, file } => {
                std::fs::remove_file(sut.dest(*a).join(file)).unwrap();
                None
            }
            Step::DeleteDest(a) => {
                std::fs::remove_dir_all(sut.dest(*a)).unwrap();
                None
            }
            Step::MakeDest(a) => {
                let d = sut.dest(*a);
                std::fs::create_dir_all(&d).unwrap();
                std::fs::write(d.join("own.md"), "mine\n").unwrap();
                None
            }
            Step::DropEntry(a) => {
                sut.drop_entry(*a);
                None
            }
            Step::ForgePin { a, pin } => {
                sut.edit_lockfile(*a, |e| {
                    e.insert("wiki_commit".into(), Value::from(pin.as_str()));
                });
                None
            }
            Step::WikiCommit(assets) => {
                let id = write_commit(&sut.wiki, assets, sut.ids.len());
                sut.ids.push(id);
                None
            }
            Step::WikiRollback(i) => {
                sut.wiki.git(&["reset", "-q", "--hard", &sut.ids[*i]]);
                None
            }
            Step::WikiDirty(a) => {
                let p = sut.wiki.path().join(asset_dir(*a)).join("MAIN.md");
                let mut b = std::fs::read(&p).unwrap();
                b.extend_from_slice(b"uncommitted\n");
                std::fs::write(&p, b).unwrap();
                None
            }
        };
        if let Some(out) = out {
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            let ctx = format!(
                "step {t:?}\nexit {:?}\nstdout: {}\nstderr: {stderr}",
                out.status.code(),
                String::from_utf8_lossy(&out.stdout)
            );
            assert!(!stderr.contains("panicked"), "{ctx}");
            match &m.last {
                Expect::Done => assert_eq!(out.status.code(), Some(0), "{ctx}"),
                Expect::NoWrite => {
                    assert_eq!(out.status.code(), Some(0), "{ctx}");
                    let after = snapshot(sut.project.path());
                    assert!(before == after, "{ctx}\nwrote:\n{}", before.diff(&after));
                }
                Expect::Plan(plan) => {
                    assert_eq!(out.status.code(), Some(0), "{ctx}");
                    let after = snapshot(sut.project.path());
                    assert!(before == after, "{ctx}\nwrote:\n{}", before.diff(&after));
                    let v: Value = serde_json::from_slice(&out.stdout).expect("--json output");
                    assert_eq!(v["status"], "planned", "{ctx}");
                    let got: BTreeSet<(String, &str, bool)> = v["plan"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| {
                            (
                                r["path"].as_str().unwrap().to_owned(),
                                r["action"].as_str().unwrap(),
                                r["dirty"].as_bool().unwrap(),
                            )
                        })
                        .collect();
                    assert_eq!(&got, plan, "{ctx}");
                }
                Expect::Refused(kind) => {
                    assert_eq!(out.status.code(), Some(1), "{ctx}");
                    assert!(
                        first_line(&out.stderr).starts_with(&format!("error[{kind}]: ")),
                        "expected {kind}: {ctx}"
                    );
                    let after = snapshot(sut.project.path());
                    assert!(before == after, "{ctx}\nwrote:\n{}", before.diff(&after));
                }
                Expect::All(rows, code) => {
                    assert_eq!(out.status.code(), Some(*code), "{ctx}");
                    let v: Value = serde_json::from_slice(&out.stdout).expect("--json output");
                    let got: BTreeSet<(String, String)> = v["entries"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| {
                            let status = r["status"].as_str().unwrap();
                            let status = match r["kind"].as_str() {
                                Some(k) => format!("{status}:{k}"),
                                None => status.to_owned(),
                            };
                            (r["name"].as_str().unwrap().to_owned(), status)
                        })
                        .collect();
                    assert_eq!(&got, rows, "{ctx}");
                }
                Expect::Outside => unreachable!("a command step has an expectation"),
            }
        }
        sut
    }

    fn check_invariants(sut: &Sut, m: &Model) {
        let lock = sut
            .project
            .lockfile_path()
            .exists()
            .then(|| sut.project.lockfile_json());
        for (a, (ty, name)) in ASSETS.iter().enumerate() {
            // Dest: exactly the model's files, 0644, no staging leftovers.
            let dest = sut.dest(a);
            match &m.dest[a] {
                None => assert!(!dest.exists(), "{name}: dest exists, model has none"),
                Some(want) => {
                    let got = files_of(&snapshot(&dest));
                    let got_bytes: Content = got
                        .iter()
                        .map(|(p, (_, b))| (p.clone(), b.clone()))
                        .collect();
                    assert_eq!(&got_bytes, want, "{name}: dest bytes");
                    for (p, (mode, _)) in &got {
                        assert_eq!(*mode, 0o644, "{name}/{p}: mode");
                    }
                }
            }
            if let Some(section) = dest.parent().filter(|p| p.exists()) {
                for e in std::fs::read_dir(section).unwrap() {
                    let e = e.unwrap().file_name().to_string_lossy().into_owned();
                    assert!(
                        !e.starts_with(&format!(".{name}~staging-")),
                        "staging left: {e}"
                    );
                }
            }
            // Entry: L2 fields from the model.
            let entry = lock
                .as_ref()
                .map(|l| l[assetpin_test_support::section(ty)][name].clone())
                .unwrap_or(Value::Null);
            match &m.entries[a] {
                None => assert!(entry.is_null(), "{name}: unexpected entry {entry}"),
                Some(e) => {
                    let pin = sut.pin_text(&e.pin);
                    assert_eq!(entry["wiki_commit"], Value::from(pin.as_str()), "{name}");
                    let files: Vec<&str> = e.files.keys().map(String::as_str).collect();
                    assert_eq!(entry["files"], serde_json::json!(files), "{name}: files");
                    let digests: serde_json::Map<String, Value> = e
                        .files
                        .iter()
                        .map(|(p, b)| (p.clone(), Value::from(sha256(b))))
                        .collect();
                    assert_eq!(entry["digests"], Value::Object(digests), "{name}: digests");
                    assert_eq!(entry["digests_installed_at"], entry["installed_at"]);
                    if let Pin::Commit(_) = e.pin {
                        assert_eq!(entry["files_commit"], entry["wiki_commit"]);
                    }
                }
            }
        }
        // T1, T3: status agrees with the model, row for row.
        let out = run(sut, &["--json", "status"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "status: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["wiki_head"], Value::from(sut.ids[m.head].as_str()));
        let mut got: Vec<(String, String, Option<String>, Vec<String>)> = v["assets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_owned(),
                    r["state"].as_str().unwrap().to_owned(),
                    r["pin"].as_str().map(str::to_owned),
                    r["dirty_files"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|f| f.as_str().unwrap().to_owned())
                        .collect(),
                )
            })
            .collect();
        got.sort();
        let mut want = Vec::new();
        for (a, (_, name)) in ASSETS.iter().enumerate() {
            if m.entries[a].is_none() && m.dest[a].is_none() {
                continue;
            }
            let state = m.state(a);
            let pin = m.entries[a].as_ref().map(|e| sut.pin_text(&e.pin));
            let dirty = if state == "dirty" {
                m.dirty(a)
            } else {
                Vec::new()
            };
            want.push(((*name).to_owned(), state.to_owned(), pin, dirty));
        }
        want.sort();
        assert_eq!(got, want, "status rows\nmodel: {m:?}");
    }
}

prop_state_machine! {
    #![proptest_config(crate::config(24))]

    /// I1, I4, I5, I8, L2, L10, U1-U6, T1-T3, E1, E2: random sequences of
    /// verbs, outside edits and wiki history keep the binary in step with
    /// the model after every step.
    #[test]
    fn lifecycle_matches_model(sequential 1..12 => MachineTest);
}

/// One asset that is present (the commit's directory exists).
fn arb_present() -> impl Strategy<Value = Content> {
    arb_content().prop_filter_map("asset present", |c| c)
}

proptest! {
    #![proptest_config(crate::config(24))]

    /// U2, U3, U4, U6 on the path every update takes: install, outside
    /// edits, one wiki commit, then `update --dry-run --json` (its plan
    /// must be the model's, file by file) and the real `update`, checked
    /// step by step as in [`lifecycle_matches_model`], where a dry run
    /// that reaches a plan is rare.
    #[test]
    fn u6_plan_then_update_matches_model(
        first in arb_present(),
        second in arb_present(),
        edits in proptest::collection::vec(
            (
                proptest::sample::select(EDIT_FILES.to_vec()),
                proptest::sample::select(vec!["v1\n", "v2\n", "mine\n"]),
            ),
            0..3,
        ),
        force in any::<bool>(),
    ) {
        let n = ASSETS.len();
        let mut assets = vec![None; n];
        assets[0] = Some(first);
        let mut model = Model {
            commits: vec![Commit { parent: None, assets }],
            head: 0,
            wiki_dirty: vec![false; n],
            entries: vec![None; n],
            dest: vec![None; n],
            last: Expect::Outside,
        };
        let mut next = vec![None; n];
        next[0] = Some(second);
        let mut steps = vec![Step::Install(0)];
        steps.extend(edits.into_iter().map(|(file, bytes)| Step::Edit { a: 0, file, bytes }));
        steps.push(Step::WikiCommit(next));
        for dry_run in [true, false] {
            steps.push(Step::Update { a: 0, force, force_head: false, dry_run });
        }
        let mut sut = MachineTest::init_test(&model);
        for step in steps {
            model = Machine::apply(model, &step);
            sut = MachineTest::apply(sut, &model, step);
            MachineTest::check_invariants(&sut, &model);
        }
    }
}
