//! Loom models of the update protocol, `update_order::update` itself, on
//! the in-memory file system: update racing an edit of dest (U7 at the
//! swap), another update (K3, U5), an `install --all` (K5, I8) and a
//! `status` reader (I6, K7), and an update whose entry write fails (the
//! rollback). Each has a negative control that removes its guard and
//! requires loom to find the violation. Without the feature `loom` the models run
//! once on std threads.

use crate::memfs::{self, Faults, Fs, MemInstall, MemUpdate, Tree};
use assetpin::lock::sync::{Arc, model, thread};
use assetpin::lock::update_order::{self, Ended};
use assetpin::lock::{install_order, lockfile};
use assetpin::{AssetType, Kind};
use std::collections::BTreeMap;

/// A two-file tree whose bytes name `tag`.
fn tree2(tag: &str) -> Tree {
    BTreeMap::from([
        ("SKILL.md".to_owned(), format!("# {tag}\n").into_bytes()),
        ("x.md".to_owned(), format!("x {tag}\n").into_bytes()),
    ])
}

/// A wiki with commits `trees` (HEAD the last) and skills `assets`
/// installed at commit 0.
fn project(trees: &[Tree], assets: &[&str], faults: Faults) -> Arc<Fs> {
    let fs = Fs::new(BTreeMap::new(), assets, trees[0].clone(), faults);
    for t in &trees[1..] {
        fs.commit(t.clone());
    }
    for a in assets {
        memfs::install_at(&fs, a, 0);
    }
    Arc::new(fs)
}

/// How one modelled update ended: the end, or the error kind.
fn run_update(fs: &Fs, id: usize, name: &str, head: Option<usize>) -> Result<Ended, Kind> {
    let steps = MemUpdate::new(fs, id, name, head);
    update_order::update(&steps, update_order::Run::Write)
        .map(|o| o.ended)
        .map_err(|e| e.kind)
}

/// The recorded pin of skill `name`.
fn pin_of(fs: &Fs, name: &str) -> usize {
    let doc = memfs::doc_of(fs);
    let pin = lockfile::get(&doc, AssetType::Skill, name)
        .and_then(|e| e.get("wiki_commit"))
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("no entry for {name}"));
    memfs::pin_index(pin)
}

/// U7 at the swap: an edit of dest at any moment of an update is never
/// lost. The update refuses `dirty` (edit seen by the plan), `conflict`
/// (edit seen at the swap, dest put back), or succeeds before the edit,
/// which then lands in the new dest.
fn edit_model(faults: Faults) -> impl Fn() + Sync + Send + 'static {
    move || {
        let fs = project(&[tree2("v1"), tree2("v2")], &["a"], faults);
        let editor = {
            let fs = fs.clone();
            thread::spawn(move || fs.put("skills/a/SKILL.md", b"edited\n"))
        };
        let res = run_update(&fs, 0, "a", None);
        editor.join().unwrap();
        assert!(
            matches!(
                res,
                Ok(Ended::Updated) | Err(Kind::Dirty) | Err(Kind::Conflict)
            ),
            "{res:?}"
        );
        assert_eq!(
            fs.read("skills/a/SKILL.md").as_deref(),
            Some(&b"edited\n"[..]),
            "U7: the edit was lost (update ended {res:?})"
        );
        memfs::assert_no_leftovers(&fs);
    }
}

/// K3, U5: two updates that resolved different HEADs (c1 and the newer
/// c2; the asset's bytes are the same in each, so dest cannot tell them
/// apart): the pin never moves backward, and dest matches it.
fn racing_updates_model(faults: Faults) -> impl Fn() + Sync + Send + 'static {
    move || {
        let t = memfs::tree("same");
        let fs = project(&[t.clone(), t.clone(), t], &["a"], faults);
        let newer = {
            let fs = fs.clone();
            thread::spawn(move || run_update(&fs, 1, "a", Some(2)))
        };
        let older = run_update(&fs, 0, "a", Some(1));
        let newer = newer.join().unwrap();
        assert_eq!(newer, Ok(Ended::Updated), "the update to c2 succeeds");
        assert!(
            matches!(older, Ok(Ended::Updated) | Err(Kind::StalePin)),
            "{older:?}"
        );
        assert_eq!(
            pin_of(&fs, "a"),
            2,
            "U5: the pin moved backward from c2 (the update to c1 ended {older:?})"
        );
        memfs::assert_pinned_tree(&fs, "a");
    }
}

/// K5, I8: an update of `a` and an `install --all` restoring `b` (its
/// dest deleted) keep both entries: `a` at HEAD, `b` at its own pin.
fn install_all_model(faults: Faults) -> impl Fn() + Sync + Send + 'static {
    move || {
        let fs = project(&[memfs::tree("v1"), memfs::tree("v2")], &["a", "b"], faults);
        fs.remove_prefix("skills/b/");
        let restorer = {
            let fs = fs.clone();
            thread::spawn(move || {
                let steps = MemInstall::restoring(&fs, 1, "b", 0);
                install_order::install(&steps)
                    .map(|_| ())
                    .map_err(|e| e.kind)
            })
        };
        let updated = run_update(&fs, 0, "a", None);
        assert_eq!(restorer.join().unwrap(), Ok(()), "b is restored");
        assert_eq!(updated, Ok(Ended::Updated), "a is updated");
        assert_eq!(pin_of(&fs, "a"), 1, "K5: the update of a was lost");
        assert_eq!(pin_of(&fs, "b"), 0, "I8: b keeps its own pin");
        memfs::assert_pinned_tree(&fs, "a");
        memfs::assert_pinned_tree(&fs, "b");
    }
}

/// I6, K7: a `status` reader during an update sees dest whole, the old
/// tree or the new one, never a mix or nothing.
fn reader_model(faults: Faults) -> impl Fn() + Sync + Send + 'static {
    move || {
        let (old, new) = (tree2("v1"), tree2("v2"));
        let fs = project(&[old.clone(), new.clone()], &["a"], faults);
        let reader = {
            let fs = fs.clone();
            thread::spawn(move || fs.tree_at("skills/a"))
        };
        assert_eq!(run_update(&fs, 0, "a", None), Ok(Ended::Updated));
        let seen = reader.join().unwrap();
        assert!(
            seen == old || seen == new,
            "I6: a reader saw dest half-updated: {seen:?}"
        );
        memfs::assert_pinned_tree(&fs, "a");
    }
}

/// The rollback: an update whose entry write fails puts the old dest
/// back, so dest still matches the recorded pin (a reader runs beside
/// it).
fn rollback_model(faults: Faults) -> impl Fn() + Sync + Send + 'static {
    move || {
        let fs = project(&[tree2("v1"), tree2("v2")], &["a"], faults);
        let reader = {
            let fs = fs.clone();
            thread::spawn(move || fs.tree_at("skills/a"))
        };
        let res = run_update(&fs, 0, "a", None);
        reader.join().unwrap();
        assert_eq!(res, Err(Kind::Io), "the entry write fails");
        assert_eq!(pin_of(&fs, "a"), 0);
        memfs::assert_pinned_tree(&fs, "a");
        memfs::assert_no_leftovers(&fs);
    }
}

fn failing_upsert() -> Faults {
    Faults {
        upsert_fails: true,
        ..Faults::default()
    }
}

#[test]
fn u7_an_edit_racing_an_update_is_never_lost() {
    model(edit_model(Faults::default()));
}

#[test]
fn k3_u5_racing_updates_never_move_the_pin_backward() {
    model(racing_updates_model(Faults::default()));
}

#[test]
fn k5_update_racing_install_all_keeps_both_entries() {
    model(install_all_model(Faults::default()));
}

#[test]
fn i6_a_reader_sees_dest_whole_during_an_update() {
    model(reader_model(Faults::default()));
}

#[test]
fn update_rolls_back_when_its_entry_write_fails() {
    model(rollback_model(failing_upsert()));
}

#[cfg(feature = "loom")]
mod controls {
    use super::*;
    use crate::memfs::assert_loom_finds;

    #[test]
    fn u7_control_without_the_swap_check_loses_the_edit() {
        assert_loom_finds(
            "no check of the old tree at the swap",
            edit_model(Faults {
                no_swap_check: true,
                ..Faults::default()
            }),
        );
    }

    #[test]
    fn k3_control_without_the_replan_moves_the_pin_backward() {
        assert_loom_finds(
            "no plan again under the per-asset lock",
            racing_updates_model(Faults {
                no_recheck: true,
                ..Faults::default()
            }),
        );
    }

    #[test]
    fn k5_control_without_sidecar_lock_loses_an_entry() {
        assert_loom_finds(
            "no sidecar lock",
            install_all_model(Faults {
                no_sidecar_lock: true,
                ..Faults::default()
            }),
        );
    }

    #[test]
    fn i6_control_rewriting_dest_in_place_shows_a_mix() {
        assert_loom_finds(
            "dest rewritten file by file",
            reader_model(Faults {
                update_in_place: true,
                ..Faults::default()
            }),
        );
    }

    #[test]
    fn rollback_control_without_it_leaves_dest_ahead_of_its_pin() {
        assert_loom_finds(
            "no rollback after a failed entry write",
            rollback_model(Faults {
                no_rollback: true,
                ..failing_upsert()
            }),
        );
    }
}
