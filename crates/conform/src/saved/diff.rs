//! `assetpin report diff OLD NEW`: what changed between two saved runs,
//! per implementation (matched by adapter name): regressions (passed,
//! now failed or errored), fixes (failed or errored, now passed), new
//! cases, removed cases and other changes (to or from unsupported).
//! An implementation can gate its CI on "no regression" instead of a
//! hand-kept list.

use super::{CaseRec, Impl, Run};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One case whose outcome changed: `old` is `None` for a new case,
/// `new` for a removed one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// The case id.
    pub id: String,
    /// Its outcome in OLD.
    pub old: Option<String>,
    /// Its outcome in NEW.
    pub new: Option<String>,
}

fn change(id: &str, old: Option<&str>, new: Option<&str>) -> Change {
    Change {
        id: id.to_owned(),
        old: old.map(str::to_owned),
        new: new.map(str::to_owned),
    }
}

/// What changed for one implementation.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImplDiff {
    /// The adapter's name.
    pub implementation: String,
    /// Its `tool_version` in OLD and in NEW.
    pub versions: (Option<String>, Option<String>),
    /// Passed in OLD, failed or errored in NEW.
    pub regressions: Vec<Change>,
    /// Failed or errored in OLD, passed in NEW.
    pub fixes: Vec<Change>,
    /// Only in NEW.
    pub new_cases: Vec<Change>,
    /// Only in OLD.
    pub removed_cases: Vec<Change>,
    /// Any other change of outcome (to or from unsupported).
    pub changed: Vec<Change>,
    /// Cases with the same outcome in both.
    pub unchanged: usize,
}

/// The whole diff: per implementation in either run, and those only in one.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Diff {
    /// Implementations in both runs.
    pub implementations: Vec<ImplDiff>,
    /// Implementations only in NEW.
    pub added: Vec<String>,
    /// Implementations only in OLD.
    pub dropped: Vec<String>,
}

impl Diff {
    /// Regressions over every implementation.
    pub fn regressions(&self) -> usize {
        self.implementations
            .iter()
            .map(|d| d.regressions.len())
            .sum()
    }
}

fn bad(o: &str) -> bool {
    o == "failed" || o == "error"
}

/// Compares one implementation's cases.
pub fn diff_impl(old: &Impl, new: &Impl) -> ImplDiff {
    let before: BTreeMap<&str, &CaseRec> = old.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    let after: BTreeMap<&str, &CaseRec> = new.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut d = ImplDiff {
        implementation: new.adapter.clone(),
        versions: (old.tool_version.clone(), new.tool_version.clone()),
        ..ImplDiff::default()
    };
    for (id, n) in &after {
        let nw = Some(n.outcome.as_str());
        match before.get(id) {
            None => d.new_cases.push(change(id, None, nw)),
            Some(o) if o.outcome == n.outcome => d.unchanged += 1,
            Some(o) => {
                let c = change(id, Some(&o.outcome), nw);
                if o.outcome == "passed" && bad(&n.outcome) {
                    d.regressions.push(c);
                } else if bad(&o.outcome) && n.outcome == "passed" {
                    d.fixes.push(c);
                } else {
                    d.changed.push(c);
                }
            }
        }
    }
    for (id, o) in &before {
        if !after.contains_key(id) {
            d.removed_cases.push(change(id, Some(&o.outcome), None));
        }
    }
    d
}

/// Compares two runs.
pub fn diff(old: &Run, new: &Run) -> Diff {
    let mut out = Diff::default();
    for n in &new.implementations {
        match old.implementations.iter().find(|o| o.adapter == n.adapter) {
            Some(o) => out.implementations.push(diff_impl(o, n)),
            None => out.added.push(n.adapter.clone()),
        }
    }
    for o in &old.implementations {
        if !new.implementations.iter().any(|n| n.adapter == o.adapter) {
            out.dropped.push(o.adapter.clone());
        }
    }
    out
}

/// The human report of `d`.
pub fn human(d: &Diff, old: &Run, new: &Run) -> String {
    let mut s = format!(
        "assetpin report diff: {} -> {}\n",
        old.path.display(),
        new.path.display()
    );
    for i in &d.implementations {
        if let (Some(a), Some(b)) = &i.versions {
            let _ = write!(s, "\n{} {a} -> {b}", i.implementation);
        }
        let _ = writeln!(
            s,
            "\n{}: {} regression(s), {} fix(es), {} new case(s), {} removed, {} other change(s), {} unchanged",
            i.implementation,
            i.regressions.len(),
            i.fixes.len(),
            i.new_cases.len(),
            i.removed_cases.len(),
            i.changed.len(),
            i.unchanged
        );
        let or = |o: &Option<String>| o.clone().unwrap_or_default();
        for c in &i.regressions {
            let _ = writeln!(
                s,
                "  regressed  {} ({} -> {})",
                c.id,
                or(&c.old),
                or(&c.new)
            );
        }
        for c in &i.fixes {
            let _ = writeln!(
                s,
                "  fixed      {} ({} -> {})",
                c.id,
                or(&c.old),
                or(&c.new)
            );
        }
        for c in &i.new_cases {
            let _ = writeln!(s, "  new        {} ({})", c.id, or(&c.new));
        }
        for c in &i.removed_cases {
            let _ = writeln!(s, "  removed    {} (was {})", c.id, or(&c.old));
        }
        for c in &i.changed {
            let _ = writeln!(
                s,
                "  changed    {} ({} -> {})",
                c.id,
                or(&c.old),
                or(&c.new)
            );
        }
    }
    for a in &d.added {
        let _ = writeln!(s, "\n{a}: only in the new run");
    }
    for a in &d.dropped {
        let _ = writeln!(s, "\n{a}: only in the old run");
    }
    let _ = writeln!(s, "\n{} regression(s)", d.regressions());
    s
}

#[cfg(test)]
mod tests {
    use super::super::tests::{doc, write};
    use super::*;

    #[test]
    fn each_kind_of_change_is_sorted_out() {
        let t = tempfile::tempdir().unwrap();
        let old = super::super::load(&write(
            t.path(),
            "old.json",
            &doc(
                "x",
                &[
                    ("a/A1-r", "core", "passed"),
                    ("a/A1-f", "core", "failed"),
                    ("a/A1-s", "core", "passed"),
                    ("a/A1-u", "core", "passed"),
                    ("a/A1-gone", "core", "passed"),
                ],
            ),
        ))
        .unwrap();
        let new = super::super::load(&write(
            t.path(),
            "new.json",
            &doc(
                "x",
                &[
                    ("a/A1-r", "core", "error"),
                    ("a/A1-f", "core", "passed"),
                    ("a/A1-s", "core", "passed"),
                    ("a/A1-u", "core", "unsupported"),
                    ("a/A1-new", "core", "failed"),
                ],
            ),
        ))
        .unwrap();
        let d = diff(&old, &new);
        let i = &d.implementations[0];
        assert_eq!(
            i.regressions,
            vec![change("a/A1-r", Some("passed"), Some("error"))]
        );
        assert_eq!(
            i.fixes,
            vec![change("a/A1-f", Some("failed"), Some("passed"))]
        );
        assert_eq!(i.new_cases, vec![change("a/A1-new", None, Some("failed"))]);
        assert_eq!(
            i.removed_cases,
            vec![change("a/A1-gone", Some("passed"), None)]
        );
        assert_eq!(i.changed.len(), 1);
        assert_eq!(i.unchanged, 1);
        assert_eq!(d.regressions(), 1);
        // Negative control: a run against itself has nothing to report.
        let same = diff(&old, &old);
        assert_eq!(same.regressions(), 0);
        assert_eq!(same.implementations[0].unchanged, 5);
    }

    #[test]
    fn implementations_in_one_run_only_are_named() {
        let t = tempfile::tempdir().unwrap();
        let a = super::super::load(&write(t.path(), "a.json", &doc("x", &[]))).unwrap();
        let b = super::super::load(&write(t.path(), "b.json", &doc("y", &[]))).unwrap();
        let d = diff(&a, &b);
        assert_eq!(
            (d.added.clone(), d.dropped.clone()),
            (vec!["y".into()], vec!["x".into()])
        );
        assert!(human(&d, &a, &b).contains("y: only in the new run"));
    }
}
