//! The command line: argument parsing (clap), output (human and `--json`,
//! E3) and exit codes (E2).

mod projects;

use crate::asset::AssetType;
use crate::error::{Error, Kind};
use crate::ops::remove::IfLocalBytes;
use crate::ops::status;
use crate::ops::update::{self, UpdateOptions, UpdateStatus};
use crate::ops::{self, Context, Installed, Restored};
use clap::{Parser, Subcommand};
use serde_json::{Value, json};
use std::path::PathBuf;

/// `<crate version> (<commit>)`: the commit the binary was built from
/// (build.rs: `git rev-parse HEAD`, or `$ASSETPIN_COMMIT`; `unknown`
/// outside a git checkout).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("ASSETPIN_COMMIT"),
    ")"
);

/// Install commit-pinned assets (skills, agents, commands) from a git wiki
/// into a project, with a lockfile many processes can update at once.
///
/// Interoperates with memtomem's `mm context` on the same project: same
/// lockfile, same locks, same bytes.
#[derive(Debug, Parser)]
#[command(name = "assetpin", version = VERSION, about, long_about)]
pub struct Cli {
    /// Project root [default: nearest ancestor of the current directory
    /// holding .git or pyproject.toml, else the current directory]
    #[arg(long, global = true, value_name = "DIR")]
    pub project: Option<PathBuf>,

    /// Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]
    #[arg(long, global = true, value_name = "DIR")]
    pub wiki: Option<PathBuf>,

    /// Print one JSON object on stdout (results and errors alike)
    #[arg(long, global = true)]
    pub json: bool,

    /// Give up waiting for a lock after this long (seconds, or `500ms`,
    /// `2m`): an `io` error naming the lock, nothing written. Without it a
    /// writer waits as long as the holder holds, saying after 1 s what it
    /// waits for
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_wait)]
    pub lock_timeout: Option<std::time::Duration>,

    #[command(subcommand)]
    pub command: Command,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install an asset from the wiki HEAD, pinned to that commit; or, with
    /// --all, restore every lockfile entry at its own pin.
    ///
    /// Refuses (and writes nothing) when the asset already has a lockfile
    /// entry or a dest directory, when the wiki has uncommitted changes in
    /// the asset directory, or when the lockfile is corrupt.
    #[command(after_help = "Examples:\n  assetpin install skill review\n  assetpin install --all")]
    Install {
        /// Asset type: skill, agent or command
        #[arg(value_name = "TYPE", required_unless_present = "all")]
        ty: Option<AssetType>,
        /// Asset name (1-64 of A-Z a-z 0-9 . _ -)
        #[arg(required_unless_present = "all")]
        name: Option<String>,
        /// Restore every lockfile entry whose dest is missing, at its pin
        /// (never HEAD); present dests are left alone
        #[arg(long, conflicts_with_all = ["ty", "name"])]
        all: bool,
    },
    /// Move an installed asset to the wiki HEAD; with --all, in every
    /// registered project that has it.
    ///
    /// Refuses when dest has local changes (dirty) unless --force, and when
    /// the pin would move backward unless --force-head. With --all, every
    /// enrolled project of the registry (see `assetpin projects`) is
    /// classified first (update, unchanged, refuse, stale-pin, error) and
    /// the preview printed; a project with local edits stops the whole
    /// batch before any write unless --force; then, once confirmed (--yes,
    /// or a "y" on the terminal), each project is updated under its own
    /// locks, exactly as a single update would, one failure never stopping
    /// the next. Exit 0 only when every project ended updated or unchanged.
    #[command(after_help = "Examples:\n  assetpin update skill review\n  \
                            assetpin update skill review --dry-run\n  \
                            assetpin update skill review --all --dry-run\n  \
                            assetpin update skill review --all --yes")]
    Update {
        /// Asset type: skill, agent or command
        #[arg(value_name = "TYPE")]
        ty: AssetType,
        /// Asset name
        name: String,
        /// Overwrite dirty files, keeping each modified one as <file>.bak
        #[arg(long)]
        force: bool,
        /// Move the pin to HEAD even when HEAD does not descend from it
        #[arg(long)]
        force_head: bool,
        /// Print the plan (add, modify, delete, keep; dirty marks) and write nothing
        #[arg(long)]
        dry_run: bool,
        /// Abort with exit 3 (conflict) unless dest's mtime_ns, as
        /// `status --json` printed it, is still N
        #[arg(
            long,
            value_name = "N",
            allow_negative_numbers = true,
            conflicts_with = "all"
        )]
        expect_mtime_ns: Option<i128>,
        /// Update the asset in every registered, enrolled project that has
        /// it installed (the registry of `assetpin projects`)
        #[arg(long)]
        all: bool,
        /// With --all: update without asking (needed when stdin is not a
        /// terminal; without it such a run refuses, unconfirmed)
        #[arg(long, requires = "all")]
        yes: bool,
    },
    /// Take an installed asset back out: dest and its lockfile entry.
    ///
    /// Refuses (dirty) when dest holds local bytes, edited files or files
    /// this tool did not install (.bak copies included), unless --force;
    /// then dest is moved whole to .memtomem/removed/<section>/<name>-<time>/
    /// (the message names it) instead of deleted. A remove killed midway
    /// leaves the entry without dest, which the next remove finishes.
    #[command(after_help = "Examples:\n  assetpin remove skill review\n  \
                            assetpin remove skill review --force")]
    Remove {
        /// Asset type: skill, agent or command
        #[arg(value_name = "TYPE")]
        ty: AssetType,
        /// Asset name
        name: String,
        /// Remove a dest with local bytes too, moving it to .memtomem/removed/
        #[arg(long)]
        force: bool,
    },
    /// Replace an asset's main file in dest (SKILL.md, agent.md or
    /// command.md), guarded by the mtime_ns you read.
    ///
    /// Read the current value with --show, then pass it back with
    /// --expect-mtime-ns and the new content. The edit lands only when the
    /// file still has that mtime_ns; otherwise it is aborted (exit 3,
    /// conflict, the current mtime_ns echoed) and nothing is written. The
    /// check and the write hold the asset's lock, so of concurrent edits
    /// from one read exactly one lands. The lockfile is not touched: the
    /// asset then shows as dirty in `status`, like any local edit.
    #[command(
        after_help = "Examples:\n  assetpin edit skill review --show --json\n  \
                            assetpin edit skill review --expect-mtime-ns 1764712345123456789 \
                            --content-file SKILL.md\n  \
                            printf '# review\\n' | assetpin edit skill review \
                            --expect-mtime-ns 1764712345123456789 --content-file -"
    )]
    Edit {
        /// Asset type: skill, agent or command
        #[arg(value_name = "TYPE")]
        ty: AssetType,
        /// Asset name
        name: String,
        /// Print the main file's path and mtime_ns and write nothing
        #[arg(long, conflicts_with_all = ["expect_mtime_ns", "content_file"])]
        show: bool,
        /// The main file's mtime_ns as you read it (from --show)
        #[arg(
            long,
            value_name = "N",
            allow_negative_numbers = true,
            required_unless_present = "show",
            requires = "content_file"
        )]
        expect_mtime_ns: Option<i128>,
        /// The new content: a regular file, or - for standard input (at most 64 MiB)
        #[arg(long, value_name = "FILE", required_unless_present = "show")]
        content_file: Option<PathBuf>,
    },
    /// The registry of projects that `update --all` walks:
    /// ~/.memtomem/known_projects.json, the file memtomem's `mm context
    /// projects` keeps (the same format, lock and scope ids).
    ///
    /// A project is named by its path or by its scope id, `p-` and 12 hex
    /// digits as `projects list` prints them. Removing a project from the
    /// registry never touches its files.
    #[command(
        after_help = "Examples:\n  assetpin projects add ~/src/app --label app\n  \
                            assetpin projects list\n  \
                            assetpin projects pause p-0123456789ab\n  \
                            assetpin projects remove ~/src/app"
    )]
    Projects {
        #[command(subcommand)]
        action: ProjectsAction,
    },
    /// Record an existing dest that has no lockfile entry, when it equals
    /// the asset at the wiki HEAD file by file.
    ///
    /// For the state `install` refuses with lockfile_entry=no, dest=yes: a
    /// dest copied by hand, or an install killed after placing dest but
    /// before writing its entry. Nothing in dest is written or moved; any
    /// difference refuses (dirty) with a per-file report, and there is no
    /// --force: move dest aside and install to take HEAD's bytes.
    #[command(after_help = "Example:\n  assetpin adopt skill review")]
    Adopt {
        /// Asset type: skill, agent or command
        #[arg(value_name = "TYPE")]
        ty: AssetType,
        /// Asset name
        name: String,
    },
    /// Show every asset's state: ok, behind, dirty, missing, stale-pin,
    /// untracked (unknown without a wiki). Takes no lock, never writes, and
    /// exits 0 whatever the drift.
    Status,
    /// Run the conformance suite (the contract as executable cases)
    /// against this binary or, with --adapter, another implementation.
    Conform(Box<assetpin_conform::ConformArgs>),
    /// Compare saved conformance runs (`conform --save-run FILE`):
    /// regressions between two, an SVG badge, the clause x implementation
    /// table.
    Report(assetpin_conform::saved::cli::ReportArgs),
    /// Print a shell completion script on stdout.
    #[command(after_help = "Examples:\n  \
        assetpin completions bash > ~/.local/share/bash-completion/completions/assetpin\n  \
        assetpin completions zsh > ~/.zfunc/_assetpin\n  \
        assetpin completions fish > ~/.config/fish/completions/assetpin.fish")]
    Completions {
        /// bash, elvish, fish, powershell or zsh
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff) on stdout: assetpin(1), or with VERB the
    /// verb's own page, assetpin-VERB(1).
    #[command(
        after_help = "Examples:\n  assetpin man > ~/.local/share/man/man1/assetpin.1 && man assetpin\n  \
                      assetpin man install > ~/.local/share/man/man1/assetpin-install.1"
    )]
    Man {
        /// The verb whose page to print (install, update, ...).
        verb: Option<String>,
    },
}

/// What `assetpin projects` does.
#[derive(Debug, Subcommand)]
pub enum ProjectsAction {
    /// List the registered projects: scope id, health (ok; missing: the
    /// root is gone; stale: no .memtomem inside), enrolled or paused,
    /// label and root.
    List,
    /// Register a project (idempotent).
    Add {
        /// The project root [default: the current project]
        #[arg(value_name = "PATH")]
        path: Option<PathBuf>,
        /// A display label
        #[arg(long)]
        label: Option<String>,
    },
    /// Unregister a project (its files are not touched).
    Remove {
        /// Path or scope id (p-<12 hex>); a path that no longer exists
        /// still names its row
        #[arg(value_name = "PROJECT")]
        selector: String,
    },
    /// Leave a registered project out of `update --all` until resumed.
    Pause {
        /// Path or scope id (p-<12 hex>)
        #[arg(value_name = "PROJECT")]
        selector: String,
    },
    /// Enrol a paused project in `update --all` again.
    Resume {
        /// Path or scope id (p-<12 hex>)
        #[arg(value_name = "PROJECT")]
        selector: String,
    },
}

/// A verb's result: exit code, JSON object, human text.
pub(crate) struct Outcome {
    pub(crate) code: i32,
    pub(crate) json: Value,
    pub(crate) human: String,
}

fn installed_json(status: &str, i: &Installed) -> Value {
    json!({
        "status": status,
        "type": i.ty.as_str(),
        "name": i.name,
        "pin": i.pin,
        "dest": i.dest.display().to_string(),
        "files": i.files,
        "bytes": i.bytes,
        "warnings": i.warnings,
    })
}

pub(crate) fn error_json(e: &Error) -> Value {
    let mut obj = serde_json::Map::new();
    obj.insert(
        "status".into(),
        json!(if e.kind == Kind::Conflict {
            "aborted"
        } else {
            "refused"
        }),
    );
    obj.insert("kind".into(), json!(e.kind.as_str()));
    obj.insert("message".into(), json!(e.message));
    for (k, v) in &e.details {
        obj.insert(k.clone(), v.clone());
    }
    Value::Object(obj)
}

/// The first 12 characters of a pin, escaped for a terminal like any
/// lockfile text ([`shown`]).
pub(crate) fn short(pin: &str) -> String {
    shown(pin.get(..12).unwrap_or(pin))
}

/// `text` from a lockfile or a dest, safe to print on one terminal line:
/// control characters (newline, ESC, ...) are escaped as in Rust string
/// literals, so a hand-made entry name cannot forge rows or reach the
/// terminal raw. Everything else is printed as is.
pub(crate) fn shown(text: &str) -> String {
    if text.chars().any(char::is_control) {
        text.escape_debug().to_string()
    } else {
        text.to_owned()
    }
}

/// The current directory, or `project-not-found` when it cannot be read
/// (deleted under the process, say).
pub(crate) fn current_dir() -> Result<PathBuf, Error> {
    std::env::current_dir().map_err(|e| {
        Error::project_not_found(
            std::path::Path::new("."),
            &format!("cannot be read as the current directory ({e})"),
        )
    })
}

/// `--lock-timeout`: seconds (`2`, `0.5`) or a humantime span (`500ms`).
fn parse_wait(s: &str) -> Result<std::time::Duration, String> {
    let secs = s.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0);
    match secs {
        Some(v) if v <= 1e9 => Ok(std::time::Duration::from_secs_f64(v)),
        _ => humantime::parse_duration(s)
            .map_err(|e| format!("{e}: give seconds (2, 0.5) or a span such as 500ms or 2m")),
    }
}

/// The project root the flags and the working directory name.
fn project_root(cli: &Cli) -> Result<std::path::PathBuf, Error> {
    if let Some(limit) = cli.lock_timeout {
        crate::lock::flock::set_wait_limit(limit);
    }
    let cwd = current_dir()?;
    Ok(crate::ops::project::locate_root(
        cli.project.as_deref(),
        &cwd,
    ))
}

fn context(cli: &Cli) -> Result<Context, Error> {
    Ok(Context {
        project: project_root(cli)?,
        wiki: crate::wiki::locate(cli.wiki.as_deref())?,
    })
}

fn warn_all(warnings: &[String]) {
    for w in warnings {
        say_err(&format!("warning: {w}"));
    }
}

fn run_install(ctx: &Context, ty: AssetType, name: &str) -> Result<Outcome, Error> {
    let i = ops::install(ctx, ty, name)?;
    warn_all(&i.warnings);
    Ok(Outcome {
        code: 0,
        human: format!(
            "installed {} {} at {} ({} files, {} bytes) into {}",
            i.ty,
            i.name,
            short(&i.pin),
            i.files.len(),
            i.bytes,
            i.dest.display()
        ),
        json: installed_json("installed", &i),
    })
}

fn run_install_all(ctx: &Context) -> Result<Outcome, Error> {
    let rows = ops::install_all(ctx)?;
    let mut human = String::new();
    let mut failed = 0;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| match r {
            Restored::Restored(i) => {
                warn_all(&i.warnings);
                human.push_str(&format!(
                    "restored  {} {} at {}\n",
                    i.ty,
                    i.name,
                    short(&i.pin)
                ));
                installed_json("restored", i)
            }
            Restored::Present { ty, name, pin } => {
                human.push_str(&format!(
                    "present   {ty} {} at {}\n",
                    shown(name),
                    short(pin)
                ));
                json!({"status": "present", "type": ty.as_str(), "name": name, "pin": pin})
            }
            Restored::Gone { ty, name } => {
                human.push_str(&format!(
                    "gone      {ty} {} (its entry was removed meanwhile)\n",
                    shown(name)
                ));
                json!({"status": "gone", "type": ty.as_str(), "name": name})
            }
            Restored::Failed { ty, name, error } => {
                failed += 1;
                say_err(&error.to_string());
                human.push_str(&format!("failed    {ty} {}: {}\n", shown(name), error.kind));
                let mut v = error_json(error);
                v["type"] = json!(ty.as_str());
                v["name"] = json!(name);
                v
            }
        })
        .collect();
    let restored = rows
        .iter()
        .filter(|r| matches!(r, Restored::Restored(_)))
        .count();
    let gone = rows
        .iter()
        .filter(|r| matches!(r, Restored::Gone { .. }))
        .count();
    human.push_str(&format!(
        "{restored} restored, {} present, {failed} failed",
        rows.len() - restored - failed - gone
    ));
    if gone > 0 {
        human.push_str(&format!(", {gone} gone"));
    }
    Ok(Outcome {
        code: if failed > 0 { 1 } else { 0 },
        human,
        json: json!({"status": if failed > 0 { "partial" } else { "done" }, "entries": items}),
    })
}

fn run_update(
    ctx: &Context,
    ty: AssetType,
    name: &str,
    opts: &UpdateOptions,
) -> Result<Outcome, Error> {
    let u = update::update_with(ctx, ty, name, opts, &mut |w| {
        say_err(&format!("warning: {w}"))
    })?;
    warn_all(&u.warnings);
    let plan: Vec<Value> = u
        .plan
        .iter()
        .map(|p| json!({"path": p.path, "action": p.action.as_str(), "dirty": p.dirty}))
        .collect();
    let status = match u.status {
        UpdateStatus::UpToDate => "up-to-date",
        UpdateStatus::Planned => "planned",
        UpdateStatus::Updated => "updated",
    };
    let human = match u.status {
        UpdateStatus::UpToDate => format!("{ty} {name} is up to date at {}", short(&u.to)),
        UpdateStatus::Planned | UpdateStatus::Updated => {
            let mut h = String::new();
            for p in &u.plan {
                h.push_str(&format!(
                    "{:<8}{} {}\n",
                    p.action.as_str(),
                    if p.dirty { "*" } else { " " },
                    shown(&p.path)
                ));
            }
            if u.status == UpdateStatus::Planned {
                h.push_str(&format!(
                    "dry run: would update {ty} {name} {} -> {}{}; nothing written",
                    short(&u.from),
                    short(&u.to),
                    if u.backward {
                        " (backward: HEAD does not descend from the pin)"
                    } else {
                        ""
                    }
                ));
                if !u.dirty_files.is_empty() && !opts.force {
                    h.push_str(" (* = dirty: the real run refuses without --force)");
                }
            } else {
                h.push_str(&format!(
                    "updated {ty} {name} {} -> {}",
                    short(&u.from),
                    short(&u.to)
                ));
                for b in &u.backups {
                    h.push_str(&format!("\nkept previous bytes as {}", shown(b)));
                }
            }
            h
        }
    };
    Ok(Outcome {
        code: 0,
        human,
        json: json!({
            "status": status,
            "type": ty.as_str(),
            "name": name,
            "from": u.from,
            "to": u.to,
            "plan": plan,
            "dirty_files": u.dirty_files,
            // A plan's prediction (U6): the refusal the real run makes
            // without --force, or null when it proceeds.
            "refusal": u.refusal.as_ref().map(|e| json!({
                "kind": e.kind.to_string(),
                "message": e.message,
            })),
            "backups": u.backups,
            "warnings": u.warnings,
            "backward": u.backward,
        }),
    })
}

fn run_adopt(ctx: &Context, ty: AssetType, name: &str) -> Result<Outcome, Error> {
    let a = ops::adopt(ctx, ty, name)?;
    Ok(Outcome {
        code: 0,
        human: format!(
            "adopted {} {} at {} ({} files verified byte-identical, dest untouched) in {}",
            a.ty,
            a.name,
            short(&a.pin),
            a.files.len(),
            a.dest.display()
        ),
        json: json!({
            "status": "adopted",
            "type": a.ty.as_str(),
            "name": a.name,
            "pin": a.pin,
            "dest": a.dest.display().to_string(),
            "files": a.files,
        }),
    })
}

/// `edit` (W1-W5): `--show` reads; otherwise the guarded replace.
fn run_edit(
    ctx: &Context,
    ty: AssetType,
    name: &str,
    action: EditAction<'_>,
) -> Result<Outcome, Error> {
    let r = match action {
        EditAction::Show => ops::edit::show(ctx, ty, name)?,
        EditAction::Write {
            expect_mtime_ns,
            content_file,
        } => {
            let content = read_content(content_file)?;
            ops::edit::edit(ctx, ty, name, expect_mtime_ns, &content)?
        }
    };
    let verb = match action {
        EditAction::Show => "read",
        EditAction::Write { .. } => "edited",
    };
    Ok(Outcome {
        code: 0,
        human: format!(
            "{verb} {} {}: {}\nmtime_ns {}",
            r.ty,
            shown(&r.name),
            r.path.display(),
            r.mtime_ns
        ),
        json: json!({
            "status": "ok",
            "type": r.ty.as_str(),
            "name": r.name,
            "path": r.path.display().to_string(),
            "mtime_ns": crate::error::integer(r.mtime_ns),
        }),
    })
}

/// The new content of `edit`: a regular file, or `-` for stdin (a pipe
/// goes there), refused beyond [`ops::edit::MAX_CONTENT`] bytes. A named
/// FIFO or device is refused without being read: opening a FIFO nobody
/// writes to would wait forever, and a device may never end.
fn read_content(file: &std::path::Path) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let max = ops::edit::MAX_CONTENT;
    let mut buf = Vec::new();
    let what = "read the content file";
    if file.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(max + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(what, file, e))?;
    } else {
        let f = std::fs::File::options()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
            .open(file)
            .map_err(|e| Error::io(what, file, e))?;
        let meta = f.metadata().map_err(|e| Error::io(what, file, e))?;
        if !meta.is_file() {
            return Err(Error::io(
                what,
                file,
                "not a regular file (a FIFO, a device or a directory); give a file, or pipe \
                 the content to --content-file -",
            ));
        }
        f.take(max + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(what, file, e))?;
    }
    if buf.len() as u64 > max {
        return Err(Error::io(
            what,
            file,
            format!("larger than {max} bytes; a main file is text, give a smaller one"),
        ));
    }
    Ok(buf)
}

fn run_remove(
    ctx: &Context,
    ty: AssetType,
    name: &str,
    if_local: IfLocalBytes,
) -> Result<Outcome, Error> {
    let r = ops::remove::remove(ctx, ty, name, if_local)?;
    let mut human = format!(
        "removed {} {} ({}) from {}",
        r.ty,
        r.name,
        if r.had_dest {
            "dest and lockfile entry"
        } else {
            "lockfile entry; dest was already gone"
        },
        r.dest.display()
    );
    if let Some(k) = &r.kept {
        human.push_str(&format!(
            "\nkept dest with its local bytes ({}) at {}",
            r.local_files
                .iter()
                .map(|f| shown(f))
                .collect::<Vec<_>>()
                .join(", "),
            k.display()
        ));
    }
    Ok(Outcome {
        code: 0,
        human,
        json: json!({
            "status": "removed",
            "type": r.ty.as_str(),
            "name": r.name,
            "dest": r.dest.display().to_string(),
            "had_dest": r.had_dest,
            "local_files": r.local_files,
            "kept": r.kept.as_ref().map(|k| k.display().to_string()),
        }),
    })
}

fn run_status(ctx: &Context) -> Result<Outcome, Error> {
    let r = status::status(ctx)?;
    let mut human = String::new();
    match &r.wiki_head {
        Some(h) => human.push_str(&format!("wiki HEAD {}\n", short(h))),
        None => human.push_str(&format!(
            "no wiki HEAD: {}; ok/behind/stale-pin shown as unknown\n",
            r.wiki_problem
                .as_deref()
                .unwrap_or("the wiki could not be read")
        )),
    }
    for row in &r.rows {
        human.push_str(&format!(
            "{:<8} {:<32} {:<10} {}",
            row.ty.as_str(),
            shown(&row.name),
            row.state.as_str(),
            row.pin.as_deref().map_or_else(|| "-".to_owned(), short)
        ));
        if !row.dirty_files.is_empty() {
            let files: Vec<String> = row.dirty_files.iter().map(|f| shown(f)).collect();
            human.push_str(&format!("  ({})", files.join(", ")));
        }
        human.push('\n');
    }
    if r.rows.is_empty() {
        human.push_str("no assets installed\n");
    }
    Ok(Outcome {
        code: 0,
        human: human.trim_end().to_owned(),
        json: r.to_json(),
    })
}

/// What `edit` was asked to do.
#[derive(Clone, Copy)]
enum EditAction<'a> {
    /// `--show`: read the main file and its `mtime_ns`.
    Show,
    /// Replace the main file with `content_file`'s bytes when its
    /// `mtime_ns` is still `expect_mtime_ns` (W1).
    Write {
        expect_mtime_ns: i128,
        content_file: &'a std::path::Path,
    },
}

/// A project verb with its arguments as the library takes them.
enum Verb<'a> {
    Install(AssetType, &'a str),
    Adopt(AssetType, &'a str),
    Remove {
        ty: AssetType,
        name: &'a str,
        if_local: IfLocalBytes,
    },
    Edit(AssetType, &'a str, EditAction<'a>),
    InstallAll,
    Update(AssetType, &'a str, UpdateOptions),
    UpdateAll {
        ty: AssetType,
        name: &'a str,
        opts: UpdateOptions,
        confirm: projects::Confirm,
    },
    Projects(&'a ProjectsAction),
    Status,
}

/// The project verb of `command`, or the usage error clap would have
/// given (exit 2) for an argument combination its rules let through.
fn verb(command: &Command) -> Result<Verb<'_>, clap::Error> {
    Ok(match command {
        Command::Install { all: true, .. } => Verb::InstallAll,
        Command::Install {
            ty: Some(ty),
            name: Some(name),
            ..
        } => Verb::Install(*ty, name),
        Command::Install { .. }
        | Command::Conform(_)
        | Command::Report(_)
        | Command::Completions { .. }
        | Command::Man { .. } => {
            return Err(<Cli as clap::CommandFactory>::command().error(
                clap::error::ErrorKind::MissingRequiredArgument,
                "install needs TYPE and NAME, or --all",
            ));
        }
        Command::Update {
            ty,
            name,
            force,
            force_head,
            dry_run,
            expect_mtime_ns,
            all,
            yes,
        } => {
            let opts = UpdateOptions {
                force: *force,
                force_head: *force_head,
                dry_run: *dry_run,
                expect_mtime_ns: *expect_mtime_ns,
                head: None,
            };
            if *all {
                Verb::UpdateAll {
                    ty: *ty,
                    name,
                    opts,
                    confirm: if *yes {
                        projects::Confirm::Given
                    } else {
                        projects::Confirm::Ask
                    },
                }
            } else {
                Verb::Update(*ty, name, opts)
            }
        }
        Command::Projects { action } => Verb::Projects(action),
        Command::Adopt { ty, name } => Verb::Adopt(*ty, name),
        Command::Remove { ty, name, force } => Verb::Remove {
            ty: *ty,
            name,
            if_local: if *force {
                IfLocalBytes::MoveAside
            } else {
                IfLocalBytes::Refuse
            },
        },
        Command::Edit {
            ty,
            name,
            expect_mtime_ns,
            content_file,
            ..
        } => Verb::Edit(
            *ty,
            name,
            match expect_mtime_ns.zip(content_file.as_deref()) {
                None => EditAction::Show,
                Some((expect_mtime_ns, content_file)) => EditAction::Write {
                    expect_mtime_ns,
                    content_file,
                },
            },
        ),
        Command::Status => Verb::Status,
    })
}

fn run_verb(cli: &Cli, verb: Verb<'_>) -> Result<Outcome, Error> {
    // The registry verbs read no wiki: an unusable default wiki path (HOME
    // empty or relative) is no reason to refuse them (R).
    if let Verb::Projects(action) = &verb {
        return projects::run_projects(&project_root(cli)?, action);
    }
    let ctx = context(cli)?;
    match verb {
        Verb::InstallAll => run_install_all(&ctx),
        Verb::Install(ty, name) => run_install(&ctx, ty, name),
        Verb::Update(ty, name, opts) => run_update(&ctx, ty, name, &opts),
        Verb::UpdateAll {
            ty,
            name,
            opts,
            confirm,
        } => {
            let preview = if cli.json {
                projects::Preview::Quiet
            } else {
                projects::Preview::Print
            };
            projects::run_update_all(&ctx, ty, name, &opts, confirm, preview)
        }
        Verb::Projects(action) => projects::run_projects(&ctx.project, action),
        Verb::Adopt(ty, name) => run_adopt(&ctx, ty, name),
        Verb::Remove { ty, name, if_local } => run_remove(&ctx, ty, name, if_local),
        Verb::Edit(ty, name, write) => run_edit(&ctx, ty, name, write),
        Verb::Status => run_status(&ctx),
    }
}

/// Runs the command line and returns the process exit code (E2): 0 done,
/// 1 refused or failed, 2 usage error, 3 conflict. Never panics on any
/// input (E4).
pub fn main_with_args(args: Vec<std::ffi::OsString>) -> i32 {
    // E3 holds for usage errors too, so `--json` is looked for by hand
    // when clap refuses the command line.
    let json = args.iter().skip(1).any(|a| a == "--json");
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e, json),
    };
    match cli.command {
        Command::Conform(mut args) => {
            // `--json` is every verb's switch to one JSON object.
            if cli.json {
                args.format = assetpin_conform::Format::Json;
            }
            return assetpin_conform::run(*args);
        }
        Command::Report(args) => return assetpin_conform::saved::cli::report(args, cli.json),
        Command::Completions { shell } => {
            return print_generated(|out| {
                let mut cmd = <Cli as clap::CommandFactory>::command();
                clap_complete::generate(shell, &mut cmd, "assetpin", out);
                Ok(())
            });
        }
        Command::Man { verb } => return print_man(verb.as_deref(), cli.json),
        _ => {}
    }
    let verb = match verb(&cli.command) {
        Ok(v) => v,
        Err(e) => return usage_error(&e, cli.json),
    };
    match run_verb(&cli, verb) {
        Ok(out) => {
            let text = if cli.json {
                out.json.to_string()
            } else {
                out.human
            };
            if (!text.is_empty() && !say(&text)) && out.code == 0 {
                // The result could not be reported (closed stdout, full
                // disk): a failure, and it says so where it still can.
                say_err(
                    &Error::io(
                        "write the result to",
                        std::path::Path::new("stdout"),
                        "the output could not be written (what the command did is done; \
                         rerun `assetpin status` to see the state)",
                    )
                    .to_string(),
                );
                return 1;
            }
            out.code
        }
        Err(e) => {
            say_err(&e.to_string());
            if cli.json {
                say(&error_json(&e).to_string());
            }
            e.kind.exit_code()
        }
    }
}

/// Reports a clap error: help and version (exit 0) as clap prints them; a
/// usage error (exit 2, E2) on stderr and, with `--json`, as
/// `{"status": "usage", "kind": "usage", "message": ...}` on stdout (E3).
fn usage_error(e: &clap::Error, json: bool) -> i32 {
    // E3: `--version --json` is one object too, for scripts that check
    // which build they drive.
    if json && e.kind() == clap::error::ErrorKind::DisplayVersion {
        say(&json!({
            "status": "version",
            "name": "assetpin",
            "version": env!("CARGO_PKG_VERSION"),
            "commit": env!("ASSETPIN_COMMIT"),
        })
        .to_string());
        return 0;
    }
    if !e.use_stderr() {
        let _ = e.print();
        return 0;
    }
    let _ = e.print();
    if json {
        let text = e.render().to_string();
        let body = text.split("\n\nUsage:").next().unwrap_or("");
        let words: Vec<&str> = body.split_whitespace().collect();
        let message = words.join(" ");
        let message = message.strip_prefix("error: ").unwrap_or(&message);
        say(&json!({"status": "usage", "kind": "usage", "message": message}).to_string());
    }
    2
}

/// `assetpin man [VERB]`: the page of the whole tool or of one verb, as
/// clap_mangen names them (`assetpin-<verb>(1)`, which assetpin(1)'s SEE
/// ALSO lists). The page documents a release, not a build: the crate
/// version alone, so every build of it prints the same page (the wheel
/// ships these, dist/wheel-data). An unknown verb is a usage error.
fn print_man(verb: Option<&str>, json: bool) -> i32 {
    let mut cmd = <Cli as clap::CommandFactory>::command()
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_subcommand(true);
    cmd.build();
    let page = match verb {
        None => cmd,
        Some(v) => match cmd.find_subcommand(v).filter(|s| !s.is_hide_set()) {
            Some(sub) => sub.clone().version(env!("CARGO_PKG_VERSION")),
            None => {
                let verbs: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
                let e = clap::Error::raw(
                    clap::error::ErrorKind::InvalidValue,
                    format!(
                        "no man page for {v:?}: pass one of {}, or no verb\n",
                        verbs.join(", ")
                    ),
                );
                return usage_error(&e, json);
            }
        },
    };
    print_generated(|out| clap_mangen::Man::new(page).render(out))
}

/// Writes what `gen` generates to stdout: exit 0, or 1 with an `io`
/// error when stdout cannot take it (a closed pipe must not panic).
fn print_generated(r#gen: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> i32 {
    use std::io::Write;
    let mut buf = Vec::new();
    let written = r#gen(&mut buf).and_then(|()| {
        let mut out = std::io::stdout().lock();
        out.write_all(&buf).and_then(|()| out.flush())
    });
    match written {
        Ok(()) => 0,
        Err(e) => {
            say_err(&Error::io("write to", std::path::Path::new("stdout"), e).to_string());
            1
        }
    }
}

/// Writes a line to stdout; false when it could not be written (a closed
/// pipe must not panic the way `println!` does, E4).
pub(crate) fn say(line: &str) -> bool {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|()| out.flush()).is_ok()
}

/// Writes a line to stderr, ignoring failures (E4).
pub(crate) fn say_err(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
