//! The verbs across projects: `projects list|add|remove|pause|resume`
//! (CONTRACT R1-R5) and `update --all` (A1-A4), their human and `--json`
//! output.

use super::{Outcome, ProjectsAction, current_dir as cwd, error_json, say, say_err, short, shown};
use crate::asset::AssetType;
use crate::error::{Error, Kind};
use crate::ops::Context;
use crate::ops::update::UpdateOptions;
use crate::ops::update_all::{self, Batch, ProjectRow, State};
use crate::registry::{self, Row};
use serde_json::{Value, json};
use std::io::IsTerminal;
use std::path::Path;

fn row_json(r: &Row) -> Value {
    json!({
        "scope_id": r.scope_id(),
        "root": r.root.display().to_string(),
        "label": r.label,
        "added_at": r.added_at,
        "enabled": r.enabled,
        "missing": r.missing(),
        "stale": r.stale(),
    })
}

fn health(r: &Row) -> &'static str {
    if r.missing() {
        "missing"
    } else if r.stale() {
        "stale"
    } else {
        "ok"
    }
}

fn row_line(r: &Row) -> String {
    format!(
        "{}  {:<7}  {:<7}  {}  ({})",
        r.scope_id(),
        health(r),
        if r.enabled { "enabled" } else { "paused" },
        shown(r.label.as_deref().unwrap_or("-")),
        shown(&r.root.display().to_string())
    )
}

/// `assetpin projects ...` (R1-R5).
pub(super) fn run_projects(project: &Path, action: &ProjectsAction) -> Result<Outcome, Error> {
    let home = registry::home()?;
    let cwd = cwd()?;
    let done = |status: &str, human: String, r: &Row| Outcome {
        code: 0,
        human,
        json: {
            let mut v = row_json(r);
            v["status"] = json!(status);
            v
        },
    };
    Ok(match action {
        ProjectsAction::List => {
            let loaded = registry::load(&home, &cwd);
            for w in &loaded.warnings {
                say_err(&format!("warning: {w}"));
            }
            let rows = &loaded.registry.rows;
            let mut human = format!(
                "{} project(s) in {}",
                rows.len(),
                shown(&loaded.path.display().to_string())
            );
            for r in rows {
                human.push_str("\n  ");
                human.push_str(&row_line(r));
            }
            Outcome {
                code: 0,
                human,
                json: json!({
                    "status": "ok",
                    "registry": loaded.path.display().to_string(),
                    "projects": rows.iter().map(row_json).collect::<Vec<_>>(),
                    "warnings": loaded.warnings,
                }),
            }
        }
        ProjectsAction::Add { path, label } => {
            let root = path.clone().unwrap_or_else(|| project.to_path_buf());
            let (r, status, verb) = match registry::add(&home, &cwd, &root, label.as_deref())? {
                registry::Added::Registered(r) => (r, "registered", "registered"),
                registry::Added::AlreadyRegistered(r) => {
                    (r, "already-registered", "already registered")
                }
            };
            let human = format!(
                "{verb} {} ({})",
                r.scope_id(),
                shown(&r.root.display().to_string())
            );
            done(status, human, &r)
        }
        ProjectsAction::Remove { selector } => {
            let id = registry::selector_id(selector, &cwd);
            let gone = registry::remove(&home, &cwd, &id, selector)?;
            let r = &gone[0];
            let human = format!(
                "unregistered {id} ({}); its files are untouched",
                shown(&r.root.display().to_string())
            );
            done("removed", human, r)
        }
        ProjectsAction::Pause { selector } | ProjectsAction::Resume { selector } => {
            let enable = matches!(action, ProjectsAction::Resume { .. });
            let id = registry::selector_id(selector, &cwd);
            let r = registry::set_enabled(&home, &cwd, &id, selector, enable)?;
            let (status, what) = if enable {
                ("resumed", "resumed: back in `update --all`")
            } else {
                ("paused", "paused: left out of `update --all` until resumed")
            };
            let human = format!("{id} ({}) {what}", shown(&r.root.display().to_string()));
            done(status, human, &r)
        }
    })
}

fn project_json(row: &ProjectRow) -> Value {
    let planned = row.planned.as_ref();
    let mut v = json!({
        "root": row.root.display().to_string(),
        "scope_id": row.scope_id,
        "state": row.state.as_str(),
        "from": planned.map(|u| u.from.clone()),
        "dirty_files": planned.map(|u| u.dirty_files.clone()).unwrap_or_default(),
        "backward": planned.is_some_and(|u| u.backward),
    });
    let (result, error) = match (&row.applied, &row.reason) {
        (Some(Ok(u)), _) => {
            v["backups"] = json!(u.backups);
            ("updated", None)
        }
        (Some(Err(_)), _) if row.gone() => ("gone", None),
        (Some(Err(e)), _) => ("failed", Some(e)),
        (None, Some(e)) => ("refused", Some(e)),
        (None, None) if row.state == State::Update => ("planned", None),
        (None, None) => ("unchanged", None),
    };
    v["result"] = json!(result);
    v["error"] = error.map_or(Value::Null, error_json);
    v
}

fn preview_line(row: &ProjectRow) -> String {
    let mut line = format!(
        "  {:<10} {}",
        row.state.as_str(),
        shown(&row.root.display().to_string())
    );
    if let Some(u) = &row.planned
        && row.state == State::Update
    {
        line.push_str(&format!("  {} -> {}", short(&u.from), short(&u.to)));
        if u.backward {
            line.push_str(" [moves the pin backward]");
        }
    }
    if let Some(e) = &row.reason {
        line.push_str(&format!("  ({}: {})", e.kind, shown(&e.message)));
    }
    line
}

fn batch_json(status: &str, ty: AssetType, name: &str, b: &Batch) -> Value {
    json!({
        "status": status,
        "type": ty.as_str(),
        "name": name,
        "head": b.head,
        "projects": b.rows.iter().map(project_json).collect::<Vec<_>>(),
        "skipped": b.skipped.iter().map(|s| json!({
            "root": s.root.display().to_string(), "why": s.why,
        })).collect::<Vec<_>>(),
        "warnings": b.warnings,
    })
}

/// Asks on the terminal; anything but `y`/`yes` is a no.
fn confirmed(n: usize) -> bool {
    use std::io::{BufRead, Write};
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "update {n} project(s)? [y/N] ");
    let _ = err.flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Whether `update --all` asks before it writes (A3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Confirm {
    /// Ask on the terminal; refuse `unconfirmed` without one.
    Ask,
    /// `--yes`: write without asking.
    Given,
}

/// Where `update --all`'s preview goes: printed before the batch for a
/// human reader, left out of `--json`'s single object (E3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Preview {
    /// Print the preview on stdout.
    Print,
    /// Print nothing but the final object.
    Quiet,
}

/// `assetpin update TYPE NAME --all` (A1-A4): classify every enrolled
/// project, refuse the whole batch on a local edit, stop at a dry run or
/// nothing to do, confirm, then apply and report per project.
pub(super) fn run_update_all(
    ctx: &Context,
    ty: AssetType,
    name: &str,
    opts: &UpdateOptions,
    confirm: Confirm,
    preview: Preview,
) -> Result<Outcome, Error> {
    let home = registry::home()?;
    let mut batch = update_all::classify(&ctx.wiki, &home, &cwd()?, ty, name, opts)?;
    for w in &batch.warnings {
        say_err(&format!("warning: {w}"));
    }
    if batch.rows.is_empty() {
        return Ok(nothing_to_do(ty, name, &batch));
    }
    let updates = count(&batch, State::Update);
    if preview == Preview::Print {
        say(&preview_text(ty, name, &batch));
    }
    refuse_local_edits(ty, name, opts, &batch)?;
    if opts.dry_run || updates == 0 {
        return Ok(planned_or_unchanged(ty, name, opts, &batch));
    }
    if confirm == Confirm::Ask {
        ask_before_writing(updates)?;
    }
    apply_with_progress(ctx, ty, name, opts, &mut batch, updates);
    Ok(applied(ty, name, &batch))
}

/// How many of the batch's rows are in `state`.
fn count(batch: &Batch, state: State) -> usize {
    batch.rows.iter().filter(|r| r.state == state).count()
}

/// No registered, enrolled project has the asset: exit 0, naming the
/// projects left out and why (A1).
fn nothing_to_do(ty: AssetType, name: &str, batch: &Batch) -> Outcome {
    Outcome {
        code: 0,
        human: format!(
            "no registered, enrolled project has {ty} {name} installed ({} left out: {}); \
             nothing to do",
            batch.skipped.len(),
            if batch.skipped.is_empty() {
                "none registered; `assetpin projects add PATH` registers one".into()
            } else {
                batch
                    .skipped
                    .iter()
                    .map(|s| format!("{} {}", shown(&s.root.display().to_string()), s.why))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
        json: batch_json("nothing", ty, name, batch),
    }
}

/// The preview: wiki HEAD, then one line per project (A2).
fn preview_text(ty: AssetType, name: &str, batch: &Batch) -> String {
    let mut preview = format!(
        "{ty} {name}: wiki HEAD {}, {} project(s):",
        short(&batch.head),
        batch.rows.len()
    );
    for r in &batch.rows {
        preview.push('\n');
        preview.push_str(&preview_line(r));
    }
    preview
}

/// A local edit in any project refuses the whole batch with `dirty`,
/// nothing written anywhere, unless it is a dry run (A2).
///
/// # Errors
/// `dirty`, its detail `projects` the rows.
fn refuse_local_edits(
    ty: AssetType,
    name: &str,
    opts: &UpdateOptions,
    batch: &Batch,
) -> Result<(), Error> {
    let refusals = count(batch, State::Refuse);
    if refusals == 0 || opts.dry_run {
        return Ok(());
    }
    Err(Error::new(
        Kind::Dirty,
        format!(
            "{refusals} project(s) have local edits in {ty} {name} (the refuse rows); \
             nothing was written in any project; rerun with --force to overwrite them \
             (each modified file is kept as <file>.bak), or resolve them first"
        ),
    )
    .with_detail(
        "projects",
        batch_json("refused", ty, name, batch)["projects"].clone(),
    ))
}

/// A dry run, or a batch with nothing to update: what would happen or
/// what was found, nothing written; exit 1 when a project failed to be
/// classified (outside a dry run).
fn planned_or_unchanged(ty: AssetType, name: &str, opts: &UpdateOptions, batch: &Batch) -> Outcome {
    let (updates, refusals) = (count(batch, State::Update), count(batch, State::Refuse));
    let failed = batch.rows.iter().filter(|r| !r.ok()).count();
    let human = if opts.dry_run {
        format!(
            "dry run: {updates} would update, {refusals} would refuse without --force, \
             {would_fail} would fail; nothing written",
            would_fail = count(batch, State::StalePin) + count(batch, State::Error)
        )
    } else {
        format!(
            "nothing to update: {} unchanged, {failed} failed",
            count(batch, State::Unchanged)
        )
    };
    let status = if opts.dry_run {
        "planned"
    } else if failed > 0 {
        "partial"
    } else {
        "done"
    };
    Outcome {
        code: if failed > 0 && !opts.dry_run { 1 } else { 0 },
        human,
        json: batch_json(status, ty, name, batch),
    }
}

/// Without `--yes`, `updates` writes are confirmed on the terminal (A3).
///
/// # Errors
/// `unconfirmed` when stdin is not a terminal or the answer is not yes.
fn ask_before_writing(updates: usize) -> Result<(), Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::new(
            Kind::Unconfirmed,
            format!(
                "update --all would write {updates} project(s) but stdin is not a terminal \
                 to confirm on; nothing was written; pass --yes to update without asking"
            ),
        ));
    }
    if !confirmed(updates) {
        return Err(Error::new(
            Kind::Unconfirmed,
            "not confirmed; nothing was written (pass --yes to skip the question)",
        ));
    }
    Ok(())
}

/// Applies the batch, one progress line on stderr per project (A4).
fn apply_with_progress(
    ctx: &Context,
    ty: AssetType,
    name: &str,
    opts: &UpdateOptions,
    batch: &mut Batch,
    total: usize,
) {
    let mut done = 0;
    update_all::apply(batch, &ctx.wiki, ty, name, opts, &mut |row| {
        done += 1;
        let what = match &row.applied {
            Some(Ok(_)) => "updated".to_owned(),
            Some(Err(_)) if row.gone() => "gone (its entry was removed meanwhile)".to_owned(),
            Some(Err(e)) => format!("failed: {e}"),
            None => "skipped".to_owned(),
        };
        say_err(&format!(
            "[{done}/{total}] {}: {what}",
            shown(&row.root.display().to_string())
        ));
    });
}

/// The report of an applied batch: one line per project and the totals;
/// exit 1 when any project failed (A4).
fn applied(ty: AssetType, name: &str, batch: &Batch) -> Outcome {
    let mut human = String::new();
    let (mut ok, mut failed) = (0, 0);
    for r in &batch.rows {
        let line = match (&r.applied, &r.reason) {
            (Some(Ok(u)), _) => {
                ok += 1;
                format!(
                    "updated    {}  {} -> {}",
                    r.root.display(),
                    short(&u.from),
                    short(&u.to)
                )
            }
            (Some(Err(_)), _) if r.gone() => format!(
                "gone       {}  (its entry was removed meanwhile)",
                r.root.display()
            ),
            (Some(Err(e)), _) => {
                failed += 1;
                format!("failed     {}  {e}", r.root.display())
            }
            (None, Some(e)) => {
                failed += 1;
                format!("{:<10} {}  {e}", r.state.as_str(), r.root.display())
            }
            (None, None) => format!("unchanged  {}", r.root.display()),
        };
        human.push_str(&shown(&line));
        human.push('\n');
    }
    human.push_str(&format!(
        "{ok} updated, {} unchanged, {failed} failed",
        batch.rows.len() - ok - failed
    ));
    Outcome {
        code: if failed > 0 { 1 } else { 0 },
        human,
        json: batch_json(if failed > 0 { "partial" } else { "done" }, ty, name, batch),
    }
}
