//! The portable profile's end-of-case checks (CONTRACT group P): a
//! skill's dest against a committed tree, manifest entries, and bytes
//! that must not appear anywhere in the project. Paths come from the
//! adapter's `[layout]`, so they hold for any installer's layout.

use super::adapter::Adapter;
use super::case::{DestCheck, Expect};
use super::check::{git_blob, skipped, tree_blobs};
use super::snapshot::{Node, snapshot};
use super::workspace::Workspace;
use crate::error::{HResult, HarnessError};
use crate::outcome::Failure;
use serde_json::Value;

/// Every portable expectation of `e` that fails, one message each.
///
/// # Errors
/// Harness failures (git, an undefined variable, a bad regex).
pub fn check(ws: &Workspace, ad: &Adapter, e: &Expect) -> HResult<Vec<Failure>> {
    let mut f = Vec::new();
    if !e.no_bytes.is_empty() {
        f.extend(no_bytes(ws, &e.no_bytes)?);
    }
    if !e.kept_bytes.is_empty() {
        f.extend(kept_bytes(ws, &e.kept_bytes)?);
    }
    for d in &e.dests {
        if let Some(m) = dest(ws, ad, d)? {
            f.push(m);
        }
    }
    if !e.manifest_entries.is_empty() {
        f.extend(manifest_entries(ws, ad, &e.manifest_entries)?);
    }
    if !e.entries_if_manifest.is_empty() && ad.spec.layout.manifest.is_some() {
        f.extend(manifest_entries(ws, ad, &e.entries_if_manifest)?);
    }
    Ok(f)
}

/// D2: for each of `texts`, some regular file of the project holds exactly
/// those bytes, wherever it is (dest, or a copy set aside).
fn kept_bytes(ws: &Workspace, texts: &[String]) -> HResult<Vec<Failure>> {
    let snap = snapshot(&ws.project, &[]);
    let mut f = Vec::new();
    for t in texts {
        let t = ws.subst(t, &[])?;
        let kept = snap
            .values()
            .any(|n| matches!(n, Node::File(_, bytes) if bytes == t.as_bytes()));
        if !kept {
            f.push(
                Failure::new(
                    "kept_bytes",
                    format!("no file of the project holds {t:?}: a user's bytes were lost (D2)"),
                )
                .expecting(format!("a file holding {t:?}"))
                .observing("none")
                .clause("D2"),
            );
        }
    }
    Ok(f)
}

/// P2, P5: no regular file of the project holds one of `texts` (read from a
/// no-follow snapshot, so a planted link is not what is judged).
fn no_bytes(ws: &Workspace, texts: &[String]) -> HResult<Vec<Failure>> {
    let snap = snapshot(&ws.project, &[]);
    let mut f = Vec::new();
    for t in texts {
        let t = ws.subst(t, &[])?;
        for (rel, node) in &snap {
            match node {
                Node::File(_, bytes)
                    if bytes.windows(t.len().max(1)).any(|w| w == t.as_bytes()) =>
                {
                    f.push(
                        Failure::new(
                            format!("no_bytes {rel}"),
                            format!("{rel}: holds {t:?}, bytes that must not land in the project"),
                        )
                        .expecting(format!("no {t:?}"))
                        .observing(format!("holds {t:?}")),
                    );
                }
                // Never passed unread: a file this large could hold it.
                Node::Large { size, .. } => f.push(
                    Failure::new(
                        format!("no_bytes {rel}"),
                        format!(
                            "{rel}: {size} bytes, more than the harness reads ({} bytes), so it \
                             cannot show that {t:?} is not there",
                            super::snapshot::READ_CAP
                        ),
                    )
                    .expecting(format!(
                        "at most {} bytes, read for {t:?}",
                        super::snapshot::READ_CAP
                    ))
                    .observing(format!("{size} bytes")),
                ),
                _ => {}
            }
        }
    }
    Ok(f)
}

/// P7, P9: `${dest.<name>}` holds exactly the skill's regular files at
/// one of the commits, byte for byte.
fn dest(ws: &Workspace, ad: &Adapter, d: &DestCheck) -> HResult<Option<Failure>> {
    let rel = ws.subst(&format!("${{dest.{}}}", d.name), &[])?;
    let mut at = ws.project.join(&rel);
    // A tool may install dest as a link into a store of its own inside
    // the project; what dest shows is then the store's tree.
    if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
        match (
            std::fs::canonicalize(&at),
            std::fs::canonicalize(&ws.project),
        ) {
            (Ok(t), Ok(p)) if t.starts_with(&p) => at = t,
            _ => {
                return Ok(Some(
                    Failure::new(
                        format!("dest {rel}"),
                        format!("dest {rel}: a link that leads out of the project"),
                    )
                    .expecting("a directory in the project")
                    .observing("a link that leads out of the project"),
                ));
            }
        }
    }
    let snap = snapshot(&at, &[]);
    if snap.is_empty() {
        return Ok(Some(
            Failure::new(format!("dest {rel}"), format!("dest {rel}: missing"))
                .expecting("the skill's files")
                .observing("missing"),
        ));
    }
    let got: Vec<(&String, &Node)> = snap
        .iter()
        .filter(|(p, n)| {
            // P2: a committed link may be left out or kept as a link; the
            // committed tree's links are left out of `want` likewise.
            !matches!(n, Node::Dir(_) | Node::Link(_))
                && !skipped(p)
                && !ad.dest_extra.iter().any(|r| r.is_match(p))
        })
        .collect();
    let mut tried = Vec::new();
    for label in &d.commit {
        let commit = ws.subst(&format!("${{commit.{label}}}"), &[])?;
        let want = tree_blobs(ws, &commit, &format!("skills/{}/", d.name))?;
        let names: Vec<&String> = got.iter().map(|(p, _)| *p).collect();
        if names != want.keys().collect::<Vec<_>>() {
            tried.push(format!(
                "{label} holds {}",
                listed(want.keys().map(String::as_str))
            ));
            continue;
        }
        let mut same = true;
        for ((p, node), oid) in got.iter().zip(want.values()) {
            if ad.spec.layout.rewritten.contains(p) {
                same &= node.is_regular();
                continue;
            }
            let blob = git_blob(ws, oid)?;
            if !matches!(node, Node::File(_, b) if *b == blob) {
                same = false;
                break;
            }
        }
        if same {
            return Ok(None);
        }
        tried.push(format!("{label}: same names, other bytes"));
    }
    let holds = listed(got.iter().map(|(p, _)| p.as_str()));
    Ok(Some(
        Failure::new(
            format!("dest {rel}"),
            format!(
                "dest {rel}: holds {holds}, which is no committed tree of skill {} ({})",
                d.name,
                tried.join("; ")
            ),
        )
        .expecting(format!(
            "the tree of skill {} at one of {}",
            d.name,
            d.commit.join(", ")
        ))
        .observing(holds),
    ))
}

/// Names as a list for a message, at most 20 of them (a tool that
/// follows a link loop leaves thousands).
fn listed<'a>(names: impl ExactSizeIterator<Item = &'a str>) -> String {
    let n = names.len();
    let shown: Vec<&str> = names.take(20).collect();
    if n > shown.len() {
        format!("{shown:?} and {} more", n - shown.len())
    } else {
        format!("{shown:?}")
    }
}

/// P7: the manifest holds an entry for each skill, found by the layout's
/// JSON pointer or regex.
fn manifest_entries(ws: &Workspace, ad: &Adapter, names: &[String]) -> HResult<Vec<Failure>> {
    let l = &ad.spec.layout;
    let Some(m) = &l.manifest else {
        return Err(HarnessError::Adapter(format!(
            "adapter {} declares no layout.manifest (the case needs the feature manifest)",
            ad.spec.name
        )));
    };
    let rel = ws.subst(m, &[])?;
    let mut p = ws.project.join(&rel);
    // A manifest written through a link that stays in the case's project
    // or $HOME (P1 allows it) is read where the link leads.
    if std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink())
        && let Ok(t) = std::fs::canonicalize(&p)
        && [&ws.project, &ws.home]
            .iter()
            .any(|r| std::fs::canonicalize(r).is_ok_and(|r| t.starts_with(r)))
    {
        p = t;
    }
    // Read as every file a tool left is: a planted FIFO would hang the
    // harness.
    let check = format!("manifest {rel}");
    let fail = |what: &str, expected: &str, observed: String| {
        Failure::new(check.clone(), format!("{check}: {what}"))
            .expecting(expected)
            .observing(observed)
    };
    let text = match super::snapshot::read_left(&p) {
        Ok(b) => String::from_utf8(b)
            .map_err(|e| fail(&format!("not UTF-8: {e}"), "UTF-8 text", e.to_string())),
        Err(super::snapshot::LeftReadError::Missing) => {
            Err(fail("missing", "a regular file", "missing".into()))
        }
        Err(e) => Err(fail(
            &e.to_string(),
            "a regular file the harness can read",
            e.to_string(),
        )),
    };
    let text = match text {
        // A byte order mark is no entry's business (P8 lets a tool accept one).
        Ok(t) => t.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(t),
        Err(m) => return Ok(vec![m]),
    };
    let mut f = Vec::new();
    if let Some(ptr) = &l.manifest_entry {
        let doc: Value = match serde_json::from_str(&text) {
            Ok(d) => d,
            Err(e) => {
                return Ok(vec![fail(&format!("not JSON: {e}"), "JSON", e.to_string())]);
            }
        };
        for n in names {
            let n = ws.subst(n, &[])?;
            let at = ws.subst(ptr, &[("name", &n)])?;
            if doc.pointer(&at).is_none() {
                f.push(fail(
                    &format!("no entry at {at} for skill {n}"),
                    &format!("an entry at {at}"),
                    "nothing".into(),
                ));
            }
        }
    } else if let Some(re) = &l.manifest_matches {
        for n in names {
            let n = ws.subst(n, &[])?;
            let pat = ws.subst(re, &[("name", &regex::escape(&n))])?;
            let rx = regex::Regex::new(&pat).map_err(|e| {
                HarnessError::Adapter(format!("adapter layout.manifest_matches {pat:?}: {e}"))
            })?;
            if !rx.is_match(&text) {
                f.push(fail(
                    &format!("no entry for skill {n} (/{pat}/)"),
                    &format!("a match for /{pat}/"),
                    "no match".into(),
                ));
            }
        }
    }
    Ok(f)
}

/// The manifest's path in the case, when the adapter declares one.
///
/// # Errors
/// An undefined variable in the layout.
pub fn manifest_path(ws: &Workspace, ad: &Adapter) -> HResult<Option<std::path::PathBuf>> {
    match &ad.spec.layout.manifest {
        Some(m) => Ok(Some(ws.project.join(ws.subst(m, &[])?))),
        None => Ok(None),
    }
}

/// What is at the manifest's path, links not followed (empty: nothing),
/// for [`check_whole`]'s `manifest_kept`.
///
/// # Errors
/// An undefined variable in the layout.
pub fn manifest_state(ws: &Workspace, ad: &Adapter) -> HResult<super::snapshot::Snapshot> {
    Ok(manifest_path(ws, ad)?
        .map(|p| snapshot(&p, &[]))
        .unwrap_or_default())
}

/// What the portable verdict compares a failure with: dest's and the
/// manifest's snapshots (links not followed) before the step.
///
/// # Errors
/// An undefined variable.
pub fn whole_before(
    ws: &Workspace,
    ad: &Adapter,
    w: &crate::case::Whole,
) -> HResult<(super::snapshot::Snapshot, super::snapshot::Snapshot)> {
    let rel = ws.subst(&format!("${{dest.{}}}", w.name), &[])?;
    let manifest = if w.manifest_kept {
        manifest_state(ws, ad)?
    } else {
        Default::default()
    };
    Ok((snapshot(&ws.project.join(rel), &[]), manifest))
}

/// The portable verdict of a step ([`crate::case::Whole`]; P8, P9, P10):
/// a success leaves dest a committed tree of the skill and the manifest
/// entries asked for; a failure says so on stderr and leaves dest as
/// `dest_before` or a committed tree, and the manifest as
/// `manifest_before` (when `manifest_kept`). Both are taken before the
/// step by [`whole_before`].
///
/// # Errors
/// Harness failures (git, an undefined variable).
pub fn check_whole(
    ws: &Workspace,
    ad: &Adapter,
    w: &crate::case::Whole,
    r: &super::exec::ProcResult,
    (dest_before, manifest_before): (&super::snapshot::Snapshot, &super::snapshot::Snapshot),
) -> HResult<Vec<Failure>> {
    let d = DestCheck {
        name: w.name.clone(),
        commit: w.commit.clone(),
    };
    let mut f = Vec::new();
    if r.code == Some(0) {
        // A dest that is no committed tree is P9's; a missing entry is
        // judged under the case's own clauses (P7, P8 or P10).
        f.extend(dest(ws, ad, &d)?.map(|m| m.clause("P9")));
        if ad.spec.layout.manifest.is_some() && !w.entries.is_empty() {
            f.extend(manifest_entries(ws, ad, &w.entries)?);
        }
        return Ok(f);
    }
    if r.stderr.trim().is_empty() {
        f.push(
            Failure::new("stderr", "the step failed without a word on stderr (P10)")
                .expecting("a message on stderr")
                .observing("nothing")
                .clause("P10"),
        );
    }
    let rel = ws.subst(&format!("${{dest.{}}}", w.name), &[])?;
    if snapshot(&ws.project.join(&rel), &[]) != *dest_before
        && let Some(m) = dest(ws, ad, &d)?
    {
        f.push(
            m.clause("P9")
                .expecting("after a failure: dest as it was, or a committed tree"),
        );
    }
    if w.manifest_kept {
        let now = manifest_state(ws, ad)?;
        let changes = super::snapshot::diff(manifest_before, &now);
        if !changes.is_empty() {
            f.push(
                Failure::new(
                    "manifest kept",
                    format!(
                        "the install failed but changed the manifest (P8): {}",
                        changes.join("; ")
                    ),
                )
                .expecting("the manifest as it was")
                .observing(changes.join("; "))
                .clause("P8"),
            );
        }
    }
    Ok(f)
}
