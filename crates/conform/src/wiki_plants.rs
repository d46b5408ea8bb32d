//! The generated wiki-plants family (`n-wiki-plants/*`; CONTRACT E4, I5,
//! I1): the hostile family's plants ([`crate::hostile::plants_for`]) at
//! every path of the wiki a verb may open, in its work tree and its git
//! metadata, and at the git files of `$HOME` git reads for it (its
//! configuration, includes and rule files: [`HOME_TARGETS`]), for every
//! verb that reads the wiki. The verdict is the
//! hostile one (a classified refusal that writes nothing, or a correct
//! result; nothing outside the project changed; no timeout, signal or
//! crash trace), and the wiki's work tree is never written.
//!
//! A table ([`TARGETS`] and [`HOME_TARGETS`] × plants × [`VERBS`]) turned into case-format
//! text by [`crate::hostile::plant_case_text`];
//! `assetpin conform --list --filter n-wiki-plants` shows them all.

use super::case::Case;
use super::hostile::{Target, VerbCase, plant_case_text, plants_for};

/// The case group (and id prefix) of the family.
pub const GROUP: &str = "n-wiki-plants";

const fn w(id: &'static str, path: &'static str, dir: bool, what: &'static str) -> Target {
    Target {
        id,
        root: "wiki",
        path,
        dir,
        what,
    }
}

/// Every path of the wiki a verb may open for asset `skill a`, besides
/// the asset's own files (those are `h-hostile`'s `wiki-asset` and
/// `wiki-file`).
pub const TARGETS: &[Target] = &[
    w("head", ".git/HEAD", false, "the wiki's HEAD"),
    w(
        "ref",
        ".git/refs/heads/main",
        false,
        "the branch HEAD names",
    ),
    w("refs", ".git/refs", true, "the refs directory"),
    w("packed-refs", ".git/packed-refs", false, "the packed refs"),
    w("index", ".git/index", false, "the wiki's index"),
    w("config", ".git/config", false, "the wiki's git config"),
    w(
        "info-exclude",
        ".git/info/exclude",
        false,
        "the exclude file",
    ),
    w(
        "info-attributes",
        ".git/info/attributes",
        false,
        "the attributes file of .git/info",
    ),
    w(
        "alternates",
        ".git/objects/info/alternates",
        false,
        "the alternates file",
    ),
    w("objects", ".git/objects", true, "the object store"),
    w(
        "gitattributes",
        "skills/a/.gitattributes",
        false,
        "the asset's .gitattributes",
    ),
    w(
        "gitignore-top",
        ".gitignore",
        false,
        "the wiki's top .gitignore",
    ),
    w(
        "gitignore",
        "skills/a/.gitignore",
        false,
        "the asset's .gitignore",
    ),
];

const fn h(id: &'static str, path: &'static str, what: &'static str) -> Target {
    Target {
        id,
        root: "home",
        path,
        dir: false,
        what,
    }
}

/// The git files of the case's `$HOME` that git reads for the wiki: the
/// user's configuration, what it includes and the rule files it names
/// ([`HOME_GITCONFIG`]), and the XDG defaults.
pub const HOME_TARGETS: &[Target] = &[
    h("gitconfig", ".gitconfig", "the user's git configuration"),
    h(
        "xdg-config",
        ".config/git/config",
        "the user's XDG git configuration",
    ),
    h(
        "include",
        "included.gitconfig",
        "a file the user's git configuration includes",
    ),
    h(
        "excludes-file",
        "excludes",
        "the file core.excludesFile names",
    ),
    h(
        "attributes-file",
        "attributes",
        "the file core.attributesFile names",
    ),
    h("xdg-ignore", ".config/git/ignore", "the XDG excludes file"),
    h(
        "xdg-attributes",
        ".config/git/attributes",
        "the XDG attributes file",
    ),
];

/// What a home target's case writes at `$HOME/.gitconfig` before the
/// plant: it names the `include`, `excludes-file` and `attributes-file`
/// targets. The XDG defaults are read only where the configuration names
/// no file, so their cases write none.
pub const HOME_GITCONFIG: &str = "[include]\n\tpath = ~/included.gitconfig\n\
     [core]\n\texcludesFile = ~/excludes\n\tattributesFile = ~/attributes\n";

/// The step that writes [`HOME_GITCONFIG`] for the target `t`, if it needs one.
fn before(t: &Target) -> String {
    if t.root != "home" || t.path.starts_with(".config/") {
        return String::new();
    }
    format!(
        "[[step]]\naction = \"write\"\nroot = \"home\"\npath = \".gitconfig\"\ntext = {}\n\n",
        super::source::quoted(HOME_GITCONFIG)
    )
}

/// The verbs that read the wiki: the hostile family's, but `remove`
/// (which reads only the project).
pub fn verbs() -> impl Iterator<Item = &'static VerbCase> {
    super::hostile::VERBS.iter().filter(|v| v.id != "remove")
}

/// Every case of the family, as (id, case-format text), in a stable order.
pub fn case_texts() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for v in verbs() {
        for t in TARGETS.iter().chain(HOME_TARGETS) {
            for p in plants_for(t.dir) {
                out.push((
                    format!("{GROUP}/{}:{}:{p}", v.id, t.id),
                    plant_case_text(v, t, p, &before(t)),
                ));
            }
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

    /// The table yields every (verb, target, plant) once, every text
    /// parses and validates, and every judged step has the hostile
    /// verdict.
    #[test]
    fn the_table_generates_valid_cases() {
        let cases = cases().unwrap_or_else(|e| panic!("{e}"));
        let per_verb: usize = TARGETS
            .iter()
            .chain(HOME_TARGETS)
            .map(|t| plants_for(t.dir).len())
            .sum();
        assert_eq!(per_verb, 11 * 8 + 2 * 7 + 7 * 8);
        crate::source::assert_valid_family(&cases, verbs().count() * per_verb);
        crate::source::assert_each_judged(&cases, |r| r.hostile.is_some());
    }
}
