//! The generated edit family (`w-edit/*`; CONTRACT W1-W6): the guarded
//! edit of an installed asset's main file, as a matrix of asset type ×
//! scenario, in the case format.
//!
//! Every type (skill, agent, command) gets every [`SCENARIOS`] entry: a
//! stale-mtime conflict (the file unchanged, its `mtime_ns` echoed), a
//! fresh edit (it lands and reports the new `mtime_ns`, and the old value
//! is stale from then on), races of 2 and of 8 edits from one read
//! (exactly one lands), a symbolic link planted at the section directory
//! (refused, nothing written inside the project or out), the file's mode
//! kept, and the `--json` shapes (*ext*). The cases read the expected
//! `mtime_ns` with the harness's `stat` action, so they need no JSON from
//! the implementation; the adapter maps `edit` to whatever surface the
//! implementation edits through (the reference's `edit` verb, the peer's
//! web API).

use super::case::Case;

/// The case group (and id prefix) of the family.
pub const GROUP: &str = "w-edit";

/// The scenarios, as (id, clauses, profile).
pub const SCENARIOS: &[(&str, &[&str], &str)] = &[
    ("stale-mtime", &["W2"], "core"),
    ("fresh", &["W1"], "core"),
    ("race-2", &["W3"], "core"),
    ("race-8", &["W3"], "core"),
    ("link-section", &["W4"], "core"),
    ("mode-kept", &["W5", "I3"], "core"),
    ("json", &["W6", "E2", "E3"], "ext"),
];

/// The coverage map's columns: which scenarios stand for the stale-mtime
/// conflict and for the concurrent race (the runner's per-type map).
pub const MAP: &[(&str, &[&str])] = &[
    ("stale-mtime conflict", &["stale-mtime"]),
    ("concurrent race", &["race-2", "race-8"]),
];

/// The types, as (CLI type, section, main file).
pub const TYPES: &[(&str, &str, &str)] = &[
    ("skill", "skills", "SKILL.md"),
    ("agent", "agents", "agent.md"),
    ("command", "commands", "command.md"),
];

fn body(ty: &str, text: &str) -> String {
    format!("---\\nname: a\\ndescription: the {ty} a\\n---\\n{text}\\n")
}

/// The case text for one (type, scenario).
pub fn case_text(
    ty: (&str, &str, &str),
    scenario: &str,
    clauses: &[&str],
    profile: &str,
) -> String {
    let (t, section, main) = ty;
    let file = format!(".memtomem/{section}/a/{main}");
    let exec = if scenario == "mode-kept" {
        ", exec = true"
    } else {
        ""
    };
    let mut s = format!(
        "summary = \"edit of {t} a's {main}: {scenario}\"\nclauses = {clauses:?}\n\
         profile = \"{profile}\"\n{requires}\n\
         [[wiki.commit]]\nlabel = \"c1\"\nfiles = [{{ path = \"{section}/a/{main}\", text = \"{v1}\"{exec} }}]\n\n\
         [project]\nmarker = true\n\n\
         [[step]]\nverb = \"install\"\nargs = [\"{t}\", \"a\"]\n\n\
         [[step]]\naction = \"stat\"\npath = \"{file}\"\ncapture = \"m\"\n\n",
        requires = if profile == "ext" {
            "requires = [\"json\"]\n"
        } else {
            ""
        },
        v1 = body(t, "v1"),
    );
    for i in 0..8 {
        s.push_str(&format!(
            "[[step]]\naction = \"write\"\nroot = \"home\"\npath = \"new-{i}.md\"\ntext = \"{}\"\n\n",
            body(t, &format!("v2 from editor {i}"))
        ));
    }
    let edit = |expect: &str, file: &str| {
        format!(
            "verb = \"edit\"\nargs = [\"{t}\", \"a\", \"--expect-mtime-ns\", \"{expect}\", \
             \"--content-file\", \"${{home}}/{file}\"]\n"
        )
    };
    let v2 = body(t, "v2 from editor 0");
    match scenario {
        "stale-mtime" | "json" => {
            // Another writer changes the file after it was read.
            let theirs = format!("{}theirs\\n", body(t, "v1"));
            s.push_str(&format!(
                "[[step]]\naction = \"append\"\npath = \"{file}\"\ntext = \"theirs\\n\"\n\n\
                 [[step]]\naction = \"touch\"\npath = \"{file}\"\n\n\
                 [[step]]\naction = \"stat\"\npath = \"{file}\"\ncapture = \"theirs\"\n\n\
                 [[step]]\n{run}kind = \"conflict\"\nunchanged = true\n",
                run = edit("${var.m}", "new-0.md"),
            ));
            if scenario == "stale-mtime" {
                s.push_str(&format!(
                    "stderr_has = ['mtime_ns\\D{{0,6}}${{var.theirs}}']\n\n\
                     [expect]\nfiles = [{{ path = \"{file}\", text = \"{theirs}\", mtime_ns = \"${{var.theirs}}\" }}]\n"
                ));
            } else {
                // The aborted shape, then the fresh edit's, from the value
                // just read; the reported mtime_ns is the file's.
                s.push_str(&format!(
                    "json = true\nstdout_json = [{{ pointer = \"/status\", equals = \"aborted\" }}, \
                     {{ pointer = \"/mtime_ns\", matches = '^${{var.theirs}}$' }}]\n\n\
                     [[step]]\n{run}json = true\nstdout_json = [{{ pointer = \"/status\", equals = \"ok\" }}]\n\
                     capture = {{ now = \"/mtime_ns\" }}\n\n\
                     [expect]\nfiles = [{{ path = \"{file}\", text = \"{v2}\", mtime_ns = \"${{var.now}}\" }}]\n",
                    run = edit("${var.theirs}", "new-0.md"),
                ));
            }
        }
        "fresh" => {
            // It lands and says the new value; the old one is stale now.
            s.push_str(&format!(
                "[[step]]\n{run}stdout_has = ['mtime_ns\\D{{0,6}}\\d+']\n\n\
                 [[step]]\naction = \"stat\"\npath = \"{file}\"\ncapture = \"now\"\n\n\
                 [[step]]\n{stale}kind = \"conflict\"\nunchanged = true\n\n\
                 [expect]\nfiles = [{{ path = \"{file}\", text = \"{v2}\", mtime_ns = \"${{var.now}}\" }}]\n\
                 lockfile = [{{ pointer = \"/{section}/a/wiki_commit\", equals = \"${{commit.c1}}\" }}]\n",
                run = edit("${var.m}", "new-0.md"),
                stale = edit("${var.m}", "new-1.md"),
            ));
        }
        "race-2" | "race-8" => {
            let n = if scenario == "race-2" { 2 } else { 8 };
            s.push_str(&format!(
                "[[step]]\n{run}copies = {n}\ncounts = {{ ok = 1, conflict = {lost} }}\n\n\
                 [expect]\nfiles = [{{ path = \"{file}\", matches = '\\A---\\nname: a\\ndescription: the {t} a\\n---\\nv2 from editor [0-7]\\n\\z' }}]\n",
                run = edit("${var.m}", "new-${i}.md"),
                lost = n - 1,
            ));
        }
        "link-section" => {
            // The check reads the file through the link: outside, unchanged.
            s.push_str(&format!(
                "[[step]]\naction = \"plant\"\npath = \".memtomem/{section}\"\nplant = \"link-outside\"\ndir = true\n\n\
                 [[step]]\n{run}kind = \"unsafe-path\"\nunchanged = true\n\n\
                 [expect]\nfiles = [{{ path = \"{file}\", text = \"{v1}\", mtime_ns = \"${{var.m}}\" }}]\n",
                run = edit("${var.m}", "new-0.md"),
                v1 = body(t, "v1"),
            ));
        }
        "mode-kept" => {
            s.push_str(&format!(
                "[[step]]\n{run}\n[expect]\nfiles = [{{ path = \"{file}\", text = \"{v2}\", mode = \"755\" }}]\n",
                run = edit("${var.m}", "new-0.md"),
            ));
        }
        other => unreachable!("scenario {other} has no text"),
    }
    s
}

/// Every case of the family, as (id, case-format text), in a stable order.
pub fn case_texts() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for &ty in TYPES {
        for &(scenario, clauses, profile) in SCENARIOS {
            out.push((
                format!("{GROUP}/{}-{scenario}", ty.0),
                case_text(ty, scenario, clauses, profile),
            ));
        }
    }
    out
}

/// The family, parsed.
///
/// # Errors
/// A generated text that does not parse (a bug in the table), one problem
/// each.
pub fn cases() -> Result<Vec<Case>, super::source::CaseSetError> {
    super::source::parse_all(case_texts())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (type, scenario) once, each valid against the contract, and
    /// every W clause covered by every type.
    #[test]
    fn the_matrix_generates_valid_cases() {
        let clauses = assetpin_contract::contract_clauses();
        let cases = cases().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cases.len(), TYPES.len() * SCENARIOS.len());
        for c in &cases {
            let errs = c.validate(&clauses);
            assert!(errs.is_empty(), "{}: {errs:?}", c.id);
        }
        for w in ["W1", "W2", "W3", "W4", "W5", "W6"] {
            for (t, _, _) in TYPES {
                assert!(
                    cases
                        .iter()
                        .any(|c| c.id.contains(&format!("/{t}-"))
                            && c.clauses.iter().any(|x| x == w)),
                    "{t} has no {w} case"
                );
            }
        }
    }
}
