//! `assetpin report summary RUN...`: the clause x implementation table
//! over one or more saved runs. A cell is `passed/ran` of the
//! implementation's cases that cite the clause, marked `ok` (all passed),
//! `FAIL` (a failure not listed as known), `known` (only listed ones) or
//! `-` (none ran).

use super::Run;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// One column: the implementation's name (with the run's file when two
/// runs hold one name) and its cases.
pub struct Column<'a> {
    /// Header.
    pub name: String,
    /// The implementation.
    pub imp: &'a super::Impl,
}

/// The columns of `runs`, in order.
pub fn columns(runs: &[Run]) -> Vec<Column<'_>> {
    let mut cols: Vec<Column<'_>> = Vec::new();
    for r in runs {
        for i in &r.implementations {
            let twice = runs
                .iter()
                .flat_map(|r| &r.implementations)
                .filter(|j| j.adapter == i.adapter)
                .count()
                > 1;
            let name = if twice {
                format!("{} ({})", i.adapter, r.path.display())
            } else {
                i.adapter.clone()
            };
            cols.push(Column { name, imp: i });
        }
    }
    cols
}

/// (mark, passed, ran) of `imp` for `clause`.
pub fn cell(imp: &super::Impl, clause: &str) -> (&'static str, usize, usize) {
    let super::Tally {
        passed,
        ran,
        unknown,
    } = super::tally(
        imp.cases
            .iter()
            .filter(|c| c.clauses.iter().any(|k| k == clause)),
    );
    let mark = if ran == 0 {
        "-"
    } else if passed == ran {
        "ok"
    } else if unknown > 0 {
        "FAIL"
    } else {
        "known"
    };
    (mark, passed, ran)
}

/// Every clause any case of `runs` cites, in contract order.
pub fn clauses(runs: &[Run]) -> Vec<String> {
    let all: BTreeSet<&str> = runs
        .iter()
        .flat_map(|r| &r.implementations)
        .flat_map(|i| &i.cases)
        .flat_map(|c| c.clauses.iter().map(String::as_str))
        .collect();
    let contract = assetpin_contract::contract_clauses();
    let order = |c: &str| contract.iter().position(|k| k == c).unwrap_or(usize::MAX);
    let mut v: Vec<String> = all.into_iter().map(str::to_owned).collect();
    v.sort_by_key(|c| (order(c), c.clone()));
    v
}

/// The human table.
pub fn human(runs: &[Run]) -> String {
    let cols = columns(runs);
    let w = cols
        .iter()
        .map(|c| c.name.len().max(14))
        .collect::<Vec<_>>();
    let mut s = format!("{:<7}", "CLAUSE");
    for (c, w) in cols.iter().zip(&w) {
        let _ = write!(s, " {:<w$}", c.name);
    }
    s.push('\n');
    for cl in clauses(runs) {
        let _ = write!(s, "{cl:<7}");
        for (c, w) in cols.iter().zip(&w) {
            let (mark, p, r) = cell(c.imp, &cl);
            let text = if r == 0 {
                "-".to_owned()
            } else {
                format!("{mark} {p}/{r}")
            };
            let _ = write!(s, " {text:<w$}");
        }
        s.push('\n');
    }
    s
}

/// The JSON table: `{"implementations": [names], "clauses": [{"clause",
/// "cells": {name: {"mark", "passed", "ran"}}}]}`.
pub fn json(runs: &[Run]) -> String {
    let cols = columns(runs);
    let rows: Vec<serde_json::Value> = clauses(runs)
        .iter()
        .map(|cl| {
            let cells: serde_json::Map<String, serde_json::Value> = cols
                .iter()
                .map(|c| {
                    let (mark, passed, ran) = cell(c.imp, cl);
                    (
                        c.name.clone(),
                        serde_json::json!({"mark": mark, "passed": passed, "ran": ran}),
                    )
                })
                .collect();
            serde_json::json!({"clause": cl, "cells": cells})
        })
        .collect();
    let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
    format!(
        "{}\n",
        serde_json::to_string_pretty(
            &serde_json::json!({"implementations": names, "clauses": rows})
        )
        .unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::{doc, write};
    use super::*;

    #[test]
    fn one_row_per_clause_one_column_per_implementation() {
        let t = tempfile::tempdir().unwrap();
        let a = super::super::load(&write(
            t.path(),
            "a.json",
            &doc(
                "x",
                &[("i/I1-a", "core", "passed"), ("k/K3-b", "core", "failed")],
            ),
        ))
        .unwrap();
        let b = super::super::load(&write(
            t.path(),
            "b.json",
            &doc("y", &[("i/I1-a", "core", "unsupported")]),
        ))
        .unwrap();
        let runs = vec![a, b];
        assert_eq!(clauses(&runs), vec!["K3".to_owned(), "I1".to_owned()]);
        let h = human(&runs);
        assert!(h.contains("ok 1/1") && h.contains("FAIL 0/1"), "{h}");
        let v: serde_json::Value = serde_json::from_str(&json(&runs)).unwrap();
        assert_eq!(v["clauses"][1]["cells"]["y"]["mark"], "-");
        assert_eq!(v["clauses"][0]["cells"]["x"]["mark"], "FAIL");
    }
}
