//! Running one case against one adapter in its own temporary directories:
//! set up the wiki and project, run the steps in order, check the
//! expectations, and classify the result.

use super::adapter::Adapter;
use super::case::{Case, Step};
use super::check;
use super::exec;
use super::snapshot::{diff, link_counts, snapshot};
use super::workspace::Workspace;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Every expectation held.
    Passed,
    /// An expectation did not hold (details say which).
    Failed,
    /// The adapter does not claim the case's profile, verbs or features.
    Unsupported,
    /// The harness itself failed (bad case, missing git, ...).
    Error,
}

impl Outcome {
    /// Lower-case name used in every report format.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Unsupported => "unsupported",
            Outcome::Error => "error",
        }
    }
}

/// The result of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Case id (`<group>/<name>`).
    pub id: String,
    /// Group directory.
    pub group: String,
    /// Clause ids the case checks.
    pub clauses: Vec<String>,
    /// The case summary.
    pub summary: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Expected-vs-observed lines (failed), the reason (unsupported,
    /// error).
    pub details: Vec<String>,
    /// Wall time.
    pub duration: Duration,
}

/// Runs one case. Never panics; harness trouble is [`Outcome::Error`].
pub fn run_case(case: &Case, ad: &Adapter) -> CaseResult {
    let start = Instant::now();
    let reason = ad
        .unsupported_reason(case)
        .or_else(|| exec::machine_skip(case));
    let (outcome, details) = match reason {
        Some(r) => (Outcome::Unsupported, vec![r]),
        None => match run_repeated(case, ad) {
            Ok(f) if f.is_empty() => (Outcome::Passed, f),
            Ok(f) => (Outcome::Failed, f),
            Err(e) => match e.strip_prefix(exec::UNSUPPORTED) {
                Some(why) => (Outcome::Unsupported, vec![why.to_owned()]),
                None => (Outcome::Error, vec![e]),
            },
        },
    };
    CaseResult {
        id: case.id.clone(),
        group: case.group.clone(),
        clauses: case.clauses.clone(),
        summary: case.summary.clone(),
        outcome,
        details,
        duration: start.elapsed(),
    }
}

/// [`run_inner`] `case.repeat` times, stopping at the first run that
/// fails or errors; a failure says which run it was.
fn run_repeated(case: &Case, ad: &Adapter) -> Result<Vec<String>, String> {
    let n = case.repeat.map_or(1, std::num::NonZeroUsize::get);
    for k in 1..=n {
        let mut f = run_inner(case, ad)?;
        if !f.is_empty() {
            if n > 1 {
                f.insert(0, format!("run {k} of {n}:"));
            }
            return Ok(f);
        }
    }
    Ok(Vec::new())
}

/// The first directory of the install root below the project or `$HOME`
/// it is in (`.claude` of `.claude/skills` or of `/…/home/.claude/skills`):
/// where P1 plants its link one level up.
fn layout_top(ws: &Workspace, root: &str) -> String {
    let p = std::path::Path::new(root);
    let (base, rel) = if p.is_absolute() {
        [&ws.project, &ws.home]
            .into_iter()
            .find_map(|b| p.strip_prefix(b).ok().map(|r| (Some(b), r)))
            .unwrap_or((None, p))
    } else {
        (None, p)
    };
    let first = rel.components().next().map_or_else(
        || rel.to_path_buf(),
        |c| std::path::PathBuf::from(c.as_os_str()),
    );
    base.map_or_else(|| first.clone(), |b| b.join(&first))
        .display()
        .to_string()
}

fn setup(case: &Case, ad: &Adapter) -> Result<Workspace, String> {
    let mut ws = Workspace::new()?;
    ws.case.clone_from(&case.id);
    let l = &ad.spec.layout;
    // The layout's variables hold their values, not templates: a case
    // joins `${layout.root}` to the project, and an adapter may place the
    // root under `${home}` (an absolute path then, which the join keeps).
    if let Some(root) = &l.root {
        let root = ws.subst(root, &[])?;
        ws.confined("layout.root", &root)?;
        let top = layout_top(&ws, &root);
        ws.vars.insert("layout.root".into(), root);
        ws.vars.insert("layout.top".into(), top);
        ws.dest_tpl = Some(
            l.dest
                .clone()
                .unwrap_or_else(|| "${layout.root}/${name}".into()),
        );
    }
    // The harness writes at these paths (P1 plants, P8 corrupts): an
    // adapter must not aim them outside the case's own directories.
    if let Some(m) = &l.manifest {
        let m = ws.subst(m, &[])?;
        ws.confined("layout.manifest", &m)?;
        ws.vars.insert("layout.manifest".into(), m);
    }
    let w = &case.wiki;
    if !w.absent {
        if w.not_git {
            std::fs::create_dir_all(&ws.wiki).map_err(|e| format!("harness: {e}"))?;
        } else {
            ws.init_wiki()?;
            for (n, c) in w.commit.iter().enumerate() {
                ws.commit(c, n)?;
            }
        }
        for f in &w.worktree {
            ws.apply_file(&ws.wiki.clone(), f)?;
        }
    }
    let p = &case.project;
    if p.is_file {
        std::fs::write(&ws.project, b"not a directory\n").map_err(|e| format!("harness: {e}"))?;
    } else if !p.absent {
        std::fs::create_dir_all(&ws.project).map_err(|e| format!("harness: {e}"))?;
        if p.marker {
            std::fs::create_dir_all(ws.project.join(".git"))
                .map_err(|e| format!("harness: {e}"))?;
        }
        for f in &p.files {
            ws.apply_file(&ws.project.clone(), f)?;
        }
    }
    Ok(ws)
}

fn run_inner(case: &Case, ad: &Adapter) -> Result<Vec<String>, String> {
    let mut ws = setup(case, ad)?;
    exec::run_setup(&ws, ad)?;
    let mut outside0 = snapshot(&ws.outside, &[]);
    let mut links0 = link_counts(&ws.outside);
    let project0 = snapshot(&ws.project, &[]);
    let mut failures = Vec::new();
    for (n, step) in case.steps.iter().enumerate() {
        let step = match step {
            Step::Action(a) => {
                exec::run_action(&mut ws, a, n)?;
                // What an action puts outside (a link's target) is the
                // harness's doing; only the implementation is judged (Y2).
                outside0 = snapshot(&ws.outside, &[]);
                links0 = link_counts(&ws.outside);
                continue;
            }
            Step::Run(r) => r,
        };
        let before = snapshot(&ws.project, &[]);
        let wiki_before = snapshot(&ws.wiki, &[".git"]);
        let results = exec::run_verb(&ws, ad, step)?;
        let mut caps = BTreeMap::new();
        let mut f = check::check_step(&ws, ad, step, &results, &mut caps)?;
        for (k, v) in caps {
            ws.vars.insert(format!("var.{k}"), v);
        }
        if step.hostile.is_some() {
            f.extend(check::check_hostile(&ws, ad, step, &results, &before)?);
        }
        if step.unchanged {
            let d = diff(&before, &snapshot(&ws.project, &[]));
            if !d.is_empty() {
                f.push(format!(
                    "project changed (expected unchanged): {}",
                    d.join("; ")
                ));
            }
        }
        let d = diff(&wiki_before, &snapshot(&ws.wiki, &[".git"]));
        if !d.is_empty() {
            f.push(format!("the wiki work tree was written: {}", d.join("; ")));
        }
        if !f.is_empty() {
            failures.push(format!(
                "step {} ({} {}):",
                n + 1,
                step.verb,
                step.args.join(" ")
            ));
            failures.extend(f.into_iter().map(|l| format!("  {l}")));
            return Ok(failures);
        }
    }
    let mut d = diff(&outside0, &snapshot(&ws.outside, &[]));
    // A new hard link to a file outside is a way in (a later write through
    // the project's name changes it); a count that drops only says that a
    // project name of the file was replaced or removed.
    for (p, n) in link_counts(&ws.outside) {
        match links0.get(&p) {
            Some(n0) if n > *n0 => d.push(format!("changed {p} (link count {n0} -> {n})")),
            _ => {}
        }
    }
    if !d.is_empty() {
        failures.push(format!(
            "written outside the project (Y2): {}",
            d.join("; ")
        ));
    }
    if case.expect.project_unchanged {
        let d = diff(&project0, &snapshot(&ws.project, &[]));
        if !d.is_empty() {
            failures.push(format!(
                "project changed (expected unchanged): {}",
                d.join("; ")
            ));
        }
    }
    for fc in &case.expect.files {
        if let Some(m) = check::check_file(&ws, fc)? {
            failures.push(m);
        }
    }
    let e = &case.expect;
    failures.extend(super::portable::check(&ws, ad, e)?);
    if !e.lockfile.is_empty() || e.lockfile_canonical || !e.assets.is_empty() {
        match check::lockfile(&ws) {
            Err(m) => failures.push(m),
            Ok((bytes, doc)) => {
                for vc in &e.lockfile {
                    if let Some(m) = check::check_value(&ws, &doc, vc, "lockfile")? {
                        failures.push(m);
                    }
                }
                if e.lockfile_canonical
                    && let Some(m) = check::check_canonical(&bytes, &doc)
                {
                    failures.push(m);
                }
                for a in &e.assets {
                    if a.matches_pin {
                        failures.extend(check::check_asset(&ws, &doc, a)?);
                    }
                }
            }
        }
    }
    Ok(failures)
}
