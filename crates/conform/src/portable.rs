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
            !matches!(n, Node::Dir(_))
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
                "{label} holds {:?}",
                want.keys().collect::<Vec<_>>()
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
    let holds = format!(
        "{:?}",
        got.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>()
    );
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
    let p = ws.project.join(&rel);
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
        Ok(t) => t,
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
