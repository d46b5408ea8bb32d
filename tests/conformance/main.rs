//! `cargo test --test conformance`: the conformance cases
//! (crates/conform/cases) as one libtest test per case, against the
//! reference binary and, when it is installed, against the memtomem peer.
//!
//! The peer's known divergences live in `peer-divergences.toml` beside this
//! file (case, clause, what the peer does, why it matters). A listed case
//! that starts passing, or an unlisted case that fails, fails its test.
//! Without the peer its tests are ignored, with a message saying how to
//! install it (`scripts/install-peer.sh`). The peer's web API runs the
//! edit family (`w-edit/`) the same way, through
//! `crates/conform/adapters/memtomem-web.toml` and `peer-web-divergences.toml`
//! (`scripts/install-peer-web.sh`, which needs Python >= 3.12).

use assetpin_conform::adapter::{Adapter, MEMTOMEM_TOML, REFERENCE_TOML};
use assetpin_conform::coverage;
use assetpin_conform::divergence::{Divergence, parse_divergences};
use assetpin_conform::dry_run;
use assetpin_conform::exec::machine_skip;
use assetpin_conform::outcome::Status;
use assetpin_conform::runner::{CaseResult, run_case};
use assetpin_conform::suite::load_cases;
use libtest_mimic::{Arguments, Failed, Trial};
use rayon::prelude::*;
use std::path::Path;
use std::sync::Arc;

mod crash_anchor;
mod zygote;

const DIVERGENCES: &str = include_str!("peer-divergences.toml");
const WEB_DIVERGENCES: &str = include_str!("peer-web-divergences.toml");
const MEMTOMEM_WEB_TOML: &str = include_str!("../../crates/conform/adapters/memtomem-web.toml");

fn explain(r: &CaseResult) -> String {
    format!(
        "{} [{}] {}\n  {}\n  {}",
        r.id,
        r.status().as_str(),
        r.clauses.join(" "),
        r.summary,
        r.details().join("\n  ")
    )
}

fn main() {
    // A run of the Python peer through its zygote starts this binary as
    // the launcher: it serves that and exits.
    assetpin_test_support::zygote::serve_if_launcher();
    let mut args = Arguments::from_args();
    // A case waits on its tool part of the time: one thread more than
    // the CPUs keeps them busy (as `conform --jobs`'s default).
    if args.test_threads.is_none() {
        args.test_threads = Some(assetpin_conform::args::default_jobs());
    }
    let cases = match load_cases(None) {
        Ok(c) => c,
        Err(errs) => {
            eprintln!("conformance cases do not load:\n{errs}");
            std::process::exit(1);
        }
    };
    let cases: Vec<_> = cases.into_iter().map(Arc::new).collect();
    let exe = Path::new(env!("CARGO_BIN_EXE_assetpin"));
    let mut trials = Vec::new();

    // The README quotes the number of embedded cases: it must be this one.
    {
        let n = cases.len();
        trials.push(Trial::test(
            "suite::readme_quotes_the_case_count",
            move || {
                let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
                let readme = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
                // `N cases`, `N passed, 0 failed` (N the case count), or
                // `P passed, 0 failed, S skipped` (P + S the case count).
                let re =
                    regex::Regex::new(r"\b(\d+) (?:cases\b|passed, 0 failed(?:, (\d+) skipped)?)")
                        .unwrap();
                let quoted: Vec<usize> = re
                    .captures_iter(&readme)
                    .filter_map(|c| {
                        let p: usize = c[1].parse().ok()?;
                        let s: usize = c.get(2).map_or(Some(0), |m| m.as_str().parse().ok())?;
                        Some(p + s)
                    })
                    .collect();
                let wrong: Vec<usize> = quoted.iter().copied().filter(|&q| q != n).collect();
                if quoted.is_empty() {
                    Err("README.md quotes no case count".into())
                } else if !wrong.is_empty() {
                    Err(format!("README.md quotes {wrong:?} where {n} cases are embedded").into())
                } else {
                    Ok(())
                }
            },
        ));
    }

    // The suite itself: not vacuous, every clause covered.
    {
        let cases = cases.clone();
        trials.push(Trial::test("suite::every_clause_has_a_case", move || {
            let all: Vec<_> = cases.iter().map(|c| (**c).clone()).collect();
            if all.is_empty() {
                return Err("no cases".into());
            }
            let cov = coverage::coverage(&assetpin_contract::contract_clauses(), &all, &[]);
            if cov.uncovered.is_empty() {
                Ok(())
            } else {
                Err(format!("clauses without a case: {}", cov.uncovered.join(", ")).into())
            }
        }));
    }

    let reference = match Adapter::load(
        "crates/conform/adapters/reference.toml",
        REFERENCE_TOML,
        exe,
    ) {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    // Cases this machine cannot run are ignored, with the reason, never
    // passed (a chardev where mknod is refused; mode 000 as root where
    // capabilities cannot be dropped).
    let skips: Vec<(String, String)> = cases
        .iter()
        .filter_map(|c| machine_skip(c).map(|r| (c.id.clone(), r)))
        .collect();
    if let Some((_, why)) = skips.first() {
        eprintln!(
            "note: {} cases per implementation are ignored on this machine: {why}",
            skips.len()
        );
    }
    let skipped_ref = |id: &str| skips.iter().any(|(s, _)| s == id);
    for c in &cases {
        let (c, ad) = (c.clone(), reference.clone());
        let ignored = skipped_ref(&c.id);
        trials.push(
            Trial::test(format!("reference::{}", c.id), move || {
                let r = run_case(&c, &ad);
                match r.status() {
                    Status::Passed => Ok(()),
                    Status::Unsupported => {
                        Err(format!("the reference must claim every case: {}", explain(&r)).into())
                    }
                    _ => Err(explain(&r).into()),
                }
            })
            .with_ignored_flag(ignored),
        );
    }

    let divergences = divergences_of(
        &mut trials,
        "suite::divergences_name_real_cases",
        "peer-divergences.toml",
        DIVERGENCES,
        &cases,
    );
    let peer = match Adapter::load("crates/conform/adapters/memtomem.toml", MEMTOMEM_TOML, exe) {
        Ok(a) => Some(Arc::new(a)),
        Err(e) => {
            eprintln!(
                "note: memtomem peer tests are ignored: {e}\n      \
                 run scripts/install-peer.sh (or set ASSETPIN_MM) to include them"
            );
            None
        }
    };
    let skipped: Arc<dyn Fn(&str) -> bool + Send + Sync> =
        Arc::new(move |id: &str| skips.iter().any(|(s, _)| s == id));
    // The Python peers through a zygote (a fork per run), anchored to
    // the real tool by a sample (tests/conformance/zygote.rs).
    let mut zygotes = Vec::new();
    let divergences = Arc::new(divergences);
    // The crash family records the tool's own process tree with strace:
    // the real `mm`, never the zygote (whose forks strace does not see).
    let peer_real = peer.clone();
    let (crash_cases, cases_z): (Vec<_>, Vec<_>) = cases
        .iter()
        .cloned()
        .partition(|c| c.id.starts_with("c-crash/"));
    let peer = match &peer {
        Some(real) if zygote::wanted() => match zygote::for_mm(real) {
            Ok(z) => {
                let zyg = Arc::new(zygote::through(real, &z));
                // Listed divergences are left out: some hang until the
                // time limit, and their trials already fail if the zygote
                // passes one (it was listed from the real tool).
                let divs = divergences.clone();
                let left_out = |id: &str| skipped(id) || divs.iter().any(|d| d.matches(id));
                let sample = zygote::sample(&cases, real, 12, &left_out);
                // First: the longest trial (it runs its sample twice).
                trials.insert(
                    0,
                    zygote::anchor_trial("memtomem", real.clone(), zyg.clone(), sample),
                );
                zygotes.push(z);
                Some(zyg)
            }
            Err(e) => {
                eprintln!("note: the memtomem cases run on the real `mm` (slower): {e}");
                peer
            }
        },
        _ => peer,
    };
    peer_trials(
        &mut trials,
        "memtomem",
        "peer-divergences.toml",
        peer,
        divergences.clone(),
        &cases_z,
        &skipped,
        true,
    );
    peer_trials(
        &mut trials,
        "memtomem-traced",
        "peer-divergences.toml",
        peer_real,
        divergences,
        &crash_cases,
        &skipped,
        true,
    );
    // The peer's web API (clauses W): its own adapter and divergences.
    let web = match Adapter::load(
        "crates/conform/adapters/memtomem-web.toml",
        MEMTOMEM_WEB_TOML,
        exe,
    ) {
        Ok(a) => Some(Arc::new(a)),
        Err(e) => {
            eprintln!(
                "note: memtomem-web tests are ignored: {e}\n      \
                 run scripts/install-peer-web.sh (needs Python >= 3.12) to include them"
            );
            None
        }
    };
    let web_cases: Vec<_> = cases
        .iter()
        .filter(|c| c.id.starts_with("w-edit/"))
        .cloned()
        .collect();
    let web_divs = divergences_of(
        &mut trials,
        "suite::web_divergences_name_real_cases",
        "peer-web-divergences.toml",
        WEB_DIVERGENCES,
        &web_cases,
    );
    let web = match &web {
        Some(real) if zygote::wanted() => match zygote::for_web(real) {
            Ok(z) => {
                let zyg = Arc::new(zygote::through(real, &z));
                let sample = zygote::sample(&web_cases, real, 4, &*skipped);
                trials.insert(
                    0,
                    zygote::anchor_trial("memtomem-web", real.clone(), zyg.clone(), sample),
                );
                zygotes.push(z);
                Some(zyg)
            }
            Err(e) => {
                eprintln!("note: the memtomem-web cases run on the real driver (slower): {e}");
                web
            }
        },
        _ => web,
    };
    peer_trials(
        &mut trials,
        "memtomem-web",
        "peer-web-divergences.toml",
        web,
        Arc::new(web_divs),
        &web_cases,
        &skipped,
        false,
    );
    // The other skill installers (profile portable), each through its
    // adapter with its known divergences; ignored where not installed.
    for (name, adapter_toml, file, text) in INSTALLERS {
        let ad = match Adapter::load(name, adapter_toml, exe) {
            Ok(a) => Some(Arc::new(a)),
            Err(e) => {
                eprintln!(
                    "note: {name} tests are ignored: {e}\n      \
                     run scripts/install-installers.sh to include them"
                );
                None
            }
        };
        // Only the portable cases and the portable crash case: the
        // adapters are for nothing else.
        let portable: Vec<_> = cases
            .iter()
            .filter(|c| {
                c.id.starts_with("p-portable/") || c.id.starts_with("c-crash/portable-install:")
            })
            .cloned()
            .collect();
        let divs = divergences_of(
            &mut trials,
            format!("{name}::divergences_name_real_cases"),
            file,
            text,
            &portable,
        );
        peer_trials(
            &mut trials,
            name,
            file,
            ad,
            Arc::new(divs),
            &portable,
            &skipped,
            // Their crash cases are sampled (one passing case of
            // agent-skills-cli alone recovers 351 states, ~110 s).
            true,
        );
    }
    naive_trials(&mut trials, &cases, exe);
    crash_control_trials(&mut trials, &cases, exe);
    interleave_control_trials(&mut trials, &cases, exe);
    crash_anchor::trials(&mut trials);
    let conclusion = libtest_mimic::run(&args, trials);
    assetpin_conform::finish();
    drop(zygotes);
    conclusion.exit();
}

/// The installers of docs/ecosystem-report.md: (name, adapter, divergences
/// file beside this one, its text).
const INSTALLERS: [(&str, &str, &str, &str); 5] = [
    (
        "skills",
        include_str!("../../crates/conform/adapters/skills.toml"),
        "skills-divergences.toml",
        include_str!("skills-divergences.toml"),
    ),
    (
        "openskills",
        include_str!("../../crates/conform/adapters/openskills.toml"),
        "openskills-divergences.toml",
        include_str!("openskills-divergences.toml"),
    ),
    (
        "skillkit",
        include_str!("../../crates/conform/adapters/skillkit.toml"),
        "skillkit-divergences.toml",
        include_str!("skillkit-divergences.toml"),
    ),
    (
        "agent-skills-installer",
        include_str!("../../crates/conform/adapters/agent-skills-installer.toml"),
        "agent-skills-installer-divergences.toml",
        include_str!("agent-skills-installer-divergences.toml"),
    ),
    (
        "agent-skills-cli",
        include_str!("../../crates/conform/adapters/agent-skills-cli.toml"),
        "agent-skills-cli-divergences.toml",
        include_str!("agent-skills-cli-divergences.toml"),
    ),
];

/// Portable cases that pass against both careless installers, each a
/// regex over case ids with why its check is still shown to fail
/// elsewhere. Every rule names at least one case.
const NAIVE_PASSES: &[(&str, &str)] = &[
    (
        "^p-portable/P7-race-dests$",
        "distinct dests do not collide in a plain copy; the same `dests` check fails on a mixed dest in P9-reinstall",
    ),
    (
        "^p-portable/object:(dot|dotdot|empty)$",
        "a name that is a directory's own ('.', '..', empty) cannot be written as a file; the same no_bytes check fails on object:dotdot-path and object:deep-escape",
    ),
    (
        "^p-portable/plant:(root|top|dest|manifest):link-inside@(fresh|after-b)$",
        "a link to a directory or file inside the project may be written through (P1); the verdict fails with the links that lead outside (plant:*:link-outside)",
    ),
    (
        "^p-portable/race:same-4$",
        "installs of one skill write the same bytes; a careless race fails in race:distinct-*",
    ),
    (
        "^p-portable/reinstall:(add-file|change-bytes|swap)$",
        "a copy over the old tree is right when nothing was dropped; the same verdict fails in reinstall:drop-file and reinstall:shrink",
    ),
    (
        "^p-portable/reinstall:user-file$",
        "neither control deletes what it did not write; the kept_bytes check fails in reinstall:user-edit",
    ),
    (
        "^p-portable/tree:(bytes|deep|long-name|submodule|wide)$",
        "a careful byte copy of these arrives whole; the same dest check fails in tree:unicode-names and tree:shell-names (naive-git's quoted names)",
    ),
];

/// At least this many wiki-plant cases without a FIFO fail against the
/// careless git reader (27 did when it was written: a plant that makes
/// git fail, where it then exits 0 with nothing installed). The FIFOs are
/// left out: git waits on them, and three real installers' divergences
/// already hold those cases failing.
const NAIVE_GIT_WIKI_PLANT_FAILURES: usize = 22;

fn naive_adapter(path: &str, text: &str, exe: &Path) -> Arc<Adapter> {
    match Adapter::load(path, text, exe) {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

/// The portable profile's negative controls: every portable case fails
/// against `tests/fixtures/naive-installer` (naive.toml, a tool that
/// breaks each P clause, or naive-git.toml, a careless git reader that
/// swallows its errors), except the reviewed NAIVE_PASSES, which must
/// pass against both. The wiki plants (paths git may read harmlessly) are
/// held as a count: at least NAIVE_GIT_WIKI_PLANT_FAILURES fail against
/// the git reader. A check that cannot fail shows up here.
fn naive_trials(trials: &mut Vec<Trial>, cases: &[Arc<assetpin_conform::case::Case>], exe: &Path) {
    let ad = naive_adapter(
        "tests/fixtures/naive-installer/naive.toml",
        include_str!("../fixtures/naive-installer/naive.toml"),
        exe,
    );
    let git = naive_adapter(
        "tests/fixtures/naive-installer/naive-git.toml",
        include_str!("../fixtures/naive-installer/naive-git.toml"),
        exe,
    );
    let rules: Arc<Vec<(regex::Regex, &str)>> = Arc::new(
        NAIVE_PASSES
            .iter()
            .map(|(r, why)| (regex::Regex::new(r).expect("a NAIVE_PASSES regex"), *why))
            .collect(),
    );
    let wiki_plant = |c: &assetpin_conform::case::Case| c.id.starts_with("p-portable/wiki-plant:");
    let portable: Vec<_> = cases
        .iter()
        .filter(|c| ad.claims_id(&c.id) && !wiki_plant(c))
        .cloned()
        .collect();
    {
        let n = portable.len();
        let (rules, ids) = (
            rules.clone(),
            portable.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        );
        trials.push(Trial::test("naive::runs_the_portable_cases", move || {
            let reviewed = ids
                .iter()
                .filter(|id| rules.iter().any(|(r, _)| r.is_match(id)))
                .count();
            eprintln!("{n} portable cases, {reviewed} reviewed to pass");
            if n < 10 {
                return Err(format!("only {n} portable cases").into());
            }
            let idle: Vec<&str> = NAIVE_PASSES
                .iter()
                .zip(rules.iter())
                .filter(|(_, (r, _))| !ids.iter().any(|id| r.is_match(id)))
                .map(|((r, _), _)| *r)
                .collect();
            if idle.is_empty() {
                Ok(())
            } else {
                Err(format!("NAIVE_PASSES rules that name no case: {idle:?}").into())
            }
        }));
    }
    // The generated parts run a sample here, as for the installers (the
    // first case of each reviewed rule kept); ASSETPIN_PEER_FULL=1 runs all.
    let full = std::env::var_os("ASSETPIN_PEER_FULL").is_some_and(|v| v == "1");
    let mut left_out = std::collections::HashSet::new();
    if !full {
        let kept: std::collections::HashSet<&str> = rules
            .iter()
            .filter_map(|(r, _)| portable.iter().find(|c| r.is_match(&c.id)))
            .map(|c| c.id.as_str())
            .collect();
        for part in assetpin_conform::portable_family::PARTS {
            let of_part = portable.iter().filter(|c| c.id.starts_with(part));
            for (i, c) in of_part.enumerate() {
                if i % PORTABLE_SAMPLE != 0 && !kept.contains(c.id.as_str()) {
                    left_out.insert(c.id.clone());
                }
            }
        }
    }
    for c in portable {
        let ignored = left_out.contains(&c.id);
        let (ad, git, rules) = (ad.clone(), git.clone(), rules.clone());
        trials.push(
            Trial::test(format!("naive::{}", c.id), move || {
                let reviewed = rules.iter().find(|(r, _)| r.is_match(&c.id));
                let mut seen = Vec::new();
                for a in [&ad, &git] {
                    if a.unsupported_reason(&c).is_some() {
                        continue;
                    }
                    let r = run_case(&c, a);
                    match (r.status(), reviewed) {
                        (Status::Failed, None) => return Ok(()),
                        (Status::Passed, _) => seen.push(a.spec.name.clone()),
                        (Status::Failed, Some((_, why))) => {
                            return Err(format!(
                                "reviewed to pass both controls ({why}) but fails against {}:\n{}",
                                a.spec.name,
                                explain(&r)
                            )
                            .into());
                        }
                        (_, _) => return Err(explain(&r).into()),
                    }
                }
                if reviewed.is_some() {
                    Ok(())
                } else {
                    Err(format!(
                    "passes against the careless tools ({}) that break {}: the case cannot fail",
                    seen.join(", "),
                    c.clauses.join(" ")
                )
                .into())
                }
            })
            .with_ignored_flag(ignored),
        );
    }
    let plants: Vec<_> = cases
        .iter()
        .filter(|c| wiki_plant(c) && !c.id.ends_with(":fifo"))
        .cloned()
        .collect();
    trials.push(Trial::test(
        "naive::wiki_plants_fail_a_careless_git_reader",
        move || {
            let failed = plants
                .par_iter()
                .filter(|c| run_case(c, &git).status() == Status::Failed)
                .count();
            eprintln!(
                "{failed} of {} wiki-plant cases without a FIFO fail against naive-git (at least \
             {NAIVE_GIT_WIKI_PLANT_FAILURES} must)",
                plants.len()
            );
            if failed >= NAIVE_GIT_WIKI_PLANT_FAILURES {
                Ok(())
            } else {
                Err(
                    format!("only {failed} wiki-plant cases fail against a careless git reader")
                        .into(),
                )
            }
        },
    ));
}

/// The crash family's controls (`tests/fixtures/crash-installer`): an
/// installer that stages and renames but never fsyncs must fail
/// `c-crash/portable-install` under both power-loss models and pass it
/// under a process kill; the same installer with its fsyncs must pass
/// all three. A crash check that cannot fail, or one that fails a
/// careful tool, shows up here. Without strace the trials are ignored,
/// with the reason.
fn crash_control_trials(
    trials: &mut Vec<Trial>,
    cases: &[Arc<assetpin_conform::case::Case>],
    exe: &Path,
) {
    let controls = [
        (
            "crash-nosync",
            include_str!("../fixtures/crash-installer/nosync.toml"),
            false,
        ),
        (
            "crash-fsync",
            include_str!("../fixtures/crash-installer/fsync.toml"),
            true,
        ),
    ];
    for (name, text, careful) in controls {
        let ad = control_adapter(name, text, exe);
        let mine: Vec<_> = cases
            .iter()
            .filter(|c| ad.claims_id(&c.id))
            .cloned()
            .collect();
        let n = mine.len();
        trials.push(Trial::test(
            format!("{name}::runs_the_crash_cases"),
            move || {
                if n != 3 {
                    return Err(
                        format!("{n} crash cases claimed, 3 expected (one per model)").into(),
                    );
                }
                Ok(())
            },
        ));
        for c in mine {
            let ad = ad.clone();
            let skip = machine_skip(&c);
            let power_cut = !c.id.ends_with(":process");
            let t = Trial::test(format!("{name}::{}", c.id), move || {
                let r = run_case(&c, &ad);
                match (r.status(), careful || !power_cut) {
                    (Status::Passed, true) | (Status::Failed, false) => Ok(()),
                    (Status::Passed, false) => Err(format!(
                        "an installer that never fsyncs passes {}: the check cannot fail",
                        c.id
                    )
                    .into()),
                    _ => Err(explain(&r).into()),
                }
            });
            trials.push(t.with_ignored_flag(skip.is_some()));
        }
    }
}

/// A control's adapter (a fixture's TOML); the process exits when it
/// does not load.
fn control_adapter(name: &str, text: &str, exe: &Path) -> Arc<Adapter> {
    match Adapter::load(name, text, exe) {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

/// The interleavings family's controls: an installer with the K1 and K3
/// locks that acts on what it saw before waiting for the per-asset lock
/// must fail exactly the cases where another install or a user's write
/// came in between (its serial run refuses); the same installer planning
/// again under the lock must pass every case it runs.
fn interleave_control_trials(
    trials: &mut Vec<Trial>,
    cases: &[Arc<assetpin_conform::case::Case>],
    exe: &Path,
) {
    const CAUGHT: [&str; 2] = [
        "k-interleave/install@asset-lock:install-same",
        "k-interleave/install@asset-lock:user-writes-a-file",
    ];
    let controls = [
        (
            "interleave-careless",
            include_str!("../fixtures/interleave-installer/careless.toml"),
            false,
        ),
        (
            "interleave-replan",
            include_str!("../fixtures/interleave-installer/replan.toml"),
            true,
        ),
    ];
    for (name, text, careful) in controls {
        let ad = control_adapter(name, text, exe);
        let mine: Vec<_> = cases
            .iter()
            .filter(|c| ad.claims_id(&c.id) && ad.unsupported_reason(c).is_none())
            .cloned()
            .collect();
        let n = mine.len();
        trials.push(Trial::test(
            format!("{name}::runs_the_install_interleavings"),
            move || {
                // install x {asset, sidecar} x {install-same, install-other,
                // user-writes-a-file, a-commit-lands}: the verbs it has.
                if n != 8 {
                    return Err(format!("{n} k-interleave cases run, 8 expected").into());
                }
                Ok(())
            },
        ));
        for c in mine {
            let ad = ad.clone();
            let caught = !careful && CAUGHT.contains(&c.id.as_str());
            let skip = machine_skip(&c).is_some();
            let t = Trial::test(format!("{name}::{}", c.id), move || {
                let r = run_case(&c, &ad);
                match (r.status(), caught) {
                    (Status::Passed, false) | (Status::Failed, true) => Ok(()),
                    (Status::Passed, true) => Err(format!(
                        "an installer that does not plan again under the lock passes {}: \
                         the serial check cannot fail",
                        c.id
                    )
                    .into()),
                    _ => Err(explain(&r).into()),
                }
            });
            trials.push(t.with_ignored_flag(skip));
        }
    }
}

/// Parses the divergences file `file` (beside this one; the process exits
/// when it does not parse) and adds the trial `name`: every divergence
/// names a case of `cases` that cites its clause.
fn divergences_of(
    trials: &mut Vec<Trial>,
    name: impl Into<String>,
    file: &'static str,
    text: &str,
    cases: &[Arc<assetpin_conform::case::Case>],
) -> Vec<Divergence> {
    let divs = match parse_divergences(file, text) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let (cases, d) = (cases.to_vec(), divs.clone());
    trials.push(Trial::test(name, move || {
        let bad: Vec<_> = d
            .iter()
            .filter(|d| {
                !cases.iter().any(|c| {
                    d.matches(&c.id)
                        && (c.clauses.contains(&d.clause)
                            || dry_run::clauses_checked(c).contains(&d.clause.as_str()))
                })
            })
            .map(|d| format!("{} ({})", d.case, d.clause))
            .collect();
        if bad.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{file} names cases or clauses not in the set: {}",
                bad.join(", ")
            )
            .into())
        }
    }));
    divs
}

/// One trial per case against a peer adapter (`name::<case>`), with the
/// peer's known divergences from `file` (beside this one) enforced both
/// ways. Without the adapter the trials are ignored, never passed.
/// The generated families a peer or installer runs a sample of in the
/// gate: each [`PEER_SAMPLE`]th case (each [`PORTABLE_SAMPLE`]th of the
/// generated portable parts, which every installer runs), and the first
/// case each listed divergence names, so every entry is still held both
/// ways. `ASSETPIN_PEER_FULL=1` runs them whole, as `assetpin conform
/// --adapter <name> --known ...` (and scripts/matrix.sh) does.
const SAMPLED_FAMILIES: [&str; 5] = [
    "h-hostile/",
    "m-user-entries/",
    "n-wiki-plants/",
    "c-crash/",
    "k-interleave/",
];
/// One case in this many of a sampled family runs.
const PEER_SAMPLE: usize = 3;
/// One case in this many of a generated portable part runs: six tools
/// run them, the installers on Node.js at about a second a process.
const PORTABLE_SAMPLE: usize = 10;

/// The ids of the cases `ad` leaves out of the gate under the sampling
/// (empty with `ASSETPIN_PEER_FULL=1`).
fn sampled_out(
    ad: &Adapter,
    divs: &[Divergence],
    cases: &[Arc<assetpin_conform::case::Case>],
) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    if std::env::var_os("ASSETPIN_PEER_FULL").is_some_and(|v| v == "1") {
        return out;
    }
    let runs = |c: &assetpin_conform::case::Case| ad.unsupported_reason(c).is_none();
    let kept: std::collections::HashSet<&str> = divs
        .iter()
        .filter_map(|d| cases.iter().find(|c| d.matches(&c.id) && runs(c)))
        .map(|c| c.id.as_str())
        .collect();
    let families = SAMPLED_FAMILIES.iter().map(|f| (*f, PEER_SAMPLE)).chain(
        assetpin_conform::portable_family::PARTS
            .iter()
            .map(|f| (*f, PORTABLE_SAMPLE)),
    );
    for (fam, every) in families {
        let fam_cases = cases.iter().filter(|c| c.id.starts_with(fam) && runs(c));
        for (i, c) in fam_cases.enumerate() {
            if i % every != 0 && !kept.contains(c.id.as_str()) {
                out.insert(c.id.clone());
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn peer_trials(
    trials: &mut Vec<Trial>,
    name: &'static str,
    file: &'static str,
    ad: Option<Arc<Adapter>>,
    divs: Arc<Vec<Divergence>>,
    cases: &[Arc<assetpin_conform::case::Case>],
    skipped: &Arc<dyn Fn(&str) -> bool + Send + Sync>,
    sample: bool,
) {
    let left_out = match &ad {
        Some(a) if sample => sampled_out(a, &divs, cases),
        _ => Default::default(),
    };
    if !left_out.is_empty() {
        eprintln!(
            "note: {name} runs 1 in {PEER_SAMPLE} cases of its generated families and 1 in \
             {PORTABLE_SAMPLE} of the generated portable ones here ({} ignored, the first case \
             of every listed divergence kept); ASSETPIN_PEER_FULL=1 runs them all",
            left_out.len()
        );
    }
    // A listed divergence must be a case the adapter runs: one the
    // adapter cannot run is not failing, and its trial is ignored below.
    if let Some(a) = &ad {
        let (a, divs, cases) = (a.clone(), divs.clone(), cases.to_vec());
        trials.push(Trial::test(
            format!("{name}::divergences_are_cases_it_runs"),
            move || {
                let bad: Vec<String> = cases
                    .iter()
                    .filter(|c| divs.iter().any(|d| d.matches(&c.id)))
                    .filter_map(|c| a.unsupported_reason(c).map(|r| format!("{} ({r})", c.id)))
                    .collect();
                if bad.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "tests/conformance/{file} lists cases the adapter does not run: {}",
                        bad.join(", ")
                    )
                    .into())
                }
            },
        ));
    }
    for c in cases {
        let (c, ad, divs) = (c.clone(), ad.clone(), divs.clone());
        // Not run, so not passed: no adapter, a case this machine cannot
        // run, or one the adapter does not claim (profile, verb, feature).
        let ignored = ad
            .as_ref()
            .is_none_or(|a| a.unsupported_reason(&c).is_some())
            || skipped(&c.id)
            || left_out.contains(&c.id);
        trials.push(
            Trial::test(
                format!("{name}::{}", c.id),
                move || -> Result<(), Failed> {
                    let Some(ad) = ad else {
                        return Ok(());
                    };
                    let r = run_case(&assetpin_conform::divergence::capped(&c, &divs), &ad);
                    let listed = divs.iter().find(|d| d.matches(&c.id));
                    match (r.status(), listed) {
                        (Status::Passed | Status::Unsupported, None) => Ok(()),
                        (Status::Failed, Some(_)) => Ok(()),
                        // A race the tool loses only sometimes.
                        (Status::Passed, Some(d)) if d.race => Ok(()),
                        (Status::Passed | Status::Unsupported, Some(d)) => Err(format!(
                            "listed as a peer divergence ({}: {}) but now {}; remove it from \
                             tests/conformance/{file} and docs/peer-report.md",
                            d.clause,
                            d.does,
                            r.status().as_str()
                        )
                        .into()),
                        (_, _) => Err(format!(
                            "unlisted peer failure; fix the case or add it to \
                             tests/conformance/{file} and docs/peer-report.md:\n{}",
                            explain(&r)
                        )
                        .into()),
                    }
                },
            )
            .with_ignored_flag(ignored),
        );
    }
}
