//! What the user keeps (a step's `keeps`; CONTRACT U3, D2, I8, W1, I5):
//! entries of the project a step must neither lose nor change silently.
//! Each listed path, and everything below it, is recorded before the step
//! and looked for after it, where it was or kept aside anywhere in the
//! project (a `.bak`, `.memtomem/removed/...`):
//!
//! * a regular file: a regular file with the same bytes, at its own path
//!   or at a path that did not hold those bytes before (so a second hard
//!   link elsewhere, or a copy the case made, never stands in for it);
//! * a symbolic link: a link with the same target, likewise;
//! * a directory, FIFO, socket or device: the same inode (left where it
//!   was, or moved whole), or an entry of the same kind whose name begins
//!   with its name (kept aside as `<name>.bak`).
//!
//! A file rewritten where it stands with no copy of its old bytes
//! anywhere, or an entry gone, fails the step.

use super::snapshot::{Ids, Node, Snapshot, identities, snapshot};
use super::workspace::Workspace;
use crate::error::{HResult, HarnessError};
use crate::outcome::Failure;

/// One recorded entry.
#[derive(Debug, Clone)]
pub struct Kept {
    /// Its path relative to the project.
    pub path: String,
    /// What it was.
    pub node: Node,
    /// Its inode.
    pub ino: u64,
}

/// Records `keeps` (variables substituted) and everything below each, from
/// the project's snapshot and identities taken before the step.
///
/// # Errors
/// A path that names nothing before the step (a case that keeps nothing
/// would pass vacuously), or an unknown variable.
pub fn record(
    ws: &Workspace,
    keeps: &[String],
    before: &Snapshot,
    ids: &Ids,
) -> HResult<Vec<Kept>> {
    let mut out = Vec::new();
    for k in keeps {
        let p = ws.subst(k, &[])?;
        let below = format!("{p}/");
        let n0 = out.len();
        for (path, node) in before.range(p.clone()..) {
            if !path.starts_with(&p) {
                break;
            }
            if *path == p || path.starts_with(&below) {
                out.push(Kept {
                    path: path.clone(),
                    node: node.clone(),
                    ino: ids.get(path).map_or(0, |i| i.0),
                });
            }
        }
        if out.len() == n0 {
            return Err(HarnessError::Case(format!(
                "keeps names {p:?}, which is not in the project before the step"
            )));
        }
    }
    Ok(out)
}

/// The recorded entries not found after the step, as failures.
pub fn check(ws: &Workspace, kept: &[Kept], before: &Snapshot) -> Vec<Failure> {
    let after = snapshot(&ws.project, &[]);
    let ids = identities(&ws.project);
    let mut lost = Vec::new();
    for k in kept {
        if !found(k, before, &after, &ids) {
            lost.push(format!("{} ({})", k.path, what(&k.node)));
        }
    }
    if lost.is_empty() {
        return Vec::new();
    }
    let l = lost.join(", ");
    vec![
        Failure::new(
            "the user's entries kept",
            format!("lost or changed, with no copy kept anywhere in the project: {l}"),
        )
        .expecting("each where it was, or kept aside (a .bak, .memtomem/removed/), or a refusal")
        .observing(format!("gone: {l}")),
    ]
}

fn found(k: &Kept, before: &Snapshot, after: &Snapshot, ids: &Ids) -> bool {
    // A path that held an equal node before the step is not the user's
    // entry kept aside (a hard link's other name, a file with the same
    // bytes), unless it is the entry's own path.
    let new_or_own = |q: &str| q == k.path || before.get(q) != Some(&k.node);
    match &k.node {
        Node::File(_, bytes) => after
            .iter()
            .any(|(q, n)| matches!(n, Node::File(_, b) if b == bytes) && new_or_own(q)),
        // Never read: untouched where it was (same inode and change
        // time), or the same inode and size moved elsewhere.
        Node::Large { size, id, .. } => after.iter().any(|(q, n)| match n {
            Node::Large { size: s, id: i, .. } if *q == k.path => s == size && i == id,
            Node::Large { size: s, id: i, .. } => s == size && i.0 == id.0 && new_or_own(q),
            _ => false,
        }),
        Node::Link(t) => after
            .iter()
            .any(|(q, n)| matches!(n, Node::Link(u) if u == t) && new_or_own(q)),
        Node::Dir(_) | Node::Other(_) => {
            let name = k.path.rsplit('/').next().unwrap_or(&k.path);
            after.iter().any(|(q, n)| {
                same_kind(n, &k.node)
                    && (ids.get(q).is_some_and(|i| i.0 == k.ino)
                        || q.rsplit('/').next().is_some_and(|b| b.starts_with(name)))
            })
        }
    }
}

fn same_kind(a: &Node, b: &Node) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn what(n: &Node) -> &'static str {
    match n {
        Node::Dir(_) => "a directory",
        Node::File(..) | Node::Large { .. } => "a file",
        Node::Link(_) => "a symbolic link",
        Node::Other(_) => "a FIFO, socket or device",
    }
}
