//! `assetpin report`: the verbs over saved runs ([`super`]). Errors are
//! `error[usage]` (exit 2: a file that is no saved run, an unknown
//! implementation) or `error[io]` (exit 1: a file that cannot be read or
//! written); `report diff` exits 1 when it finds a regression.

use std::path::PathBuf;

/// `assetpin report`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
    assetpin conform --save-run old.json
    assetpin conform --save-run new.json
    assetpin report diff old.json new.json          # exit 1 on a regression
    assetpin report badge new.json --profile core > conform-core.svg
    assetpin report summary reference.json memtomem.json")]
pub struct ReportArgs {
    /// What to make of the saved runs.
    #[command(subcommand)]
    pub command: ReportCommand,
}

/// Output format of `report diff` and `report summary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Text for people.
    Human,
    /// One JSON object.
    Json,
}

/// The `report` verbs.
#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// Regressions, fixes and new cases per implementation between two
    /// saved runs; exits 1 when a case that passed in OLD fails or errors
    /// in NEW
    Diff {
        /// The earlier run (`assetpin conform --save-run FILE`)
        old: PathBuf,
        /// The later run
        new: PathBuf,
        /// Output format
        #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
        format: ReportFormat,
    },
    /// An SVG badge (passed/ran) for one implementation of a saved run,
    /// over one profile or all, on stdout
    Badge {
        /// The run
        run: PathBuf,
        /// The implementation (its adapter name); needed when the run has
        /// several
        #[arg(long, value_name = "NAME")]
        implementation: Option<String>,
        /// Only the cases of this profile
        #[arg(long, value_parser = ["core", "ext", "portable"])]
        profile: Option<String>,
    },
    /// The clause x implementation table over one or more saved runs
    Summary {
        /// The runs
        #[arg(required = true)]
        runs: Vec<PathBuf>,
        /// Output format
        #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
        format: ReportFormat,
    },
}

/// Why `report` stops.
#[derive(Debug, thiserror::Error)]
enum Stop {
    #[error(transparent)]
    Load(#[from] super::LoadError),
    #[error("{}: no implementation named {name:?}; it holds {}", path.display(), names.join(", "))]
    NoSuchImpl {
        path: PathBuf,
        name: String,
        names: Vec<String>,
    },
    #[error("{}: holds {} implementations ({}); choose one with --implementation NAME", path.display(), names.len(), names.join(", "))]
    WhichImpl { path: PathBuf, names: Vec<String> },
    #[error("{}: holds no implementation", .0.display())]
    Empty(PathBuf),
}

impl Stop {
    fn kind(&self) -> &'static str {
        match self {
            Stop::Load(super::LoadError::Read { .. }) => "io",
            _ => "usage",
        }
    }
}

/// Runs `assetpin report`; `json` is the global `--json` (the JSON
/// format of diff and summary). Returns the exit code.
pub fn report(args: ReportArgs, json: bool) -> i32 {
    match run(args, json) {
        Ok((text, code)) => match crate::run::write_out(&text) {
            // A closed pipe (`| head`) ends the output quietly.
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                crate::run::say_err(&format!("error[io]: cannot write to stdout: {e}"));
                1
            }
            _ => code,
        },
        Err(e) => {
            crate::run::say_err(&format!("error[{}]: {e}", e.kind()));
            if e.kind() == "usage" { 2 } else { 1 }
        }
    }
}

fn run(args: ReportArgs, json: bool) -> Result<(String, i32), Stop> {
    let want_json = |f: ReportFormat| json || f == ReportFormat::Json;
    match args.command {
        ReportCommand::Diff { old, new, format } => {
            let (o, n) = (super::load(&old)?, super::load(&new)?);
            let d = super::diff::diff(&o, &n);
            let code = i32::from(d.regressions() > 0);
            let text = if want_json(format) {
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "old": old, "new": new, "regressions": d.regressions(), "diff": d
                    }))
                    .unwrap_or_default()
                )
            } else {
                super::diff::human(&d, &o, &n)
            };
            Ok((text, code))
        }
        ReportCommand::Badge {
            run,
            implementation,
            profile,
        } => {
            let r = super::load(&run)?;
            let names: Vec<String> = r
                .implementations
                .iter()
                .map(|i| i.adapter.clone())
                .collect();
            let imp = match (&implementation, r.implementations.as_slice()) {
                (_, []) => return Err(Stop::Empty(run)),
                (None, [one]) => one,
                (None, _) => return Err(Stop::WhichImpl { path: run, names }),
                (Some(n), all) => {
                    all.iter()
                        .find(|i| &i.adapter == n)
                        .ok_or_else(|| Stop::NoSuchImpl {
                            path: run.clone(),
                            name: n.clone(),
                            names: names.clone(),
                        })?
                }
            };
            Ok((super::badge::svg(imp, profile.as_deref()), 0))
        }
        ReportCommand::Summary { runs, format } => {
            let loaded = runs
                .iter()
                .map(|p| super::load(p))
                .collect::<Result<Vec<_>, _>>()?;
            let text = if want_json(format) {
                super::summary::json(&loaded)
            } else {
                super::summary::human(&loaded)
            };
            Ok((text, 0))
        }
    }
}
