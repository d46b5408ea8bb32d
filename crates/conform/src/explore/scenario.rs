//! Random scenarios for `--explore` ([`super`]): a wiki with skills `a`
//! and `b`, then a sequence of [`Op`]s (verbs, a user's changes in dest,
//! commits landing in the wiki), written as a case in the case format so
//! that the runner's own steps run it and a found divergence is a case
//! file already.

use crate::source::quoted;
use std::fmt::Write as _;

/// The skills a scenario uses.
pub const ASSETS: [&str; 2] = ["a", "b"];

/// One step of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `install skill <x>`.
    Install(&'static str),
    /// `update skill <x>`, with `--force` when true.
    Update(&'static str, bool),
    /// `remove skill <x>` (profile ext).
    Remove(&'static str),
    /// `install --all`.
    InstallAll,
    /// `adopt skill <x>`.
    Adopt(&'static str),
    /// The user writes `file` in `x`'s dest (parents created).
    UserWrite(&'static str, &'static str),
    /// The user deletes `file` of `x`'s dest (or dest itself: `""`).
    UserDelete(&'static str, &'static str),
    /// A commit lands: `x`'s `SKILL.md` becomes version `n`, and with
    /// `extra` a file `docs/n<n>.md` is added.
    Commit(&'static str, u32, bool),
}

impl Op {
    /// The adapter verb it runs, if any.
    pub fn verb(&self) -> Option<&'static str> {
        Some(match self {
            Op::Install(_) => "install",
            Op::Update(..) => "update",
            Op::Remove(_) => "remove",
            Op::InstallAll => "install-all",
            Op::Adopt(_) => "adopt",
            _ => return None,
        })
    }

    /// How a report names it.
    pub fn describe(&self) -> String {
        match self {
            Op::Install(x) => format!("install {x}"),
            Op::Update(x, false) => format!("update {x}"),
            Op::Update(x, true) => format!("update {x} --force"),
            Op::Remove(x) => format!("remove {x}"),
            Op::InstallAll => "install --all".into(),
            Op::Adopt(x) => format!("adopt {x}"),
            Op::UserWrite(x, f) => format!("user writes {x}/{f}"),
            Op::UserDelete(x, "") => format!("user deletes dest {x}"),
            Op::UserDelete(x, f) => format!("user deletes {x}/{f}"),
            Op::Commit(x, n, e) => {
                format!(
                    "commit {x} v{n}{}",
                    if *e { " with a new file" } else { "" }
                )
            }
        }
    }
}

/// A scenario: its steps (the wiki starts with `a` and `b` at `c1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// The steps, in order.
    pub ops: Vec<Op>,
}

/// Draws a scenario of 3 to `max_len` steps from `rng`, using only the
/// verbs in `verbs` (what the adapter under test claims).
pub fn generate(rng: &mut fastrand::Rng, verbs: &[&str], max_len: usize) -> Scenario {
    let len = rng.usize(3..=max_len.max(3));
    let mut ops = Vec::with_capacity(len);
    let mut version = 1;
    // Most scenarios start from an installed skill: the verbs then have
    // something to act on.
    if verbs.contains(&"install") && rng.u8(0..4) > 0 {
        ops.push(Op::Install(pick(rng)));
    }
    while ops.len() < len {
        let x = pick(rng);
        let op = match rng.u8(0..12) {
            0 | 1 => Op::Install(x),
            2 | 3 => Op::Update(x, rng.bool()),
            4 => Op::Remove(x),
            5 => Op::InstallAll,
            6 => Op::Adopt(x),
            7 => Op::UserWrite(x, if rng.bool() { "SKILL.md" } else { "notes.md" }),
            8 => Op::UserDelete(x, if rng.bool() { "SKILL.md" } else { "" }),
            _ => {
                version += 1;
                Op::Commit(x, version, rng.bool())
            }
        };
        if op.verb().is_none_or(|v| verbs.contains(&v)) {
            ops.push(op);
        }
    }
    Scenario { ops }
}

fn pick(rng: &mut fastrand::Rng) -> &'static str {
    ASSETS[rng.usize(0..ASSETS.len())]
}

fn skill_md(x: &str, v: u32) -> String {
    format!("---\nname: {x}\ndescription: the skill {x}\n---\nv{v}\n")
}

/// What a step of the written case expects (from the oracle's run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepExpect {
    /// `exit = ...` (an [`crate::case::ExitClass`] spelling).
    pub exit: &'static str,
    /// `kind = ...`, when the oracle's refusal named one.
    pub kind: Option<String>,
}

/// The scenario as a case file. `expects` (one per verb step, from the
/// oracle) and `tail` (the `[expect]` table) make it a reproducer; without
/// them every verb step is `exit = "any"` (a probe).
pub fn case_text(
    s: &Scenario,
    summary: &str,
    expects: Option<&[StepExpect]>,
    tail: &str,
) -> String {
    let profile = if s.ops.iter().any(|o| matches!(o, Op::Remove(_))) {
        "ext"
    } else {
        "core"
    };
    let mut clauses: Vec<&str> = s
        .ops
        .iter()
        .filter_map(|o| {
            Some(match o {
                Op::Install(_) => "I4",
                Op::Update(..) => "U3",
                Op::Remove(_) => "D1",
                Op::InstallAll => "I8",
                Op::Adopt(_) => "I4",
                _ => return None,
            })
        })
        .collect();
    clauses.sort_unstable();
    clauses.dedup();
    let mut t = format!(
        "summary = {}\nclauses = [{}]\nprofile = \"{profile}\"\n\n[[wiki.commit]]\nlabel = \"c1\"\nfiles = [\n",
        quoted(summary),
        clauses
            .iter()
            .map(|c| quoted(c))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for x in ASSETS {
        let _ = writeln!(
            t,
            "  {{ path = \"skills/{x}/SKILL.md\", text = {} }},",
            quoted(&skill_md(x, 1))
        );
    }
    t.push_str("]\n\n[project]\nmarker = true\n");
    let mut k = 0;
    for op in &s.ops {
        t.push('\n');
        match op {
            Op::UserWrite(x, f) => {
                let _ = write!(
                    t,
                    "[[step]]\naction = \"write\"\npath = \".memtomem/skills/{x}/{f}\"\ntext = \"the user's\\n\"\n"
                );
            }
            Op::UserDelete(x, f) => {
                let p = if f.is_empty() {
                    format!(".memtomem/skills/{x}")
                } else {
                    format!(".memtomem/skills/{x}/{f}")
                };
                let _ = write!(t, "[[step]]\naction = \"delete\"\npath = \"{p}\"\n");
            }
            Op::Commit(x, n, extra) => {
                let _ = write!(
                    t,
                    "[[step]]\naction = \"wiki-commit\"\ncommit = {{ label = \"c{n}\", files = [{{ path = \"skills/{x}/SKILL.md\", text = {} }}",
                    quoted(&skill_md(x, *n))
                );
                if *extra {
                    let _ = write!(
                        t,
                        ", {{ path = \"skills/{x}/docs/n{n}.md\", text = \"page {n}\\n\" }}"
                    );
                }
                t.push_str("] }\n");
            }
            _ => {
                let (verb, args) = match op {
                    Op::Install(x) => ("install", format!("[\"skill\", \"{x}\"]")),
                    Op::Update(x, false) => ("update", format!("[\"skill\", \"{x}\"]")),
                    Op::Update(x, true) => ("update", format!("[\"skill\", \"{x}\", \"--force\"]")),
                    Op::Remove(x) => ("remove", format!("[\"skill\", \"{x}\"]")),
                    Op::Adopt(x) => ("adopt", format!("[\"skill\", \"{x}\"]")),
                    _ => ("install-all", "[]".to_owned()),
                };
                // A tool that hangs costs a scenario seconds, not the
                // adapter's whole time limit per step.
                let _ = write!(
                    t,
                    "[[step]]\nverb = \"{verb}\"\nargs = {args}\ntimeout_secs = {}\n",
                    crate::hostile::TIME_LIMIT_SECS
                );
                match expects.and_then(|e| e.get(k)) {
                    Some(e) => {
                        let _ = writeln!(t, "exit = \"{}\"", e.exit);
                        if let Some(kind) = &e.kind {
                            let _ = writeln!(t, "kind = {}", quoted(kind));
                        }
                    }
                    None => t.push_str("exit = \"any\"\n"),
                }
                k += 1;
            }
        }
    }
    t.push_str(tail);
    t
}

/// The scenarios one step shorter than `s` (each step left out once,
/// last first), for shrinking.
pub fn shorter(s: &Scenario) -> Vec<Scenario> {
    (0..s.ops.len())
        .rev()
        .map(|i| {
            let mut ops = s.ops.clone();
            ops.remove(i);
            Scenario { ops }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every generated scenario is a valid case, with only the verbs
    /// given; a seed gives the same scenario again.
    #[test]
    fn scenarios_are_valid_cases() {
        let clauses = assetpin_contract::contract_clauses();
        for seed in 0..200 {
            let verbs = ["install", "update", "install-all", "adopt"];
            let s = generate(&mut fastrand::Rng::with_seed(seed), &verbs, 8);
            assert_eq!(s, generate(&mut fastrand::Rng::with_seed(seed), &verbs, 8));
            assert!(!s.ops.iter().any(|o| matches!(o, Op::Remove(_))));
            let text = case_text(&s, "probe", None, "");
            let cases = crate::source::parse_all(vec![("x/probe".into(), text)])
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            assert!(cases[0].validate(&clauses).is_empty(), "seed {seed}");
        }
        assert_eq!(
            shorter(&Scenario {
                ops: vec![Op::InstallAll, Op::Install("a")]
            })[0]
                .ops,
            [Op::InstallAll]
        );
    }
}
