//! The command line: argument parsing (clap), output (human and `--json`,
//! E3) and exit codes (E2).

use crate::error::{Error, Kind};
use crate::install::{self, Context, Installed};
use crate::names::AssetType;
use crate::status;
use clap::{Parser, Subcommand};
use serde_json::{Value, json};
use std::path::PathBuf;

/// Install commit-pinned assets (skills, agents, commands) from a git wiki
/// into a project, with a lockfile many processes can update at once.
///
/// Interoperates with memtomem's `mm context` on the same project: same
/// lockfile, same locks, same bytes.
#[derive(Debug, Parser)]
#[command(name = "assetpin", version, about, long_about)]
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

    #[command(subcommand)]
    pub command: Command,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install an asset from the wiki HEAD, pinned to that commit.
    ///
    /// Refuses (and writes nothing) when the asset already has a lockfile
    /// entry or a dest directory, when the wiki has uncommitted changes in
    /// the asset directory, or when the lockfile is corrupt.
    Install {
        /// Asset type: skill, agent or command
        #[arg(value_name = "TYPE")]
        ty: AssetType,
        /// Asset name (1-64 of A-Z a-z 0-9 . _ -)
        name: String,
    },
    /// Show every lockfile entry with its pin and whether dest exists.
    /// Takes no lock and never writes.
    Status,
}

/// A verb's result: exit code, JSON object, human text.
struct Outcome {
    code: i32,
    json: Value,
    human: String,
}

fn installed_json(i: &Installed) -> Value {
    json!({
        "status": "installed",
        "type": i.ty.as_str(),
        "name": i.name,
        "pin": i.pin,
        "dest": i.dest.display().to_string(),
        "files": i.files,
        "bytes": i.bytes,
        "warnings": i.warnings,
    })
}

fn error_json(e: &Error) -> Value {
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

fn context(cli: &Cli) -> Result<Context, Error> {
    let cwd = std::env::current_dir().map_err(|e| {
        Error::new(
            Kind::ProjectNotFound,
            format!("cannot read the current directory: {e}"),
        )
    })?;
    Ok(Context {
        project: crate::project::locate_root(cli.project.as_deref(), &cwd),
        wiki: crate::wiki::locate(cli.wiki.as_deref()),
    })
}

fn run_verb(cli: &Cli) -> Result<Outcome, Error> {
    let ctx = context(cli)?;
    match &cli.command {
        Command::Install { ty, name } => {
            let i = install::install(&ctx, *ty, name)?;
            for w in &i.warnings {
                eprintln!("warning: {w}");
            }
            Ok(Outcome {
                code: 0,
                human: format!(
                    "installed {} {} at {} ({} files, {} bytes) into {}",
                    i.ty,
                    i.name,
                    &i.pin[..12],
                    i.files.len(),
                    i.bytes,
                    i.dest.display()
                ),
                json: installed_json(&i),
            })
        }
        Command::Status => {
            let r = status::status(&ctx)?;
            let mut human = String::new();
            let rows: Vec<Value> = r
                .rows
                .iter()
                .map(|row| {
                    let state = match (&row.pin, row.dest_exists) {
                        (None, _) => "untracked",
                        (Some(_), true) => "ok",
                        (Some(_), false) => "missing",
                    };
                    human.push_str(&format!(
                        "{:<8} {:<32} {:<10} {}\n",
                        row.ty.as_str(),
                        row.name,
                        state,
                        row.pin.as_deref().map(|p| &p[..p.len().min(12)]).unwrap_or("-")
                    ));
                    json!({"type": row.ty.as_str(), "name": row.name, "pin": row.pin, "state": state})
                })
                .collect();
            if rows.is_empty() {
                human.push_str("no assets installed\n");
            }
            Ok(Outcome {
                code: 0,
                human: human.trim_end().to_owned(),
                json: json!({"lockfile_version": r.lockfile_version, "assets": rows}),
            })
        }
    }
}

/// Runs the command line and returns the process exit code (E2): 0 done,
/// 1 refused or failed, 2 usage error, 3 conflict. Never panics on any
/// input (E4).
pub fn main_with_args(args: Vec<std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run_verb(&cli) {
        Ok(out) => {
            if cli.json {
                println!("{}", out.json);
            } else if !out.human.is_empty() {
                println!("{}", out.human);
            }
            out.code
        }
        Err(e) => {
            eprintln!("{e}");
            if cli.json {
                println!("{}", error_json(&e));
            }
            e.kind.exit_code()
        }
    }
}
