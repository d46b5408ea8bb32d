//! Adapters as untrusted input to the runner: a layout aimed outside the
//! case's directories, and a setup command that never ends.

use assetpin_test_support::{assetpin_test, bin};
use std::path::Path;
use std::process::{Command, Output};

/// The careless installer's adapter with `extra` appended (TOML), written
/// to `dir/a.toml`.
fn adapter(dir: &Path, layout: &str, run_extra: &str) -> std::path::PathBuf {
    let text = format!(
        r#"name = "probe"
profiles = ["portable"]
features = ["git-source", "manifest"]
cases = ["p-portable/"]
[program]
candidates = ["tests/fixtures/naive-installer/naive.py"]
[run]
cwd = "${{project}}"
env = {{ HOME = "${{home}}" }}
timeout_secs = 2
{run_extra}
[verbs]
install = ["${{exe}}", "install", "${{wiki}}", "${{name}}"]
[layout]
root = ".claude/skills"
manifest_entry = "/skills/${{name}}"
{layout}
"#
    );
    let p = dir.join("a.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn conform(adapter: &Path, filter: &str) -> Output {
    Command::new(bin())
        .args([
            "conform",
            "--format",
            "json",
            "--filter",
            filter,
            "--adapter",
        ])
        .arg(adapter)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn outcome(out: &Output) -> (String, String) {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    let c = &v["cases"][0];
    (
        c["outcome"].as_str().unwrap().to_owned(),
        c["details"].to_string(),
    )
}

/// P8 writes garbage at `${layout.manifest}`: an adapter that puts the
/// manifest outside the case (an absolute path, or `..`) gets a harness
/// error and the file is untouched. Control: the same write under
/// `${home}` happens (the case runs and judges the tool).
#[assetpin_test]
fn layout_outside_the_case_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.json");
    std::fs::write(&victim, "precious\n").unwrap();
    for manifest in [
        victim.display().to_string(),
        "../../../../../../../../..".to_owned() + &victim.display().to_string(),
        "${home}/../victim.json".to_owned(),
    ] {
        let a = adapter(dir.path(), &format!("manifest = {manifest:?}"), "");
        let out = conform(&a, "P8-corrupt-manifest");
        let (o, details) = outcome(&out);
        assert_eq!(o, "error", "{manifest}: {details}");
        assert!(details.contains("leads outside"), "{details}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    }
    let a = adapter(dir.path(), r#"manifest = "${home}/.probe/skills.json""#, "");
    let (o, details) = outcome(&conform(&a, "P8-corrupt-manifest"));
    assert_eq!(
        o, "failed",
        "the careless tool resets the manifest: {details}"
    );
}

/// `run.setup` is bounded by the adapter's timeout like every process.
#[assetpin_test]
fn setup_that_hangs_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let a = adapter(
        dir.path(),
        r#"manifest = "${home}/m.json""#,
        r#"setup = ["sleep", "600"]"#,
    );
    let start = std::time::Instant::now();
    let (o, details) = outcome(&conform(&a, "P6-exec"));
    assert_eq!(o, "error", "{details}");
    assert!(details.contains("still running after 2 s"), "{details}");
    assert!(start.elapsed().as_secs() < 60);
}
