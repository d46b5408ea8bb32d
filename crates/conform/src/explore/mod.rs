//! `assetpin conform --explore`: random scenarios ([`scenario`]) run
//! against the implementation under test and against an oracle (the
//! reference, this binary), compared step by step; a divergence is shrunk
//! (steps left out while it persists) and written out as a case file that
//! passes against the oracle and fails against the implementation.
//!
//! What is compared ([`Trace`]): each verb's outcome (done, or refused
//! with the kind the adapter recognises; an unrecognised kind is not
//! compared), whether each user action could be done, and at the end the
//! assets' dests (bytes, modes, links; lock files aside) and the pin each
//! lockfile entry records. Against the reference itself the comparison
//! is with a second run of the same scenario (the reference is the
//! oracle): it finds nondeterminism, and the run still checks the
//! invariants ([`invariants`]) of every final state.

pub mod scenario;

use crate::adapter::Adapter;
use crate::case::{Case, Step};
use crate::error::{HResult, HarnessError};
use crate::exec;
use crate::snapshot::{Node, Snapshot};
use scenario::{Scenario, StepExpect};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What `--explore` is given.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The seed of the first scenario (each next one is `seed + k`).
    pub seed: u64,
    /// How many scenarios at most.
    pub scenarios: usize,
    /// Stop starting new scenarios after this long.
    pub seconds: Option<u64>,
    /// The longest scenario (steps).
    pub max_len: usize,
    /// Where a found case is written.
    pub out: PathBuf,
}

/// What one run of a scenario showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// Per step: its description and outcome (`ok`, `refused <kind>`,
    /// `refused`, `killed`, `done`, `failed` for an action).
    pub steps: Vec<(String, String)>,
    /// The dests and the recorded pins at the end.
    pub end: Snapshot,
    /// The oracle's reading of each verb step, for a written case.
    pub expects: Vec<StepExpect>,
    /// The commit ids by label (`c1` ...), to name pins in a written case.
    pub commits: Vec<(String, String)>,
}

/// How a divergence is reported.
#[derive(Debug, Clone)]
pub struct Found {
    /// The shrunk scenario.
    pub scenario: Scenario,
    /// What differs, one line each.
    pub differences: Vec<String>,
    /// The case file written.
    pub file: PathBuf,
    /// The scenario's length before shrinking.
    pub original_len: usize,
    /// The written case passed against the oracle and failed against the
    /// implementation when run.
    pub verified: bool,
}

/// The result of an exploration.
#[derive(Debug)]
pub struct Explored {
    /// Scenarios run.
    pub ran: usize,
    /// The first divergence, shrunk, if one was found.
    pub found: Option<Found>,
    /// Final states that broke an invariant (scenario seed, what).
    pub broken: Vec<(u64, String)>,
}

/// Runs `s` against `ad` in fresh directories and observes it.
///
/// # Errors
/// Harness failures (a process that cannot start, a wiki git refused).
pub fn observe(s: &Scenario, ad: &Adapter) -> HResult<Trace> {
    let text = scenario::case_text(s, "explore", None, "");
    let case = parse_one(&text)?;
    let mut ws = crate::runner::setup(&case, ad)?;
    exec::run_setup(&ws, ad)?;
    let mut steps = Vec::new();
    let mut expects = Vec::new();
    let mut ops = s.ops.iter().filter(|o| o.verb().is_none());
    let mut verbs = s.ops.iter().filter(|o| o.verb().is_some());
    for (n, step) in case.steps.iter().enumerate() {
        match step {
            Step::Action(a) => {
                let what = ops.next().map(scenario::Op::describe).unwrap_or_default();
                let done = exec::run_action(&mut ws, a, n).is_ok();
                steps.push((what, if done { "done" } else { "failed" }.to_owned()));
            }
            Step::Run(r) => {
                let what = verbs.next().map(scenario::Op::describe).unwrap_or_default();
                let res = exec::run_verb(&ws, ad, r)?;
                let p = res
                    .first()
                    .ok_or_else(|| HarnessError::Case("no process".into()))?;
                let kind = (p.code != Some(0))
                    .then(|| ad.recognise_kind(&p.stderr))
                    .flatten();
                let (shown, exit) = match (p.code, &kind) {
                    (Some(0), _) => ("ok".to_owned(), "ok"),
                    (Some(3), _) => (refused(&kind), "conflict"),
                    (Some(2), _) => (refused(&kind), "usage"),
                    (Some(1), _) => (refused(&kind), "refused"),
                    (Some(_), _) => (refused(&kind), "nonzero"),
                    (None, _) => ("killed".to_owned(), "any"),
                };
                steps.push((what, shown));
                expects.push(StepExpect { exit, kind });
            }
        }
    }
    let commits = ws
        .vars
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("commit.").map(|l| (l.to_owned(), v.clone())))
        .collect();
    Ok(Trace {
        steps,
        end: contract_view(&ws.project),
        expects,
        commits,
    })
}

fn refused(kind: &Option<String>) -> String {
    match kind {
        Some(k) => format!("refused {k}"),
        None => "refused".into(),
    }
}

fn parse_one(text: &str) -> HResult<Case> {
    let mut cases = crate::source::parse_all(vec![("explore/scenario".into(), text.to_owned())])
        .map_err(|e| HarnessError::Case(e.to_string()))?;
    cases
        .pop()
        .ok_or_else(|| HarnessError::Case("no case".into()))
}

/// The part of a project the contract decides: what lies in
/// `.memtomem/skills/` (lock files aside) and each entry's recorded pin
/// (as `.memtomem/lock.json#<section>/<name>`, and `.memtomem/lock.json#`
/// when there is a lockfile at all); the lockfile's other
/// fields and layout are left to the other cases.
pub fn contract_view(project: &Path) -> Snapshot {
    // One walk: the lockfile is read from it too (never through a link,
    // and a FIFO a tool left there is not opened).
    let mut all = crate::interleave::normalized(project);
    let lockfile = all.remove(".memtomem/lock.json");
    let mut out: Snapshot = all
        .into_iter()
        .filter(|(p, _)| p.starts_with(".memtomem/skills/"))
        .collect();
    if let Some(node) = lockfile {
        let bytes = match node {
            Node::File(_, b) => b,
            _ => Vec::new(),
        };
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(serde_json::Value::Object(doc)) => {
                out.insert(".memtomem/lock.json#".into(), Node::File(0, Vec::new()));
                for (section, v) in &doc {
                    let Some(entries) = v.as_object() else {
                        continue;
                    };
                    for (name, e) in entries {
                        let pin = e.get("wiki_commit").and_then(|p| p.as_str()).unwrap_or("");
                        out.insert(
                            format!(".memtomem/lock.json#{section}/{name}"),
                            Node::File(0, pin.as_bytes().to_vec()),
                        );
                    }
                }
            }
            _ => {
                out.insert(
                    ".memtomem/lock.json".into(),
                    Node::File(0, b"not a JSON object".to_vec()),
                );
            }
        }
    }
    out
}

/// The invariants every final state keeps, whatever the scenario: the
/// lockfile is a JSON object, and nothing is left under a staging or
/// temporary name in `.memtomem/skills/` (I6, L7).
pub fn invariants(t: &Trace) -> Vec<String> {
    let mut v = Vec::new();
    if t.end.contains_key(".memtomem/lock.json") {
        v.push("the lockfile is not a JSON object".to_owned());
    }
    for p in t.end.keys() {
        let Some(rest) = p.strip_prefix(".memtomem/skills/") else {
            continue;
        };
        if rest.contains('#') {
            continue;
        }
        let top = rest.split('/').next().unwrap_or("");
        if top.starts_with('.') {
            v.push(format!("{p} left in the install root"));
        }
    }
    v.dedup();
    v
}

/// The differences between an oracle's trace and the implementation's,
/// one line each; empty when they agree.
pub fn differences(oracle: &Trace, got: &Trace) -> Vec<String> {
    let mut d = Vec::new();
    for (k, (o, g)) in oracle.steps.iter().zip(&got.steps).enumerate() {
        if o.1 != g.1 && !(unrecognised(&o.1) || unrecognised(&g.1)) {
            d.push(format!(
                "step {} ({}): expected {}, observed {}",
                k + 1,
                o.0,
                o.1,
                g.1
            ));
        }
    }
    for l in crate::snapshot::diff(&oracle.end, &got.end) {
        d.push(format!("at the end: {l}"));
    }
    d
}

/// A refusal whose kind was not recognised compares with any refusal.
fn unrecognised(s: &str) -> bool {
    s == "refused"
}

/// Runs the exploration: scenarios from `settings.seed` on, each against
/// `ad` and `oracle` (with `ad` the oracle itself, two runs), until the
/// budget is spent or a divergence is found, which is then shrunk and
/// written to `settings.out`. `progress` gets a line now and then.
///
/// # Errors
/// Harness failures, or the case file that cannot be written.
pub fn explore(
    ad: &Adapter,
    oracle: &Adapter,
    settings: &Settings,
    progress: &mut dyn FnMut(&str),
) -> HResult<Explored> {
    let verbs: Vec<&str> = ad.spec.verbs.keys().map(String::as_str).collect();
    let start = Instant::now();
    let mut broken = Vec::new();
    let mut ran = 0;
    for k in 0..settings.scenarios {
        if settings
            .seconds
            .is_some_and(|s| start.elapsed() > Duration::from_secs(s))
        {
            break;
        }
        let seed = settings.seed.wrapping_add(k as u64);
        let s = scenario::generate(
            &mut fastrand::Rng::with_seed(seed),
            &verbs,
            settings.max_len,
        );
        let (o, g) = (observe(&s, oracle)?, observe(&s, ad)?);
        ran += 1;
        broken.extend(invariants(&g).into_iter().map(|w| (seed, w)));
        let d = differences(&o, &g);
        if (k + 1) % 10 == 0 {
            progress(&format!(
                "explore: {} scenarios, {:.0} s",
                k + 1,
                start.elapsed().as_secs_f64()
            ));
        }
        if d.is_empty() {
            continue;
        }
        progress(&format!(
            "explore: scenario {seed} ({} steps) diverges; shrinking",
            s.ops.len()
        ));
        let found = shrink(ad, oracle, s, seed, settings)?;
        return Ok(Explored {
            ran,
            found: Some(found),
            broken,
        });
    }
    Ok(Explored {
        ran,
        found: None,
        broken,
    })
}

/// Leaves steps out of `s` while the divergence persists (each step once
/// per pass, until a pass leaves nothing out), then writes the case.
fn shrink(
    ad: &Adapter,
    oracle: &Adapter,
    s: Scenario,
    seed: u64,
    settings: &Settings,
) -> HResult<Found> {
    let original_len = s.ops.len();
    let mut best = s;
    loop {
        let mut smaller = None;
        for c in scenario::shorter(&best) {
            let (o, g) = (observe(&c, oracle)?, observe(&c, ad)?);
            if !differences(&o, &g).is_empty() {
                smaller = Some(c);
                break;
            }
        }
        match smaller {
            Some(c) => best = c,
            None => break,
        }
    }
    let (o, g) = (observe(&best, oracle)?, observe(&best, ad)?);
    let differences = differences(&o, &g);
    let file = settings.out.join(format!("explore-{seed}.toml"));
    let summary = format!(
        "found by `assetpin conform --explore --seed {seed}` against {}: {}",
        ad.spec.name,
        differences.first().map_or("", String::as_str)
    );
    let text = scenario::case_text(&best, &summary, Some(&o.expects), &expect_table(&o));
    std::fs::create_dir_all(&settings.out)
        .and_then(|()| std::fs::write(&file, &text))
        .map_err(crate::error::io_err(format!("write {}", file.display())))?;
    // The file is held to what it claims: it passes against the oracle
    // and fails against the implementation.
    let case = parse_one(&text)?;
    let passes = |a: &Adapter| crate::runner::run_case(&case, a).status();
    let verified = passes(oracle) == crate::outcome::Status::Passed
        && passes(ad) == crate::outcome::Status::Failed;
    Ok(Found {
        scenario: best,
        differences,
        file,
        original_len,
        verified,
    })
}

/// The `[expect]` of a written case: the oracle's dests (files with their
/// text, or absent) and recorded pins.
fn expect_table(o: &Trace) -> String {
    let label = |id: &str| {
        o.commits
            .iter()
            .find(|(_, v)| v == id)
            .map(|(l, _)| format!("${{commit.{l}}}"))
    };
    let mut t = String::from("\n[expect]\nfiles = [\n");
    for x in scenario::ASSETS {
        let dest = format!(".memtomem/skills/{x}");
        if !o.end.contains_key(&dest) {
            let _ = writeln!(t, "  {{ path = \"{dest}\", absent = true }},");
        }
    }
    // Each directory's exact entries: what the implementation added (a
    // stray `.bak`, a staging name) fails the case too.
    for (p, n) in &o.end {
        if matches!(n, Node::Dir(_)) && p.starts_with(".memtomem/skills/") {
            let prefix = format!("{p}/");
            let names: Vec<String> = o
                .end
                .keys()
                .filter_map(|k| k.strip_prefix(&prefix))
                .filter(|r| !r.contains('/'))
                .map(crate::source::quoted)
                .collect();
            let _ = writeln!(
                t,
                "  {{ path = {}, entries = [{}] }},",
                crate::source::quoted(p),
                names.join(", ")
            );
        }
    }
    for (p, n) in &o.end {
        if let (Node::File(_, bytes), false) = (n, p.contains('#'))
            && let Ok(text) = std::str::from_utf8(bytes)
        {
            let _ = writeln!(
                t,
                "  {{ path = {}, text = {} }},",
                crate::source::quoted(p),
                crate::source::quoted(text)
            );
        }
    }
    if !o.end.contains_key(".memtomem/lock.json#") {
        t.push_str("  { path = \".memtomem/lock.json\", absent = true },\n]\n");
        return t;
    }
    t.push_str("]\nlockfile = [\n");
    for x in scenario::ASSETS {
        let key = format!(".memtomem/lock.json#skills/{x}");
        match o.end.get(&key) {
            Some(Node::File(_, pin)) => {
                let pin = String::from_utf8_lossy(pin);
                match label(&pin) {
                    Some(l) => {
                        let _ = writeln!(
                            t,
                            "  {{ pointer = \"/skills/{x}/wiki_commit\", equals = \"{l}\" }},"
                        );
                    }
                    None => {
                        let _ = writeln!(t, "  {{ pointer = \"/skills/{x}\", present = true }},");
                    }
                }
            }
            _ => {
                let _ = writeln!(t, "  {{ pointer = \"/skills/{x}\", absent = true }},");
            }
        }
    }
    t.push_str("]\n");
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_the_step_and_the_end() {
        let t = |s: &str, pin: &str| Trace {
            steps: vec![("install a".into(), s.into())],
            end: [(
                ".memtomem/lock.json#skills/a".to_owned(),
                Node::File(0, pin.as_bytes().to_vec()),
            )]
            .into(),
            expects: Vec::new(),
            commits: Vec::new(),
        };
        assert!(differences(&t("ok", "c1"), &t("ok", "c1")).is_empty());
        assert_eq!(
            differences(&t("ok", "c1"), &t("refused dirty", "c1")).len(),
            1
        );
        // An unrecognised kind is any refusal; a success is not.
        assert!(differences(&t("refused dirty", "c1"), &t("refused", "c1")).is_empty());
        assert_eq!(differences(&t("ok", "c1"), &t("ok", "c2")).len(), 1);
    }

    /// A FIFO a tool left at the lockfile's path is a broken lockfile,
    /// not a read that waits forever for a writer.
    #[test]
    fn a_fifo_lockfile_is_not_opened() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".memtomem")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            dir.path().join(".memtomem/lock.json"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        let v = contract_view(dir.path());
        assert!(v.contains_key(".memtomem/lock.json"), "{v:?}");
    }

    #[test]
    fn a_leftover_or_a_broken_lockfile_breaks_an_invariant() {
        let mut t = Trace {
            steps: Vec::new(),
            end: Snapshot::new(),
            expects: Vec::new(),
            commits: Vec::new(),
        };
        assert!(invariants(&t).is_empty());
        t.end
            .insert(".memtomem/skills/.a.staging-1".into(), Node::Dir(0o755));
        t.end
            .insert(".memtomem/lock.json".into(), Node::File(0, Vec::new()));
        assert_eq!(invariants(&t).len(), 2);
    }
}
