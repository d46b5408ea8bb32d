//! The Python peers through a zygote (`assetpin_test_support::zygote`):
//! each run of `mm` or of the web driver is a fork of a process that has
//! imported them, which cuts the peer's share of this binary from about
//! 11 minutes to about one (docs/performance.md). The anchor trials run a
//! sample of cases through both the zygote and the real tool and fail on
//! any difference; `ASSETPIN_ZYGOTE=0` runs every case on the real tool.

use assetpin_conform::adapter::Adapter;
use assetpin_conform::case::Case;
use assetpin_conform::outcome::{Outcome, Status};
use assetpin_conform::runner::{CaseResult, run_case};
use assetpin_test_support::zygote::{Program, Zygote, shebang_python};
use libtest_mimic::Trial;
use std::sync::Arc;
use std::time::Duration;

/// Whether the zygote is wanted (`ASSETPIN_ZYGOTE` other than `0`).
pub fn wanted() -> bool {
    std::env::var("ASSETPIN_ZYGOTE").map_or(true, |v| v != "0")
}

/// The zygote for the memtomem adapter's `mm`: `memtomem.cli:cli`, with
/// every module of `memtomem` imported first.
pub fn for_mm(real: &Adapter) -> Result<Zygote, String> {
    let python = shebang_python(&real.exe)
        .ok_or_else(|| format!("{}: no Python on its #! line", real.exe.display()))?;
    Zygote::start(
        &Program {
            python,
            argv0: real.exe.clone(),
            args: strings(&[
                "--entry",
                "memtomem.cli:cli",
                "--preload-package",
                "memtomem",
            ]),
            name: "mm".into(),
        },
        Duration::from_secs(120),
    )
}

/// The zygote for the memtomem-web adapter's driver
/// (`crates/conform/adapters/memtomem-web.py`, run by the launcher
/// `bin/mm-web` of the web venv): the script as `__main__`, its `mm`
/// first argument routed to the peer's CLI.
pub fn for_web(real: &Adapter) -> Result<Zygote, String> {
    let venv = real
        .exe
        .parent()
        .ok_or_else(|| format!("{}: no directory", real.exe.display()))?;
    let python = venv.join("python");
    let script = assetpin_test_support::repo_root().join("crates/conform/adapters/memtomem-web.py");
    Zygote::start(
        &Program {
            python,
            argv0: script.clone(),
            args: vec![
                "--script".into(),
                script.display().to_string(),
                "--route".into(),
                "mm=memtomem.cli:cli".into(),
                "--preload-package".into(),
                "memtomem".into(),
                "--preload".into(),
                "fastapi.testclient".into(),
            ],
            name: "mm-web".into(),
        },
        Duration::from_secs(120),
    )
}

fn strings(s: &[&str]) -> Vec<String> {
    s.iter().map(|&x| x.to_owned()).collect()
}

/// `real` with the zygote's launcher in its program's place.
pub fn through(real: &Adapter, z: &Zygote) -> Adapter {
    Adapter {
        exe: z.launcher.clone(),
        ..real.clone()
    }
}

/// What must agree between two runs of a case: the status, and the
/// checks that failed (not their text, which names each run's own
/// temporary directories).
fn verdict(r: &CaseResult) -> (Status, Vec<String>) {
    let checks = match &r.outcome {
        Outcome::Failed(f) => f.iter().map(|f| f.check.clone()).collect(),
        Outcome::Error(e) => vec![e.to_string()],
        _ => Vec::new(),
    };
    (r.status(), checks)
}

/// Every `every`-th case `real` runs (by id order), but those
/// `left_out` names.
pub fn sample(
    cases: &[Arc<Case>],
    real: &Adapter,
    every: usize,
    left_out: &dyn Fn(&str) -> bool,
) -> Vec<Arc<Case>> {
    let mut run: Vec<_> = cases
        .iter()
        .filter(|c| real.unsupported_reason(c).is_none() && !left_out(&c.id))
        .cloned()
        .collect();
    run.sort_by(|a, b| a.id.cmp(&b.id));
    run.into_iter().step_by(every).collect()
}

/// The anchor: each case of `sample` through the real tool and the
/// zygote gives the same verdict; and a zygote that answers every run
/// with exit 0 at once (`ZYGOTE_SABOTAGE`) is told apart from the real
/// tool on the sample's first three cases that the real tool passes and
/// that expect a lockfile (the negative control: the comparison can
/// fail).
pub fn anchor_trial(
    name: &'static str,
    real: Arc<Adapter>,
    zyg: Arc<Adapter>,
    sample: Vec<Arc<Case>>,
) -> Trial {
    Trial::test(format!("{name}::zygote_matches_the_real_tool"), move || {
        if sample.len() < 3 {
            return Err(format!("a sample of {} cases anchors nothing", sample.len()).into());
        }
        let mut differ = Vec::new();
        let mut passing = Vec::new();
        for c in &sample {
            let (a, b) = (run_case(c, &real), run_case(c, &zyg));
            if verdict(&a) != verdict(&b) {
                differ.push(format!(
                    "{}: real {:?}, zygote {:?}",
                    c.id,
                    verdict(&a),
                    verdict(&b)
                ));
            } else if a.status() == Status::Passed {
                passing.push(c.clone());
            }
        }
        if !differ.is_empty() {
            return Err(format!(
                "the zygote differs from the real tool on {} of {} cases (ASSETPIN_ZYGOTE=0 \
                 runs the real tool everywhere):\n{}",
                differ.len(),
                sample.len(),
                differ.join("\n")
            )
            .into());
        }
        let mut sabotaged = (*zyg).clone();
        sabotaged
            .spec
            .run
            .env
            .insert("ZYGOTE_SABOTAGE".into(), "exit0".into());
        let controls: Vec<_> = passing
            .iter()
            // Cases that expect a lockfile: a run that writes nothing
            // cannot pass them.
            .filter(|c| !c.expect.lockfile.is_empty() || !c.expect.assets.is_empty())
            .take(3)
            .collect();
        if controls.is_empty() {
            return Err("no passing case to run the negative control on".into());
        }
        for c in controls {
            if run_case(c, &sabotaged).status() == Status::Passed {
                return Err(format!(
                    "negative control: {} passes with a zygote that only exits 0; the \
                     comparison cannot tell a broken stand-in",
                    c.id
                )
                .into());
            }
        }
        eprintln!(
            "{name}: the zygote agreed with the real tool on {} cases",
            sample.len()
        );
        Ok(())
    })
}
