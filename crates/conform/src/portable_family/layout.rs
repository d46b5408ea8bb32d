//! Hostile entries planted where the tool works (P1, P8, P10): at the
//! install root, the directory above it, dest and the manifest of the
//! adapter's layout, from an empty project and after another skill was
//! installed; and in the git metadata of a git source (the paths of
//! [`crate::wiki_plants::TARGETS`]). The plants are the hostile family's
//! ([`crate::hostile::plants_for`]).

use super::{GROUP, commit, file, head, install, judged};
use crate::case::Plant;
use crate::source::quoted;

/// A path of the layout: its id, the path (layout variables), whether the
/// tool expects a directory there, what it is.
struct Target {
    id: &'static str,
    path: &'static str,
    dir: bool,
    what: &'static str,
}

const TARGETS: [Target; 4] = [
    Target {
        id: "root",
        path: "${layout.root}",
        dir: true,
        what: "the install root",
    },
    Target {
        id: "top",
        path: "${layout.top}",
        dir: true,
        what: "the directory of the project that holds the install root",
    },
    Target {
        id: "dest",
        path: "${dest.a}",
        dir: true,
        what: "dest",
    },
    Target {
        id: "manifest",
        path: "${layout.manifest}",
        dir: false,
        what: "the manifest",
    },
];

/// The starting states: nothing installed, or skill `b` installed (so
/// every path the tool writes exists, and a plant moves what is there).
const SETUPS: [&str; 2] = ["fresh", "after-b"];

fn links(p: Plant) -> bool {
    matches!(
        p,
        Plant::LinkInside | Plant::LinkOutside | Plant::HardlinkOutside
    )
}

/// The case text of one (target, plant, setup).
fn plant_text(t: &Target, p: Plant, setup: &str) -> String {
    let manifest = t.id == "manifest";
    let after_b = setup == "after-b";
    let mut clauses = vec![if links(p) { "P1" } else { "P10" }, "P9"];
    if manifest {
        clauses.insert(0, "P8");
    }
    let requires: &[&str] = if manifest { &["manifest"] } else { &[] };
    let entries: &[&str] = if after_b { &["a", "b"] } else { &["a"] };
    // A manifest that is not a file, nor a link to one, is no document of
    // any format: the install must refuse it (P8) and keep it.
    let refuse = manifest && !links(p) && p != Plant::Mode000;
    format!(
        "{head}{wiki}{setup}\
         [[step]]\naction = \"plant\"\npath = {path}\nplant = \"{p}\"\ndir = {dir}\n\n{run}",
        head = head(
            &format!(
                "{p} planted at {} ({}), {}: the install of a refuses or installs it whole, \
                 nothing outside the project changes, no hang",
                t.what,
                t.path,
                if after_b {
                    "after skill b was installed"
                } else {
                    "in an empty project"
                }
            ),
            &clauses,
            requires,
        ),
        wiki = commit(
            "c1",
            &["a", "b"],
            &[file("skills/a/references/notes.md", "notes of a\n", "")]
        ),
        setup = if after_b { install("b") } else { String::new() },
        path = quoted(t.path),
        dir = t.dir,
        run = judged(
            "a",
            &["c1"],
            entries,
            manifest,
            if refuse { "nonzero" } else { "any" }
        ),
    )
}

/// A wiki plant's case: the install of `a` from a git source whose
/// metadata holds `p` at `t`.
fn wiki_plant_text(t: &crate::hostile::Target, p: Plant) -> String {
    format!(
        "{head}{wiki}\
         [[step]]\naction = \"plant\"\nroot = \"wiki\"\npath = {path}\nplant = \"{p}\"\ndir = {dir}\n\n{run}",
        head = head(
            &format!(
                "{p} planted at {} ({}) of a git source: the install of a refuses or installs \
                 the committed tree, nothing outside the project changes, no hang",
                t.what, t.path
            ),
            &[if links(p) { "P1" } else { "P10" }, "P5", "P9"],
            &["git-source"],
        ),
        wiki = commit(
            "c1",
            &["a"],
            &[file("skills/a/references/notes.md", "notes of a\n", "")]
        ),
        path = quoted(t.path),
        dir = t.dir,
        run = judged("a", &["c1"], &["a"], false, "any"),
    )
}

/// The part's cases.
pub(super) fn case_texts() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for setup in SETUPS {
        for t in &TARGETS {
            // A manifest planted in an empty project is one the tool never
            // wrote: the after-b plants are the ones P8 speaks of.
            if t.id == "manifest" && setup == "fresh" {
                continue;
            }
            for p in crate::hostile::plants_for(t.dir) {
                out.push((
                    format!("{GROUP}/plant:{}:{p}@{setup}", t.id),
                    plant_text(t, p, setup),
                ));
            }
        }
    }
    for t in crate::wiki_plants::TARGETS {
        for p in crate::hostile::plants_for(t.dir) {
            out.push((
                format!("{GROUP}/wiki-plant:{}:{p}", t.id),
                wiki_plant_text(t, p),
            ));
        }
    }
    out
}

/// How many cases [`case_texts`] yields.
#[cfg(test)]
pub(super) fn count() -> usize {
    let dirs = crate::hostile::plants_for(true).len();
    let files = crate::hostile::plants_for(false).len();
    3 * dirs * 2
        + files
        + crate::wiki_plants::TARGETS
            .iter()
            .map(|t| crate::hostile::plants_for(t.dir).len())
            .sum::<usize>()
}
