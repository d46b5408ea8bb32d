//! Y1: names. Arbitrary strings are accepted exactly when they follow the
//! rule, and no accepted name resolves outside dest's section directory.

use assetpin::asset::{is_valid_name, validate_name};
use assetpin::{AssetType, Kind};
use assetpin_test_support::{Project, Wiki, assetpin, first_line, snapshot};
use proptest::prelude::*;
use std::path::{Component, Path};

/// Y1 as the clause states it, with the sharpening that a name is never
/// spelled like a per-asset lock file (`.<x>.lock`, K3).
fn oracle(name: &str) -> bool {
    let n = name.chars().count();
    !(name.starts_with('.') && name.ends_with(".lock"))
        && (1..=64).contains(&n)
        && name != "."
        && name != ".."
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-')
}

/// Strings near the rule: its alphabet with the edge lengths, the special
/// names, separators and arbitrary Unicode.
pub fn arb_name_like() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[A-Za-z0-9._-]{0,3}",
        2 => "[A-Za-z0-9._-]{62,66}",
        1 => proptest::sample::select(vec![".", "..", "-", "-a", "a-", "...", ".a", "a.", "_", ".a.lock", ".lock", "a.lock", ".a.lockx"])
            .prop_map(str::to_owned),
        2 => "[A-Za-z0-9._/\\\\ \\x00é-]{1,6}",
        1 => any::<String>(),
    ]
}

proptest! {
    #![proptest_config(crate::config(2048))]

    /// Y1: accepted exactly when the oracle accepts; a refusal is
    /// `invalid-name`; an accepted name is one normal path component, so
    /// `<section>/<name>` is a direct child of the section directory.
    #[test]
    fn y1_names_match_oracle(name in arb_name_like()) {
        prop_assert_eq!(is_valid_name(&name), oracle(&name), "{:?}", name);
        match validate_name(&name) {
            Ok(()) => {
                prop_assert!(oracle(&name));
                let comps: Vec<Component> = Path::new(&name).components().collect();
                prop_assert_eq!(comps, vec![Component::Normal(name.as_ref())]);
                let section = Path::new("/p/.memtomem/skills");
                let dest = section.join(&name);
                prop_assert_eq!(dest.parent(), Some(section));
            }
            Err(e) => {
                prop_assert!(!oracle(&name));
                prop_assert_eq!(e.kind, Kind::InvalidName);
            }
        }
    }
}

proptest! {
    #![proptest_config(crate::config(24))]

    /// Y1, I5: through the binary, an invalid name is refused with
    /// `invalid-name` before anything is written, and a valid one the wiki
    /// lacks is `asset-not-found`; the project is left as it was.
    #[test]
    fn y1_binary_refuses_before_writing(
        name in arb_name_like().prop_filter("argv cannot hold NUL; clap reads a leading '-' as a flag",
            |n| !n.contains('\0') && !n.starts_with('-') && n != "present"),
        ty in proptest::sample::select(AssetType::ALL.to_vec()),
    ) {
        let wiki = Wiki::with_skills(&["present"]);
        let project = Project::new();
        let before = snapshot(project.path());
        let out = assetpin(&project, &wiki)
            .args(["install", ty.as_str(), &name])
            .output()
            .unwrap();
        let kind = if oracle(&name) { "asset-not-found" } else { "invalid-name" };
        let first = first_line(&out.stderr);
        prop_assert!(first.starts_with(&format!("error[{kind}]: ")), "{:?}: {}", name, first);
        prop_assert_eq!(out.status.code(), Some(1));
        prop_assert!(before == snapshot(project.path()), "project changed");
    }
}

/// Terms: the CLI spelling, the section and the display of each type
/// round-trip, and nothing else parses as a type or a section.
#[test]
fn terms_type_spellings_round_trip() {
    use std::str::FromStr;
    let spellings = [
        (AssetType::Skill, "skill", "skills"),
        (AssetType::Agent, "agent", "agents"),
        (AssetType::Command, "command", "commands"),
    ];
    for (ty, cli, section) in spellings {
        assert_eq!(ty.as_str(), cli);
        assert_eq!(ty.section(), section);
        assert_eq!(ty.to_string(), cli);
        assert_eq!(AssetType::from_str(cli), Ok(ty));
        assert_eq!(AssetType::from_section(section), Some(ty));
        assert_eq!(AssetType::from_section(cli), None);
        assert!(AssetType::from_str(section).is_err());
    }
    assert_eq!(AssetType::from_section(""), None);
    assert!(AssetType::from_str("").is_err());
}
