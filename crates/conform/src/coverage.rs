//! Clause coverage: clause × outcome, and the "no vacuous pass" rules
//! (every contract clause has a case; zero cases fails).

use super::case::Case;
use super::outcome::Status;
use super::runner::CaseResult;

/// One row of the per-clause table.
#[derive(Debug, Clone, Default)]
pub struct ClauseRow {
    /// Clause id.
    pub clause: String,
    /// Start of the clause's text.
    pub title: String,
    /// Cases (in the whole set) that cite it.
    pub cases: usize,
    /// Results that passed.
    pub passed: usize,
    /// Results that failed.
    pub failed: usize,
    /// Results unsupported by the adapter.
    pub unsupported: usize,
    /// Harness errors.
    pub error: usize,
}

/// The per-clause table and the clauses without a case.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// One row per contract clause, in contract order.
    pub rows: Vec<ClauseRow>,
    /// Clauses that no case in the set cites.
    pub uncovered: Vec<String>,
}

/// Builds coverage of `clauses` by the whole case set and by the results
/// that ran.
pub fn coverage(clauses: &[String], all: &[Case], results: &[CaseResult]) -> Coverage {
    let mut rows = Vec::new();
    let mut uncovered = Vec::new();
    for c in clauses {
        let cases = all.iter().filter(|k| k.clauses.contains(c)).count();
        if cases == 0 {
            uncovered.push(c.clone());
        }
        let mut row = ClauseRow {
            clause: c.clone(),
            title: assetpin_contract::clause_title(c),
            cases,
            ..ClauseRow::default()
        };
        for r in results.iter().filter(|r| r.clauses.contains(c)) {
            match r.status() {
                Status::Passed => row.passed += 1,
                Status::Failed => row.failed += 1,
                Status::Unsupported => row.unsupported += 1,
                Status::Error => row.error += 1,
            }
        }
        rows.push(row);
    }
    Coverage { rows, uncovered }
}
