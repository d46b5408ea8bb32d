//! The dry run is the real run (U6, A2). For each `update` and
//! `update-all` step of an adapter with feature `dry-run`, the runner
//! first runs the same step with `--dry-run` on the same state (its
//! twin), then the step itself, and holds the twin to what the step did:
//!
//! * the twin writes nothing (bytes, and inode, mtime and ctime);
//! * it ends by itself;
//! * refuse or proceed: the step succeeded, so the twin exits 0 without
//!   saying the real run would refuse; the step refused, so the twin
//!   either exits with the same kind or says so (`dry_run.refuses`, on
//!   stdout or stderr, with any exit status);
//! * the files it names: each file of dest that the step's refusal names,
//!   the twin names too.
//!
//! Not predicted, so not checked: a step that timed out or was killed,
//! and the kinds that come from the run's circumstances rather than the
//! state it reads: `unconfirmed` (no terminal), `io` (a write that
//! failed). Steps the twin cannot share a state with are left alone:
//! copies started together, a held lock, resource limits.

use super::adapter::Adapter;
use super::case::{Case, Feature, Run, Verb};
use super::check::outcome_label;
use super::exec::{self, ProcResult};
use super::snapshot::{Snapshot, diff, identities, rewritten, snapshot};
use super::workspace::Workspace;
use crate::error::HResult;
use crate::outcome::Failure;

/// Refusal kinds a dry run is not held to: they come from the run's
/// circumstances (no terminal, a write that failed), not from the state
/// the dry run reads.
const NOT_PREDICTED: [&str; 2] = ["unconfirmed", "io"];

/// What the twin did.
#[derive(Debug)]
pub struct Twin {
    /// Its process.
    pub result: ProcResult,
    /// What it changed in the project (`diff` lines, and files rewritten
    /// with the same bytes).
    pub wrote: Vec<String>,
}

/// Whether `step` gets a twin under `ad`.
pub fn wanted(ad: &Adapter, step: &Run) -> bool {
    twinned(step)
        && ad
            .spec
            .features
            .iter()
            .any(|f| f == Feature::DryRun.as_str())
}

/// The clauses the twins of `case`'s steps check under an adapter with
/// feature `dry-run` (U6 for `update`, A2 for `update --all`), besides
/// the clauses the case cites: a known divergence may name them.
pub fn clauses_checked(case: &Case) -> Vec<&'static str> {
    let mut out = Vec::new();
    for r in case.steps.iter().filter_map(|s| s.as_run()) {
        if twinned(r) {
            let c = if r.verb == Verb::UpdateAll {
                "A2"
            } else {
                "U6"
            };
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

/// Whether `step` gets a twin under an adapter with feature `dry-run`.
fn twinned(step: &Run) -> bool {
    matches!(step.verb, Verb::Update | Verb::UpdateAll)
        && !step.args.iter().any(|a| a == "--dry-run")
        && step.copies.is_none()
        && step.hold.is_none()
        && step.limits.is_none()
}

/// Runs the twin of `step` on the workspace as it is; `before` is the
/// project's snapshot now.
///
/// # Errors
/// The twin's argv cannot be built or its process not started.
pub fn run(ws: &Workspace, ad: &Adapter, step: &Run, before: &Snapshot) -> HResult<Twin> {
    let ids = identities(&ws.project);
    let mut twin = step.clone();
    twin.args.push("--dry-run".into());
    let mut results = exec::run_verb(ws, ad, &twin)?;
    let after = snapshot(&ws.project, &[]);
    let mut wrote = diff(before, &after);
    wrote.extend(rewritten(before, &ids, &after, &identities(&ws.project)));
    Ok(Twin {
        result: results.remove(0),
        wrote,
    })
}

/// The twin's failures against what the step did: `real` is the step's
/// process, `before` the project's snapshot before either ran.
pub fn check(
    ad: &Adapter,
    step: &Run,
    twin: &Twin,
    real: &ProcResult,
    before: &Snapshot,
) -> Vec<Failure> {
    let clause = if step.verb == Verb::UpdateAll {
        "A2"
    } else {
        "U6"
    };
    let t = &twin.result;
    let mut f = Vec::new();
    if !twin.wrote.is_empty() {
        let w = twin.wrote.join("; ");
        f.push(
            Failure::new("dry run writes nothing", format!("the dry run wrote: {w}"))
                .expecting("no change to the project")
                .observing(w)
                .clause(clause),
        );
    }
    if t.code.is_none() {
        f.push(
            Failure::new(
                "dry run ends",
                format!(
                    "the dry run did not end by itself: {}",
                    outcome_label(ad, t)
                ),
            )
            .expecting("an exit status")
            .observing(outcome_label(ad, t))
            .clause(clause),
        );
        return f;
    }
    let Some(code) = real.code else {
        return f;
    };
    let real_label = outcome_label(ad, real);
    if NOT_PREDICTED.contains(&real_label.as_str()) {
        return f;
    }
    // Said on either stream, with any exit status (a tool may exit 1
    // from its dry run to say the real run would refuse).
    let says_refuse = ad.dry_refuses.as_ref().is_some_and(|re| {
        t.stdout
            .lines()
            .chain(t.stderr.lines())
            .any(|l| re.is_match(l))
    });
    let predicted = match t.code {
        _ if says_refuse => "a refusal (saying the real run would refuse)".to_owned(),
        Some(0) => "ok".to_owned(),
        _ => outcome_label(ad, t),
    };
    let right = if code == 0 {
        predicted == "ok"
    } else {
        says_refuse || predicted == real_label
    };
    if !right {
        let expected = if code == 0 {
            "ok (the real run succeeded)".to_owned()
        } else {
            format!("{real_label}, or saying the real run would refuse")
        };
        f.push(
            Failure::new(
                "dry run predicts the real run",
                format!("the dry run predicted {predicted}; the real run then ended {real_label}"),
            )
            .expecting(expected)
            .observing(predicted)
            .clause(clause),
        );
    }
    if code != 0 {
        let dest = dest_prefix(step);
        let named: Vec<&str> = before
            .keys()
            .filter_map(|k| k.strip_prefix(dest.as_str()))
            .filter(|rel| !rel.is_empty() && mentions(&real.stderr, rel))
            .collect();
        let said = format!("{}\n{}", t.stdout, t.stderr);
        let missing: Vec<&str> = named.into_iter().filter(|r| !mentions(&said, r)).collect();
        if !missing.is_empty() {
            let m = missing.join(", ");
            f.push(
                Failure::new(
                    "dry run names the refused files",
                    format!("the real run's refusal names {m}; the dry run does not"),
                )
                .expecting(format!("the dry run names {m}"))
                .observing(format!("a dry run without {m}"))
                .clause(clause),
            );
        }
    }
    f
}

/// `.memtomem/<type>s/<name>/`: the dest of the asset a step names (its
/// first two arguments that are not flags).
fn dest_prefix(step: &Run) -> String {
    let mut it = step.args.iter().filter(|a| !a.starts_with('-'));
    match (it.next(), it.next()) {
        (Some(ty), Some(name)) => format!(".memtomem/{ty}s/{name}/"),
        // No asset named: nothing in dest is looked for.
        _ => "\0".into(),
    }
}

/// Whether `text` names the path `rel`: not as part of a longer name.
fn mentions(text: &str, rel: &str) -> bool {
    let part = |c: char| c.is_alphanumeric() || "._-~".contains(c);
    text.match_indices(rel).any(|(i, _)| {
        !text[..i].chars().next_back().is_some_and(part)
            && !text[i + rel.len()..].chars().next().is_some_and(part)
    })
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn a_name_is_mentioned_only_whole() {
        assert!(mentions("refused: notes.md is dirty", "notes.md"));
        assert!(mentions("skills/a/notes.md: modified", "notes.md"));
        assert!(mentions("'docs/x.md'", "docs/x.md"));
        assert!(!mentions("notes.md.bak", "notes.md"));
        assert!(!mentions("mynotes.md", "notes.md"));
        assert!(!mentions("", "notes.md"));
    }
}
