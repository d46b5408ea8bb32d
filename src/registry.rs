//! The known-projects registry (CONTRACT R1-R5): the user's list of
//! projects, `$HOME/.memtomem/known_projects.json`, the same file the peer
//! keeps (`mm context projects`), read and written the way it does.
//!
//! Writers ([`add`], [`remove`], [`set_enabled`]) hold the sidecar lock
//! `.known_projects.json.lock` beside the file for load, mutate and write,
//! load strictly and write atomically through the lockfile's own
//! read-modify-write ([`crate::lock::rmw::read_modify_write`]); readers
//! ([`load`]) take no lock and degrade with warnings (R3).

use crate::error::{Error, Kind, Result};
use crate::fs::SafeDir;
use crate::lock::lockfile::{self, type_name};
use crate::lock::rmw::{Computed, DiskStore, LockfileStore, read_modify_write};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::path::{Component, Path, PathBuf};

/// The registry's directory under `$HOME` (R1).
pub const DIR_NAME: &str = ".memtomem";
/// The registry's file name in [`DIR_NAME`] (R1).
pub const FILE_NAME: &str = "known_projects.json";
/// The sidecar lock of every write, beside the file (R2): the peer's
/// `_lock_path_for` (`.<name>.lock`).
pub const SIDECAR_NAME: &str = ".known_projects.json.lock";
/// The only registry version read for writing and written (R1, R3).
pub const VERSION: u64 = 1;
/// The row keys rendered explicitly, in this order; any other key of a
/// row is kept after them (R1).
const ROW_KEYS: [&str; 4] = ["root", "added_at", "label", "enabled"];

/// One registered project (R1).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The project root, absolute with links resolved (R4).
    pub root: PathBuf,
    /// When it was registered, `YYYY-MM-DDTHH:MM:SSZ` (empty for a row
    /// written without one).
    pub added_at: String,
    /// Display label.
    pub label: Option<String>,
    /// Enrolled for `update --all` (`pause` clears it, R5).
    pub enabled: bool,
    /// Keys this build does not own, kept verbatim (R1).
    pub extra: Map<String, Value>,
}

impl Row {
    /// The row's `p-<sha12>` scope id (R4).
    pub fn scope_id(&self) -> String {
        scope_id_of_resolved(&self.root)
    }

    /// R5: the root is gone (not a directory).
    pub fn missing(&self) -> bool {
        !self.root.is_dir()
    }

    /// R5: the root exists but holds no `.memtomem/` directory.
    pub fn stale(&self) -> bool {
        !self.missing() && !self.root.join(".memtomem").is_dir()
    }
}

/// The registry document: rows in registration order plus the top-level
/// keys this build does not own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Registry {
    /// The rows.
    pub rows: Vec<Row>,
    /// Top-level keys other than `version` and `projects`, kept (R1).
    pub extra: Map<String, Value>,
}

/// Where the registry of the user whose home is `home` lives:
/// `<home>/.memtomem/known_projects.json`.
pub fn path_in(home: &Path) -> PathBuf {
    home.join(DIR_NAME).join(FILE_NAME)
}

/// `$HOME`, the directory that holds the registry (found as the peer
/// finds it, [`crate::fs::home::home_dir`]).
///
/// # Errors
/// `io` when no absolute home directory can be found.
pub fn home() -> Result<PathBuf> {
    crate::fs::home::home_dir("find the registry under")
}

/// The store of the registry in `dir` (`$HOME/.memtomem`): the file under
/// its sidecar lock, a file past the bound refused with [`too_large`].
fn store(dir: &SafeDir) -> DiskStore<'_> {
    DiskStore::named(dir, FILE_NAME, SIDECAR_NAME, too_large)
}

/// The refusal of a registry larger than the lockfile's bound (R3).
pub fn too_large(path: impl std::fmt::Display) -> Error {
    Error::registry_corrupt(
        path,
        format_args!(
            "is larger than {} bytes, more than any registry holds",
            lockfile::MAX_LOCKFILE_BYTES
        ),
    )
}

/// The `p-<sha12>` scope id of a project root (R4): `p-` and the first 12
/// hex digits of the SHA-256 of the resolved absolute path's UTF-8 text
/// (lowercased first on macOS, whose file systems ignore case), the
/// peer's `compute_scope_id`.
pub fn scope_id(root: &Path, cwd: &Path) -> String {
    scope_id_of_resolved(&resolve(root, cwd))
}

fn scope_id_of_resolved(root: &Path) -> String {
    let text = root.to_string_lossy();
    let text = if cfg!(target_os = "macos") {
        text.to_lowercase()
    } else {
        text.into_owned()
    };
    let digest = Sha256::digest(text.as_bytes());
    format!("p-{}", &hex::encode(digest)[..12])
}

/// Whether `s` has the shape of a scope id, `p-` and 12 lowercase hex
/// digits: such a selector is read only as a scope id, never as a path
/// (R4; `./p-...` names a directory of that name).
pub fn is_scope_id(s: &str) -> bool {
    s.len() == 14
        && s.starts_with("p-")
        && s[2..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `path` made absolute against `cwd`, `~` expanded, with every link of
/// its existing part resolved and `.`/`..` applied; the part that does
/// not exist is kept as written (Python's `Path.resolve(strict=False)`,
/// which the peer applies to every root, R4).
pub fn resolve(path: &Path, cwd: &Path) -> PathBuf {
    let expanded = match path.strip_prefix("~") {
        Ok(rest) => home().map(|h| h.join(rest)).unwrap_or_else(|_| path.into()),
        Err(_) => path.to_path_buf(),
    };
    let abs = if expanded.is_absolute() {
        expanded
    } else {
        cwd.join(expanded)
    };
    if let Ok(real) = abs.canonicalize() {
        return real;
    }
    let mut out = PathBuf::from("/");
    for c in abs.components() {
        match c {
            Component::Normal(part) => {
                out.push(part);
                if let Ok(real) = out.canonicalize() {
                    out = real;
                }
            }
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// A document-level problem (R3), or a row that cannot be represented.
enum Problem {
    Document(String),
    Row(String),
}

/// Parses the registry's bytes. `None` (no file) is an empty registry.
fn parse(bytes: Option<&[u8]>, cwd: &Path) -> (Registry, Vec<Problem>) {
    let Some(bytes) = bytes else {
        return (Registry::default(), Vec::new());
    };
    let doc = match std::str::from_utf8(bytes)
        .map_err(|e| format!("is not valid UTF-8 ({e})"))
        .and_then(|t| {
            // As deep as the lockfile: the peer's reader keeps what it nests.
            crate::lock::lockfile::parse_deep(t).map_err(|e| e.to_string())
        }) {
        Ok(Value::Object(doc)) => doc,
        Ok(other) => {
            let why = format!(
                "holds a JSON {} where an object is expected",
                type_name(&other)
            );
            return (Registry::default(), vec![Problem::Document(why)]);
        }
        Err(why) => return (Registry::default(), vec![Problem::Document(why)]),
    };
    if doc.get("version").and_then(Value::as_u64) != Some(VERSION) {
        let found = doc.get("version").map_or("none".into(), Value::to_string);
        let why = format!("has version {found} (this tool reads and writes version {VERSION})");
        return (Registry::default(), vec![Problem::Document(why)]);
    }
    let extra: Map<String, Value> = doc
        .iter()
        .filter(|(k, _)| *k != "version" && *k != "projects")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let items = match doc.get("projects") {
        None => &Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            let why = format!(
                "has a 'projects' member that is a JSON {}, not an array",
                type_name(other)
            );
            return (Registry::default(), vec![Problem::Document(why)]);
        }
    };
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Object(item) = item else {
            problems.push(Problem::Row(format!(
                "project row {i} is a JSON {}, not an object",
                type_name(item)
            )));
            continue;
        };
        let Some(root) = item
            .get("root")
            .and_then(Value::as_str)
            .filter(|r| !r.is_empty())
        else {
            problems.push(Problem::Row(format!(
                "project row {i} has no usable 'root' (a non-empty string)"
            )));
            continue;
        };
        rows.push(Row {
            root: resolve(Path::new(root), cwd),
            // The peer's `str(item.get("added_at") or "")`, for strings.
            added_at: match item.get("added_at") {
                Some(Value::String(s)) => s.clone(),
                _ => String::new(),
            },
            label: item.get("label").and_then(Value::as_str).map(str::to_owned),
            enabled: item.get("enabled") != Some(&Value::Bool(false)),
            extra: item
                .iter()
                .filter(|(k, _)| !ROW_KEYS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        });
    }
    (Registry { rows, extra }, problems)
}

/// The peer's bytes for `reg` (R1): `{"version": 1, "projects": [{"root",
/// "added_at", "label", "enabled", <kept keys>}...], <kept keys>}` in the
/// lockfile's serialization (L8).
///
/// # Errors
/// `io` when a root is not valid UTF-8 (JSON cannot hold it).
pub fn serialize(reg: &Registry) -> Result<Vec<u8>> {
    let mut rows = Vec::with_capacity(reg.rows.len());
    for r in &reg.rows {
        let root = r.root.to_str().ok_or_else(|| {
            Error::io(
                "register",
                &r.root,
                "the path is not valid UTF-8, which the registry cannot hold; rename it",
            )
        })?;
        let mut row = Map::new();
        row.insert("root".into(), root.into());
        row.insert("added_at".into(), r.added_at.clone().into());
        row.insert(
            "label".into(),
            r.label.clone().map_or(Value::Null, Value::from),
        );
        row.insert("enabled".into(), r.enabled.into());
        row.extend(r.extra.clone());
        rows.push(Value::Object(row));
    }
    let mut doc = Map::new();
    doc.insert("version".into(), VERSION.into());
    doc.insert("projects".into(), Value::Array(rows));
    doc.extend(reg.extra.clone());
    Ok(lockfile::serialize(&doc))
}

/// What a reader sees (R3): the rows that parse, and a warning for each
/// problem (a registry unusable as a whole reads as empty).
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The registry's path.
    pub path: PathBuf,
    /// The usable rows.
    pub registry: Registry,
    /// One line per problem found, naming the file.
    pub warnings: Vec<String>,
}

/// Reads the registry of `home` without a lock, tolerantly (R3): a
/// missing file is empty; an unreadable or invalid one is empty with a
/// warning; rows without a usable root are skipped with a warning.
pub fn load(home: &Path, cwd: &Path) -> Loaded {
    let path = path_in(home);
    let shown = path.display().to_string();
    let bytes = match read(home) {
        Ok(b) => b,
        Err(e) => {
            return Loaded {
                warnings: vec![format!("{}; read as empty", e.message)],
                path,
                registry: Registry::default(),
            };
        }
    };
    let (registry, problems) = parse(bytes.as_deref(), cwd);
    let warnings = problems
        .into_iter()
        .map(|p| match p {
            Problem::Document(why) => format!("{shown} {why}; read as empty"),
            Problem::Row(why) => format!("{shown}: {why}; skipped"),
        })
        .collect();
    Loaded {
        path,
        registry,
        warnings,
    }
}

fn read(home: &Path) -> Result<Option<Vec<u8>>> {
    let dir_path = home.join(DIR_NAME);
    if !dir_path.exists() {
        return Ok(None);
    }
    let dir = SafeDir::open_root(&dir_path)?;
    let store = store(&dir);
    let bytes = store.read();
    store.release();
    bytes
}

/// One write of the registry of `home` (R2, R3): under the sidecar lock,
/// a strict load (any problem refuses with `registry-corrupt`, the file
/// untouched), `mutate`, and, when it says it changed something, an
/// atomic replace. `$HOME/.memtomem` is created when missing (`$HOME`
/// itself never is).
fn transact<T>(
    home: &Path,
    cwd: &Path,
    mutate: impl FnOnce(&mut Registry) -> Result<(T, bool)>,
) -> Result<T> {
    let dir_path = home.join(DIR_NAME);
    if !home.is_dir() {
        return Err(Error::io(
            "find the registry under",
            home,
            "HOME is not a directory; set HOME to your home directory",
        ));
    }
    match std::fs::create_dir(&dir_path) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            return Err(Error::io("create", &dir_path, e));
        }
        _ => {}
    }
    let dir = SafeDir::open_root(&dir_path)?;
    let store = store(&dir);
    let shown = store.display();
    read_modify_write(&store, |before| {
        let (mut reg, problems) = parse(before, cwd);
        if let Some(p) = problems.into_iter().next() {
            let why = match p {
                Problem::Document(why) | Problem::Row(why) => why,
            };
            return Err(Error::registry_corrupt(&shown, why));
        }
        let (out, changed) = mutate(&mut reg)?;
        Ok(if changed {
            Computed::write(serialize(&reg)?, out)
        } else {
            Computed::keep(out)
        })
    })
}

/// What [`add`] found or made: the project's row.
#[derive(Debug, Clone, PartialEq)]
pub enum Added {
    /// A new row, now written.
    Registered(Row),
    /// The row already there with the same scope id; nothing written (R5).
    AlreadyRegistered(Row),
}

/// `projects add`: registers `root` (resolved, R4) unless a row with its
/// scope id is there. Returns the new row ([`Added::Registered`]) or the
/// one found ([`Added::AlreadyRegistered`]); a repeat writes nothing (R5).
///
/// # Errors
/// `project-not-found` when `root` is not a directory; `registry-corrupt`;
/// `io`.
pub fn add(home: &Path, cwd: &Path, root: &Path, label: Option<&str>) -> Result<Added> {
    let resolved = resolve(root, cwd);
    if !resolved.is_dir() {
        return Err(Error::project_not_found(
            root,
            "is not a directory; pass the root of an existing project",
        ));
    }
    let id = scope_id_of_resolved(&resolved);
    transact(home, cwd, |reg| {
        if let Some(r) = reg.rows.iter().find(|r| r.scope_id() == id) {
            return Ok((Added::AlreadyRegistered(r.clone()), false));
        }
        let row = Row {
            root: resolved,
            added_at: now_utc_seconds(),
            label: label.map(str::to_owned),
            enabled: true,
            extra: Map::new(),
        };
        reg.rows.push(row.clone());
        Ok((Added::Registered(row), true))
    })
}

/// `projects remove`: drops every row whose scope id is `id` (R5); the
/// project's files are not touched. Returns the rows removed.
///
/// # Errors
/// `not-registered` when no row has it; `registry-corrupt`; `io`.
pub fn remove(home: &Path, cwd: &Path, id: &str, selector: &str) -> Result<Vec<Row>> {
    transact(home, cwd, |reg| {
        let (gone, kept): (Vec<Row>, Vec<Row>) =
            reg.rows.drain(..).partition(|r| r.scope_id() == id);
        reg.rows = kept;
        if gone.is_empty() {
            return Err(not_registered(selector, id));
        }
        Ok((gone, true))
    })
}

/// `projects pause` (`enabled = false`) and `resume` (`true`) of every
/// row whose scope id is `id` (R5). Returns the first row as changed.
///
/// # Errors
/// `not-registered` when no row has it; `registry-corrupt`; `io`.
pub fn set_enabled(
    home: &Path,
    cwd: &Path,
    id: &str,
    selector: &str,
    enabled: bool,
) -> Result<Row> {
    transact(home, cwd, |reg| {
        let mut first = None;
        for r in reg.rows.iter_mut().filter(|r| r.scope_id() == id) {
            r.enabled = enabled;
            first.get_or_insert_with(|| r.clone());
        }
        first
            .ok_or_else(|| not_registered(selector, id))
            .map(|r| (r, true))
    })
}

/// The scope id a selector names (R4): a `p-<sha12>` selector as it is; any
/// other as a path, resolved against `cwd`. The path need not exist, so
/// that a deleted project can still be removed.
pub fn selector_id(selector: &str, cwd: &Path) -> String {
    if is_scope_id(selector) {
        selector.to_owned()
    } else {
        scope_id(Path::new(selector), cwd)
    }
}

fn not_registered(selector: &str, id: &str) -> Error {
    Error::new(
        Kind::NotRegistered,
        format!(
            "{selector:?} ({id}) is not in the registry; `assetpin projects list` shows the \
             registered projects, `assetpin projects add PATH` registers one"
        ),
    )
}

/// Now in UTC to the second, `YYYY-MM-DDTHH:MM:SSZ` (the peer's
/// `added_at`).
fn now_utc_seconds() -> String {
    let micros = crate::lock::lockfile::timestamp::now_utc_micros();
    // `YYYY-MM-DDTHH:MM:SS.ffffffZ` without the fraction.
    format!("{}Z", &micros[..19])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R3, L5: a registry past [`lockfile::MAX_LOCKFILE_BYTES`] is refused
    /// unread as `registry-corrupt` (a lockfile as `lockfile-corrupt`:
    /// `lock::rmw::tests`).
    #[test]
    fn l5_a_registry_too_large_is_refused_as_registry_corrupt() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = SafeDir::open_root(tmp.path()).unwrap();
        std::fs::File::create(tmp.path().join(FILE_NAME))
            .unwrap()
            .set_len(lockfile::MAX_LOCKFILE_BYTES + 1)
            .unwrap();
        let e = store(&dir).read().expect_err("too large");
        assert_eq!(e.kind, Kind::RegistryCorrupt, "{FILE_NAME}: {e:?}");
    }

    /// R4: the peer's derivation: the value is what the peer's
    /// `compute_scope_id(Path("/srv/x"))` printed.
    #[test]
    fn r4_scope_id_is_sha256_of_the_resolved_path() {
        let expect = "p-c0fdb79966be";
        assert_eq!(scope_id(Path::new("/srv/x"), Path::new("/")), expect);
        assert_eq!(scope_id(Path::new("x"), Path::new("/srv")), expect);
        assert_eq!(scope_id(Path::new("/srv/y/../x"), Path::new("/")), expect);
        assert!(is_scope_id(expect));
        for bad in [
            "p-0123456789a",
            "p-0123456789ABC",
            "q-0123456789ab",
            "./p-0123456789ab",
        ] {
            assert!(!is_scope_id(bad), "{bad}");
        }
    }

    /// R1, R3: what the peer writes reads back to the same bytes; unknown
    /// keys survive, at the top and in rows.
    #[test]
    fn r1_a_peer_document_round_trips_byte_for_byte() {
        let text = "{\n  \"version\": 1,\n  \"projects\": [\n    {\n      \"root\": \"/\",\n      \
                    \"added_at\": \"2026-01-02T03:04:05Z\",\n      \"label\": null,\n      \
                    \"enabled\": false,\n      \"x\": [\n        1.5,\n        \"é\"\n      ]\n    }\n  ],\n  \"y\": {}\n}";
        let (reg, problems) = parse(Some(text.as_bytes()), Path::new("/"));
        assert!(problems.is_empty());
        assert_eq!(reg.rows.len(), 1);
        assert!(!reg.rows[0].enabled);
        assert_eq!(String::from_utf8(serialize(&reg).unwrap()).unwrap(), text);
    }

    /// R3: every shape a writer must refuse is a problem; a missing file
    /// is not.
    #[test]
    fn r3_unusable_documents_are_problems() {
        assert!(parse(None, Path::new("/")).1.is_empty());
        for bad in [
            "",
            "[]",
            "{\"projects\": []}",
            "{\"version\": 2, \"projects\": []}",
            "{\"version\": 1, \"projects\": {}}",
            "{\"version\": 1, \"projects\": [3]}",
            "{\"version\": 1, \"projects\": [{\"root\": \"\"}]}",
            "{\"version\": 1, \"projects\": [{\"label\": \"x\"}]}",
        ] {
            assert_eq!(
                parse(Some(bad.as_bytes()), Path::new("/")).1.len(),
                1,
                "{bad}"
            );
        }
    }
}
