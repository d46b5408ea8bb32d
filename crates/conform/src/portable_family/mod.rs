//! The generated portable family (`p-portable/<part>:<variant>`; CONTRACT
//! group P): every generator of the core profile carried to any skill
//! installer, through the adapter's declared layout (`${layout.root}`,
//! `${dest.<name>}`, `${layout.manifest}`), so each case runs against any
//! tool that installs one skill by name. Its parts:
//!
//! - [`layout`]: the hostile plants at every path of the layout the tool
//!   touches (install root, the directory above it, dest, manifest), and
//!   in the git metadata of a git source (P1, P8, P10);
//! - [`trees`]: what a skill's tree may hold: links of every shape,
//!   `.git`, junk, executables, odd names and bytes, hostile git objects
//!   (P2-P6, P12);
//! - [`manifest`]: the manifest corrupted in its variants (P8);
//! - [`history`]: concurrent installs checked as a history, reinstalls
//!   over every kind of change and over the user's own edits, and
//!   uncommitted states of a git source (P5, P7, P9, P13).
//!
//! Most cases judge their install with the portable verdict
//! ([`crate::case::Whole`]): a success leaves dest a committed tree and
//! the manifest entries, a failure says so and leaves dest and the
//! manifest as they were; nothing outside the project changes; no hang.
//! `assetpin conform --list --filter p-portable/` shows them all.

mod history;
mod layout;
mod manifest;
mod trees;

use super::case::Case;
use super::source::quoted;

/// The case group (and id prefix) of the family.
pub const GROUP: &str = "p-portable";

/// The id prefixes of the family's parts (`p-portable/plant:` ...): the
/// hand-written portable cases are `p-portable/P<n>-...`.
pub const PARTS: [&str; 8] = [
    "p-portable/plant:",
    "p-portable/wiki-plant:",
    "p-portable/tree:",
    "p-portable/object:",
    "p-portable/manifest:",
    "p-portable/race:",
    "p-portable/reinstall:",
    "p-portable/source:",
];

/// The per-process time limit of a judged step, seconds: a tool on
/// Node.js takes about a second on a loaded machine; a hang is killed.
pub const TIME_LIMIT_SECS: u64 = 20;

/// `SKILL.md` of skill `name`, with the front matter portable tools
/// require, as a TOML string.
fn skill_md(name: &str, tag: &str) -> String {
    quoted(&format!(
        "---\nname: {name}\ndescription: skill {name} of the generated portable cases\n---\n# {name}{tag}\n"
    ))
}

/// One file spec `{ path = ..., text = ... }` plus `more` fields.
fn file(path: &str, text: &str, more: &str) -> String {
    format!(
        "{{ path = {}, text = {}{more} }}",
        quoted(path),
        quoted(text)
    )
}

/// A `[[wiki.commit]]` labelled `label` holding `files` (specs), and the
/// `SKILL.md` of each of `skills`.
fn commit(label: &str, skills: &[&str], files: &[String]) -> String {
    let mut all: Vec<String> = skills
        .iter()
        .map(|s| {
            format!(
                "{{ path = \"skills/{s}/SKILL.md\", text = {} }}",
                skill_md(s, "")
            )
        })
        .collect();
    all.extend(files.iter().cloned());
    format!(
        "[[wiki.commit]]\nlabel = {}\nfiles = [\n  {},\n]\n\n",
        quoted(label),
        all.join(",\n  ")
    )
}

/// The case's head: summary, clauses, profile, requirements.
fn head(summary: &str, clauses: &[&str], requires: &[&str]) -> String {
    let list = |v: &[&str]| v.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(", ");
    format!(
        "summary = {}\nclauses = [{}]\nprofile = \"portable\"\nrequires = [{}]\n\n",
        quoted(summary),
        list(clauses),
        list(requires)
    )
}

/// A plain install of `name` that must succeed (the state a case starts
/// from).
fn install(name: &str) -> String {
    format!(
        "[[step]]\nverb = \"install\"\nargs = [\"skill\", {}]\n\n",
        quoted(name)
    )
}

/// The judged install of `name` under the portable verdict: dest one of
/// `commits`, the manifest entries `entries` on success, the manifest
/// kept on failure (`kept`); `exit` is `any` or `nonzero`.
fn judged(name: &str, commits: &[&str], entries: &[&str], kept: bool, exit: &str) -> String {
    let list = |v: &[&str]| v.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(", ");
    format!(
        "[[step]]\nverb = \"install\"\nargs = [\"skill\", {n}]\nexit = \"{exit}\"\n\
         timeout_secs = {TIME_LIMIT_SECS}\n\
         whole = {{ name = {n}, commit = [{}], entries = [{}], manifest_kept = {kept} }}\n\n",
        list(commits),
        list(entries),
        n = quoted(name),
    )
}

/// Every case of the family, as (id, case-format text), in a stable order.
pub fn case_texts() -> Vec<(String, String)> {
    let mut out = Vec::new();
    out.extend(layout::case_texts());
    out.extend(trees::case_texts());
    out.extend(manifest::case_texts());
    out.extend(history::case_texts());
    out
}

/// The family, parsed.
///
/// # Errors
/// A generated text that does not parse (a bug in a table).
pub fn cases() -> Result<Vec<Case>, super::source::CaseSetError> {
    super::source::parse_all(case_texts())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every part yields its table once; every text parses and validates;
    /// every case has a judged step or a check of its own.
    #[test]
    fn the_tables_generate_valid_cases() {
        let cases = cases().unwrap_or_else(|e| panic!("{e}"));
        let n = layout::count() + trees::count() + manifest::count() + history::count();
        crate::source::assert_valid_family(&cases, n);
        for c in &cases {
            let e = &c.expect;
            let judged = c
                .steps
                .iter()
                .filter_map(|s| s.as_run())
                .any(|r| r.whole.is_some())
                || !(e.no_bytes.is_empty()
                    && e.files.is_empty()
                    && e.dests.is_empty()
                    && e.kept_bytes.is_empty());
            assert!(judged, "{}: neither a portable verdict nor a check", c.id);
            assert_eq!(c.profile.as_str(), "portable", "{}", c.id);
        }
        for c in &cases {
            assert!(
                PARTS.iter().any(|p| c.id.starts_with(p)),
                "{} is in no part",
                c.id
            );
        }
        for p in PARTS {
            let k = cases.iter().filter(|c| c.id.starts_with(p)).count();
            eprintln!("{p} {k} cases");
            assert!(k > 0, "part {p} is empty");
        }
    }
}
