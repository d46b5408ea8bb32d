//! Crash injection (CONTRACT I6, I7, L7, K1, K3): real `assetpin install`
//! and `update` runs and upsert workers are killed with SIGKILL at random
//! moments (and, with the `failpoints` feature, at each named failpoint).
//! After every crash:
//! * the lockfile parses and equals the state before or after the
//!   interrupted operation, with no sibling entry lost;
//! * dest is absent, the old tree or the new tree, never a mix (I6);
//! * leftover staging directories and lockfile temporary files are
//!   ignored, and cleaned by the next operation;
//! * rerunning the operation succeeds, with one exception the contract
//!   itself makes: an install killed after dest was renamed into place but
//!   before its entry was written leaves dest without an entry, which I4
//!   makes the rerun refuse (`lockfile_entry=no, dest=yes`), naming
//!   `assetpin adopt`, which the test then runs. An update killed after its
//!   exchange but before its upsert leaves the new tree under the old
//!   entry; U2 reads it as dirty, but its bytes are HEAD's, so the plain
//!   rerun finishes it (docs/CONTRACT.md, sharpening of U3). An
//!   `install --all` killed part way is finished by its rerun. Every state
//!   is counted with the verb that recovered it; none needs a human (a
//!   state no verb recovers fails the test).
//!
//! [`random_kills`] is shared by the normal test (at least 50 kills) and
//! the ignored soak test in `soak.rs` (at least 500).

use crate::upserts::{upsert_names, worker};
use assetpin::lock::lockfile;
use assetpin_test_support::race::{skill_names, wait_limited};
use assetpin_test_support::*;
use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

type Tree = BTreeMap<String, Vec<u8>>;

/// The files of skill `name` at version `v` (1 or 2): v2 modifies one
/// file, deletes one and adds one, so a mix of the two is detectable.
fn asset_tree(name: &str, v: u32) -> Tree {
    let mut t = Tree::new();
    t.insert("SKILL.md".into(), format!("# {name} v{v}\n").into_bytes());
    t.insert(
        "ref/a.md".into(),
        format!("a of {name}\n").repeat(200).into_bytes(),
    );
    if v == 1 {
        t.insert("ref/old.md".into(), b"only in v1\n".repeat(300));
    } else {
        t.insert("ref/new.md".into(), b"only in v2\n".repeat(300));
    }
    t
}

/// A wiki with commits c1 and c2 (skill `u` at v1 and v2; install targets
/// `n0..n3` and the sibling `keep` unchanged) and a project where `keep`
/// and `u` (at c1) are installed.
pub struct Scene {
    /// The wiki.
    pub wiki: Wiki,
    /// The project.
    pub project: Project,
    /// The two commits.
    pub commits: [String; 2],
    /// The version `u` is installed at (1 or 2).
    u_version: u32,
}

/// The assets installed fresh by the install operation, in turn.
const INSTALL_TARGETS: [&str; 4] = ["n0", "n1", "n2", "n3"];

/// The assets whose dests the `install --all` operation restores.
const RESTORE_TARGETS: [&str; 2] = ["r1", "r2"];

impl Scene {
    /// Sets the scene up (see [`Scene`]).
    pub fn new() -> Scene {
        let wiki = Wiki::new();
        let write = |v: u32| {
            for n in INSTALL_TARGETS
                .iter()
                .chain(&RESTORE_TARGETS)
                .chain(&["keep"])
            {
                for (rel, bytes) in asset_tree(n, 1) {
                    wiki.file(&format!("skills/{n}/{rel}"), bytes);
                }
            }
            if v == 2 {
                wiki.remove("skills/u");
            }
            for (rel, bytes) in asset_tree("u", v) {
                wiki.file(&format!("skills/u/{rel}"), bytes);
            }
        };
        write(1);
        let c1 = wiki.commit("v1");
        write(2);
        let c2 = wiki.commit("v2");
        wiki.git(&["reset", "-q", "--hard", &c1]);
        let project = Project::new();
        let scene = Scene {
            wiki,
            project,
            commits: [c1, c2],
            u_version: 1,
        };
        for n in ["keep", "u", "r1", "r2"] {
            let out = scene.assetpin(&["install", "skill", n]).output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        scene
    }

    fn assetpin(&self, args: &[&str]) -> Command {
        let mut c = assetpin_std(&self.project, &self.wiki);
        c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
        c
    }

    fn lockfile_bytes(&self) -> Option<Vec<u8>> {
        std::fs::read(self.project.lockfile_path()).ok()
    }

    fn doc(&self) -> lockfile::Document {
        let bytes = self.lockfile_bytes();
        lockfile::parse_strict(bytes.as_deref(), "lock.json")
            .unwrap_or_else(|e| panic!("the lockfile must parse after a crash: {e}"))
    }

    fn dest_tree(&self, name: &str) -> Option<Tree> {
        let dest = self.project.dest("skill", name);
        dest.exists().then(|| {
            files_of(&snapshot(&dest))
                .into_iter()
                .map(|(k, (_, b))| (k, b))
                .collect()
        })
    }

    fn skills_dir(&self) -> std::path::PathBuf {
        self.project.memtomem().join("skills")
    }

    fn staging_dirs(&self, name: &str) -> usize {
        let prefix = format!(".{name}~staging-");
        ls(&self.skills_dir())
            .iter()
            .filter(|n| n.starts_with(&prefix))
            .count()
    }

    fn lockfile_temps(&self) -> usize {
        ls(&self.project.memtomem())
            .iter()
            .filter(|n| n.starts_with(".lock.json.tmp-"))
            .count()
    }

    /// Removes `(skill, name)`: dest and entry (test set-up, no process
    /// runs meanwhile).
    fn uninstall(&self, name: &str) {
        let dest = self.project.dest("skill", name);
        if dest.exists() {
            std::fs::remove_dir_all(&dest).unwrap();
        }
        self.remove_entries(&[name.to_owned()]);
    }

    fn remove_entries(&self, names: &[String]) {
        self.edit_lockfile(|doc| {
            for n in names {
                lockfile::remove(doc, assetpin::AssetType::Skill, n);
            }
        });
    }

    /// Edits the lockfile in-process under the sidecar lock, as another
    /// writer would.
    fn edit_lockfile(&self, edit: impl FnOnce(&mut lockfile::Document)) {
        let project = assetpin::ops::project::Project::open(&self.project.path()).unwrap();
        let dir = project.ensure_memtomem().unwrap();
        assetpin::lock::transact(&assetpin::lock::DiskStore::new(&dir), |doc| {
            edit(doc);
            Ok(())
        })
        .unwrap();
    }
}

/// Where a run is stopped.
#[derive(Debug, Clone)]
pub enum Stop {
    /// SIGKILL after this delay.
    After(Duration),
    /// At this failpoint (needs the `failpoints` feature).
    #[allow(dead_code)]
    At(&'static str),
}

/// Runs `cmd` stopped as `stop` says; true when it was killed (rather
/// than finishing first).
fn run_stopped(mut cmd: Command, stop: &Stop) -> bool {
    if let Stop::At(point) = stop {
        cmd.env("FAILPOINTS", format!("{point}=kill"));
    }
    let child = cmd.spawn().expect("spawn");
    if let Stop::After(delay) = stop {
        std::thread::sleep(*delay);
        // A child that already exited is a zombie until waited for: the
        // signal then has no effect and the status tells.
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let out = wait_limited(child, Duration::from_secs(60), "stopped run");
    out.status.signal() == Some(9)
}

fn must_succeed(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} must succeed after a crash: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What the crashes left, counted.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    /// Runs killed by SIGKILL.
    pub kills: usize,
    /// Runs that finished before the signal.
    pub finished: usize,
    /// Kills by operation: install, update, upsert worker, install --all.
    pub by_op: [usize; 4],
    /// Crashes that left the state before the operation.
    pub before: usize,
    /// Crashes that left the state after it.
    pub after: usize,
    /// Installs killed between rename and upsert (dest, no entry).
    pub orphan_dest: usize,
    /// Updates killed between exchange and upsert (new dest, old entry).
    pub update_window: usize,
    /// Crashes that left staging directories (all later cleaned).
    pub staging_left: usize,
    /// Crashes that left lockfile temporary files (all later cleaned).
    pub temps_left: usize,
    /// `install --all` runs killed with some but not all dests restored.
    pub restore_partial: usize,
}

impl Counts {
    /// One line for the log.
    pub fn line(&self) -> String {
        format!(
            "kills={} (install={} update={} upsert={} install-all={}) finished-first={} \
             before={} after={} orphan-dest={} update-window={} restore-partial={} \
             staging-left={} temps-left={} manual=0",
            self.kills,
            self.by_op[0],
            self.by_op[1],
            self.by_op[2],
            self.by_op[3],
            self.finished,
            self.before,
            self.after,
            self.orphan_dest,
            self.update_window,
            self.restore_partial,
            self.staging_left,
            self.temps_left
        )
    }

    /// The recovery table: each state a kill left, how many, and the verb
    /// that recovered it. A state no verb recovers fails the run before
    /// this is printed, so the manual row is zero by construction.
    pub fn recovery_table(&self) -> String {
        let rows = [
            (
                "before (nothing written)",
                self.before,
                "the same verb, rerun",
            ),
            (
                "after (all written)",
                self.after,
                "none (the rerun is a no-op)",
            ),
            (
                "orphan-dest (install: dest, no entry)",
                self.orphan_dest,
                "assetpin adopt, the remedy the rerun names",
            ),
            (
                "update-window (new dest, old entry)",
                self.update_window,
                "the same update, rerun",
            ),
            (
                "restore-partial (install --all part way)",
                self.restore_partial,
                "install --all, rerun",
            ),
            (
                "other (upsert worker part way)",
                self.kills.saturating_sub(
                    self.before
                        + self.after
                        + self.orphan_dest
                        + self.update_window
                        + self.restore_partial,
                ),
                "the same worker, rerun",
            ),
            ("needing a human", 0, "-"),
        ];
        let mut out =
            String::from("state                                     kills  recovered by\n");
        for (state, n, how) in rows {
            out.push_str(&format!("{state:<42}{n:>5}  {how}\n"));
        }
        out
    }
}

/// Checks the lockfile after a crash: it parses, the entries other than
/// `changed` are exactly those of `before`, and it equals `before` with
/// none, some or all of `changed` added. Returns which of `changed` are
/// present.
fn check_lockfile(scene: &Scene, before: &lockfile::Document, changed: &[String]) -> Vec<bool> {
    let now = scene.doc();
    let mut stripped = now.clone();
    let mut present = Vec::new();
    for n in changed {
        present.push(lockfile::get(&now, assetpin::AssetType::Skill, n).is_some());
        lockfile::remove(&mut stripped, assetpin::AssetType::Skill, n);
    }
    let mut before_stripped = before.clone();
    for n in changed {
        lockfile::remove(&mut before_stripped, assetpin::AssetType::Skill, n);
    }
    assert_eq!(
        stripped, before_stripped,
        "a sibling entry changed or was lost in the crash"
    );
    present
}

/// The pin recorded for skill `name`.
fn pin_of(doc: &lockfile::Document, name: &str) -> Option<String> {
    lockfile::get(doc, assetpin::AssetType::Skill, name)
        .and_then(|e| e.get("wiki_commit"))
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

/// Checks the entry of `name` describes `tree` at `pin` (L2).
fn check_entry(doc: &lockfile::Document, name: &str, pin: &str, tree: &Tree) {
    let entry = lockfile::get(doc, assetpin::AssetType::Skill, name)
        .and_then(|e| e.as_object())
        .unwrap_or_else(|| panic!("no entry for {name}"));
    assert_eq!(entry["wiki_commit"], pin, "{name}: pin");
    let digests = lockfile::valid_digests(entry).expect("digests");
    let want: BTreeMap<String, String> = tree.iter().map(|(k, v)| (k.clone(), sha256(v))).collect();
    assert_eq!(digests, want, "{name}: digests of the tree at the pin");
}

/// One install of a fresh asset, stopped; checks and reruns.
fn crash_install(scene: &Scene, name: &str, stop: &Stop, counts: &mut Counts) -> bool {
    let before = scene.doc();
    let tree = asset_tree(name, 1);
    let killed = run_stopped(scene.assetpin(&["install", "skill", name]), stop);
    let present = check_lockfile(scene, &before, &[name.to_owned()])[0];
    let dest = scene.dest_tree(name);
    if let Some(d) = &dest {
        assert_eq!(d, &tree, "I6: dest of {name} is whole or absent");
    }
    let head = scene.wiki.head();
    if killed {
        counts.staging_left += usize::from(scene.staging_dirs(name) > 0);
        counts.temps_left += usize::from(scene.lockfile_temps() > 0);
    }
    match (present, dest.is_some()) {
        (true, true) => {
            counts.after += usize::from(killed);
            check_entry(&scene.doc(), name, &head, &tree);
        }
        (true, false) => panic!("I7: the entry of {name} was written before dest"),
        (false, true) => {
            // I4: the rerun refuses, naming both sides and `adopt`; adopt
            // records the whole dest the killed install placed, with no
            // manual step.
            counts.orphan_dest += 1;
            let out = scene
                .assetpin(&["install", "skill", name])
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.starts_with("error[already-installed]: ")
                    && err.contains("lockfile_entry=no, dest=yes")
                    && err.contains(&format!("`assetpin adopt skill {name}`")),
                "{err}"
            );
            let out = scene.assetpin(&["adopt", "skill", name]).output().unwrap();
            must_succeed(&out, "adopt of the orphan dest");
        }
        (false, false) => {
            counts.before += usize::from(killed);
            let out = scene
                .assetpin(&["install", "skill", name])
                .output()
                .unwrap();
            must_succeed(&out, "install rerun");
        }
    }
    // Rerun done: the state is the completed install, nothing left over.
    assert_eq!(scene.dest_tree(name).as_ref(), Some(&tree));
    check_entry(&scene.doc(), name, &head, &tree);
    assert_eq!(scene.staging_dirs(name), 0, "I6: staging cleaned");
    assert_eq!(scene.lockfile_temps(), 0, "L7: temporary files cleaned");
    scene.uninstall(name);
    killed
}

/// One update of `u` to the other commit, stopped; checks and reruns.
fn crash_update(scene: &mut Scene, stop: &Stop, counts: &mut Counts) -> bool {
    let old_v = scene.u_version;
    let new_v = 3 - old_v;
    let (old_pin, new_pin) = (
        scene.commits[old_v as usize - 1].clone(),
        scene.commits[new_v as usize - 1].clone(),
    );
    scene.wiki.git(&["reset", "-q", "--hard", &new_pin]);
    let (old_tree, new_tree) = (asset_tree("u", old_v), asset_tree("u", new_v));
    let before = scene.doc();
    let args = ["update", "skill", "u", "--force-head"];
    let killed = run_stopped(scene.assetpin(&args), stop);
    check_lockfile(scene, &before, &["u".to_owned()]);
    let doc = scene.doc();
    let pin = pin_of(&doc, "u").expect("the entry of u survives");
    let dest = scene
        .dest_tree("u")
        .expect("I6: dest of u never disappears");
    assert!(
        dest == old_tree || dest == new_tree,
        "I6: dest of u is the old or the new tree, never a mix: {:?}",
        dest.keys().collect::<Vec<_>>()
    );
    if killed {
        counts.staging_left += usize::from(scene.staging_dirs("u") > 0);
        counts.temps_left += usize::from(scene.lockfile_temps() > 0);
    }
    if pin == new_pin {
        assert!(dest == new_tree, "I7: entry moved before dest");
        check_entry(&doc, "u", &new_pin, &new_tree);
        counts.after += usize::from(killed);
        let out = scene.assetpin(&args).output().unwrap();
        must_succeed(&out, "update rerun (up to date)");
    } else {
        assert_eq!(pin, old_pin);
        check_entry(&doc, "u", &old_pin, &old_tree);
        if dest == old_tree {
            counts.before += usize::from(killed);
            let out = scene.assetpin(&args).output().unwrap();
            must_succeed(&out, "update rerun");
        } else {
            // The new tree sits under the old entry: U2 calls those files
            // dirty, but they already hold HEAD's bytes, so nothing is in
            // the way and the plain rerun finishes the update (no .bak).
            counts.update_window += 1;
            let out = scene.assetpin(&args).output().unwrap();
            must_succeed(&out, "update rerun after the exchange window");
            assert!(
                !ls_rec(&scene.project.dest("skill", "u"))
                    .iter()
                    .any(|p| p.ends_with(".bak")),
                "no .bak for files that already held HEAD's bytes"
            );
        }
    }
    assert_eq!(scene.dest_tree("u"), Some(new_tree.clone()));
    check_entry(&scene.doc(), "u", &new_pin, &new_tree);
    assert_eq!(scene.staging_dirs("u"), 0, "I6: staging cleaned");
    assert_eq!(scene.lockfile_temps(), 0, "L7: temporary files cleaned");
    scene.u_version = new_v;
    killed
}

fn ls_rec(dir: &Path) -> Vec<String> {
    snapshot(dir)
        .0
        .into_iter()
        .filter(|(_, n)| matches!(n, Node::File(..)))
        .map(|(p, _)| p)
        .collect()
}

/// One upsert worker (10 upserts), stopped; checks and reruns.
fn crash_upserts(scene: &Scene, round: usize, stop: &Stop, counts: &mut Counts) -> bool {
    let prefix = format!("k{round}");
    let names = upsert_names(&prefix, 10);
    let before = scene.doc();
    let path = scene.project.path();
    let job = ["upsert", path.to_str().unwrap(), &prefix, "10"];
    let killed = run_stopped(worker(&job), stop);
    let present = check_lockfile(scene, &before, &names);
    let done = present.iter().take_while(|p| **p).count();
    assert!(
        present[done..].iter().all(|p| !p),
        "upserts land in order: {present:?}"
    );
    if killed {
        counts.temps_left += usize::from(scene.lockfile_temps() > 0);
        match done {
            0 => counts.before += 1,
            10 => counts.after += 1,
            _ => {}
        }
    }
    let out = worker(&job).output().unwrap();
    must_succeed(&out, "upsert worker rerun");
    let got: Vec<String> = skill_names(&scene.project)
        .into_iter()
        .filter(|n| n.starts_with(&format!("{prefix}-")))
        .collect();
    assert_eq!(got, names);
    assert_eq!(scene.lockfile_temps(), 0, "L7: temporary files cleaned");
    scene.remove_entries(&names);
    killed
}

/// One `install --all` with the dests of [`RESTORE_TARGETS`] deleted,
/// stopped; checks and reruns it.
fn crash_install_all(scene: &Scene, stop: &Stop, counts: &mut Counts) -> bool {
    for n in RESTORE_TARGETS {
        std::fs::remove_dir_all(scene.project.dest("skill", n)).unwrap();
    }
    let before = scene.doc();
    let pins: Vec<Option<String>> = RESTORE_TARGETS.iter().map(|n| pin_of(&before, n)).collect();
    let killed = run_stopped(scene.assetpin(&["install", "--all"]), stop);
    let names: Vec<String> = RESTORE_TARGETS.iter().map(|n| (*n).to_owned()).collect();
    let present = check_lockfile(scene, &before, &names);
    assert!(
        present.iter().all(|p| *p),
        "I8: install --all never removes an entry"
    );
    let doc = scene.doc();
    let mut restored = 0;
    for (n, pin) in RESTORE_TARGETS.iter().zip(&pins) {
        assert_eq!(&pin_of(&doc, n), pin, "I8: pins are never moved");
        if let Some(d) = scene.dest_tree(n) {
            assert_eq!(d, asset_tree(n, 1), "I6: dest of {n} is whole or absent");
            restored += 1;
        }
    }
    if killed {
        counts.staging_left +=
            usize::from(RESTORE_TARGETS.iter().any(|n| scene.staging_dirs(n) > 0));
        counts.temps_left += usize::from(scene.lockfile_temps() > 0);
        match restored {
            0 => counts.before += 1,
            n if n == RESTORE_TARGETS.len() => counts.after += 1,
            _ => counts.restore_partial += 1,
        }
    }
    let out = scene.assetpin(&["install", "--all"]).output().unwrap();
    must_succeed(&out, "install --all rerun");
    let doc = scene.doc();
    for (n, pin) in RESTORE_TARGETS.iter().zip(&pins) {
        assert_eq!(scene.dest_tree(n), Some(asset_tree(n, 1)), "{n} restored");
        check_entry(&doc, n, pin.as_deref().unwrap(), &asset_tree(n, 1));
        assert_eq!(scene.staging_dirs(n), 0, "I6: staging cleaned");
    }
    assert_eq!(scene.lockfile_temps(), 0, "L7: temporary files cleaned");
    killed
}

/// How long an uninterrupted install and an uninterrupted upsert worker
/// take here (at least 5 ms): the random kills are spread over that span,
/// so that they land in every phase of a run, not only in its start-up.
fn calibrate(scene: &Scene) -> [Duration; 4] {
    let t = Instant::now();
    let out = scene
        .assetpin(&["install", "skill", "n0"])
        .output()
        .unwrap();
    must_succeed(&out, "calibration install");
    let install = t.elapsed();
    scene.uninstall("n0");
    let path = scene.project.path();
    let t = Instant::now();
    let out = worker(&["upsert", path.to_str().unwrap(), "cal", "10"])
        .output()
        .unwrap();
    must_succeed(&out, "calibration worker");
    let upserts = t.elapsed();
    scene.remove_entries(&upsert_names("cal", 10));
    for n in RESTORE_TARGETS {
        std::fs::remove_dir_all(scene.project.dest("skill", n)).unwrap();
    }
    let t = Instant::now();
    let out = scene.assetpin(&["install", "--all"]).output().unwrap();
    must_succeed(&out, "calibration install --all");
    let all = t.elapsed();
    let floor = Duration::from_millis(5);
    [
        install.max(floor),
        install.max(floor),
        upserts.max(floor),
        all.max(floor),
    ]
}

/// Runs operations (install, update, upsert worker in turn) stopped by
/// SIGKILL after a random delay within the op's calibrated run time,
/// until `kills` of them were killed mid-run, checking every invariant
/// after each. Returns the counts.
pub fn random_kills(kills: usize, seed: u64) -> Counts {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut scene = Scene::new();
    let spans = calibrate(&scene);
    let mut counts = Counts::default();
    let mut round = 0;
    let start = Instant::now();
    while counts.kills < kills {
        assert!(
            round < kills * 6,
            "too few runs were killed mid-run: {}",
            counts.line()
        );
        let op = round % 4;
        let span = spans[op].as_micros() as u64;
        let stop = Stop::After(Duration::from_micros(rng.u64(0..span)));
        let killed = match op {
            0 => crash_install(
                &scene,
                INSTALL_TARGETS[round / 4 % INSTALL_TARGETS.len()],
                &stop,
                &mut counts,
            ),
            1 => crash_update(&mut scene, &stop, &mut counts),
            2 => crash_upserts(&scene, round, &stop, &mut counts),
            _ => crash_install_all(&scene, &stop, &mut counts),
        };
        if killed {
            counts.kills += 1;
            counts.by_op[op] += 1;
        } else {
            counts.finished += 1;
        }
        round += 1;
    }
    // The sibling installed first was never touched.
    assert_eq!(scene.dest_tree("keep"), Some(asset_tree("keep", 1)));
    eprintln!(
        "random kills (seed {seed}, spans {spans:?}): {} in {:.1?}\n{}",
        counts.line(),
        start.elapsed(),
        counts.recovery_table()
    );
    counts
}

/// The seed of a random-kill run: `$ASSETPIN_CRASH_SEED`, else the clock
/// (printed, so a failure can be replayed).
pub fn seed() -> u64 {
    std::env::var("ASSETPIN_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

/// I6, I7, L7, K1: at least 50 runs killed at random moments, every
/// invariant checked after each.
#[test]
fn i6_l7_random_sigkills_leave_before_or_after() {
    let counts = random_kills(60, seed());
    assert!(counts.kills >= 60);
}

/// I6, I7, L7: a run killed at each named failpoint of the install,
/// update and upsert paths leaves the state before or after, and the
/// rerun succeeds (or meets the documented refusal).
#[cfg(feature = "failpoints")]
#[test]
fn i6_l7_kill_at_every_failpoint() {
    let install_points = [
        "install::after-stage",
        "install::after-rename",
        "upsert::after-lock",
        "upsert::after-tmp-write",
        "upsert::after-rename",
        "upsert::after-replace",
        "install::after-upsert",
    ];
    let update_points = [
        "update::after-stage",
        "update::after-exchange",
        "update::after-cleanup",
        "upsert::after-lock",
        "upsert::after-tmp-write",
        "upsert::after-rename",
        "update::after-upsert",
    ];
    let mut scene = Scene::new();
    let mut counts = Counts::default();
    for (i, point) in install_points.iter().enumerate() {
        let name = INSTALL_TARGETS[i % INSTALL_TARGETS.len()];
        assert!(
            crash_install(&scene, name, &Stop::At(point), &mut counts),
            "{point} was not reached by install"
        );
        counts.kills += 1;
    }
    for point in update_points {
        assert!(
            crash_update(&mut scene, &Stop::At(point), &mut counts),
            "{point} was not reached by update"
        );
        counts.kills += 1;
    }
    for (i, point) in ["upsert::after-tmp-write", "upsert::after-rename"]
        .iter()
        .enumerate()
    {
        assert!(
            crash_upserts(&scene, 1000 + i, &Stop::At(point), &mut counts),
            "{point} was not reached by the upsert worker"
        );
        counts.kills += 1;
    }
    eprintln!("failpoint kills: {}", counts.line());
    // after-rename, after-lock and after-tmp-write of the install's upsert.
    assert_eq!(counts.orphan_dest, 3, "{}", counts.line());
}

/// I7, I5, K1: an entry that appears after an install's checks, written
/// by a writer that skipped the per-asset lock (a hand edit made under
/// the sidecar lock), is seen by the install's own upsert: the install
/// refuses `already-installed`, takes its dest back out and leaves the
/// foreign entry as it found it. The install is held at
/// `install::after-rename` (dest placed, no entry yet) by a failpoint
/// sleep while the entry is written.
#[cfg(feature = "failpoints")]
#[test]
fn i7_entry_written_behind_the_asset_lock_is_refused_at_upsert() {
    let scene = Scene::new();
    let dest = scene.project.dest("skill", "n0");
    let mut cmd = scene.assetpin(&["install", "skill", "n0"]);
    cmd.env("FAILPOINTS", "install::after-rename=sleep(5000)");
    let child = cmd.spawn().expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !dest.exists() {
        assert!(Instant::now() < deadline, "install never placed dest");
        std::thread::sleep(Duration::from_millis(5));
    }
    // The foreign entry: `keep`'s entry under the name `n0`.
    scene.edit_lockfile(|doc| {
        let keep = lockfile::get(doc, assetpin::AssetType::Skill, "keep")
            .unwrap()
            .clone();
        doc["skills"]
            .as_object_mut()
            .unwrap()
            .insert("n0".into(), keep);
    });
    let foreign = scene.doc();

    let out = wait_limited(child, Duration::from_secs(60), "held install");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error[already-installed]: "), "{err}");
    assert!(!dest.exists(), "I5: the install took its dest back out");
    assert_eq!(scene.doc(), foreign, "the foreign entry is left as it was");
    assert_eq!(scene.staging_dirs("n0"), 0, "I6: no staging left");
}

/// U7 at the swap: an edit made to dest after the update planned (here
/// while it is held at `update::after-stage` by a failpoint sleep, its new
/// tree staged) is not lost: the update finds the old tree changed after
/// the exchange, puts it back and fails with `conflict` (exit 3); the
/// entry keeps its pin and no staging is left.
#[cfg(feature = "failpoints")]
#[test]
fn u7_an_edit_racing_the_swap_is_kept_and_the_update_conflicts() {
    let wiki = Wiki::new();
    wiki.file("skills/e/SKILL.md", "# e v1\n");
    let v1 = wiki.commit("v1");
    let project = Project::new();
    let out = assetpin_std(&project, &wiki)
        .args(["install", "skill", "e"])
        .output()
        .unwrap();
    must_succeed(&out, "install");
    wiki.file("skills/e/SKILL.md", "# e v2\n");
    wiki.commit("v2");
    let section = project.memtomem().join("skills");
    let mut cmd = assetpin_std(&project, &wiki);
    cmd.args(["update", "skill", "e"])
        .env("FAILPOINTS", "update::after-stage=sleep(3000)")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ls(&section).iter().any(|n| n.contains("~staging-")) {
        assert!(Instant::now() < deadline, "the update never staged");
        std::thread::sleep(Duration::from_millis(5));
    }
    let file = project.dest("skill", "e").join("SKILL.md");
    std::fs::write(&file, "# e v1\nmy edit during the update\n").unwrap();
    let out = wait_limited(child, Duration::from_secs(60), "held update");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.starts_with("error[conflict]: "), "{err}");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        b"# e v1\nmy edit during the update\n",
        "the edit survives"
    );
    assert_eq!(project.entry("skill", "e")["wiki_commit"], v1.as_str());
    assert!(
        !ls(&section).iter().any(|n| n.contains("staging")),
        "I6: no staging left"
    );
}

/// D3: a remove killed at each of its failpoints (after dest was taken
/// out, after the entry was deleted) leaves either the entry without dest
/// or the asset removed, never a dest without entry; the sibling entry
/// stays; and a rerun of `remove` finishes it, leaving no staging behind.
#[cfg(feature = "failpoints")]
#[test]
fn d3_a_killed_remove_is_finished_by_the_rerun() {
    for point in ["remove::after-take-out", "remove::after-unrecord"] {
        let scene = Scene::new();
        let dest = scene.project.dest("skill", "u");
        let mut cmd = scene.assetpin(&["remove", "skill", "u"]);
        cmd.env("FAILPOINTS", format!("{point}=kill"));
        let out = wait_limited(cmd.spawn().expect("spawn"), Duration::from_secs(60), point);
        assert_eq!(out.status.signal(), Some(9), "{point} was not reached");
        let doc = scene.doc();
        let entry = lockfile::get(&doc, assetpin::AssetType::Skill, "u").is_some();
        assert!(
            !dest.exists(),
            "{point}: dest is still there (a dest without entry is not resolvable)"
        );
        assert_eq!(entry, point == "remove::after-take-out", "{point}");
        assert!(lockfile::get(&doc, assetpin::AssetType::Skill, "keep").is_some());
        let rerun = scene.assetpin(&["remove", "skill", "u"]).output().unwrap();
        let want_ok = entry;
        assert_eq!(
            rerun.status.success(),
            want_ok,
            "{point}: rerun {}",
            String::from_utf8_lossy(&rerun.stderr)
        );
        let doc = scene.doc();
        assert!(lockfile::get(&doc, assetpin::AssetType::Skill, "u").is_none());
        if entry {
            assert_eq!(scene.staging_dirs("u"), 0, "{point}: staging left");
        }
    }
}

/// W3, W5 (the guard at the swap): an editor that takes no lock rewrites
/// the main file while an `edit` holds its staged bytes; the edit exchanges
/// back and fails with conflict, the editor's bytes are kept, and no
/// temporary name is left.
#[cfg(feature = "failpoints")]
#[test]
fn w5_an_unlocked_write_racing_the_swap_is_kept_and_the_edit_conflicts() {
    let wiki = Wiki::new();
    wiki.file("skills/e/SKILL.md", "# e v1\n");
    wiki.commit("v1");
    let project = Project::new();
    let out = assetpin_std(&project, &wiki)
        .args(["install", "skill", "e"])
        .output()
        .unwrap();
    must_succeed(&out, "install");
    let dest = project.dest("skill", "e");
    let file = dest.join("SKILL.md");
    let m = mtime_ns(&file).to_string();
    let content = project.home().join("c.md");
    std::fs::write(&content, "# e, edited\n").unwrap();
    let mut cmd = assetpin_std(&project, &wiki);
    cmd.args([
        "edit",
        "skill",
        "e",
        "--expect-mtime-ns",
        &m,
        "--content-file",
    ])
    .arg(&content)
    .env("FAILPOINTS", "edit::after-stage=sleep(3000)")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ls(&dest).iter().any(|n| n.starts_with(".SKILL.md.tmp-")) {
        assert!(Instant::now() < deadline, "the edit never staged");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::fs::write(&file, "# e v1\ntheir edit\n").unwrap();
    let out = wait_limited(child, Duration::from_secs(60), "held edit");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.starts_with("error[conflict]: "), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"# e v1\ntheir edit\n");
    assert_eq!(
        ls(&dest),
        vec!["SKILL.md".to_owned()],
        "a temporary name is left"
    );
}

/// W5, W3: an edit killed before or after its exchange leaves the main
/// file whole (old or new bytes), and the next edit from the file's
/// current mtime_ns lands and tidies what the killed one left.
#[cfg(feature = "failpoints")]
#[test]
fn w5_a_killed_edit_leaves_the_file_whole_and_the_next_edit_tidies() {
    for (point, after) in [("edit::after-stage", false), ("edit::after-exchange", true)] {
        let wiki = Wiki::new();
        wiki.file("skills/e/SKILL.md", "# e v1\n");
        wiki.commit("v1");
        let project = Project::new();
        must_succeed(
            &assetpin_std(&project, &wiki)
                .args(["install", "skill", "e"])
                .output()
                .unwrap(),
            "install",
        );
        let dest = project.dest("skill", "e");
        let file = dest.join("SKILL.md");
        let mtime = |p: &Path| mtime_ns(p).to_string();
        let content = project.home().join("c.md");
        std::fs::write(&content, "# e, edited\n").unwrap();
        let mut cmd = assetpin_std(&project, &wiki);
        cmd.args([
            "edit",
            "skill",
            "e",
            "--expect-mtime-ns",
            &mtime(&file),
            "--content-file",
        ])
        .arg(&content)
        .env("FAILPOINTS", format!("{point}=kill"));
        let out = wait_limited(cmd.spawn().expect("spawn"), Duration::from_secs(60), point);
        assert_eq!(out.status.signal(), Some(9), "{point} was not reached");
        let want: &[u8] = if after { b"# e, edited\n" } else { b"# e v1\n" };
        assert_eq!(std::fs::read(&file).unwrap(), want, "{point}");
        assert!(
            ls(&dest).iter().any(|n| n.starts_with(".SKILL.md.tmp-")),
            "{point}"
        );
        let out = assetpin_std(&project, &wiki)
            .args([
                "edit",
                "skill",
                "e",
                "--expect-mtime-ns",
                &mtime(&file),
                "--content-file",
            ])
            .arg(&content)
            .output()
            .unwrap();
        must_succeed(&out, "the next edit");
        assert_eq!(
            ls(&dest),
            vec!["SKILL.md".to_owned()],
            "{point}: not tidied"
        );
    }
}
