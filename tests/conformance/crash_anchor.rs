//! The crash family's replay anchored to real kills: the process state
//! the replay builds before a call must be exactly what the file system
//! holds when the tool is SIGKILLed at that call (`strace -e
//! inject=<call>:signal=KILL:when=N`), for every `mkdir` and `rename` of
//! `tests/fixtures/crash-installer` (a single-threaded tool, so the N-th
//! call is well defined). Ignored, with the reason, without strace or
//! python3.

use assetpin_conform::crash::model::{FsModel, Recording, umask};
use assetpin_conform::crash::{strace_path, trace};
use assetpin_conform::snapshot::{Snapshot, diff, snapshot};
use libtest_mimic::{Failed, Trial};
use std::path::{Path, PathBuf};
use std::process::Command;

const INSTALLER: &str = "tests/fixtures/crash-installer/install.py";

/// Why the anchor cannot run here.
fn cannot() -> Option<String> {
    if let Err(why) = strace_path() {
        return Some(why);
    }
    match Command::new("python3").arg("--version").output() {
        Ok(o) if o.status.success() => None,
        _ => Some("python3 is not on PATH".into()),
    }
}

/// A wiki (`skills/a` with a nested file) and an empty project, in `dir`.
fn world(dir: &Path) -> Result<(PathBuf, PathBuf), Failed> {
    let wiki = dir.join("wiki");
    let project = dir.join("project");
    std::fs::create_dir_all(wiki.join("skills/a/docs/guide"))
        .map_err(|e| format!("mkdir {}: {e}", wiki.display()))?;
    std::fs::write(wiki.join("skills/a/SKILL.md"), "---\nname: a\n---\n# a\n")?;
    std::fs::write(wiki.join("skills/a/docs/guide/x.md"), "x\n")?;
    std::fs::create_dir_all(&project)?;
    Ok((wiki, project))
}

/// Runs the installer under strace with the options `strace_extra`, in
/// `project`.
fn run(project: &Path, wiki: &Path, strace_extra: &[&str]) -> Result<(), Failed> {
    let strace = strace_path().map_err(Failed::from)?;
    let installer = std::env::current_dir()?.join(INSTALLER);
    // The interpreter itself, not a version manager's shim: `when=N`
    // counts the calls of each process, and a shim is another process.
    let py = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()?;
    let py = String::from_utf8_lossy(&py.stdout).trim().to_owned();
    // Exactly these options: `-f` twice would be `-ff` (a file per process).
    let status = Command::new(strace)
        .args(strace_extra)
        .arg("--")
        .arg(py)
        .arg(installer)
        .args(["--fsync", "install"])
        .arg(wiki)
        .arg("a")
        .current_dir(project)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .map_err(|e| format!("run strace: {e}"))?;
    // A killed run ends by the signal; only the recording must succeed.
    if strace_extra.iter().any(|a| a.starts_with("inject=")) || status.status.success() {
        Ok(())
    } else {
        Err(format!(
            "the installer failed under strace: {}: {}",
            status.status,
            String::from_utf8_lossy(&status.stderr).trim()
        )
        .into())
    }
}

fn anchor() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let base = std::fs::canonicalize(dir.path())?;
    let (wiki, project) = world(&base.join("rec"))?;
    let out = base.join("trace");
    let mut args = trace::strace_args();
    args.extend(["-o".into(), out.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&project, &wiki, &args)?;
    let text = std::fs::read_to_string(&out)
        .map_err(|e| format!("read the recording {}: {e}", out.display()))?;
    let calls = trace::parse(&text)?;
    let empty: Snapshot = snapshot(&project, &[])
        .into_iter()
        .filter(|(k, _)| k == ".")
        .collect();
    let rec = Recording::new(&[(project.clone(), &empty)])?.replay(&calls, umask(), &project)?;
    let mut checked = 0;
    for name in ["mkdir", "rename"] {
        let at: Vec<usize> = rec
            .calls
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.split_once(' ')
                    .is_some_and(|(_, r)| r.starts_with(&format!("{name}(")))
            })
            .map(|(i, _)| i)
            .collect();
        if at.is_empty() {
            return Err(format!("the recording has no {name}: nothing to anchor").into());
        }
        for (n, k) in at.iter().enumerate() {
            let (wiki_n, project_n) = world(&base.join(format!("{name}-{n}")))?;
            let inject = format!("inject={name}:signal=KILL:when={}", n + 1);
            run(
                &project_n,
                &wiki_n,
                &["-f", "-q", "-e", &inject, "-o", "/dev/null"],
            )?;
            let real = snapshot(&project_n, &[]);
            let replayed = &rec.states(FsModel::Process, *k)[0].1[0];
            // The two runs differ in their directory names only.
            let d = diff(replayed, &real);
            if !d.is_empty() {
                return Err(format!(
                    "killed at {name} #{} (`{}`): the replay differs from the disk: {}",
                    n + 1,
                    rec.calls[*k],
                    d.join("; ")
                )
                .into());
            }
            checked += 1;
        }
    }
    eprintln!("crash anchor: {checked} real kills matched the replay");
    Ok(())
}

/// The trial.
pub fn trials(trials: &mut Vec<Trial>) {
    let why = cannot();
    if let Some(w) = &why {
        eprintln!("note: crash::replay_matches_real_kills is ignored: {w}");
    }
    trials.push(
        Trial::test("crash::replay_matches_real_kills", anchor).with_ignored_flag(why.is_some()),
    );
}
