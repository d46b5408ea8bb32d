//! The generated interleavings family (`k-interleave/*`; K1, K3, K4, K5):
//! every verb that writes ([`VERBS`]), parked at each of its lock points
//! ([`POINTS`]: waiting for the per-asset lock, holding nothing yet; or
//! for the sidecar lock), with something placed there: every verb again,
//! on the same asset or on another ([`Rest::Verb`]), a user's lock-free
//! change in dest ([`USERS`]), or a commit landing in the wiki. Each case
//! is held to a serial run of the same processes ([`super`]).
//!
//! Ids: `k-interleave/<first>@<lock>:<rest>`, e.g.
//! `k-interleave/remove@asset-lock:user-writes-in-its-directory`.

use crate::case::Case;
use crate::source::quoted;
use std::fmt::Write as _;

/// The case group (and id prefix) of the family.
pub const GROUP: &str = "k-interleave";

/// The state a verb needs its asset in before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not installed.
    Fresh,
    /// Installed at `c1`, the wiki at `c2`.
    Behind,
    /// Behind, with a local edit of its `SKILL.md`.
    Edited,
    /// An entry at `c1` and no dest.
    Missing,
    /// Dest equal to the asset at `c2` and no entry.
    Unrecorded,
}

impl State {
    /// Whether dest exists in this state.
    pub fn has_dest(self) -> bool {
        !matches!(self, State::Fresh | State::Missing)
    }
}

/// A verb that writes: id, the adapter verb, its arguments (`{x}` the
/// asset), the state it needs, and whether it is the reference's own (D).
#[derive(Debug, Clone, Copy)]
pub struct Verb {
    /// Short name used in case ids.
    pub id: &'static str,
    /// The adapter's verb.
    pub verb: &'static str,
    /// Arguments; `{x}` is the asset's name.
    pub args: &'static [&'static str],
    /// The state of its asset before it runs.
    pub state: State,
    /// Profile ext.
    pub ext: bool,
}

/// Every verb that writes dest or the lockfile.
pub const VERBS: &[Verb] = &[
    Verb {
        id: "install",
        verb: "install",
        args: &["skill", "{x}"],
        state: State::Fresh,
        ext: false,
    },
    Verb {
        id: "install-all",
        verb: "install-all",
        args: &[],
        state: State::Missing,
        ext: false,
    },
    Verb {
        id: "update",
        verb: "update",
        args: &["skill", "{x}"],
        state: State::Behind,
        ext: false,
    },
    Verb {
        id: "update-force",
        verb: "update",
        args: &["skill", "{x}", "--force"],
        state: State::Edited,
        ext: false,
    },
    Verb {
        id: "update-all",
        verb: "update-all",
        args: &["skill", "{x}", "--yes"],
        state: State::Behind,
        ext: false,
    },
    Verb {
        id: "adopt",
        verb: "adopt",
        args: &["skill", "{x}"],
        state: State::Unrecorded,
        ext: false,
    },
    Verb {
        id: "remove",
        verb: "remove",
        args: &["skill", "{x}"],
        state: State::Behind,
        ext: true,
    },
    Verb {
        id: "edit",
        verb: "edit",
        args: &[
            "skill",
            "{x}",
            "--expect-mtime-ns",
            "${var.m{x}}",
            "--content-file",
            "${home}/new-{x}.md",
        ],
        state: State::Behind,
        ext: false,
    },
];

/// A lock point: the lock the harness holds, what the first process may
/// hold while it waits there, the clause.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    /// Short name used in case ids.
    pub id: &'static str,
    /// The lock file (the case's `hold`).
    pub hold: &'static str,
    /// Whether the first process holds nothing while it waits (K3: the
    /// per-asset lock covers the whole operation), so whatever ran then
    /// came before it.
    pub holds_nothing: bool,
    /// The clause that puts the lock there.
    pub clause: &'static str,
}

/// The two lock points of the contract.
pub const POINTS: &[Point] = &[
    Point {
        id: "asset-lock",
        hold: ".memtomem/skills/.a.lock",
        holds_nothing: true,
        clause: "K3",
    },
    Point {
        id: "sidecar-lock",
        hold: ".memtomem/.lock.json.lock",
        holds_nothing: false,
        clause: "K1",
    },
];

/// A user's lock-free change in `a`'s dest while the first waits.
#[derive(Debug, Clone, Copy)]
pub struct User {
    /// Short name used in case ids.
    pub id: &'static str,
    /// The `while_held` action (TOML inline table).
    pub action: &'static str,
    /// It changes a dest that exists (else it would fail, or create one).
    pub needs_dest: bool,
    /// It is done from a shell standing in dest (`user_cwd`).
    pub in_cwd: bool,
    /// What the user made in dest before the first verb started (step
    /// lines; `""`: nothing), for a change to something of the user's.
    pub before: &'static str,
    /// `<verb>@<point>` that never reach the point over `before`'s state:
    /// the verb refuses first (remove over the user's entries, adopt over
    /// a file HEAD does not have), so nothing is placed there.
    pub stops: &'static [&'static str],
}

const DEST: &str = ".memtomem/skills/a";

/// The user's changes.
pub const USERS: &[User] = &[
    User {
        id: "user-writes-a-file",
        action: r#"{ action = "write", path = ".memtomem/skills/a/notes.md", text = "mine\n" }"#,
        needs_dest: false,
        in_cwd: false,
        before: "",
        stops: &[],
    },
    User {
        id: "user-changes-a-file",
        action: r#"{ action = "append", path = ".memtomem/skills/a/SKILL.md", text = "mine\n" }"#,
        needs_dest: true,
        in_cwd: false,
        before: "",
        stops: &[],
    },
    User {
        id: "user-deletes-a-file",
        action: r#"{ action = "delete", path = ".memtomem/skills/a/SKILL.md" }"#,
        needs_dest: true,
        in_cwd: false,
        before: "",
        stops: &[],
    },
    User {
        id: "user-adds-a-link",
        action: r#"{ action = "symlink", path = ".memtomem/skills/a/see.md", target = "SKILL.md" }"#,
        needs_dest: true,
        in_cwd: false,
        before: "",
        stops: &[],
    },
    User {
        id: "user-makes-a-directory",
        action: r#"{ action = "mkdir", path = ".memtomem/skills/a/notes" }"#,
        needs_dest: true,
        in_cwd: false,
        before: "",
        stops: &[],
    },
    User {
        id: "user-writes-in-its-directory",
        action: r#"{ action = "write", root = "user-cwd", path = "notes.md", text = "mine\n" }"#,
        needs_dest: true,
        in_cwd: true,
        before: "",
        stops: &[],
    },
    User {
        id: "user-deletes-a-link",
        action: r#"{ action = "delete", path = ".memtomem/skills/a/see.md" }"#,
        needs_dest: true,
        in_cwd: false,
        before: "action = \"symlink\"\npath = \".memtomem/skills/a/see.md\"\ntarget = \"SKILL.md\"",
        stops: &["remove@sidecar-lock"],
    },
    User {
        id: "user-changes-a-link",
        action: r#"{ action = "delete", path = ".memtomem/skills/a/see.md" }, { action = "symlink", path = ".memtomem/skills/a/see.md", target = "notes.md" }"#,
        needs_dest: true,
        in_cwd: false,
        before: "action = \"symlink\"\npath = \".memtomem/skills/a/see.md\"\ntarget = \"SKILL.md\"",
        stops: &["remove@sidecar-lock"],
    },
    User {
        id: "user-deletes-a-directory",
        action: r#"{ action = "delete", path = ".memtomem/skills/a/notes" }"#,
        needs_dest: true,
        in_cwd: false,
        before: "action = \"write\"\npath = \".memtomem/skills/a/notes/todo.md\"\ntext = \"mine\\n\"",
        stops: &[
            "remove@sidecar-lock",
            "adopt@asset-lock",
            "adopt@sidecar-lock",
        ],
    },
];

/// What is placed where the first process waits.
#[derive(Debug, Clone, Copy)]
pub enum Rest {
    /// Another verb, on the same asset (`a`) or on `b`.
    Verb(&'static Verb, bool),
    /// A user's change in `a`'s dest.
    User(&'static User),
    /// A commit changing `a` lands in the wiki (K4).
    Commit,
}

impl Rest {
    fn id(&self) -> String {
        match self {
            Rest::Verb(v, true) => format!("{}-same", v.id),
            Rest::Verb(v, false) => format!("{}-other", v.id),
            Rest::User(u) => u.id.to_owned(),
            Rest::Commit => "a-commit-lands".to_owned(),
        }
    }
}

/// Every (first, point, rest) of the family: a rest that needs `a`'s dest
/// only where the first's state has one; a same-asset verb whose own
/// preparation needs dest (edit) likewise.
pub fn combinations() -> Vec<(&'static Verb, &'static Point, Rest)> {
    let mut out = Vec::new();
    for v in VERBS {
        // An edit writes no lockfile (W1): it never takes the sidecar lock.
        for p in POINTS.iter().filter(|p| v.id != "edit" || p.holds_nothing) {
            let mut rests: Vec<Rest> = Vec::new();
            for w in VERBS {
                if w.id != "edit" || v.state.has_dest() {
                    rests.push(Rest::Verb(w, true));
                }
                rests.push(Rest::Verb(w, false));
            }
            let here = format!("{}@{}", v.id, p.id);
            rests.extend(
                USERS
                    .iter()
                    .filter(|u| !u.needs_dest || v.state.has_dest())
                    .filter(|u| !u.stops.contains(&here.as_str()))
                    .map(Rest::User),
            );
            rests.push(Rest::Commit);
            out.extend(rests.into_iter().map(|r| (v, p, r)));
        }
    }
    out
}

fn skill_md(x: &str, v: &str) -> String {
    format!("---\nname: {x}\ndescription: the skill {x}\n---\n{v}\n")
}

fn args_of(v: &Verb, x: &str) -> String {
    let a: Vec<String> = v
        .args
        .iter()
        .map(|s| quoted(&s.replace("{x}", x)))
        .collect();
    format!("[{}]", a.join(", "))
}

const INSTALL: &str = "[[step]]\nverb = \"install\"\nargs = [\"skill\", \"{x}\"]\n\n";

/// The case text for one (first, point, rest).
pub fn case_text(v: &Verb, p: &Point, r: Rest) -> String {
    // The assets and their states; `b` only for a verb on another asset.
    let mut assets = vec![("a", v.state)];
    let second = match r {
        Rest::Verb(w, same) => {
            if !same {
                assets.push(("b", w.state));
            }
            Some((w, if same { "a" } else { "b" }))
        }
        _ => None,
    };
    let ext = v.ext || second.is_some_and(|(w, _)| w.ext);
    let mut clauses = vec![p.clause];
    match r {
        Rest::Verb(_, false) => clauses.push("K5"),
        Rest::Commit => clauses.push("K4"),
        // The user's own entries are in dest before the verb runs.
        Rest::User(u) if !u.before.is_empty() => clauses.push("U2"),
        _ => {}
    }
    let summary = format!(
        "{} waiting for the {} while {}: the outcome is one a serial run gives",
        v.id,
        p.id.replace('-', " "),
        match r {
            Rest::Verb(w, true) => format!("{} of the same asset runs", w.id),
            Rest::Verb(w, false) => format!("{} of another asset runs", w.id),
            Rest::User(u) => u.id.replace('-', " "),
            Rest::Commit => "a commit changing the asset lands in the wiki".into(),
        }
    );
    let mut s = format!(
        "summary = {}\nclauses = [{}]\nprofile = \"{}\"\n\n[[wiki.commit]]\nlabel = \"c1\"\nfiles = [\n",
        quoted(&summary),
        clauses
            .iter()
            .map(|c| quoted(c))
            .collect::<Vec<_>>()
            .join(", "),
        if ext { "ext" } else { "core" },
    );
    for x in ["a", "b"] {
        let _ = writeln!(
            s,
            "  {{ path = \"skills/{x}/SKILL.md\", text = {} }},",
            quoted(&skill_md(x, "v1"))
        );
    }
    s.push_str("]\n\n[project]\nmarker = true\n\n");
    for (x, st) in &assets {
        if matches!(st, State::Behind | State::Edited | State::Missing) {
            s.push_str(&INSTALL.replace("{x}", x));
        }
    }
    s.push_str("[[step]]\naction = \"wiki-commit\"\ncommit = { label = \"c2\", files = [\n");
    for x in ["a", "b"] {
        let _ = writeln!(
            s,
            "  {{ path = \"skills/{x}/SKILL.md\", text = {} }},",
            quoted(&skill_md(x, "v2"))
        );
    }
    s.push_str("] }\n\n");
    for (x, st) in &assets {
        let md = format!(".memtomem/skills/{x}/SKILL.md");
        match st {
            State::Edited => {
                let _ = write!(
                    s,
                    "[[step]]\naction = \"append\"\npath = \"{md}\"\ntext = \"local edit\\n\"\n\n"
                );
            }
            State::Missing => {
                let _ = write!(
                    s,
                    "[[step]]\naction = \"delete\"\npath = \".memtomem/skills/{x}\"\n\n"
                );
            }
            State::Unrecorded => {
                let _ = write!(
                    s,
                    "[[step]]\naction = \"write\"\npath = \"{md}\"\ntext = {}\n\n",
                    quoted(&skill_md(x, "v2"))
                );
            }
            State::Fresh | State::Behind => {}
        }
    }
    if let Rest::User(u) = r
        && !u.before.is_empty()
    {
        let _ = write!(s, "[[step]]\n{}\n\n", u.before);
    }
    let verbs: Vec<(&Verb, &str)> = std::iter::once((v, "a")).chain(second).collect();
    if verbs.iter().any(|(w, _)| w.id == "update-all") {
        s.push_str("[[step]]\nverb = \"projects\"\nargs = [\"add\", \"${project}\"]\n\n");
    }
    for (w, x) in &verbs {
        if w.id == "edit" {
            let _ = write!(
                s,
                "[[step]]\naction = \"stat\"\npath = \".memtomem/skills/{x}/SKILL.md\"\ncapture = \"m{x}\"\n\n\
                 [[step]]\naction = \"write\"\nroot = \"home\"\npath = \"new-{x}.md\"\ntext = {}\n\n",
                quoted(&skill_md(x, "edited"))
            );
        }
    }
    let serial = if p.holds_nothing && !matches!(r, Rest::Commit) {
        "second-first"
    } else {
        "either"
    };
    let _ = write!(
        s,
        "[[step]]\nverb = \"{}\"\nargs = {}\nexit = \"any\"\nhold = \"{}\"\nserial = \"{serial}\"\ntimeout_secs = {}\n",
        v.verb,
        args_of(v, "a"),
        p.hold,
        super::super::hostile::TIME_LIMIT_SECS,
    );
    match r {
        Rest::Verb(w, same) => {
            let _ = writeln!(
                s,
                "second = {{ verb = \"{}\", args = {} }}",
                w.verb,
                args_of(w, if same { "a" } else { "b" })
            );
        }
        Rest::User(u) => {
            if u.in_cwd {
                let _ = writeln!(s, "user_cwd = \"{DEST}\"");
            }
            let _ = writeln!(s, "while_held = [{}]", u.action);
        }
        Rest::Commit => {
            let _ = writeln!(
                s,
                "while_held = [{{ action = \"wiki-commit\", commit = {{ label = \"c3\", files = [{{ path = \"skills/a/SKILL.md\", text = {} }}] }} }}]",
                quoted(&skill_md("a", "v3"))
            );
        }
    }
    s
}

/// Every case of the family, as (id, case-format text), in a stable order.
pub fn case_texts() -> Vec<(String, String)> {
    combinations()
        .into_iter()
        .map(|(v, p, r)| {
            (
                format!("{GROUP}/{}@{}:{}", v.id, p.id, r.id()),
                case_text(v, p, r),
            )
        })
        .collect()
}

/// The family, parsed.
///
/// # Errors
/// A generated text that does not parse (a bug in the table).
pub fn cases() -> Result<Vec<Case>, crate::source::CaseSetError> {
    crate::source::parse_all(case_texts())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every combination once, each valid against the contract, each
    /// held to a serial run.
    #[test]
    fn the_table_generates_valid_cases() {
        let cases = cases().unwrap_or_else(|e| panic!("{e}"));
        let n = combinations().len();
        // 8 verbs x 2 points x (16 verbs + 9 users + 1 commit), less the
        // same-asset edits and the dest-only users where the first's
        // asset has no dest (install, install --all: 2 x 2 x 9).
        // An edit is not parked at the sidecar lock (26 fewer); 5 users'
        // states stop the first before the point (`stops`).
        assert_eq!(USERS.len(), 9);
        assert_eq!(n, 8 * 2 * 26 - 2 * 2 * 9 - 26 - 5);
        crate::source::assert_valid_family(&cases, n);
        crate::source::assert_each_judged(&cases, |r| r.serial.is_some() && r.hold.is_some());
    }
}
