//! Crash consistency for any implementation (`c-crash/*`; CONTRACT L7,
//! I6, I7, K2): a step marked `crash` runs once under `strace`
//! ([`trace`]), its calls are replayed on a copy of the case's trees
//! ([`model`]), and every state a crash could leave, at every recorded
//! change and under the step's file-system model, is checked
//! ([`verdict::in_state`]), written into the project, recovered from by
//! the tool itself (the case's `recover` runs) and checked again
//! ([`verdict::after_recovery`]). The first violating state is reported
//! with its crash point, the calls around it and what the tool relied on
//! that the model does not grant.
//!
//! The replay is anchored: all of a recording replayed must give exactly
//! the trees the tool left, else the case errs (a call the replay does
//! not follow would otherwise judge states the tool never made).
//! Choices and limits: `docs/concurrency.md`, "Crash states".

pub mod family;
pub mod model;
pub mod trace;
pub mod verdict;

use crate::adapter::Adapter;
use crate::case::{Crash, Run, Verb};
use crate::error::{HResult, HarnessError, io_err};
use crate::exec::{self, ProcResult};
use crate::outcome::Failure;
use crate::snapshot::{Node, Snapshot, diff, snapshot};
use crate::workspace::Workspace;
use model::{FsModel, Recording};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use verdict::{Ends, Entry, Layout, Place};

/// The case group (and id prefix) of the family.
pub const GROUP: &str = "c-crash";

/// `strace`, from `PATH` (`scripts/install-strace.sh` installs it), once
/// it has been seen to trace here; `Err` says why not (missing, or
/// `ptrace` refused, as in a container without `CAP_SYS_PTRACE`).
///
/// # Errors
/// The reason a crash case cannot run on this machine.
pub fn strace_path() -> Result<PathBuf, String> {
    static P: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let missing =
            || "strace is not installed (scripts/install-strace.sh installs it)".to_owned();
        let path = std::env::var_os("PATH").ok_or_else(missing)?;
        let s = std::env::split_paths(&path)
            .map(|d| d.join("strace"))
            .find(|p| p.is_file())
            .ok_or_else(missing)?;
        let probe = std::process::Command::new(&s)
            .args(["-f", "-o", "/dev/null", "--", "true"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .output()
            .map_err(|e| format!("{} cannot run: {e}", s.display()))?;
        if !probe.status.success() {
            return Err(format!(
                "{} cannot trace here: {}",
                s.display(),
                String::from_utf8_lossy(&probe.stderr)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
            ));
        }
        Ok(s)
    })
    .clone()
}

/// `argv` run under `strace`, recording to `out`.
///
/// # Errors
/// [`HarnessError::MachineCannot`] when `strace` cannot trace here.
pub fn strace_argv(out: &Path, argv: &[String]) -> HResult<Vec<String>> {
    let s = strace_path().map_err(HarnessError::MachineCannot)?;
    let mut v = vec![s.display().to_string()];
    v.extend(trace::strace_args());
    v.extend(["-o".into(), out.display().to_string(), "--".into()]);
    v.extend(argv.iter().cloned());
    Ok(v)
}

/// Why a machine cannot run a crash case, if it cannot.
pub fn machine_skip(case: &crate::case::Case) -> Option<String> {
    let crash = case
        .steps
        .iter()
        .filter_map(|s| s.as_run())
        .any(|r| r.crash.is_some());
    if crash { strace_path().err() } else { None }
}

/// A case's place for `path` (a layout path, variables substituted):
/// the project's tree or `$HOME`'s.
fn place(ws: &Workspace, path: &str) -> Place {
    let p = Path::new(path);
    for (i, root) in [&ws.project, &ws.home].into_iter().enumerate() {
        if let Ok(rel) = p.strip_prefix(root) {
            return (i, rel.display().to_string());
        }
    }
    (0, path.trim_start_matches("./").to_owned())
}

fn layout(
    ws: &Workspace,
    ad: &Adapter,
    assets: &[String],
    spec_leftovers: &[String],
) -> HResult<Layout> {
    let l = &ad.spec.layout;
    let tpl = ws.dest_tpl.clone().ok_or_else(|| {
        HarnessError::Adapter("a crash case needs the adapter's layout.root".into())
    })?;
    let mut dests = BTreeMap::new();
    let mut entries = BTreeMap::new();
    for a in assets {
        let v = [("name", a.as_str())];
        dests.insert(a.clone(), place(ws, &ws.subst(&tpl, &v)?));
        if let Some(p) = &l.manifest_entry {
            entries.insert(a.clone(), Entry::Pointer(ws.subst(p, &v)?));
        } else if let Some(m) = &l.manifest_matches {
            let r = regex::Regex::new(&ws.subst(m, &v)?)
                .map_err(|e| HarnessError::Adapter(format!("layout.manifest_matches: {e}")))?;
            entries.insert(a.clone(), Entry::Matches(r));
        }
    }
    let dest_extra = l
        .dest_extra
        .iter()
        .map(|r| regex::Regex::new(r))
        .collect::<Result<_, _>>()
        .map_err(|e| HarnessError::Adapter(format!("layout.dest_extra: {e}")))?;
    let leftovers = spec_leftovers
        .iter()
        .map(|r| regex::Regex::new(r))
        .collect::<Result<_, _>>()
        .map_err(|e| HarnessError::Case(format!("crash.leftovers: {e}")))?;
    Ok(Layout {
        leftovers,
        dests,
        manifest: ws.vars.get("layout.manifest").map(|m| place(ws, m)),
        entries,
        dest_extra,
        root: ws.vars.get("layout.root").map(|r| place(ws, r)),
    })
}

/// The roots a crash state covers: the project, `$HOME` and the tool's
/// `$TMPDIR`.
fn roots(ws: &Workspace) -> Vec<PathBuf> {
    let mut r = vec![ws.project.clone(), ws.home.clone()];
    r.extend(ws.tmpdir.clone());
    r
}

fn trees(ws: &Workspace) -> Vec<Snapshot> {
    roots(ws).iter().map(|r| snapshot(r, &[])).collect()
}

/// Writes `t` over the project and `$HOME` (everything in them replaced).
fn materialize(ws: &Workspace, t: &[Snapshot]) -> HResult<()> {
    use std::os::unix::fs::PermissionsExt;
    for (root, tree) in roots(ws).iter().zip(t) {
        if let Ok(rd) = std::fs::read_dir(root) {
            for e in rd.flatten() {
                crate::workspace::remove_any(&e.path())?;
            }
        }
        let mut dirs = Vec::new();
        for (k, n) in tree {
            let p = crate::snapshot::path_of(root, k);
            let r = match n {
                Node::Dir(m) => {
                    dirs.push((p.clone(), *m));
                    std::fs::create_dir_all(&p)
                }
                Node::File(m, b) => std::fs::write(&p, b).and_then(|()| {
                    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(*m))
                }),
                Node::Link(t) => std::os::unix::fs::symlink(t, &p),
                // A FIFO stands for any special file (a socket or a device
                // node the tool made): the snapshots compare their modes.
                Node::Other(m) => rustix::fs::mknodat(
                    rustix::fs::CWD,
                    &p,
                    rustix::fs::FileType::Fifo,
                    rustix::fs::Mode::from_raw_mode(*m),
                    0,
                )
                .map_err(std::io::Error::from),
                Node::Large { .. } => Err(std::io::Error::other("not modelled")),
            };
            r.map_err(io_err(format!("write the crash state at {}", p.display())))?;
        }
        for (p, m) in dirs.into_iter().rev() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(m))
                .map_err(io_err(format!("chmod {}", p.display())))?;
        }
    }
    Ok(())
}

fn run_of(verb: Verb, args: &[String]) -> HResult<Run> {
    let mut t = toml::Table::new();
    t.insert("verb".into(), verb.as_str().into());
    t.insert(
        "args".into(),
        toml::Value::Array(args.iter().map(|a| a.as_str().into()).collect()),
    );
    toml::Value::Table(t)
        .try_into()
        .map_err(|e| HarnessError::Case(format!("crash: recover {verb}: {e}")))
}

fn hash_of(t: &[Snapshot], acked: &[&str]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for tree in t {
        for (k, n) in tree {
            k.hash(&mut h);
            format!("{n:?}").hash(&mut h);
        }
        0xffu8.hash(&mut h);
    }
    acked.hash(&mut h);
    h.finish()
}

/// Runs the recovery in state `t`: what is wrong after it (empty: fine).
fn recover(
    ws: &mut Workspace,
    ad: &Adapter,
    spec: &Crash,
    t: &[Snapshot],
    l: &Layout,
    ends: &Ends<'_>,
) -> HResult<Vec<String>> {
    materialize(ws, t)?;
    for (n, a) in spec.actions.iter().enumerate() {
        exec::run_action(ws, a, n)?;
    }
    for r in &spec.recover {
        if r.if_claimed && !ad.spec.verbs.contains_key(r.verb.as_str()) {
            continue;
        }
        let run = run_of(r.verb, &r.args)?;
        for p in exec::run_verb(ws, ad, &run)? {
            if p.code == Some(0) || (r.may_fail && p.code.is_some() && !p.timed_out) {
                continue;
            }
            let kind = ad.recognise_kind(&p.stderr);
            if p.code.is_some() && kind.as_ref().is_some_and(|k| r.may_refuse.contains(k)) {
                continue;
            }
            let how = match (p.timed_out, p.signal, p.code) {
                (true, _, _) => "timed out".to_owned(),
                (_, Some(s), _) => format!("was killed by signal {s}"),
                (_, _, c) => format!("exited {}", c.unwrap_or(-1)),
            };
            return Ok(vec![format!(
                "recovery `{} {}` {how}: {} (a state that needs a human)",
                r.verb,
                r.args.join(" "),
                p.stderr.lines().next().unwrap_or("").trim()
            )]);
        }
    }
    Ok(verdict::after_recovery(&trees(ws), l, ends))
}

/// The most distinct crash states one step may have under one model:
/// past it the case errs (each state costs a run of the tool).
pub const MAX_STATES: usize = 5_000;

/// What crash steps explored (the first violation is a failure).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Explored {
    /// Recorded changes (crash points are one more).
    pub changes: usize,
    /// Distinct states checked.
    pub states: usize,
    /// Of those, how many were recovered from (the tool run on them).
    pub recovered: usize,
}

/// Runs a `crash` step: the real run (its results, for the step's usual
/// checks), then every crash state. The project is left as the real run
/// left it.
///
/// # Errors
/// Harness trouble, a recording that cannot be read or replayed, or a
/// replay that does not end where the tool did.
pub fn run_step(
    ws: &mut Workspace,
    ad: &Adapter,
    step: &Run,
    spec: &Crash,
) -> HResult<(Vec<ProcResult>, Vec<Failure>, Explored)> {
    let model = FsModel::parse(&spec.model)
        .ok_or_else(|| HarnessError::Case(format!("crash: unknown model {:?}", spec.model)))?;
    // The tool's temporary directory is a third tree of the replay: a
    // tool that clones the wiki there and copies from the clone
    // (`copy_file_range`) is replayed from bytes the recording saw.
    let tmp = ws.base().join("tmp");
    std::fs::create_dir_all(&tmp).map_err(io_err(format!("mkdir {}", tmp.display())))?;
    ws.tmpdir = Some(tmp);
    let before = trees(ws);
    let dir = ws.base().join("crash-traces");
    std::fs::create_dir_all(&dir).map_err(io_err(format!("mkdir {}", dir.display())))?;
    ws.trace = Some((dir.clone(), std::sync::atomic::AtomicUsize::new(0)));
    let results = exec::run_verb(ws, ad, step);
    let n = ws.trace.take().map_or(0, |(_, n)| n.into_inner());
    let results = results?;
    let after = trees(ws);
    let mut traces = Vec::new();
    let mut owner: HashMap<u32, &str> = HashMap::new();
    for k in 0..n {
        let p = dir.join(format!("trace.{k}"));
        let text = std::fs::read_to_string(&p).map_err(io_err(format!("read {}", p.display())))?;
        let calls = trace::parse(&text)
            .map_err(|e| HarnessError::Case(format!("crash: {}: {e}", p.display())))?;
        if let (Some(c), Some(a)) = (calls.first(), spec.assets.get(k)) {
            owner.insert(c.pid, a.as_str());
        }
        traces.push(calls);
    }
    let calls = model::merge(traces);
    let exe = ad.exe.display().to_string();
    let cwd = ws.subst(
        ad.spec.run.cwd.as_deref().unwrap_or("${project}"),
        &[("exe", exe.as_str())],
    )?;
    let named: Vec<(PathBuf, &Snapshot)> = roots(ws).into_iter().zip(&before).collect();
    let rec = Recording::new(&named)
        .and_then(|r| r.replay(&calls, model::umask(), Path::new(&cwd)))
        .map_err(|e| HarnessError::Case(format!("crash: {e}")))?;
    let end = rec.state(FsModel::Process, rec.recs.len(), rec.recs.len());
    let d: Vec<String> = after
        .iter()
        .zip(&end)
        .flat_map(|(a, e)| diff(a, e))
        .collect();
    if !d.is_empty() {
        return Err(HarnessError::Case(format!(
            "crash: the recording does not replay to what the tool left: {}",
            d.join("; ")
        )));
    }
    let l = layout(ws, ad, &spec.assets, &spec.leftovers)?;
    let ends = Ends {
        before: &before,
        after: &after,
    };
    let mut ex = Explored {
        changes: rec.recs.len(),
        ..Explored::default()
    };
    // First every distinct state is checked as it is (cheap); only when
    // all are consistent is the tool run on each, in order, to recover.
    // A tool that tears its dest is then reported without a recovery run
    // per state before the tear.
    let tmp = ws.tmpdir.clone();
    let fail = |(k, cut): (usize, usize), phase: &str, v: &[String]| {
        report(&rec, model, (k, cut), phase, v, tmp.as_deref())
    };
    let mut seen = HashSet::new();
    let mut recovered_seen = HashSet::new();
    let mut distinct = Vec::new();
    let mut failures = Vec::new();
    'points: for k in rec.points() {
        if rec.inside_a_write_run(k) {
            continue;
        }
        let acked: Vec<&str> = rec
            .acked(k)
            .iter()
            .filter_map(|p| owner.get(p).copied())
            .collect();
        for cut in rec.cuts(model, k) {
            let t = rec.state(model, k, cut);
            if !seen.insert(hash_of(&t, &acked)) {
                continue;
            }
            ex.states += 1;
            if ex.states > MAX_STATES {
                return Err(HarnessError::Case(format!(
                    "crash: more than {MAX_STATES} distinct crash states under {}; the case is too large to explore",
                    model.as_str()
                )));
            }
            let v = verdict::in_state(&t, &l, &ends, &acked, spec.entry_may_outlive_dest);
            if !v.is_empty() {
                failures.push(fail((k, cut), "in the crash state", &v));
                break 'points;
            }
            // Only where it is: the trees are built again for the
            // recovery, so memory holds one state at a time.
            if recovered_seen.insert(hash_of(&t, &[])) {
                distinct.push((k, cut));
            }
        }
    }
    if failures.is_empty() {
        for (k, cut) in distinct {
            let t = rec.state(model, k, cut);
            ex.recovered += 1;
            let v = recover(ws, ad, spec, &t, &l, &ends)?;
            if !v.is_empty() {
                failures.push(fail((k, cut), "after the recovery", &v));
                break;
            }
        }
    }
    materialize(ws, &after)?;
    Ok((results, failures, ex))
}

fn report(
    rec: &Recording,
    model: FsModel,
    (k, cut): (usize, usize),
    phase: &str,
    v: &[String],
    tmp: Option<&Path>,
) -> Failure {
    let n = rec.recs.len();
    let at = if k == n {
        "after the last change (the run had ended)".to_owned()
    } else {
        format!("before change {} of {n}, `{}`", k + 1, rec.calls[k])
    };
    let mut line = format!("{} crash {at}, {phase}: {}", model.as_str(), v.join("; "));
    let lo = k.saturating_sub(3);
    line.push_str("\n      calls up to the crash:");
    for c in &rec.calls[lo..k] {
        line.push_str(&format!("\n        {c}"));
    }
    // What the tool left in its own temporary directory is not what it
    // promised anything about.
    let mut lost = rec.lost(model, k, cut);
    if let Some(t) = tmp {
        let t = t.display().to_string();
        lost.retain(|l| !l.contains(&t));
    }
    lost.dedup();
    if !lost.is_empty() {
        line.push_str("\n      relied on what the model does not grant:");
        for l in lost.iter().take(4) {
            line.push_str(&format!("\n        {l}"));
        }
        if lost.len() > 4 {
            line.push_str(&format!("\n        and {} more", lost.len() - 4));
        }
    }
    let clause = if v.iter().any(|m| m.contains("manifest")) {
        "L7"
    } else if v.iter().any(|m| m.contains("entry of")) {
        "I7"
    } else {
        "I6"
    };
    Failure::new("crash", line)
        .expecting("every crash state consistent, and recovered from by the tool")
        .observing(v.join("; "))
        .clause(clause)
}
