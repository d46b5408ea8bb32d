//! `status`: a read-only report of every lockfile entry (K7, T1-T3).
//! Takes no lock and never writes.

use crate::error::Result;
use crate::install::Context;
use crate::lockfile;
use crate::names::AssetType;
use crate::project::Project;
use crate::safefs::EntryKind;
use serde_json::Value;

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Asset type.
    pub ty: AssetType,
    /// Asset name.
    pub name: String,
    /// The recorded pin; `None` for an untracked dest.
    pub pin: Option<String>,
    /// Whether dest exists.
    pub dest_exists: bool,
}

/// The whole report.
#[derive(Debug, Clone)]
pub struct Report {
    /// The `version` value found in the lockfile (1 when absent).
    pub lockfile_version: Value,
    /// One row per entry, then one per untracked dest.
    pub rows: Vec<Row>,
}

/// Reads the project state without taking a lock (K7).
///
/// # Errors
/// `project-not-found`, `lockfile-corrupt` (T2), `unsafe-path`, `io`.
pub fn status(ctx: &Context) -> Result<Report> {
    let project = Project::open(&ctx.project)?;
    let bytes = project.read_lockfile()?;
    let view = lockfile::parse_tolerant(
        bytes.as_deref(),
        &project.lockfile_path().display().to_string(),
    )?;
    let mut rows = Vec::new();
    for ty in AssetType::ALL {
        let section = project.section(ty)?;
        let mut seen = std::collections::BTreeSet::new();
        for (name, entry) in lockfile::entries(&view.doc, ty) {
            seen.insert(name.to_owned());
            let dest_exists = match &section {
                Some(s) => s.kind_of(name)? == Some(EntryKind::Dir),
                None => false,
            };
            rows.push(Row {
                ty,
                name: name.to_owned(),
                pin: entry
                    .get("wiki_commit")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                dest_exists,
            });
        }
        if let Some(s) = &section {
            for (name, kind) in s.entries()? {
                if kind == EntryKind::Dir && !name.starts_with('.') && !seen.contains(&name) {
                    rows.push(Row {
                        ty,
                        name,
                        pin: None,
                        dest_exists: true,
                    });
                }
            }
        }
    }
    Ok(Report {
        lockfile_version: view.version,
        rows,
    })
}
