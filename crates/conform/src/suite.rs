//! The case set and one implementation's run over it: loading and
//! selecting cases (`--filter`, `--skip`), running them in parallel, and
//! judging the run ([`ImplRun`]).

use crate::adapter::Adapter;
use crate::args::ConformArgs;
use crate::case::{Case, Step};
use crate::divergence::Known;
use crate::outcome::Status;
use crate::runner::{self, CaseResult};
use crate::source::{CaseProblem, CaseSetError};
use crate::{
    coverage, edit_matrix, hostile, limits, objects, report, source, user_entries, wiki_plants,
};
use rayon::prelude::*;
use std::io::IsTerminal;
use std::path::Path;

/// Loads the case set (built in, or `dir`) and validates every case
/// against the contract's clause ids.
///
/// # Errors
/// Every problem found.
pub fn load_cases(dir: Option<&Path>) -> Result<Vec<Case>, CaseSetError> {
    let cases = match dir {
        Some(d) => source::dir_cases(d)?,
        None => {
            let mut c = source::embedded_cases()?;
            c.extend(hostile::cases()?);
            c.extend(objects::cases()?);
            c.extend(limits::cases()?);
            c.extend(edit_matrix::cases()?);
            c.extend(user_entries::cases()?);
            c.extend(wiki_plants::cases()?);
            c.extend(crate::portable_family::cases()?);
            c.extend(crate::crash::family::cases()?);
            c.extend(crate::interleave::family::cases()?);
            c
        }
    };
    let clauses = assetpin_contract::contract_clauses();
    let problems: Vec<CaseProblem> = cases
        .iter()
        .flat_map(|c| c.validate(&clauses))
        .map(CaseProblem::Invalid)
        .collect();
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(CaseSetError { problems })
    }
}

/// True when `case` is selected by `filters` (empty selects all).
pub fn selected(case: &Case, filters: &[String]) -> bool {
    filters.is_empty() || filters.iter().any(|f| names(case, f))
}

/// Whether `text` names `case`: a contract clause id names the cases
/// citing it (`P1`, not `P10`), any other text the cases whose id
/// contains it. `--filter` and `--skip` both read it so.
fn names(case: &Case, text: &str) -> bool {
    static CLAUSES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    if CLAUSES
        .get_or_init(assetpin_contract::contract_clauses)
        .iter()
        .any(|c| c == text)
    {
        case.clauses.iter().any(|c| c == text)
    } else {
        case.id.contains(text)
    }
}

/// True when `case` is taken: claimed by `ad`, selected by `--filter`,
/// not left out by `--skip`.
pub(crate) fn taken(case: &Case, ad: &Adapter, args: &ConformArgs) -> bool {
    ad.claims_id(&case.id)
        && selected(case, &args.filter)
        && !args.skip.iter().any(|s| names(case, s))
}

/// How many tool processes a case starts, roughly: the cost the
/// scheduler orders by.
fn weight(case: &Case) -> usize {
    let runs: usize = case
        .steps
        .iter()
        .map(|s| match s {
            Step::Run(r) => r.copies.map_or(1, std::num::NonZeroUsize::get),
            Step::Action(_) => 0,
        })
        .sum();
    runs * case.repeat.map_or(1, std::num::NonZeroUsize::get)
}

/// Runs `cases` on a pool of `jobs` threads, calling `tick` after each;
/// the results in `cases`' order. The heaviest cases start first (races,
/// repeats), so that no slow case is left running alone at the end.
pub fn run_cases(
    cases: &[&Case],
    ad: &Adapter,
    jobs: usize,
    tick: &(dyn Fn(&CaseResult) + Sync),
) -> Vec<CaseResult> {
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(weight(cases[i])));
    let run = || {
        // One queue in that order (par_bridge), not rayon's halving.
        let mut done: Vec<(usize, CaseResult)> = order
            .iter()
            .par_bridge()
            .map(|&i| {
                let r = runner::run_case(cases[i], ad);
                tick(&r);
                (i, r)
            })
            .collect();
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, r)| r).collect::<Vec<_>>()
    };
    match rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.clamp(1, cases.len().max(1)))
        .build()
    {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    }
}

/// One implementation's run: its adapter, results and what failed the
/// run besides its cases.
#[derive(Debug)]
pub struct ImplRun {
    /// The adapter.
    pub adapter: Adapter,
    /// Results in case order (only the cases the adapter is for).
    pub results: Vec<CaseResult>,
    /// Clause coverage of these results.
    pub coverage: coverage::Coverage,
    /// Problems that fail this run regardless of cases.
    pub run_errors: Vec<String>,
    /// Ids of failed-and-expected cases (its known divergences).
    pub known: Vec<String>,
}

impl ImplRun {
    /// The single-implementation report of this run.
    pub fn report(&self) -> report::Report<'_> {
        // A program under the current directory is shown relative to it
        // (target/peers/...), so that a kept report names no one's home.
        let exe = &self.adapter.exe;
        let shown = std::env::current_dir()
            .ok()
            .and_then(|d| exe.strip_prefix(d).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| exe.clone());
        report::Report {
            adapter: &self.adapter.spec.name,
            program: format!("{}; {}", self.adapter.spec.description, shown.display()),
            results: &self.results,
            coverage: &self.coverage,
            run_errors: &self.run_errors,
            known: &self.known,
        }
    }

    /// True when this run fails: a case failed (not known) or errored, or
    /// a run error.
    pub fn failed(&self) -> bool {
        !self.run_errors.is_empty()
            || self.results.iter().any(|r| match r.status() {
                Status::Error => true,
                Status::Failed => !self.known.contains(&r.id),
                _ => false,
            })
    }
}

/// Runs the selected cases against one adapter and judges the run.
pub(crate) fn run_impl(
    args: &ConformArgs,
    all: &[Case],
    ad: Adapter,
    known: &Known,
    jobs: usize,
) -> ImplRun {
    let known_file = known.files_text();
    let known = known.divergences.as_slice();
    let mut run_errors = Vec::new();
    for d in known {
        if !all.iter().any(|c| d.matches(&c.id)) {
            run_errors.push(format!(
                "known divergence names case {:?}, which is not in the case set",
                d.case
            ));
        }
    }
    let chosen: Vec<&Case> = all.iter().filter(|c| taken(c, &ad, args)).collect();
    if all.is_empty() {
        run_errors.push(format!(
            "no cases found in {}; a run with zero cases fails",
            args.cases
                .as_ref()
                .map_or("the built-in set".into(), |p| p.display().to_string())
        ));
    } else if chosen.is_empty() {
        run_errors.push(format!(
            "no case selected for adapter {} (its cases = {:?}, --filter {:?}, --skip {:?})",
            ad.spec.name, ad.spec.cases, args.filter, args.skip
        ));
    }
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(chosen.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed}] {prefix} {bar:40} {pos}/{len} {msg}",
        ) {
            b.set_style(style);
        }
        b.set_prefix(ad.spec.name.clone());
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    // A known hang needs only a short limit to be seen hanging again.
    let capped: Vec<std::borrow::Cow<'_, Case>> = chosen
        .iter()
        .map(|c| crate::divergence::capped(c, known))
        .collect();
    let chosen: Vec<&Case> = capped.iter().map(AsRef::as_ref).collect();
    let results = run_cases(&chosen, &ad, jobs, &|r: &CaseResult| {
        bar.set_message(r.id.clone());
        bar.inc(1);
    });
    bar.finish_and_clear();
    let cov = coverage::coverage(&assetpin_contract::contract_clauses(), all, &results);
    if !cov.uncovered.is_empty() {
        run_errors.push(format!(
            "contract clause(s) without a case: {}",
            cov.uncovered.join(", ")
        ));
    }
    let known_ids: Vec<String> = all
        .iter()
        .filter(|c| known.iter().any(|d| d.matches(&c.id)))
        .map(|c| c.id.clone())
        .collect();
    // A race the tool loses only sometimes may pass a run.
    let race = |id: &str| known.iter().any(|d| d.race && d.matches(id));
    for r in &results {
        if r.status() == Status::Passed && known_ids.contains(&r.id) && !race(&r.id) {
            run_errors.push(format!(
                "{} is listed as a known divergence but passed; remove it from {known_file}",
                r.id
            ));
        }
    }
    ImplRun {
        adapter: ad,
        results,
        coverage: cov,
        run_errors,
        known: known_ids,
    }
}
