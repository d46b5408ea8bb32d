//! Running one case against one adapter in its own temporary directories:
//! set up the wiki and project, run the steps in order, check the
//! expectations, and classify the result.

use super::adapter::Adapter;
use super::case::{Case, Step};
use super::check;
use super::exec;
use super::snapshot::{diff, identities, link_counts, rewritten, snapshot};
use super::workspace::Workspace;
use crate::error::{HResult, HarnessError};
use crate::outcome::{Failure, Outcome, Status};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The result of one case.
#[derive(Debug)]
pub struct CaseResult {
    /// Case id (`<group>/<name>`).
    pub id: String,
    /// Group directory.
    pub group: String,
    /// Clause ids the case checks.
    pub clauses: Vec<String>,
    /// The case's profile.
    pub profile: super::case::Profile,
    /// The case summary.
    pub summary: String,
    /// How it ended, with its failures, reason or error.
    pub outcome: Outcome,
    /// Wall time.
    pub duration: Duration,
    /// The part of it the tool's processes ran (each from its step's
    /// start until it was seen to end; copies of a step add up): what
    /// the case costs without the harness.
    pub tool_time: Duration,
    /// What its crash steps explored ([`crate::crash`]), summed.
    pub crash: Option<super::crash::Explored>,
}

impl CaseResult {
    /// Which of the four outcomes.
    pub fn status(&self) -> Status {
        self.outcome.status()
    }

    /// The report's detail lines (see [`Outcome::details`]).
    pub fn details(&self) -> Vec<String> {
        self.outcome.details()
    }
}

/// Why `case` is not run against `ad` at all: the adapter does not claim
/// it, or this machine cannot run it as written. `None`: it runs.
pub fn skip_reason(case: &Case, ad: &Adapter) -> Option<String> {
    ad.unsupported_reason(case)
        .or_else(|| exec::machine_skip(case))
}

/// Runs one case. Never panics; harness trouble is [`Outcome::Error`].
pub fn run_case(case: &Case, ad: &Adapter) -> CaseResult {
    let start = Instant::now();
    let mut tool_time = Duration::ZERO;
    let mut crash = None;
    let outcome = match skip_reason(case, ad) {
        Some(r) => Outcome::Unsupported(r),
        None => match run_repeated(case, ad, &mut tool_time, &mut crash) {
            Ok(f) if f.is_empty() => Outcome::Passed,
            Ok(f) => Outcome::Failed(f),
            Err(HarnessError::MachineCannot(why)) => Outcome::Unsupported(why),
            Err(e) => Outcome::Error(e),
        },
    };
    CaseResult {
        id: case.id.clone(),
        group: case.group.clone(),
        clauses: case.clauses.clone(),
        profile: case.profile,
        summary: case.summary.clone(),
        outcome,
        duration: start.elapsed(),
        tool_time,
        crash,
    }
}

/// [`run_inner`] `case.repeat` times, stopping at the first run that
/// fails or errors; a failure says which run it was.
fn run_repeated(
    case: &Case,
    ad: &Adapter,
    tool_time: &mut Duration,
    crash: &mut Option<super::crash::Explored>,
) -> HResult<Vec<Failure>> {
    let n = case.repeat.map_or(1, std::num::NonZeroUsize::get);
    for k in 1..=n {
        let mut f = run_inner(case, ad, tool_time, crash)?;
        if !f.is_empty() {
            if n > 1 {
                f.insert(0, Failure::new("run", format!("run {k} of {n}:")));
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

/// A case's directories as its steps find them: the wiki's commits and
/// work tree, the project's files, the adapter's layout variables.
///
/// # Errors
/// Harness failures (directories, `git`, a layout outside the case).
pub(crate) fn setup(case: &Case, ad: &Adapter) -> HResult<Workspace> {
    let mut ws = Workspace::new()?;
    ws.case.clone_from(&case.id);
    ws.without_capabilities = crate::privilege::needed(case);
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
            std::fs::create_dir_all(&ws.wiki).map_err(HarnessError::Fs)?;
        } else {
            ws.init_wiki()?;
            for (n, c) in w.commit.iter().enumerate() {
                ws.commit(c, n)?;
            }
        }
        if !w.worktree.is_empty() {
            ws.wiki_touched();
        }
        for f in &w.worktree {
            ws.apply_file(&ws.wiki.clone(), f)?;
        }
    }
    let p = &case.project;
    if p.is_file {
        std::fs::write(&ws.project, b"not a directory\n").map_err(HarnessError::Fs)?;
    } else if !p.absent {
        std::fs::create_dir_all(&ws.project).map_err(HarnessError::Fs)?;
        if p.marker {
            std::fs::create_dir_all(ws.project.join(".git")).map_err(HarnessError::Fs)?;
        }
        for f in &p.files {
            ws.apply_file(&ws.project.clone(), f)?;
        }
    }
    Ok(ws)
}

fn run_inner(
    case: &Case,
    ad: &Adapter,
    tool_time: &mut Duration,
    crash: &mut Option<super::crash::Explored>,
) -> HResult<Vec<Failure>> {
    let mut ws = setup(case, ad)?;
    exec::run_setup(&ws, ad)?;
    let mut outside0 = snapshot(&ws.outside, &[]);
    let mut links0 = link_counts(&ws.outside);
    let project0 = snapshot(&ws.project, &[]);
    // Identities are a second walk: taken only where "unchanged" is asked.
    let ids0 = if case.expect.project_unchanged {
        identities(&ws.project)
    } else {
        Default::default()
    };
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
        let ids_before = if step.unchanged || step.hostile.is_some() || !step.keeps.is_empty() {
            identities(&ws.project)
        } else {
            Default::default()
        };
        let kept = super::keep::record(&ws, &step.keeps, &before, &ids_before)?;
        let whole_before = match &step.whole {
            Some(w) => super::portable::whole_before(&ws, ad, w)?,
            None => Default::default(),
        };
        let wiki_before = snapshot(&ws.wiki, &[".git"]);
        let twin = if super::dry_run::wanted(ad, step) {
            let t = super::dry_run::run(&ws, ad, step, &before)?;
            *tool_time += t.result.elapsed;
            Some(t)
        } else {
            None
        };
        let mut crashed = Vec::new();
        let mut placement = exec::Placement::NoSecond;
        let mut acted = Vec::new();
        let (results, not_held) = if let Some(c) = &step.crash {
            let (r, f, ex) = super::crash::run_step(&mut ws, ad, step, c)?;
            crashed = f;
            let sum = crash.get_or_insert_with(Default::default);
            sum.changes += ex.changes;
            sum.states += ex.states;
            sum.recovered += ex.recovered;
            (r, None)
        } else if step.hold.is_some() {
            let h = exec::run_verb_held(&mut ws, ad, step, n)?;
            placement = h.placement;
            acted = h.actions;
            (h.results, h.not_held)
        } else {
            (exec::run_verb(&ws, ad, step)?, None)
        };
        *tool_time += results.iter().map(|r| r.elapsed).sum::<Duration>();
        let mut caps = BTreeMap::new();
        let mut f = check::check_step(&ws, ad, step, &results, &mut caps)?;
        let held_in_place = not_held.is_none();
        f.extend(not_held);
        f.extend(crashed);
        if let Some(order) = step.serial
            && held_in_place
        {
            let real = super::interleave::Observed {
                tree: super::interleave::normalized(&ws.project),
                exits: super::interleave::exits(ad, &results, &super::interleave::verbs_of(step)),
                actions: acted,
            };
            f.extend(super::interleave::check(
                case, ad, n, &real, order, placement,
            )?);
        }
        if !kept.is_empty() {
            f.extend(super::keep::check(&ws, &kept, &before));
        }
        if let (Some(t), Some(real)) = (&twin, results.first()) {
            f.extend(super::dry_run::check(ad, step, t, real, &before));
        }
        for (k, v) in caps {
            ws.vars.insert(format!("var.{k}"), v);
        }
        if let (Some(w), Some(r)) = (&step.whole, results.first())
            && r.code.is_some()
        {
            f.extend(super::portable::check_whole(
                &ws,
                ad,
                w,
                r,
                (&whole_before.0, &whole_before.1),
            )?);
        }
        if step.hostile.is_some() {
            f.extend(check::check_hostile(
                &ws,
                ad,
                step,
                &results,
                (&before, &ids_before),
            )?);
        }
        if step.unchanged {
            let after = snapshot(&ws.project, &[]);
            let mut d = diff(&before, &after);
            d.extend(rewritten(
                &before,
                &ids_before,
                &after,
                &identities(&ws.project),
            ));
            if !d.is_empty() {
                f.push(unchanged_failure("project", &d));
            }
        }
        // A commit the harness placed while the process waited changed
        // the work tree itself.
        let harness_wrote_wiki = step.while_held.iter().any(|a| {
            matches!(
                a,
                crate::case::Action::WikiCommit { .. }
                    | crate::case::Action::WikiReset { .. }
                    | crate::case::Action::WikiBare {}
            )
        });
        let d = diff(&wiki_before, &snapshot(&ws.wiki, &[".git"]));
        if !d.is_empty() && !harness_wrote_wiki {
            f.push(
                Failure::new(
                    "wiki unchanged",
                    format!("the wiki work tree was written: {}", d.join("; ")),
                )
                .expecting("no change to the wiki work tree")
                .observing(d.join("; ")),
            );
        }
        if !f.is_empty() {
            failures.push(Failure::new(
                format!("step {}", n + 1),
                format!("step {} ({} {}):", n + 1, step.verb, step.args.join(" ")),
            ));
            failures.extend(f.into_iter().map(Failure::indented));
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
        failures.push(
            Failure::new(
                "outside unchanged",
                format!("written outside the project (Y2): {}", d.join("; ")),
            )
            .expecting("no write outside the project")
            .observing(d.join("; "))
            .clause("Y2"),
        );
    }
    if case.expect.project_unchanged {
        let after = snapshot(&ws.project, &[]);
        let mut d = diff(&project0, &after);
        d.extend(rewritten(
            &project0,
            &ids0,
            &after,
            &identities(&ws.project),
        ));
        if !d.is_empty() {
            failures.push(unchanged_failure("project", &d));
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
            Ok(check::Lockfile { bytes, doc }) => {
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

/// `project changed (expected unchanged): <changes>`.
fn unchanged_failure(what: &str, changes: &[String]) -> Failure {
    let observed = changes.join("; ");
    Failure::new(
        format!("{what} unchanged"),
        format!("{what} changed (expected unchanged): {observed}"),
    )
    .expecting("unchanged")
    .observing(observed)
}
