//! Expectation checking: exit classes (E2), error kinds (E1), parallel
//! outcome counts (K5, K6), JSON values by pointer (L1-L10, T3, E3),
//! status rows (T1), files with bytes and modes (I2, I3), dest against the
//! pinned tree (K6, I1), and "nothing changed" (I5, Y2).

use super::adapter::Adapter;
use super::case::{AssetCheck, ExitClass, FileCheck, JsonType, RowCheck, Run, ValueCheck};
use super::exec::ProcResult;
use super::workspace::{Workspace, parse_mode};
use crate::error::{HResult, HarnessError, io_err};
use crate::outcome::Failure;
use assetpin_contract::Kind;
use regex::Regex;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The outcome label of one process: `ok`, a recognised kind, or
/// `exit <n>` / `killed`.
pub fn outcome_label(ad: &Adapter, r: &ProcResult) -> String {
    match r.code {
        Some(0) => "ok".into(),
        Some(n) => ad
            .recognise_kind(&r.stderr)
            .unwrap_or_else(|| format!("exit {n} (no kind recognised)")),
        None if r.timed_out => "timed out".into(),
        None => match r.signal {
            Some(sig) => format!("killed by signal {sig}"),
            None => "killed by a signal".into(),
        },
    }
}

/// How a process ended, for a failure report.
fn exit_text(r: &ProcResult) -> String {
    let mut t = match (r.code, r.signal) {
        (Some(c), _) => c.to_string(),
        (None, _) if r.timed_out => "none (still running at the adapter's timeout; killed)".into(),
        (None, Some(sig)) => format!("none (killed by signal {sig})"),
        (None, None) => "none".into(),
    };
    if r.pipes_held {
        t.push_str(" (a process it started held its output open; reading stopped)");
    }
    t
}

/// `s` with control characters other than newline and tab escaped, so a
/// tool's output cannot drive the terminal that shows the report.
pub fn printable(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        // Bidirectional overrides reorder what a terminal shows.
        let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if (c.is_control() && c != '\n' && c != '\t') || bidi {
            o.extend(c.escape_default());
        } else {
            o.push(c);
        }
    }
    o
}

fn exit_ok(class: ExitClass, code: Option<i32>) -> bool {
    match class {
        ExitClass::Ok => code == Some(0),
        ExitClass::Refused => code == Some(1),
        ExitClass::Usage => code == Some(2),
        ExitClass::Conflict => code == Some(3),
        ExitClass::Nonzero => matches!(code, Some(c) if c != 0),
        ExitClass::Any => true,
    }
}

fn show(r: &ProcResult) -> String {
    // Clipped first, then escaped: a tool may print megabytes.
    let clip = |s: &str| {
        let s = s.trim_end();
        if s.len() > 600 {
            let mut end = 600;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}...", printable(&s[..end]))
        } else {
            printable(s)
        }
    };
    format!(
        "      argv: {}\n      exit: {}\n      stdout: {}\n      stderr: {}",
        printable(&r.argv.join(" ")),
        exit_text(r),
        clip(&r.stdout).replace('\n', "\n              "),
        clip(&r.stderr).replace('\n', "\n              ")
    )
}

/// Checks a verb step's results; fills `captures`. Returns failures:
/// a process that did not end by itself, else the parallel copies' counts,
/// else each expectation of the single process (then what it did).
///
/// # Errors
/// Bad regexes or unknown variables in the case (harness errors).
pub fn check_step(
    ws: &Workspace,
    ad: &Adapter,
    step: &Run,
    results: &[ProcResult],
    captures: &mut BTreeMap<String, String>,
) -> HResult<Vec<Failure>> {
    let f = ended_by_itself(ad, results);
    if !f.is_empty() {
        return Ok(f);
    }
    if step.copies.is_some() {
        return Ok(parallel_copies(ad, step, results));
    }
    let r = results.first().ok_or(HarnessError::NoProcessResult)?;
    let mut f = exit_class(step, r);
    f.extend(error_kind(ad, step, r));
    f.extend(stderr_lines(ws, step, r)?);
    f.extend(stdout_lines(ws, step, r)?);
    f.extend(stdout_json(ws, step, r, captures)?);
    f.extend(status_table(ad, step, r));
    if !f.is_empty() {
        f.push(observed(r));
    }
    Ok(f)
}

/// The process as observed, closing a step's failures.
fn observed(r: &ProcResult) -> Failure {
    Failure::new("observed", format!("    observed:\n{}", show(r)))
}

/// E4: a process that had to be killed (the timeout) or died by a signal
/// never passes a step, whatever exit the step allows; nor does one that
/// left a process holding its output (what that process does next is not
/// what the case judges).
fn ended_by_itself(ad: &Adapter, results: &[ProcResult]) -> Vec<Failure> {
    let killed = results.iter().filter(|r| r.code.is_none()).map(|r| {
        Failure::new(
            "exit",
            format!(
                "the process did not exit by itself ({}):\n{}",
                outcome_label(ad, r),
                show(r)
            ),
        )
        .observing(outcome_label(ad, r))
        .clause("E4")
    });
    let held = results.iter().filter(|r| r.pipes_held).map(|r| {
        Failure::new(
            "output",
            format!(
                "a process it started outlived it, holding its output:\n{}",
                show(r)
            ),
        )
        .clause("E4")
    });
    killed.chain(held).collect()
}

/// K5, K6: the outcome labels of a step's parallel copies, counted, and
/// the exit class each must have.
fn parallel_copies(ad: &Adapter, step: &Run, results: &[ProcResult]) -> Vec<Failure> {
    let mut f = Vec::new();
    let mut got: BTreeMap<String, usize> = BTreeMap::new();
    for r in results {
        *got.entry(outcome_label(ad, r)).or_default() += 1;
    }
    // Compared as labels: an outcome label is a kind's spelling, or
    // a description of a copy that ended otherwise.
    let want: BTreeMap<String, usize> = step
        .counts
        .iter()
        .map(|(k, n)| (k.as_str().to_owned(), *n))
        .collect();
    if !want.is_empty() && got != want {
        f.push(Failure::mismatch(
            "outcome counts",
            format!("{want:?}"),
            format!("{got:?}"),
        ));
        if let Some(bad) = results
            .iter()
            .find(|r| !want.contains_key(&outcome_label(ad, r)))
        {
            f.push(Failure::new(
                "outcome counts",
                format!("    one unexpected copy:\n{}", show(bad)),
            ));
        }
    }
    if let Some(e) = step.exit
        && let Some(r) = results.iter().find(|r| !exit_ok(e, r.code))
    {
        f.push(
            Failure::new("exit", format!("exit: expected {e}, observed\n{}", show(r)))
                .expecting(e.to_string())
                .observing(exit_text(r))
                .clause("E2"),
        );
    }
    f
}

/// E2: the exit class (the step's `exit`, else the one its `kind` implies).
fn exit_class(step: &Run, r: &ProcResult) -> Vec<Failure> {
    let class = step.exit.unwrap_or(match step.kind {
        Some(Kind::Conflict) => ExitClass::Conflict,
        Some(_) => ExitClass::Refused,
        None => ExitClass::Ok,
    });
    if exit_ok(class, r.code) {
        return Vec::new();
    }
    vec![
        Failure::new("exit", format!("exit: expected {class}"))
            .expecting(class.to_string())
            .observing(exit_text(r))
            .clause("E2"),
    ]
}

/// E1: the error kind the adapter recognises on stderr.
fn error_kind(ad: &Adapter, step: &Run, r: &ProcResult) -> Vec<Failure> {
    let Some(k) = step.kind else {
        return Vec::new();
    };
    let got = ad.recognise_kind(&r.stderr);
    if got.as_deref() == Some(k.as_str()) {
        return Vec::new();
    }
    vec![
        Failure::mismatch(
            "kind",
            k.to_string(),
            got.unwrap_or_else(|| "none recognised".into()),
        )
        .clause("E1"),
    ]
}

/// `stderr_has`, `stderr_lacks`, `stderr_first`: lines of stderr.
fn stderr_lines(ws: &Workspace, step: &Run, r: &ProcResult) -> HResult<Vec<Failure>> {
    let mut f = Vec::new();
    for re in &step.stderr_has {
        let rx = regex(&ws.subst(re, &[])?)?;
        if !r.stderr.lines().any(|l| rx.is_match(l)) {
            f.push(
                Failure::new("stderr", format!("stderr: no line matches /{re}/"))
                    .expecting(format!("/{re}/"))
                    .observing(clip(&r.stderr)),
            );
        }
    }
    for re in &step.stderr_lacks {
        let rx = regex(&ws.subst(re, &[])?)?;
        if let Some(l) = r.stderr.lines().find(|l| rx.is_match(l)) {
            f.push(
                Failure::new(
                    "stderr",
                    format!("stderr: line {l:?} matches /{re}/, which must not appear"),
                )
                .expecting(format!("no line matching /{re}/"))
                .observing(l),
            );
        }
    }
    if let Some(re) = &step.stderr_first {
        let rx = regex(&ws.subst(re, &[])?)?;
        let first = r.stderr.lines().next().unwrap_or("");
        if !rx.is_match(first) {
            f.push(
                Failure::new(
                    "stderr",
                    format!("stderr: first line {first:?} does not match /{re}/"),
                )
                .expecting(format!("/{re}/"))
                .observing(first),
            );
        }
    }
    Ok(f)
}

/// `stdout_has`: lines of stdout.
fn stdout_lines(ws: &Workspace, step: &Run, r: &ProcResult) -> HResult<Vec<Failure>> {
    let mut f = Vec::new();
    for re in &step.stdout_has {
        let rx = regex(&ws.subst(re, &[])?)?;
        if !r.stdout.lines().any(|l| rx.is_match(l)) {
            f.push(
                Failure::new("stdout", format!("stdout: no line matches /{re}/"))
                    .expecting(format!("/{re}/"))
                    .observing(clip(&r.stdout)),
            );
        }
    }
    Ok(f)
}

/// E3, L-, T3: with `json`, stdout is one JSON object (when the step
/// reads it), its values hold, and its captures are filled.
fn stdout_json(
    ws: &Workspace,
    step: &Run,
    r: &ProcResult,
    captures: &mut BTreeMap<String, String>,
) -> HResult<Vec<Failure>> {
    let mut f = Vec::new();
    if !step.json {
        return Ok(f);
    }
    let doc = match one_json_object(&r.stdout) {
        Ok(doc) => doc,
        Err(e) => {
            if step.stdout_is_json || !step.stdout_json.is_empty() || !step.capture.is_empty() {
                f.push(
                    Failure::new("stdout", format!("stdout: {e}"))
                        .expecting("one JSON object")
                        .observing(e.to_string())
                        .clause("E3"),
                );
            }
            return Ok(f);
        }
    };
    for vc in &step.stdout_json {
        if let Some(m) = check_value(ws, &doc, vc, "stdout")? {
            f.push(m);
        }
    }
    for (name, ptr) in &step.capture {
        match doc.pointer(ptr) {
            Some(Value::String(s)) => {
                captures.insert(name.clone(), s.clone());
            }
            Some(v @ Value::Number(_)) => {
                captures.insert(name.clone(), v.to_string());
            }
            other => {
                let seen = other.map_or("missing".into(), |v| v.to_string());
                f.push(
                    Failure::new(
                        format!("capture {name}"),
                        format!("capture {name}: stdout {ptr} is {seen}, not a string or number"),
                    )
                    .expecting("a string or number")
                    .observing(seen),
                );
            }
        }
    }
    Ok(f)
}

/// T1: the status rows the step names, and their count.
fn status_table(ad: &Adapter, step: &Run, r: &ProcResult) -> Vec<Failure> {
    let mut f = Vec::new();
    if step.rows.is_empty() && step.row_count.is_none() {
        return f;
    }
    let rows = match status_rows(ad, &r.stdout) {
        Ok(rows) => rows,
        Err(e) => {
            f.push(
                Failure::new("status", format!("status: {e}"))
                    .expecting("status rows")
                    .observing(e.to_string()),
            );
            return f;
        }
    };
    f.extend(step.rows.iter().filter_map(|want| check_row(&rows, want)));
    if let Some(n) = step.row_count
        && rows.len() != n
    {
        f.push(
            Failure::new(
                "status",
                format!(
                    "status: expected {n} rows, observed {}: {:?}",
                    rows.len(),
                    rows.iter()
                        .map(|r| format!("{} {} {}", r.ty, r.name, r.state))
                        .collect::<Vec<_>>()
                ),
            )
            .expecting(n.to_string())
            .observing(rows.len().to_string()),
        );
    }
    f
}

fn regex(s: &str) -> HResult<Regex> {
    Regex::new(s).map_err(|e| HarnessError::Case(format!("bad regex in case {s:?}: {e}")))
}

/// Stdout must be exactly one JSON object (E3).
///
/// # Errors
/// A description of what stdout holds instead.
pub fn one_json_object(stdout: &str) -> Result<Value, NotOneObject> {
    let mut it = serde_json::Deserializer::from_str(stdout).into_iter::<Value>();
    match it.next() {
        Some(Ok(v @ Value::Object(_))) => {
            if it.next().is_some() {
                Err(NotOneObject::Several)
            } else {
                Ok(v)
            }
        }
        Some(Ok(v)) => Err(NotOneObject::NotAnObject(kind_of(&v))),
        Some(Err(error)) => Err(NotOneObject::NotJson {
            error,
            head: clip(stdout),
        }),
        None => Err(NotOneObject::Empty),
    }
}

/// What stdout holds instead of exactly one JSON object (E3).
#[derive(Debug, thiserror::Error)]
pub enum NotOneObject {
    /// Several values.
    #[error("more than one JSON value on stdout")]
    Several,
    /// One value of another JSON type.
    #[error("JSON {0} on stdout, not an object")]
    NotAnObject(&'static str),
    /// Not JSON: the parse error and the start of stdout.
    #[error("stdout is not JSON ({error}): {head:?}")]
    NotJson {
        /// The parse error.
        error: serde_json::Error,
        /// The first 200 characters of stdout.
        head: String,
    },
    /// Nothing.
    #[error("stdout is empty, expected one JSON object")]
    Empty,
}

/// Why status rows cannot be read from stdout.
#[derive(Debug, thiserror::Error)]
pub enum RowsError {
    /// JSON status that is not one object.
    #[error(transparent)]
    Json(#[from] NotOneObject),
    /// JSON status without its array.
    #[error("status JSON has no \"assets\" array (T3)")]
    NoAssets,
    /// A text status, but the adapter gives no row pattern.
    #[error("adapter has no status.row")]
    NoRowPattern,
}

fn clip(s: &str) -> String {
    s.chars().take(200).collect()
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// TOML value to JSON, with strings variable-substituted.
fn to_json(ws: &Workspace, v: &toml::Value) -> HResult<Value> {
    Ok(match v {
        toml::Value::String(s) => Value::String(ws.subst(s, &[])?),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| to_json(ws, x))
                .collect::<HResult<Vec<_>>>()?,
        ),
        toml::Value::Table(t) => {
            let mut m = serde_json::Map::new();
            for (k, x) in t {
                m.insert(k.clone(), to_json(ws, x)?);
            }
            Value::Object(m)
        }
    })
}

fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.to_string() == y.to_string(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Checks one value; `None` when it holds.
///
/// # Errors
/// Bad regexes or unknown variables in the case.
pub fn check_value(
    ws: &Workspace,
    doc: &Value,
    vc: &ValueCheck,
    what: &str,
) -> HResult<Option<Failure>> {
    let ptr = ws.subst(&vc.pointer, &[])?;
    let got = doc.pointer(&ptr);
    let show = |v: Option<&Value>| v.map_or("nothing".into(), |v| clip(&v.to_string()));
    let check = format!("{what} {ptr}");
    if vc.absent {
        return Ok(got.map(|v| Failure::mismatch(check, "absent", clip(&v.to_string()))));
    }
    let Some(v) = got else {
        return Ok(Some(Failure::mismatch(check, "a value", "nothing")));
    };
    if let Some(e) = &vc.equals {
        let want = to_json(ws, e)?;
        if !json_eq(v, &want) {
            return Ok(Some(Failure::mismatch(
                check,
                clip(&want.to_string()),
                show(Some(v)),
            )));
        }
    }
    if let Some(re) = &vc.matches {
        let rx = regex(&ws.subst(re, &[])?)?;
        let text = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if !rx.is_match(&text) {
            return Ok(Some(Failure::mismatch(
                check,
                format!("a match for /{re}/"),
                show(Some(v)),
            )));
        }
    }
    if let Some(other) = &vc.same_as {
        let op = ws.subst(other, &[])?;
        let w = doc.pointer(&op);
        if w.is_none_or(|w| !json_eq(v, w)) {
            return Ok(Some(Failure::mismatch(
                check,
                format!("the value at {op} ({})", show(w)),
                show(Some(v)),
            )));
        }
    }
    if let Some(n) = vc.count {
        let len = match v {
            Value::Array(a) => Some(a.len()),
            Value::Object(o) => Some(o.len()),
            _ => None,
        };
        if len != Some(n) {
            return Ok(Some(Failure::mismatch(
                check,
                format!("{n} members"),
                len.map_or(format!("a {}", kind_of(v)), |l| l.to_string()),
            )));
        }
    }
    if let Some(keys) = &vc.keys {
        let got_keys: Vec<String> = match v {
            Value::Object(o) => o.keys().cloned().collect(),
            _ => Vec::new(),
        };
        if &got_keys != keys {
            return Ok(Some(Failure::mismatch(
                check,
                format!("keys in order {keys:?}"),
                format!("{got_keys:?}"),
            )));
        }
    }
    if let Some(t) = vc.ty {
        let k = kind_of(v);
        let ok = k == t.as_str() || (t == JsonType::Number && k == "integer");
        if !ok {
            return Ok(Some(Failure::mismatch(
                check,
                format!("a {t}"),
                format!("a {k}"),
            )));
        }
    }
    Ok(None)
}

/// A status row as read from any adapter.
#[derive(Debug, Clone)]
pub struct Row {
    /// `skill`, `agent`, `command`.
    pub ty: String,
    /// Asset name.
    pub name: String,
    /// State.
    pub state: String,
    /// Dirty files, when reported.
    pub dirty_files: Option<Vec<String>>,
}

/// Reads status rows from stdout per the adapter's status spec.
///
/// # Errors
/// Output that does not fit the spec.
pub fn status_rows(ad: &Adapter, stdout: &str) -> Result<Vec<Row>, RowsError> {
    if ad.spec.status.format == "json" {
        let doc = one_json_object(stdout)?;
        let assets = doc
            .get("assets")
            .and_then(Value::as_array)
            .ok_or(RowsError::NoAssets)?;
        return Ok(assets
            .iter()
            .map(|a| Row {
                ty: a.get("type").and_then(Value::as_str).unwrap_or("").into(),
                name: a.get("name").and_then(Value::as_str).unwrap_or("").into(),
                state: a.get("state").and_then(Value::as_str).unwrap_or("").into(),
                dirty_files: a.get("dirty_files").and_then(Value::as_array).map(|v| {
                    v.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                }),
            })
            .collect());
    }
    let mut rows = Vec::new();
    let mut section = String::new();
    let Some(row_re) = &ad.row_re else {
        return Err(RowsError::NoRowPattern);
    };
    for line in stdout.lines() {
        if let Some(s) = &ad.section_re
            && let Some(c) = s.captures(line)
            && let Some(m) = c.name("section")
        {
            section = m.as_str().trim_end_matches('s').to_owned();
            continue;
        }
        if section.is_empty() {
            continue;
        }
        if let Some(c) = row_re.captures(line) {
            let name = c.name("name").map_or("", |m| m.as_str()).to_owned();
            let state = if let Some(s) = c.name("state") {
                s.as_str().to_owned()
            } else if let Some(m) = c.name("mark") {
                match ad.spec.status.marks.get(m.as_str()) {
                    Some(s) => s.clone(),
                    None => continue,
                }
            } else {
                continue;
            };
            rows.push(Row {
                ty: section.clone(),
                name,
                state,
                dirty_files: None,
            });
        }
    }
    Ok(rows)
}

fn check_row(rows: &[Row], want: &RowCheck) -> Option<Failure> {
    let Some(r) = rows
        .iter()
        .find(|r| r.ty == want.ty.as_str() && r.name == want.name)
    else {
        let seen = format!(
            "{:?}",
            rows.iter()
                .map(|r| format!("{} {} {}", r.ty, r.name, r.state))
                .collect::<Vec<_>>()
        );
        return Some(
            Failure::new(
                format!("status {} {}", want.ty, want.name),
                format!("status: no row for {} {}; rows: {seen}", want.ty, want.name),
            )
            .expecting(format!("a row for {} {}", want.ty, want.name))
            .observing(format!("rows {seen}")),
        );
    };
    if r.state != want.state.as_str() {
        return Some(
            Failure::new(
                format!("status {} {}", want.ty, want.name),
                format!(
                    "status: {} {}: expected state {}, observed {}",
                    want.ty, want.name, want.state, r.state
                ),
            )
            .expecting(format!("state {}", want.state))
            .observing(format!("state {}", r.state)),
        );
    }
    if let (Some(w), Some(g)) = (&want.dirty_files, &r.dirty_files) {
        let mut g = g.clone();
        g.sort();
        let mut w = w.clone();
        w.sort();
        if g != w {
            return Some(
                Failure::new(
                    format!("status {} {}", want.ty, want.name),
                    format!(
                        "status: {} {}: expected dirty_files {w:?}, observed {g:?}",
                        want.ty, want.name
                    ),
                )
                .expecting(format!("dirty_files {w:?}"))
                .observing(format!("dirty_files {g:?}")),
            );
        }
    }
    None
}

/// Checks one file expectation; `None` when it holds.
///
/// # Errors
/// Bad hex, regex or variables in the case.
pub fn check_file(ws: &Workspace, fc: &FileCheck) -> HResult<Option<Failure>> {
    let rel = ws.subst(&fc.path, &[])?;
    let p = ws.root(fc.root).join(&rel);
    let meta = std::fs::symlink_metadata(&p);
    let check = format!("file {rel}");
    let fail = |line: String, expected: &str, observed: String| {
        Some(
            Failure::new(check.clone(), line)
                .expecting(expected)
                .observing(observed),
        )
    };
    if fc.not_regular {
        return Ok(meta.ok().filter(std::fs::Metadata::is_file).and_then(|_| {
            fail(
                format!("file {rel}: a regular file (expected absent or not a regular file)"),
                "absent or not a regular file",
                "a regular file".into(),
            )
        }));
    }
    if fc.absent {
        return Ok(meta.ok().and_then(|_| {
            fail(
                format!("file {rel}: expected absent, it exists"),
                "absent",
                "exists".into(),
            )
        }));
    }
    let Ok(meta) = meta else {
        if fc.or_absent {
            return Ok(None);
        }
        return Ok(fail(
            format!("file {rel}: expected to exist, it does not"),
            "exists",
            "absent".into(),
        ));
    };
    if meta.file_type().is_symlink() {
        let to = std::fs::read_link(&p).unwrap_or_default();
        return Ok(fail(
            format!("file {rel}: is a symbolic link (to {})", to.display()),
            "not a symbolic link",
            format!("a symbolic link to {}", to.display()),
        ));
    }
    if fc.dir && !meta.is_dir() {
        return Ok(fail(
            format!("file {rel}: expected a directory"),
            "a directory",
            if meta.is_file() {
                "a regular file"
            } else {
                "not a directory"
            }
            .into(),
        ));
    }
    if fc.exec && !(meta.is_file() && meta.permissions().mode() & 0o100 != 0) {
        let mode = meta.permissions().mode() & 0o7777;
        return Ok(fail(
            format!("file {rel}: expected an executable file, observed mode {mode:o}"),
            "an executable file",
            format!("mode {mode:o}"),
        ));
    }
    if let Some(m) = &fc.mode {
        let want = parse_mode(m)?;
        let got = meta.permissions().mode() & 0o7777;
        if got != want {
            return Ok(fail(
                format!("file {rel}: expected mode {want:o}, observed {got:o}"),
                &format!("mode {want:o}"),
                format!("mode {got:o}"),
            ));
        }
    }
    if let Some(want) = &fc.mtime_ns {
        let want = ws.subst(want, &[])?;
        let got = super::exec::mtime_ns(&meta).to_string();
        if got != want {
            return Ok(fail(
                format!("file {rel}: expected mtime_ns {want}, observed {got}"),
                &format!("mtime_ns {want}"),
                format!("mtime_ns {got}"),
            ));
        }
    }
    if let Some(entries) = &fc.entries {
        let mut got: Vec<String> = std::fs::read_dir(&p)
            .map_err(io_err(format!("read_dir {}", p.display())))?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        got.sort();
        let mut want = entries.clone();
        want.sort();
        if got != want {
            return Ok(Some(Failure::mismatch(
                format!("dir {rel}"),
                format!("entries {want:?}"),
                format!("{got:?}"),
            )));
        }
    }
    if fc.text.is_some() || fc.hex.is_some() || fc.matches.is_some() {
        if meta.is_dir() {
            return Ok(fail(
                format!("file {rel}: is a directory"),
                "a file",
                "a directory".into(),
            ));
        }
        let bytes = match super::snapshot::read_left(&p) {
            Ok(b) => b,
            Err(e) => {
                return Ok(fail(
                    format!("file {rel}: {e}"),
                    "a regular file the harness can read",
                    e.to_string(),
                ));
            }
        };
        if fc.text.is_some() || fc.hex.is_some() {
            let want = ws.content(fc.text.as_deref(), fc.hex.as_deref())?;
            if bytes != want {
                let (want, got) = (
                    format!("{:?}", clip(&String::from_utf8_lossy(&want))),
                    format!("{:?}", clip(&String::from_utf8_lossy(&bytes))),
                );
                return Ok(fail(
                    format!("file {rel}: expected bytes {want}, observed {got}"),
                    &format!("bytes {want}"),
                    format!("bytes {got}"),
                ));
            }
        }
        if let Some(re) = &fc.matches {
            let rx = regex(&ws.subst(re, &[])?)?;
            let text = String::from_utf8_lossy(&bytes);
            if !rx.is_match(&text) {
                let got = format!("{:?}", clip(&text));
                return Ok(fail(
                    format!("file {rel}: content does not match /{re}/: {got}"),
                    &format!("a match for /{re}/"),
                    got,
                ));
            }
        }
    }
    Ok(None)
}

/// The project's lockfile as read: its bytes and its document.
#[derive(Debug, Clone)]
pub struct Lockfile {
    /// The bytes on disk (L8 compares them).
    pub bytes: Vec<u8>,
    /// The parsed document.
    pub doc: Value,
}

/// Reads the project's lockfile as JSON.
///
/// # Errors
/// Missing or not JSON (a failure, not a harness error).
pub fn lockfile(ws: &Workspace) -> Result<Lockfile, Failure> {
    let p = ws.project.join(".memtomem/lock.json");
    // Read as every file a tool left is: a planted FIFO would hang the
    // harness, a link would be followed.
    let bytes = super::snapshot::read_left(&p).map_err(|e| {
        Failure::new("lockfile", format!("lockfile: {}: {e}", p.display()))
            .expecting("a regular file the harness can read")
            .observing(e.to_string())
    })?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
        Failure::new("lockfile", format!("lockfile: not JSON: {e}"))
            .expecting("JSON")
            .observing(e.to_string())
    })?;
    Ok(Lockfile { bytes, doc: v })
}

/// L8: the bytes are the 2-space pretty serialization of their own
/// document, without `\u` escapes of non-ASCII and without a trailing
/// newline.
pub fn check_canonical(bytes: &[u8], v: &Value) -> Option<Failure> {
    let want = serde_json::to_string_pretty(v).ok()?;
    if want.as_bytes() == bytes {
        return None;
    }
    let got = String::from_utf8_lossy(bytes);
    let at = want
        .bytes()
        .zip(got.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(got.len()));
    let expected = format!("{:?}", clip(&want[at.saturating_sub(20).min(want.len())..]));
    let observed = format!("{:?}", clip(&got[at.saturating_sub(20).min(got.len())..]));
    Some(
        Failure::new(
            "lockfile",
            format!(
                "lockfile: bytes are not the L8 serialization; first difference at byte {at}: \
                 expected {expected}, observed {observed}"
            ),
        )
        .expecting(expected)
        .observing(observed)
        .clause("L8"),
    )
}

/// True when a tree-relative path has a component that I2 skips.
pub fn skipped(path: &str) -> bool {
    path.split('/')
        .any(|c| c == ".git" || c == ".DS_Store" || c == "__pycache__" || c.ends_with(".bak"))
}

/// K6/I1: dest equals the tree at the recorded pin (I2 skip rules applied)
/// and every recorded digest matches dest.
///
/// # Errors
/// git failures in the harness.
pub fn check_asset(ws: &Workspace, doc: &Value, a: &AssetCheck) -> HResult<Vec<Failure>> {
    check_asset_as(ws, doc, a, DestFiles::Exact)
}

/// Which files dest may hold besides the pinned tree's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DestFiles {
    /// Exactly the tree's files.
    Exact,
    /// More: the user's own, carried by an update (U2, U3).
    MayHoldMore,
}

/// [`check_asset`], dest holding the files `files` allows.
fn check_asset_as(
    ws: &Workspace,
    doc: &Value,
    a: &AssetCheck,
    files: DestFiles,
) -> HResult<Vec<Failure>> {
    let mut f = Vec::new();
    let section = format!("{}s", a.ty);
    let check = format!("asset {} {}", a.ty, a.name);
    let fail = |what: &str, expected: String, observed: String| {
        Failure::new(check.clone(), format!("{check}: {what}"))
            .expecting(expected)
            .observing(observed)
    };
    let Some(entry) = doc.get(&section).and_then(|s| s.get(&a.name)) else {
        f.push(fail(
            "no lockfile entry",
            "a lockfile entry".into(),
            "none".into(),
        ));
        return Ok(f);
    };
    let Some(pin) = entry.get("wiki_commit").and_then(Value::as_str) else {
        f.push(fail(
            "entry has no wiki_commit",
            "an entry with wiki_commit".into(),
            "none".into(),
        ));
        return Ok(f);
    };
    let want = tree_blobs(ws, pin, &format!("{section}/{}/", a.name))?;
    let dest = ws.project.join(".memtomem").join(&section).join(&a.name);
    let snap = super::snapshot::snapshot(&dest, &[]);
    let got: BTreeMap<&String, &super::snapshot::Node> = snap
        .iter()
        .filter(|(_, n)| !matches!(n, super::snapshot::Node::Dir(_)))
        .collect();
    let got_names: Vec<&String> = got
        .keys()
        .copied()
        .filter(|k| files == DestFiles::Exact || want.contains_key(*k))
        .collect();
    let want_names: Vec<&String> = want.keys().collect();
    if got_names != want_names {
        f.push(fail(
            &format!(
                "dest holds {got_names:?}, the tree at {} holds {want_names:?}",
                &pin[..pin.len().min(12)]
            ),
            format!("{want_names:?}"),
            format!("{got_names:?}"),
        ));
        return Ok(f);
    }
    for (rel, oid) in &want {
        let blob = git_blob(ws, oid)?;
        // Anything but a regular file with the blob's bytes differs (a
        // file too large to read, a link, a FIFO).
        if !matches!(got.get(rel), Some(super::snapshot::Node::File(_, bytes)) if *bytes == blob) {
            f.push(fail(
                &format!("{rel} differs from the pinned blob"),
                format!("{rel}: the pinned blob {oid}"),
                format!("{rel}: other content"),
            ));
        }
    }
    if let Some(Value::Object(d)) = entry.get("digests") {
        for (rel, want) in d {
            // Read from the no-follow snapshot, never by opening the path.
            let got = match snap.get(rel.as_str()) {
                Some(super::snapshot::Node::File(_, b)) => hex::encode(Sha256::digest(b)),
                Some(super::snapshot::Node::Large { size, .. }) => {
                    format!("not read ({size} bytes, more than the harness reads)")
                }
                Some(_) => "not a regular file".into(),
                None => "missing".into(),
            };
            if Some(got.as_str()) != want.as_str() {
                f.push(fail(
                    &format!("digest of {rel} is {got}, lockfile says {want}"),
                    format!("digest of {rel} {want}"),
                    format!("digest of {rel} {got}"),
                ));
            }
        }
    }
    Ok(f)
}

/// The regular files (not links, not I2-skipped) of the wiki tree below
/// `prefix` (ending in `/`) at `commit`: prefix-relative path -> blob id.
///
/// # Errors
/// git failures.
pub fn tree_blobs(ws: &Workspace, commit: &str, prefix: &str) -> HResult<BTreeMap<String, String>> {
    // A commit named by its id lists the same tree in any repository
    // that has it: asked once per run.
    static LISTINGS: std::sync::Mutex<BTreeMap<(String, String), String>> =
        std::sync::Mutex::new(BTreeMap::new());
    let by_id = is_object_id(commit);
    let key = (commit.to_owned(), prefix.to_owned());
    let cached = by_id
        .then(|| crate::reaper::lock(&LISTINGS).get(&key).cloned())
        .flatten();
    let listing = match cached {
        Some(l) => l,
        None => {
            // -z: names as they are (no C quoting of non-ASCII or newlines).
            let l = ws.git(&["ls-tree", "-r", "-z", "--full-tree", commit, "--", prefix])?;
            if by_id {
                crate::reaper::lock(&LISTINGS).insert(key, l.clone());
            }
            l
        }
    };
    let mut want: BTreeMap<String, String> = BTreeMap::new();
    for line in listing.split('\0') {
        let Some((meta, path)) = line.split_once('\t') else {
            continue;
        };
        let parts: Vec<&str> = meta.split_whitespace().collect();
        if parts.len() != 3 || parts[1] != "blob" || parts[0] == "120000" {
            continue;
        }
        let rel = path.strip_prefix(prefix).unwrap_or(path).to_owned();
        if !skipped(&rel) {
            want.insert(rel, parts[2].to_owned());
        }
    }
    Ok(want)
}

/// The bytes of blob `oid` in the wiki.
///
/// # Errors
/// git failures.
pub fn git_blob(ws: &Workspace, oid: &str) -> HResult<Vec<u8>> {
    // Content-addressed: asked once per run (blobs up to 1 MiB kept).
    static BLOBS: std::sync::Mutex<BTreeMap<String, Vec<u8>>> =
        std::sync::Mutex::new(BTreeMap::new());
    let by_id = is_object_id(oid);
    if by_id && let Some(b) = crate::reaper::lock(&BLOBS).get(oid) {
        return Ok(b.clone());
    }
    let blob = git_blob_uncached(ws, oid)?;
    if by_id && blob.len() <= 1 << 20 {
        crate::reaper::lock(&BLOBS).insert(oid.to_owned(), blob.clone());
    }
    Ok(blob)
}

/// Whether `s` is a full object id (40 or 64 lowercase hex digits), not
/// a name that could move.
fn is_object_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64)
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn git_blob_uncached(ws: &Workspace, oid: &str) -> HResult<Vec<u8>> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(&ws.wiki)
        .args(["cat-file", "blob", oid])
        .env("GIT_NO_REPLACE_OBJECTS", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .map_err(io_err("git cat-file"))?;
    if !out.status.success() {
        return Err(HarnessError::Git {
            args: format!("cat-file blob {oid}"),
            stderr: None,
        });
    }
    Ok(out.stdout)
}

/// True when `p` exists (for messages).
pub fn exists(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

/// Lines of stderr that betray a crash rather than a refusal (E4).
const CRASH_TRACES: &[&str] = &[
    "panicked at",
    "RUST_BACKTRACE",
    "Traceback (most recent call last)",
];

/// The hostile-input verdict of a step (`hostile = true`; E4, I5, K7,
/// Y2): a classified refusal that left the project as it was before the
/// step (`before`), or a success whose result is correct: for `status`
/// nothing written (K7); for the verbs that write, the asset named in
/// `hostile` has an entry, dest is a real directory reached without
/// links (Y2) and equals the tree at the recorded pin; for `remove`, dest
/// and entry are gone and the sibling `b` is intact. A timeout, a signal
/// or a crash trace fails either way. Returns the failures.
///
/// # Errors
/// git failures in the harness.
pub fn check_hostile(
    ws: &Workspace,
    ad: &Adapter,
    step: &Run,
    results: &[ProcResult],
    (before, ids_before): (&super::snapshot::Snapshot, &super::snapshot::Ids),
) -> HResult<Vec<Failure>> {
    use super::case::Verb;
    let mut f = Vec::new();
    let Some(r) = results.first() else {
        return Err(HarnessError::NoProcessResult);
    };
    if let Some(l) = r
        .stderr
        .lines()
        .find(|l| CRASH_TRACES.iter().any(|t| l.contains(t)))
    {
        f.push(
            Failure::new("crash trace", format!("crash trace on stderr (E4): {l:?}"))
                .expecting("no crash trace on stderr")
                .observing(format!("{l:?}"))
                .clause("E4"),
        );
    }
    let after = super::snapshot::snapshot(&ws.project, &[]);
    let mut changed = super::snapshot::diff(before, &after);
    // "Writes nothing" means nothing: equal bytes written again count.
    changed.extend(super::snapshot::rewritten(
        before,
        ids_before,
        &after,
        &super::snapshot::identities(&ws.project),
    ));
    match r.code {
        None if r.timed_out => f.push(
            Failure::new(
                "timeout",
                "timeout: the process was still running at the limit (E4)",
            )
            .expecting("an exit within the time limit")
            .observing("still running at the limit")
            .clause("E4"),
        ),
        None => f.push(
            Failure::new("exit", "killed by a signal (E4)")
                .expecting("an exit code")
                .observing("killed by a signal")
                .clause("E4"),
        ),
        Some(0) if step.verb == Verb::Status => {
            if !changed.is_empty() {
                f.push(
                    Failure::new(
                        "project unchanged",
                        format!("status wrote to the project (K7): {}", changed.join("; ")),
                    )
                    .expecting("no change to the project")
                    .observing(changed.join("; "))
                    .clause("K7"),
                );
            }
        }
        Some(0) if step.verb == Verb::Remove => {
            if let Some(super::case::Hostile {
                ty: Some(ty),
                name: Some(name),
                ..
            }) = &step.hostile
            {
                f.extend(check_removed_asset(ws, *ty, &ws.subst(name, &[])?)?);
            }
        }
        Some(0) => {
            if let Some(super::case::Hostile {
                ty: Some(ty),
                name: Some(name),
                ..
            }) = &step.hostile
            {
                let name = ws.subst(name, &[])?;
                let rel = format!(".memtomem/{ty}s/{name}");
                // I8: install --all leaves a present dest alone.
                let left_alone = step.verb == Verb::InstallAll
                    && before.contains_key(&rel)
                    && !changed.iter().any(|l| {
                        l.split_whitespace()
                            .nth(1)
                            .is_some_and(|p| p.starts_with(&rel))
                    });
                if !left_alone {
                    f.extend(check_written_asset(ws, *ty, &name)?);
                }
            }
        }
        Some(n) => {
            if ad.recognise_kind(&r.stderr).is_none() {
                f.push(
                    Failure::new(
                        "error kind",
                        format!("exit {n} without a classified error (E1, E4)"),
                    )
                    .expecting("a classified error on stderr")
                    .observing(format!("exit {n}, no error kind recognised")),
                );
            }
            let changed: Vec<String> = match &step.hostile {
                Some(h) if h.rollback => changed
                    .into_iter()
                    .filter(|l| !left_by_a_rollback(l))
                    .collect(),
                _ => changed,
            };
            if !changed.is_empty() {
                f.push(
                    Failure::new(
                        "project unchanged",
                        format!(
                            "refused, but the project changed (I5): {}",
                            changed.join("; ")
                        ),
                    )
                    .expecting("no change to the project")
                    .observing(changed.join("; "))
                    .clause("I5"),
                );
            }
        }
    }
    if !f.is_empty() {
        f.push(Failure::new(
            "observed",
            format!("    observed:\n{}", show(r)),
        ));
    }
    Ok(f)
}

/// Whether a change line is one a rolled-back write may leave: the same
/// content with a new identity (a rollback writes, then undoes), the
/// sidecar lock, a per-asset lock (K1, K3: never removed), or the
/// directories that hold them.
fn left_by_a_rollback(line: &str) -> bool {
    if line.starts_with("rewritten ") {
        return true;
    }
    let Some(p) = line.strip_prefix("created ") else {
        return false;
    };
    let lock = |f: &str| f.starts_with('.') && f.ends_with(".lock");
    match p.split('/').collect::<Vec<_>>().as_slice() {
        [".memtomem"] | [".memtomem", ".lock.json.lock"] => true,
        [".memtomem", section] => matches!(*section, "skills" | "agents" | "commands"),
        [".memtomem", section, f] => {
            matches!(*section, "skills" | "agents" | "commands") && lock(f)
        }
        _ => false,
    }
}

/// After a successful remove of `(ty, name)` in a hostile case (D1): no
/// dest, no entry, and the sibling `b` still installed at its pin.
fn check_removed_asset(
    ws: &Workspace,
    ty: super::case::AssetType,
    name: &str,
) -> HResult<Vec<Failure>> {
    let mut f = Vec::new();
    let dest = ws.project.join(format!(".memtomem/{ty}s/{name}"));
    if std::fs::symlink_metadata(&dest).is_ok() {
        f.push(
            Failure::new(
                format!("dest {ty} {name}"),
                format!("remove succeeded, but {} is still there", dest.display()),
            )
            .expecting("absent")
            .observing("present")
            .clause("D1"),
        );
    }
    match lockfile(ws) {
        Ok(Lockfile { doc, .. }) if doc.pointer(&format!("/{ty}s/{name}")).is_some() => {
            f.push(
                Failure::new(
                    format!("lockfile /{ty}s/{name}"),
                    format!("remove succeeded, but the entry of {ty} {name} is still there"),
                )
                .expecting("absent")
                .observing("present")
                .clause("D1"),
            );
        }
        Ok(_) => {}
        Err(m) => f.push(m),
    }
    f.extend(check_written_asset(ws, ty, "b")?);
    Ok(f)
}

/// After a successful write of `(ty, name)` in a hostile case: every
/// component from the project to dest is a real directory (Y2) and dest
/// equals the tree at the recorded pin.
fn check_written_asset(
    ws: &Workspace,
    ty: super::case::AssetType,
    name: &str,
) -> HResult<Vec<Failure>> {
    let section = format!("{ty}s");
    let mut p = ws.project.clone();
    for c in [".memtomem", section.as_str(), name] {
        p.push(c);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => {
                return Ok(vec![
                    Failure::new(
                        format!("dest path {}", p.display()),
                        format!(
                            "succeeded through the symbolic link {} (Y2: refuse with unsafe-path)",
                            p.display()
                        ),
                    )
                    .expecting("a directory, or a refusal with unsafe-path")
                    .observing("a symbolic link")
                    .clause("Y2"),
                ]);
            }
            _ => {
                return Ok(vec![
                    Failure::new(
                        format!("dest path {}", p.display()),
                        format!("succeeded, but {} is not a directory", p.display()),
                    )
                    .expecting("a directory")
                    .observing("not a directory"),
                ]);
            }
        }
    }
    let doc = match lockfile(ws) {
        Ok(Lockfile { doc, .. }) => doc,
        Err(m) => return Ok(vec![m]),
    };
    check_asset_as(
        ws,
        &doc,
        &AssetCheck {
            ty,
            name: name.to_owned(),
            matches_pin: true,
        },
        DestFiles::MayHoldMore,
    )
}
