//! Y1-Y3: names and paths.

use super::{assert_refused, ok, refuses_unchanged, sample_wiki};
use assetpin_test_support::*;
use std::os::unix::fs::symlink;

/// Y1: names of 1..=64 characters from `A-Z a-z 0-9 . _ -` install.
#[assetpin_test]
fn y1_valid_names_install() {
    let long = "a".repeat(64);
    let names = ["a", "My-Skill_1.2", ".hidden", "x..y", &long];
    let wiki = Wiki::with_skills(&names);
    let project = Project::new();
    for n in names {
        ok(&project, &wiki, &["install", "skill", n]);
        assert!(project.dest("skill", n).join("SKILL.md").is_file(), "{n}");
        assert_eq!(
            project.entry("skill", n)["wiki_commit"],
            wiki.head().as_str(),
            "{n}"
        );
    }
}

/// Y1: every other name is `invalid-name`, and nothing is created.
#[assetpin_test]
fn y1_invalid_names_are_refused() {
    let wiki = sample_wiki();
    let project = Project::new();
    let long = "a".repeat(65);
    for bad in [
        "", ".", "..", "../x", "-x", "a b", "a/b", "x/../y", "é", "a\\b", "a:b", &long,
    ] {
        // `--` so that clap passes `-x` through as the name.
        let stderr = refuses_unchanged(
            &project,
            &wiki,
            &["install", "skill", "--", bad],
            "invalid-name",
        );
        assert!(
            stderr.contains(&format!("{bad:?}")),
            "message names {bad:?}: {stderr}"
        );
    }
}

/// Y1: the name is checked before anything is read: with neither the
/// project nor the wiki present, an invalid name is still `invalid-name`.
#[assetpin_test]
fn y1_name_checked_before_anything_is_read() {
    let project = Project::new();
    let missing = project.parent().join("nope");
    let out = assetpin_at(&project.home(), &missing, &missing)
        .args(["install", "skill", "../x"])
        .output()
        .unwrap();
    assert_refused(&out, "invalid-name");
    assert!(!missing.exists());
}

/// Plants a symbolic link at `rel` (inside the project) pointing to the
/// project's `outside/` directory, which holds one file.
fn plant_link(project: &Project, rel: &str) {
    std::fs::write(project.outside().join("keep.txt"), "outside\n").unwrap();
    let link = project.path().join(rel);
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    symlink(project.outside(), link).unwrap();
}

/// Y2: a link planted at `.memtomem` is refused with `unsafe-path`, and
/// nothing is written inside the project or in the link's target.
#[assetpin_test]
fn y2_symlinked_memtomem_dir_is_refused() {
    let wiki = sample_wiki();
    let project = Project::new();
    plant_link(&project, ".memtomem");
    // `refuses_unchanged` snapshots the whole temp dir: project and outside/.
    refuses_unchanged(&project, &wiki, &["install", "skill", "x"], "unsafe-path");
    assert_eq!(ls(&project.outside()), ["keep.txt"]);
}

/// Y2: a link planted at the section directory `.memtomem/skills`.
#[assetpin_test]
fn y2_symlinked_section_dir_is_refused() {
    let wiki = sample_wiki();
    let project = Project::new();
    ok(&project, &wiki, &["install", "agent", "a"]);
    plant_link(&project, ".memtomem/skills");
    refuses_unchanged(&project, &wiki, &["install", "skill", "x"], "unsafe-path");
    assert_eq!(ls(&project.outside()), ["keep.txt"]);
}

/// Y2: a link planted at dest itself.
#[assetpin_test]
fn y2_symlinked_dest_is_refused() {
    let wiki = sample_wiki();
    let project = Project::new();
    ok(&project, &wiki, &["install", "skill", "other"]);
    plant_link(&project, ".memtomem/skills/x");
    refuses_unchanged(&project, &wiki, &["install", "skill", "x"], "unsafe-path");
    assert_eq!(ls(&project.outside()), ["keep.txt"]);
}

/// Y2: a dangling link at `.memtomem` is refused too (nothing is created
/// at its target).
#[assetpin_test]
fn y2_dangling_link_at_memtomem_is_refused() {
    let wiki = sample_wiki();
    let project = Project::new();
    let target = project.outside().join("not-there");
    symlink(&target, project.memtomem()).unwrap();
    refuses_unchanged(&project, &wiki, &["install", "skill", "x"], "unsafe-path");
    assert!(!target.exists());
}

/// Y3: a missing project root is `project-not-found` and is not created.
#[assetpin_test]
fn y3_missing_project_is_refused_and_not_created() {
    let wiki = sample_wiki();
    let project = Project::new();
    let missing = project.parent().join("missing");
    let before = snapshot(project.parent());
    let out = assetpin_at(&project.home(), &missing, wiki.path())
        .args(["install", "skill", "x"])
        .output()
        .unwrap();
    assert_refused(&out, "project-not-found");
    assert_same(
        &before,
        &snapshot(project.parent()),
        "parent of the project",
    );
}

/// Y3: a project root that is a regular file is `project-not-found`.
#[assetpin_test]
fn y3_project_that_is_a_file_is_refused() {
    let wiki = sample_wiki();
    let project = Project::new();
    let file = project.parent().join("file");
    std::fs::write(&file, "not a dir").unwrap();
    let before = snapshot(project.parent());
    let out = assetpin_at(&project.home(), &file, wiki.path())
        .args(["install", "skill", "x"])
        .output()
        .unwrap();
    assert_refused(&out, "project-not-found");
    assert_same(
        &before,
        &snapshot(project.parent()),
        "parent of the project",
    );
}

/// The tests of this module, run by the harness of `tests/tests.rs`.
/// The wiki is `--wiki`, else `$MEMTOMEM_WIKI_PATH`, else
/// `$HOME/.memtomem-wiki`; an empty `MEMTOMEM_WIKI_PATH` counts as unset.
#[assetpin_test]
fn wiki_is_the_flag_then_the_variable_then_home() {
    let (env_wiki, home_wiki) = (
        Wiki::with_skills(&["from-env"]),
        Wiki::with_skills(&["from-home"]),
    );
    let project = Project::new();
    std::fs::create_dir_all(project.home()).unwrap();
    symlink(home_wiki.path(), project.home().join(".memtomem-wiki")).unwrap();
    let run = |var: &str, name: &str| {
        let out = std::process::Command::new(bin())
            .env("HOME", project.home())
            .env("MEMTOMEM_WIKI_PATH", var)
            .args(["--project"])
            .arg(project.path())
            .args(["install", "skill", name])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{var:?} {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(env_wiki.path().to_str().unwrap(), "from-env");
    run("", "from-home");
    assert!(
        project.dest("skill", "from-env").is_dir() && project.dest("skill", "from-home").is_dir()
    );
}

/// Terms (the default wiki): with `HOME` unset the default wiki is found
/// as the peer finds it (the passwd entry's home), never relative to where
/// the command runs; an empty or relative `HOME` is refused as
/// `wiki-not-found` naming `HOME` and the remedies, and the remedy given
/// (`--wiki`) is then accepted. Nothing is written in the working
/// directory either way.
#[assetpin_test]
fn terms_the_default_wiki_is_never_relative_to_the_working_directory() {
    let project = Project::new();
    let cwd = project.parent().join("cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    let run = |home: Option<&str>, extra: &[&str]| {
        let mut c = std::process::Command::new(bin());
        c.current_dir(&cwd)
            .env_remove("MEMTOMEM_WIKI_PATH")
            .env_remove("HOME")
            .stdin(std::process::Stdio::null())
            .arg("--project")
            .arg(project.path())
            .args(extra)
            .arg("status");
        if let Some(h) = home {
            c.env("HOME", h);
        }
        c.output().unwrap()
    };
    // HOME unset: an absolute default (status reads it and says where).
    let out = run(None, &[]);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let home = nix::unistd::User::from_uid(nix::unistd::getuid())
        .unwrap()
        .unwrap()
        .dir;
    let want = format!("wiki {}/.memtomem-wiki ", home.display());
    assert!(text.contains(&want), "want {want:?} in: {text}");
    for home in ["", "relative/home"] {
        let out = run(Some(home), &[]);
        assert_refused(&out, "wiki-not-found");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("HOME") && stderr.contains("--wiki"),
            "{stderr}"
        );
        // The remedy it names is accepted.
        let wiki = sample_wiki();
        let out = run(Some(home), &["--wiki", wiki.path().to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        std::fs::read_dir(&cwd).unwrap().count(),
        0,
        "wrote in the working directory"
    );
}

/// R1: the registry verbs read no wiki, so an unusable `HOME` (empty, or
/// relative) is reported for what they need, the registry, as `io`; not
/// as a wiki that cannot be found. Before, the default wiki was resolved
/// first and the refusal named it.
#[assetpin_test]
fn r1_an_unusable_home_is_the_registrys_problem_for_projects() {
    let project = Project::new();
    for home in ["", "."] {
        for args in [&["projects", "list"][..], &["projects", "add"][..]] {
            let out = std::process::Command::new(bin())
                .env("HOME", home)
                .env_remove("MEMTOMEM_WIKI_PATH")
                .current_dir(project.path())
                .args(args)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{home:?} {args:?}: {err}");
            assert!(
                err.starts_with("error[io]: find the registry under $HOME"),
                "{home:?} {args:?}: {err}"
            );
        }
    }
}
