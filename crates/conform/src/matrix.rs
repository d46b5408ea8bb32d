//! Reports over several implementations at once (`conform --adapter A
//! --adapter B ...`): the human table with a column per implementation,
//! JSON and JUnit carrying the implementation, and the self-contained HTML
//! page with the clause × implementation matrix.

use super::outcome::Status;
use super::report::xml;
use super::runner::CaseResult;
use super::suite::ImplRun;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// The verdict of one clause × implementation cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Every case of the clause that ran passed.
    Passed,
    /// A case failed or errored, and is not a known divergence.
    Failed,
    /// Failures, all listed as known divergences.
    Known,
    /// No case of the clause ran (profile, verb or feature not claimed).
    Unsupported,
}

impl Mark {
    /// `passed`, `failed`, `known`, `unsupported`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Passed => "passed",
            Mark::Failed => "failed",
            Mark::Known => "known",
            Mark::Unsupported => "unsupported",
        }
    }

    /// The text mark shown beside the colour (a page read without colour
    /// still tells the cells apart).
    pub fn glyph(self) -> &'static str {
        match self {
            Mark::Passed => "✓",
            Mark::Failed => "✗",
            Mark::Known => "≈",
            Mark::Unsupported => "–",
        }
    }
}

/// One cell: the results of one implementation for one clause.
#[derive(Debug, Clone)]
pub struct Cell<'a> {
    /// The verdict.
    pub mark: Mark,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that ran (passed, failed or errored).
    pub ran: usize,
    /// Failed or errored cases, known divergences included.
    pub bad: Vec<&'a CaseResult>,
}

/// The cell of `clause` in `run`.
pub fn cell<'a>(run: &'a ImplRun, clause: &str) -> Cell<'a> {
    let of: Vec<&CaseResult> = run
        .results
        .iter()
        .filter(|r| r.clauses.iter().any(|c| c == clause))
        .collect();
    let passed = of.iter().filter(|r| r.status() == Status::Passed).count();
    let bad: Vec<&CaseResult> = of
        .iter()
        .copied()
        .filter(|r| matches!(r.status(), Status::Failed | Status::Error))
        .collect();
    let unknown = bad
        .iter()
        .any(|r| r.status() == Status::Error || !run.known.contains(&r.id));
    let mark = if unknown {
        Mark::Failed
    } else if !bad.is_empty() {
        Mark::Known
    } else if passed > 0 {
        Mark::Passed
    } else {
        Mark::Unsupported
    };
    Cell {
        mark,
        passed,
        ran: passed + bad.len(),
        bad,
    }
}

/// The contract's clauses that some implementation ran a case of (a
/// `--filter` run shows only its own rows).
fn clauses_ran(runs: &[ImplRun]) -> Vec<String> {
    assetpin_contract::contract_clauses()
        .into_iter()
        .filter(|c| runs.iter().any(|r| cell(r, c).mark != Mark::Unsupported))
        .collect()
}

fn outcome_of(run: &ImplRun, id: &str) -> String {
    match run.results.iter().find(|r| r.id == id) {
        None => "-".into(),
        Some(r) if r.status() == Status::Failed && run.known.contains(&r.id) => "failed*".into(),
        Some(r) => r.status().as_str().into(),
    }
}

/// The human report for several implementations: a case table with a
/// column per implementation (`-`: not one of its cases), the failures,
/// the clause matrix, and one `<name>: N passed, N failed, N skipped` line
/// each.
pub fn human(runs: &[ImplRun]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "assetpin conform: {} implementations", runs.len());
    for r in runs {
        let _ = writeln!(o, "  {:<24} {}", r.adapter.spec.name, r.report().program);
    }
    let mut ids: Vec<&str> = Vec::new();
    for r in runs {
        for c in &r.results {
            if !ids.contains(&c.id.as_str()) {
                ids.push(&c.id);
            }
        }
    }
    let w = ids.iter().map(|i| i.len()).max().unwrap_or(4).max(4);
    let cw: Vec<usize> = runs
        .iter()
        .map(|r| r.adapter.spec.name.len().max(11))
        .collect();
    let _ = write!(o, "\n{:<w$}", "CASE");
    for (r, cw) in runs.iter().zip(&cw) {
        let _ = write!(o, "  {:<cw$}", r.adapter.spec.name);
    }
    o.push('\n');
    for id in &ids {
        let _ = write!(o, "{id:<w$}");
        for (r, cw) in runs.iter().zip(&cw) {
            let _ = write!(o, "  {:<cw$}", outcome_of(r, id));
        }
        o.push('\n');
    }
    for r in runs {
        o.push_str(&r.report().failures(Some(&r.adapter.spec.name)));
    }
    let _ = write!(o, "\nClauses:\n{:<7}", "CLAUSE");
    for (r, cw) in runs.iter().zip(&cw) {
        let _ = write!(o, "  {:<cw$}", r.adapter.spec.name);
    }
    o.push('\n');
    for cl in clauses_ran(runs) {
        let _ = write!(o, "{cl:<7}");
        for (r, cw) in runs.iter().zip(&cw) {
            let c = cell(r, &cl);
            let t = match c.mark {
                Mark::Unsupported => "unsupported".to_owned(),
                m => format!("{} {}/{}", m.as_str(), c.passed, c.ran),
            };
            let _ = write!(o, "  {t:<cw$}");
        }
        o.push('\n');
    }
    for r in runs {
        for e in &r.run_errors {
            let _ = writeln!(o, "\nrun failed ({}): {e}", r.adapter.spec.name);
        }
    }
    o.push('\n');
    for r in runs {
        let _ = writeln!(o, "{}: {}", r.adapter.spec.name, r.report().summary_line());
    }
    o
}

/// The JSON report for several implementations: `{"implementations":
/// [<the single report of each>], "matrix": [{"clause", "title", "cells":
/// {<name>: {"mark", "passed", "ran", "failing": [ids]}}}]}`.
pub fn json(runs: &[ImplRun]) -> String {
    let impls: Vec<Value> = runs
        .iter()
        .map(|r| serde_json::from_str(&r.report().json()).unwrap_or(Value::Null))
        .collect();
    let matrix: Vec<Value> = clauses_ran(runs)
        .iter()
        .map(|cl| {
            let cells: serde_json::Map<String, Value> = runs
                .iter()
                .map(|r| {
                    let c = cell(r, cl);
                    (
                        r.adapter.spec.name.clone(),
                        json!({
                            "mark": c.mark.as_str(),
                            "passed": c.passed,
                            "ran": c.ran,
                            "failing": c.bad.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(),
                        }),
                    )
                })
                .collect();
            json!({"clause": cl, "title": assetpin_contract::clause_title(cl), "cells": cells})
        })
        .collect();
    serde_json::to_string_pretty(&json!({"implementations": impls, "matrix": matrix}))
        .unwrap_or_default()
}

/// JUnit XML: one `<testsuite>` per implementation (its name), in one
/// `<testsuites>`; one run gives exactly its single report.
pub fn junit(runs: &[ImplRun]) -> String {
    if let [one] = runs {
        return one.report().junit();
    }
    let mut suites = String::new();
    let mut t = super::report::JunitCounts::default();
    for r in runs {
        let rep = r.report();
        let c = rep.junit_counts();
        t.tests += c.tests;
        t.failures += c.failures;
        t.errors += c.errors;
        t.skipped += c.skipped;
        suites.push_str(&rep.junit_suite());
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"assetpin-conform\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n{suites}</testsuites>\n",
        t.tests, t.failures, t.errors, t.skipped
    )
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\
table{border-collapse:collapse}th,td{border:1px solid #bbb;padding:3px 6px;vertical-align:top}\
th{background:#eee;text-align:left}td.c{min-width:9em}\
.passed{background:#d7f5d7}.failed{background:#f8cfcf}.known{background:#fbeec2}\
.unsupported{background:#eceff3;color:#667}\
details summary{cursor:pointer}pre{white-space:pre-wrap;max-width:60em;font-size:12px;margin:.3em 0}\
.t{color:#555;font-size:12px}#matrix tr>th:first-child{min-width:18em;max-width:26em}\
.cases{max-height:28em;max-width:40em;overflow:auto;font-size:12px}.cases pre{max-width:38em}\
.cases summary{white-space:nowrap}";

/// The self-contained HTML page (no network, no external assets): per
/// implementation its program and totals, then the clause ×
/// implementation matrix (`table#matrix`, the clauses some case of the run
/// cites), each cell coloured and marked
/// (✓ passed, ✗ failed, ≈ known divergence, – unsupported); a failing or
/// known cell opens the list of its cases (scrolling past 28 lines), each
/// opening its expected vs observed. Then the edit
/// coverage map of each implementation that ran the edit family.
pub fn html(runs: &[ImplRun]) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>assetpin conform: compatibility matrix</title><style>{STYLE}</style></head><body>\n\
         <h1>assetpin conform: compatibility matrix</h1>\n\
         <p>Clauses of docs/CONTRACT.md (rows) by implementation (columns). \
         <span class=\"passed\">✓ passed</span> \
         <span class=\"failed\">✗ failed</span> \
         <span class=\"known\">≈ known divergence</span> \
         <span class=\"unsupported\">– unsupported</span>; \
         n/m: cases passed of those run. Open a failing cell for expected vs observed.</p>\n\
         <table id=\"summary\"><tr><th>implementation</th><th>program</th><th>passed</th>\
         <th>failed</th><th>known</th><th>skipped</th></tr>\n"
    );
    for r in runs {
        let rep = r.report();
        let failed = rep.count(Status::Failed) + rep.count(Status::Error);
        let known = r
            .results
            .iter()
            .filter(|c| c.status() == Status::Failed && r.known.contains(&c.id))
            .count();
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"t\">{}</td><td>{}</td><td>{}</td><td>{known}</td><td>{}</td></tr>",
            xml(&r.adapter.spec.name),
            xml(&rep.program),
            rep.count(Status::Passed),
            failed - known,
            rep.count(Status::Unsupported)
        );
    }
    o.push_str("</table>\n<h2>Clauses</h2>\n<table id=\"matrix\"><tr><th>clause</th>");
    for r in runs {
        let _ = write!(o, "<th>{}</th>", xml(&r.adapter.spec.name));
    }
    o.push_str("</tr>\n");
    for cl in clauses_ran(runs) {
        let _ = write!(
            o,
            "<tr><th>{}<div class=\"t\">{}</div></th>",
            xml(&cl),
            xml(&assetpin_contract::clause_text(&cl))
        );
        for r in runs {
            let c = cell(r, &cl);
            let label = match c.mark {
                Mark::Unsupported => format!("{} unsupported", c.mark.glyph()),
                m => format!("{} {} {}/{}", m.glyph(), m.as_str(), c.passed, c.ran),
            };
            let _ = write!(
                o,
                "<td class=\"c {}\" data-impl=\"{}\" data-clause=\"{}\" data-mark=\"{}\">",
                c.mark.as_str(),
                xml(&r.adapter.spec.name),
                xml(&cl),
                c.mark.as_str()
            );
            if c.bad.is_empty() {
                o.push_str(&xml(&label));
            } else {
                // One line per case, its expected vs observed behind it, in
                // a list that scrolls: a cell may hold a hundred cases.
                let _ = write!(
                    o,
                    "<details><summary>{}</summary><div class=\"cases\">",
                    xml(&label)
                );
                for b in &c.bad {
                    let tag = if r.known.contains(&b.id) {
                        " (known divergence)"
                    } else {
                        ""
                    };
                    let _ = write!(
                        o,
                        "<details class=\"case\"><summary><b>{}</b>{tag}</summary>\
                         <div class=\"t\">{}</div><pre>{}</pre></details>",
                        xml(&b.id),
                        xml(&b.summary),
                        html_text(&b.details().join("\n"))
                    );
                }
                o.push_str("</div></details>");
            }
            o.push_str("</td>");
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n");
    for r in runs {
        let map = r.report().edit_map();
        if map.is_empty() {
            continue;
        }
        let _ = write!(
            o,
            "<h2>Edit coverage: {}</h2>\n<table class=\"edit\"><tr><th>type</th>",
            xml(&r.adapter.spec.name)
        );
        for (col, _) in super::edit_matrix::MAP {
            let _ = write!(o, "<th>{}</th>", xml(col));
        }
        o.push_str("</tr>\n");
        for (ty, cells) in &map {
            let _ = write!(o, "<tr><th>{}</th>", xml(ty));
            for cell in cells {
                let text = if cell.is_empty() {
                    "no case".to_owned()
                } else {
                    cell.iter()
                        .map(|(id, out)| format!("{id} {out}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let _ = write!(o, "<td>{}</td>", xml(&text));
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</table>\n");
    }
    for r in runs {
        for e in &r.run_errors {
            let _ = writeln!(
                o,
                "<p class=\"failed\">run failed ({}): {}</p>",
                xml(&r.adapter.spec.name),
                xml(e)
            );
        }
    }
    o.push_str("</body></html>\n");
    o
}

/// Escapes text for an HTML element body, keeping line breaks.
fn html_text(s: &str) -> String {
    xml(s).replace("&#10;", "\n")
}
