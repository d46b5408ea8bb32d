//! Interleavings at the lock points held to a serial run (K1, K3, K4, K5;
//! `serial` on a step with `hold`).
//!
//! The step's first process is parked where it waits for a lock; the
//! harness places the rest of the step there (`while_held`: a user's
//! write, a commit landing in the wiki; `second`: another verb, run to its
//! end or to its own wait, [`crate::park`]). The outcome must be one a
//! serial run gives: the same case run again in fresh directories with the
//! first process and the rest one after the other, in each order the
//! placement allows ([`allowed`]), compared on the project's tree (lock
//! files aside, `*_at` times in JSON files masked), every process's exit
//! status and error kind, and whether each user action succeeded. The
//! tool under test is its own oracle: whatever it does alone, it must do
//! when another process comes between its plan and its lock.
//!
//! [`family`] generates the `k-interleave/*` cases from tables.

pub mod family;

use super::adapter::Adapter;
use super::case::{Case, Run, SerialOrder, Step};
use super::exec::{self, Placement, ProcResult};
use super::snapshot::{Node, Snapshot, diff, snapshot};
use super::workspace::Workspace;
use crate::error::{HResult, HarnessError};
use crate::outcome::Failure;

/// Which part runs first in a serial run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// The first process, then `while_held` and `second`.
    FirstThenSecond,
    /// `while_held` and `second`, then the first process.
    SecondThenFirst,
}

impl Order {
    fn describe(self) -> &'static str {
        match self {
            Order::FirstThenSecond => "the first process, then the rest",
            Order::SecondThenFirst => "the rest, then the first process",
        }
    }
}

/// The serial orders an outcome may equal: after the second waited for
/// a lock the first held, only first-then-second; a second that ran
/// alone came first where the step's `serial` says the first held nothing
/// (`second-first`), else either; unplaced, either.
pub fn allowed(serial: SerialOrder, placement: Placement) -> Vec<Order> {
    match (placement, serial) {
        (Placement::SecondWaited, _) => vec![Order::FirstThenSecond],
        (Placement::NoSecond | Placement::SecondAlone, SerialOrder::SecondFirst) => {
            vec![Order::SecondThenFirst]
        }
        _ => vec![Order::SecondThenFirst, Order::FirstThenSecond],
    }
}

/// What an interleaved or serial run is compared on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// The project's tree, normalized ([`normalized`]).
    pub tree: Snapshot,
    /// Each process (the first, then the second): exit code (`None`:
    /// killed) and the error kind the adapter recognises when not 0.
    pub exits: Vec<(Option<i32>, Option<String>)>,
    /// Whether each `while_held` action succeeded.
    pub actions: Vec<bool>,
}

/// The exit code and recognised error kind of each process, run as
/// `verbs` (the first's, then the second's). `update --all`'s kind is not
/// kept: its status is per project (A4), and a change it meets under a
/// project's lock fails that row where a serial run's preview refused the
/// batch; the exit code still says whether a project failed.
pub fn exits(
    ad: &Adapter,
    results: &[ProcResult],
    verbs: &[crate::case::Verb],
) -> Vec<(Option<i32>, Option<String>)> {
    results
        .iter()
        .zip(verbs)
        .map(|(r, v)| {
            let kind = (r.code != Some(0) && *v != crate::case::Verb::UpdateAll)
                .then(|| ad.recognise_kind(&r.stderr))
                .flatten();
            (r.code, kind)
        })
        .collect()
}

/// The verbs of step `step`'s processes: the first's, then the second's.
pub fn verbs_of(step: &Run) -> Vec<crate::case::Verb> {
    std::iter::once(step.verb)
        .chain(step.second.as_ref().map(|s| s.verb))
        .collect()
}

/// Whether the interleaved exit `real` stands for the serial exit `s`:
/// the same, or a `conflict` where the serial run refused: the process
/// saw the state change under it (a write while it waited) and refused,
/// which a serial run gives as the refusal of the state it saw (U7, D2).
fn same_exit(s: &(Option<i32>, Option<String>), real: &(Option<i32>, Option<String>)) -> bool {
    s == real || (matches!(s.0, Some(c) if c != 0) && real.1.as_deref() == Some("conflict"))
}

impl Observed {
    /// Whether the interleaved outcome `real` is this serial one.
    pub fn admits(&self, real: &Observed) -> bool {
        self.tree == real.tree
            && self.actions == real.actions
            && self.exits.len() == real.exits.len()
            && self
                .exits
                .iter()
                .zip(&real.exits)
                .all(|(s, r)| same_exit(s, r))
    }
}

/// The project's snapshot without lock files (`.<name>.lock`: K1 and K3
/// create them on first use and never remove them, so which exist says
/// which verbs ran, not what they did), with every value of a key ending
/// in `_at` masked in files that parse as JSON (times of writing) and the
/// time in `.memtomem/removed/` names masked (D2).
pub fn normalized(project: &std::path::Path) -> Snapshot {
    snapshot(project, &[])
        .into_iter()
        .filter(|(p, _)| !is_lock_file(p))
        .map(|(p, n)| (mask_removed(&p), mask_json(n)))
        .collect()
}

fn is_lock_file(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.len() > ".lock".len() + 1 && name.starts_with('.') && name.ends_with(".lock")
}

/// `.memtomem/removed/skills/a-20261207T201500Z...` -> `.../a-<time>...`.
fn mask_removed(rel: &str) -> String {
    let mut parts: Vec<String> = rel.split('/').map(str::to_owned).collect();
    if parts.len() >= 4
        && parts[0] == ".memtomem"
        && parts[1] == "removed"
        && let Some((name, _)) = parts[3].rsplit_once('-')
    {
        parts[3] = format!("{name}-<time>");
    }
    parts.join("/")
}

fn mask_json(n: Node) -> Node {
    let Node::File(mode, bytes) = n else {
        return n;
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(v @ serde_json::Value::Object(_)) => {
            let masked = serde_json::to_vec_pretty(&mask_value(v)).unwrap_or(bytes);
            Node::File(mode, masked)
        }
        _ => Node::File(mode, bytes),
    }
}

/// Keys sorted (a serial run may insert entries in another order) and
/// `*_at` values replaced.
fn mask_value(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let mut kv: Vec<(String, Value)> = m.into_iter().collect();
            kv.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                kv.into_iter()
                    .map(|(k, v)| {
                        let v = if k.ends_with("_at") {
                            Value::String("<time>".into())
                        } else {
                            mask_value(v)
                        };
                        (k, v)
                    })
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.into_iter().map(mask_value).collect()),
        other => other,
    }
}

/// The step as a plain run: no hold, nothing placed, nothing checked.
fn plain(step: &Run) -> Run {
    let mut r = step.clone();
    r.hold = None;
    r.while_held = Vec::new();
    r.second = None;
    r.serial = None;
    r.user_cwd = None;
    r
}

/// Runs `case` in fresh directories up to step `n`, then step `n`'s parts
/// one after the other in `order`, and observes the outcome.
///
/// # Errors
/// Harness failures (set-up, a process that cannot start). A user action
/// that fails is observed, not an error.
pub fn serial_run(case: &Case, ad: &Adapter, n: usize, order: Order) -> HResult<Observed> {
    let Some(Step::Run(step)) = case.steps.get(n) else {
        return Err(HarnessError::Case(format!(
            "step {} is not a verb run",
            n + 1
        )));
    };
    let mut ws = super::runner::setup(case, ad)?;
    exec::run_setup(&ws, ad)?;
    for (k, s) in case.steps[..n].iter().enumerate() {
        match s {
            Step::Action(a) => exec::run_action(&mut ws, a, k)?,
            Step::Run(r) => {
                exec::run_verb(&ws, ad, r)?;
            }
        }
    }
    // The shell stands in its directory before the step begins.
    ws.user_cwd = match &step.user_cwd {
        Some(d) => Some(exec::open_user_cwd(&ws, d)?),
        None => None,
    };
    let first = plain(step);
    let second = exec::second_run(step);
    let rest = |ws: &mut Workspace| -> HResult<(Vec<bool>, Vec<ProcResult>)> {
        let acts = step
            .while_held
            .iter()
            .map(|a| exec::run_action(ws, a, 1000 + n).is_ok())
            .collect();
        let r = match &second {
            Some(s) => exec::run_verb(ws, ad, s)?,
            None => Vec::new(),
        };
        Ok((acts, r))
    };
    let (actions, results) = match order {
        Order::FirstThenSecond => {
            let mut r = exec::run_verb(&ws, ad, &first)?;
            let (acts, b) = rest(&mut ws)?;
            r.extend(b);
            (acts, r)
        }
        Order::SecondThenFirst => {
            let (acts, b) = rest(&mut ws)?;
            let mut r = exec::run_verb(&ws, ad, &first)?;
            r.extend(b);
            (acts, r)
        }
    };
    ws.user_cwd = None;
    Ok(Observed {
        tree: normalized(&ws.project),
        exits: exits(ad, &results, &verbs_of(step)),
        actions,
    })
}

/// Holds step `n`'s interleaved outcome to the serial runs its placement
/// allows: no failure when one of them equals it.
///
/// # Errors
/// Harness failures of a serial run.
pub fn check(
    case: &Case,
    ad: &Adapter,
    n: usize,
    real: &Observed,
    serial: SerialOrder,
    placement: Placement,
) -> HResult<Vec<Failure>> {
    let mut differs = Vec::new();
    for order in allowed(serial, placement) {
        let s = serial_run(case, ad, n, order)?;
        if s.admits(real) {
            return Ok(Vec::new());
        }
        differs.push(format!("{}: {}", order.describe(), difference(&s, real)));
    }
    let placed = match placement {
        Placement::NoSecond => "the actions ran while the first process waited",
        Placement::SecondAlone => "the second process ran to its end while the first waited",
        Placement::SecondWaited => {
            "the second process waited for a lock the first held; the first went on"
        }
        Placement::Unplaced => "the two processes ran as they came",
    };
    Ok(vec![
        Failure::new(
            "serial",
            format!(
                "the interleaving ({placed}) ended in a state no serial run of the same \
                 processes gives (K1, K3: plan again under the lock):\n{}",
                differs.join("\n")
            ),
        )
        .expecting("the outcome of a serial run")
        .observing(differs.join("; "))
        .clause("K3"),
    ])
}

/// What the interleaving (`real`) did that the serial run `s` did not.
fn difference(s: &Observed, real: &Observed) -> String {
    let mut d: Vec<String> = diff(&s.tree, &real.tree)
        .into_iter()
        .map(|l| format!("interleaved {l}"))
        .collect();
    let show = |e: &(Option<i32>, Option<String>)| match e {
        (Some(0), _) => "exit 0".to_owned(),
        (Some(c), Some(k)) => format!("exit {c} {k}"),
        (Some(c), None) => format!("exit {c}"),
        (None, _) => "killed".to_owned(),
    };
    for (k, (a, b)) in s.exits.iter().zip(&real.exits).enumerate() {
        if !same_exit(a, b) {
            let who = if k == 0 { "first" } else { "second" };
            d.push(format!(
                "the {who} process: serially {}, interleaved {}",
                show(a),
                show(b)
            ));
        }
    }
    for (k, (a, b)) in s.actions.iter().zip(&real.actions).enumerate() {
        if a != b {
            d.push(format!(
                "action {}: serially {}, interleaved {}",
                k + 1,
                if *a { "done" } else { "failed" },
                if *b { "done" } else { "failed" }
            ));
        }
    }
    if d.is_empty() {
        d.push("(the same)".into());
    }
    d.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_files_and_times_do_not_count() {
        assert!(is_lock_file(".memtomem/.lock.json.lock"));
        assert!(is_lock_file(".memtomem/skills/.a.lock"));
        assert!(!is_lock_file(".memtomem/skills/a/x.lock"));
        assert!(!is_lock_file(".memtomem/skills/a/.lock"));
        let a = mask_json(Node::File(
            0o600,
            br#"{"skills": {"b": {"installed_at": "1"}, "a": {"x": 1}}}"#.to_vec(),
        ));
        let b = mask_json(Node::File(
            0o600,
            br#"{"skills": {"a": {"x": 1}, "b": {"installed_at": "2"}}}"#.to_vec(),
        ));
        assert_eq!(a, b);
        // Negative control: a value that is not a time still counts.
        let c = mask_json(Node::File(
            0o600,
            br#"{"skills": {"a": {"x": 2}, "b": {"installed_at": "2"}}}"#.to_vec(),
        ));
        assert_ne!(a, c);
        assert_eq!(
            mask_removed(".memtomem/removed/skills/a-20261207T201500Z/SKILL.md"),
            ".memtomem/removed/skills/a-<time>/SKILL.md"
        );
    }

    #[test]
    fn a_second_that_waited_came_after() {
        assert_eq!(
            allowed(SerialOrder::SecondFirst, Placement::SecondWaited),
            [Order::FirstThenSecond]
        );
        assert_eq!(
            allowed(SerialOrder::SecondFirst, Placement::SecondAlone),
            [Order::SecondThenFirst]
        );
        assert_eq!(
            allowed(SerialOrder::Either, Placement::SecondAlone).len(),
            2
        );
        assert_eq!(
            allowed(SerialOrder::SecondFirst, Placement::Unplaced).len(),
            2
        );
    }
}
