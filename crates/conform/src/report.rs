//! Report formats: a human table with failures and the per-clause table,
//! `--format json`, and `--format junit` (one testcase per case).

use super::coverage::Coverage;
use super::outcome::{Failure, Status};
use super::runner::CaseResult;
use serde_json::json;
use std::fmt::Write as _;

/// One cell of the edit coverage map: (case id without the group,
/// outcome) for each case of the cell.
pub type EditCell = Vec<(String, String)>;

/// Everything a report needs.
#[derive(Debug)]
pub struct Report<'a> {
    /// Adapter name.
    pub adapter: &'a str,
    /// Adapter description and program.
    pub program: String,
    /// Case results, in case order.
    pub results: &'a [CaseResult],
    /// Clause coverage.
    pub coverage: &'a Coverage,
    /// Problems that fail the run regardless of cases (vacuous pass).
    pub run_errors: &'a [String],
    /// Failed cases that a known-divergences file lists.
    pub known: &'a [String],
}

impl Report<'_> {
    /// Count of results with outcome `o`.
    pub fn count(&self, o: Status) -> usize {
        self.results.iter().filter(|r| r.status() == o).count()
    }

    /// The closing line: `N passed, N failed[ (K known)], N skipped`
    /// (errors count as failed; unsupported as skipped; K the failures
    /// that are listed known divergences).
    pub fn summary_line(&self) -> String {
        let skipped = self.count(Status::Unsupported);
        let mut s = format!(
            "{} passed, {} failed",
            self.count(Status::Passed),
            self.count(Status::Failed) + self.count(Status::Error)
        );
        let known = self.known_failures();
        if known > 0 {
            let _ = write!(s, " ({known} known)");
        }
        if skipped > 0 {
            let _ = write!(s, ", {skipped} skipped");
        }
        s
    }

    /// The human report.
    pub fn human(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "assetpin conform: adapter {} ({}), {} cases",
            self.adapter,
            self.program,
            self.results.len()
        );
        let _ = writeln!(o);
        let w = self
            .results
            .iter()
            .map(|r| r.id.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let _ = writeln!(
            o,
            "{:<w$}  {:<11}  {:>7}  CLAUSES",
            "CASE", "OUTCOME", "TIME"
        );
        for r in self.results {
            let mut outcome = r.status().as_str().to_owned();
            if r.status() == Status::Failed && self.known.contains(&r.id) {
                outcome = "failed*".into();
            }
            let _ = writeln!(
                o,
                "{:<w$}  {:<11}  {:>5}ms  {}",
                r.id,
                outcome,
                r.duration.as_millis(),
                r.clauses.join(" ")
            );
        }
        let crashed: Vec<_> = self.results.iter().filter(|r| r.crash.is_some()).collect();
        if !crashed.is_empty() {
            let _ = writeln!(
                o,
                "\nCrash states (changes recorded, distinct states checked, of them recovered from):"
            );
            for r in crashed {
                if let Some(c) = r.crash {
                    let _ = writeln!(
                        o,
                        "{:<w$}  {:<11}  {:>5} changes  {:>5} states  {:>5} recovered",
                        r.id,
                        r.status().as_str(),
                        c.changes,
                        c.states,
                        c.recovered
                    );
                }
            }
        }
        o.push_str(&self.failures(None));
        let _ = writeln!(o, "\nClauses:");
        let _ = writeln!(
            o,
            "{:<7}{:>6}{:>8}{:>8}{:>13}{:>7}  TITLE",
            "CLAUSE", "CASES", "PASSED", "FAILED", "UNSUPPORTED", "ERROR"
        );
        for c in &self.coverage.rows {
            let _ = writeln!(
                o,
                "{:<7}{:>6}{:>8}{:>8}{:>13}{:>7}  {}",
                c.clause, c.cases, c.passed, c.failed, c.unsupported, c.error, c.title
            );
        }
        let map = self.edit_map();
        if !map.is_empty() {
            let _ = writeln!(o, "\nEdit coverage (asset type x path, W2 and W3):");
            let cols: Vec<&str> = super::edit_matrix::MAP.iter().map(|(c, _)| *c).collect();
            let _ = writeln!(
                o,
                "{:<9}{}",
                "TYPE",
                cols.iter()
                    .map(|c| format!("{c:<44}"))
                    .collect::<String>()
                    .trim_end()
            );
            for (ty, cells) in &map {
                let line: String = cells
                    .iter()
                    .map(|cell| {
                        let text = if cell.is_empty() {
                            "no case".to_owned()
                        } else {
                            cell.iter()
                                .map(|(id, out)| format!("{id} {out}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        };
                        format!("{text:<44}")
                    })
                    .collect();
                let _ = writeln!(o, "{ty:<9}{}", line.trim_end());
            }
        }
        if !self.known.is_empty() {
            let n = self
                .results
                .iter()
                .filter(|r| r.status() == Status::Failed && self.known.contains(&r.id))
                .count();
            let _ = writeln!(
                o,
                "\n{n} failed case(s) marked * are known divergences listed in the expectations file."
            );
        }
        for e in self.run_errors {
            let _ = writeln!(o, "\nrun failed: {e}");
        }
        let _ = writeln!(o);
        o.push_str(&self.summary_line());
        o.push('\n');
        o
    }

    /// The failures section: each failed or errored case with expected
    /// vs observed, its id led by `<who>: ` when given; empty when none.
    pub fn failures(&self, who: Option<&str>) -> String {
        let mut o = String::new();
        let bad: Vec<&CaseResult> = self
            .results
            .iter()
            .filter(|r| matches!(r.status(), Status::Failed | Status::Error))
            .collect();
        if bad.is_empty() {
            return o;
        }
        let of = who.map_or(String::new(), |w| format!(" of {w}"));
        let lead = who.map_or(String::new(), |w| format!("{w}: "));
        let _ = writeln!(o, "\nFailures{of} (expected vs observed):");
        for r in bad {
            let known = if self.known.contains(&r.id) {
                " [known divergence]"
            } else {
                ""
            };
            let _ = writeln!(
                o,
                "\n--- {lead}{} [{}] {}{known}\n    {}",
                r.id,
                r.status().as_str(),
                r.clauses.join(" "),
                r.summary
            );
            for d in &r.details() {
                // A tool chooses file names and output: no control
                // character of theirs reaches the terminal.
                let _ = writeln!(o, "    {}", super::check::printable(d));
            }
        }
        o
    }

    /// The edit family's coverage map: per asset type, per column of
    /// [`super::edit_matrix::MAP`], the cases run and their outcomes
    /// (`failed*` for a known divergence); empty when no edit case ran.
    pub fn edit_map(&self) -> Vec<(&'static str, Vec<EditCell>)> {
        use super::edit_matrix::{GROUP, MAP, TYPES};
        if !self.results.iter().any(|r| r.group == GROUP) {
            return Vec::new();
        }
        TYPES
            .iter()
            .map(|(ty, _, _)| {
                let cells = MAP
                    .iter()
                    .map(|(_, scenarios)| {
                        scenarios
                            .iter()
                            .filter_map(|sc| {
                                let id = format!("{GROUP}/{ty}-{sc}");
                                let r = self.results.iter().find(|r| r.id == id)?;
                                let mut out = r.status().as_str().to_owned();
                                if r.status() == Status::Failed && self.known.contains(&r.id) {
                                    out.push('*');
                                }
                                Some((id.trim_start_matches("w-edit/").to_owned(), out))
                            })
                            .collect()
                    })
                    .collect();
                (*ty, cells)
            })
            .collect()
    }

    /// The JSON report. Each case's `details` are its report lines;
    /// `failures_detail` gives a failed case's failures structured,
    /// `[{"check", "expected", "observed", "clause"}]` (null where the
    /// check has no such value), one per line of `details`.
    pub fn json(&self) -> String {
        let cases: Vec<_> = self
            .results
            .iter()
            .map(|r| {
                json!({
                    "implementation": self.adapter,
                    "id": r.id,
                    "group": r.group,
                    "clauses": r.clauses,
                    "profile": r.profile.as_str(),
                    "summary": r.summary,
                    "outcome": r.status().as_str(),
                    "known_divergence": r.status() == Status::Failed && self.known.contains(&r.id),
                    "duration_ms": r.duration.as_millis() as u64,
                    "tool_ms": r.tool_time.as_secs_f64() * 1e3,
                    "crash": r.crash.map(|c| json!({
                        "changes": c.changes,
                        "states": c.states,
                        "recovered": c.recovered,
                    })),
                    "details": r.details(),
                    "failures_detail": r.outcome.failures().iter().map(Failure::to_json).collect::<Vec<_>>(),
                })
            })
            .collect();
        let clauses: Vec<_> = self
            .coverage
            .rows
            .iter()
            .map(|c| {
                json!({"clause": c.clause, "cases": c.cases, "passed": c.passed,
                       "failed": c.failed, "unsupported": c.unsupported, "error": c.error})
            })
            .collect();
        let v = json!({
            "adapter": self.adapter,
            "program": self.program,
            "summary": {
                "cases": self.results.len(),
                "passed": self.count(Status::Passed),
                "failed": self.count(Status::Failed),
                "unsupported": self.count(Status::Unsupported),
                "error": self.count(Status::Error),
            },
            "run_errors": self.run_errors,
            "clauses": clauses,
            "edit_map": self.edit_map().iter().map(|(ty, cells)| {
                let cols: serde_json::Map<String, serde_json::Value> = super::edit_matrix::MAP
                    .iter()
                    .zip(cells)
                    .map(|((col, _), cell)| {
                        let v: Vec<_> = cell
                            .iter()
                            .map(|(id, out)| json!({"case": format!("w-edit/{id}"), "outcome": out}))
                            .collect();
                        ((*col).to_owned(), json!(v))
                    })
                    .collect();
                json!({"type": ty, "cells": cols})
            }).collect::<Vec<_>>(),
            "cases": cases,
        });
        serde_json::to_string_pretty(&v).unwrap_or_default()
    }

    /// The JUnit XML report: one `<testcase>` per case; failed is
    /// `<failure>`, error is `<error>`, unsupported is `<skipped>`.
    pub fn junit(&self) -> String {
        let mut o = String::new();
        let total = self.total_secs();
        let c = self.junit_counts();
        let _ = writeln!(o, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        let _ = writeln!(
            o,
            r#"<testsuites name="assetpin-conform" tests="{}" failures="{}" errors="{}" skipped="{}" time="{total:.3}">"#,
            c.tests, c.failures, c.errors, c.skipped
        );
        o.push_str(&self.junit_suite());
        let _ = writeln!(o, "</testsuites>");
        o
    }

    /// The cases' time together, in seconds.
    fn total_secs(&self) -> f64 {
        // `+ 0.0`: an empty f64 sum is -0.0, printed "-0.000".
        self.results
            .iter()
            .map(|r| r.duration.as_secs_f64())
            .sum::<f64>()
            + 0.0
    }

    /// Failed cases that are listed known divergences.
    fn known_failures(&self) -> usize {
        self.results
            .iter()
            .filter(|r| r.status() == Status::Failed && self.known.contains(&r.id))
            .count()
    }

    /// The counts of [`Report::junit_suite`]'s testcases: one per case and
    /// one per run error (`tests`); a known divergence is skipped, not a
    /// failure, as the exit status treats it.
    pub fn junit_counts(&self) -> JunitCounts {
        let known = self.known_failures();
        JunitCounts {
            tests: self.results.len() + self.run_errors.len(),
            failures: self.count(Status::Failed) - known,
            errors: self.count(Status::Error) + self.run_errors.len(),
            skipped: self.count(Status::Unsupported) + known,
        }
    }

    /// One `<testsuite>` element: a testcase per case (a failure, an
    /// error, or skipped when unsupported or a known divergence) and one
    /// named `run` per run error.
    pub fn junit_suite(&self) -> String {
        let mut o = String::new();
        let total = self.total_secs();
        let c = self.junit_counts();
        let _ = writeln!(
            o,
            r#"  <testsuite name="{}" tests="{}" failures="{}" errors="{}" skipped="{}" time="{total:.3}">"#,
            xml(self.adapter),
            c.tests,
            c.failures,
            c.errors,
            c.skipped
        );
        for r in self.results {
            let _ = write!(
                o,
                r#"    <testcase classname="{}.{}" name="{}" time="{:.3}""#,
                xml(self.adapter),
                xml(&r.group),
                xml(&r.id),
                r.duration.as_secs_f64()
            );
            let body = xml(&format!(
                "{}\n{}",
                r.clauses.join(" "),
                r.details().join("\n")
            ));
            let first = xml(r.details().first().map_or("", String::as_str));
            match r.status() {
                Status::Passed => {
                    let _ = writeln!(o, "/>");
                }
                Status::Failed if self.known.contains(&r.id) => {
                    let _ = writeln!(
                        o,
                        ">\n      <skipped message=\"known divergence: {first}\"/>\n      \
                         <system-out>{body}</system-out>\n    </testcase>"
                    );
                }
                Status::Failed => {
                    let _ = writeln!(
                        o,
                        ">\n      <failure message=\"{first}\">{body}</failure>\n    </testcase>"
                    );
                }
                Status::Error => {
                    let _ = writeln!(
                        o,
                        ">\n      <error message=\"{first}\">{body}</error>\n    </testcase>"
                    );
                }
                Status::Unsupported => {
                    let _ = writeln!(
                        o,
                        ">\n      <skipped message=\"{first}\"/>\n    </testcase>"
                    );
                }
            }
        }
        for e in self.run_errors {
            let _ = writeln!(
                o,
                "    <testcase classname=\"{}.run\" name=\"run\">\n      <error message=\"{}\"/>\n    </testcase>",
                xml(self.adapter),
                xml(e)
            );
        }
        let _ = writeln!(o, "  </testsuite>");
        o
    }
}

/// Testcase counts of one JUnit suite.
#[derive(Debug, Clone, Copy, Default)]
pub struct JunitCounts {
    /// Testcases: the cases and the run errors.
    pub tests: usize,
    /// Failed cases that are not known divergences.
    pub failures: usize,
    /// Errored cases and run errors.
    pub errors: usize,
    /// Unsupported cases and known divergences.
    pub skipped: usize,
}

/// Escapes text for XML attributes and content; drops characters XML 1.0
/// cannot carry.
pub fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\n' => o.push_str("&#10;"),
            '\t' | '\r' => o.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => o.push('?'),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::xml;

    #[test]
    fn xml_escapes_markup_and_controls() {
        assert_eq!(xml("a<b>&\"'\u{1}"), "a&lt;b&gt;&amp;&quot;&apos;?");
    }
}
