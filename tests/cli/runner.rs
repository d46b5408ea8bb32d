//! The runner against hostile tools and inputs: a tool that leaves a
//! process holding its output or hangs past the timeout, an adapter whose
//! layout lives under `$HOME`, FIFOs and directories where files are
//! expected, reports aimed at the run's own inputs, and the counts a CI
//! reads from JUnit.

use assetpin_test_support::{assetpin_test, bin, mkfifo};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const NAIVE: &str = "tests/fixtures/naive-installer/naive.toml";

/// `assetpin conform ARGS` from `cwd`, killed (and the test failed) when
/// it is still running after `limit`.
fn conform_in(cwd: &Path, args: &[&str], env: &[(&str, &str)], limit: Duration) -> Output {
    let child = Command::new(bin())
        .arg("conform")
        .args(args)
        .envs(env.iter().copied())
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            panic!("conform {args:?} still running after {limit:?}");
        }
    }
}

fn conform(args: &[&str]) -> Output {
    conform_in(Path::new(REPO), args, &[], Duration::from_secs(120))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The single case of a `--format json` report: (outcome, details).
fn only_case(out: &Output) -> (String, String) {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    let c = &v["cases"][0];
    (
        c["outcome"].as_str().unwrap_or("?").to_owned(),
        c["details"].to_string(),
    )
}

/// The outcome and details of the one case `filter` selects, run against
/// adapter `a` from the repository root.
fn one_case(filter: &str, a: &Path) -> (String, String) {
    only_case(&conform(&[
        "--format",
        "json",
        "--filter",
        filter,
        "--adapter",
        a.to_str().unwrap(),
    ]))
}

/// Writes `body` to `dir/name`, executable (mode 0755), and returns its
/// path.
fn executable(dir: &Path, name: impl AsRef<Path>, body: &str) -> PathBuf {
    let exe = dir.join(name);
    std::fs::write(&exe, body).unwrap();
    std::fs::set_permissions(&exe, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    exe
}

/// A portable adapter for the shell script `tool` (its first argument
/// the mode), a 3-second timeout.
fn script_adapter(dir: &Path, tool: &str, mode: &str) -> PathBuf {
    let exe = executable(dir, "tool.sh", tool);
    let a = dir.join(format!("{mode}.toml"));
    std::fs::write(
        &a,
        format!(
            r#"name = "{mode}"
profiles = ["portable"]
cases = ["p-portable/"]
[program]
candidates = [{exe:?}]
[run]
timeout_secs = 3
[verbs]
install = ["${{exe}}", "{mode}", "${{wiki}}", "${{name}}"]
[layout]
root = ".claude/skills"
"#
        ),
    )
    .unwrap();
    a
}

/// Whether a process whose command line is exactly `cmd` is running.
fn running(cmd: &str) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        std::fs::read(e.path().join("cmdline"))
            .is_ok_and(|c| String::from_utf8_lossy(&c).replace('\0', " ").trim() == cmd)
    })
}

/// A tool that exits but leaves a child holding its stdout and stderr,
/// and one that hangs with a child (the shell does not exec it): the run
/// ends within the timeout plus a grace, the timeout is named, and no
/// process of theirs is left. Before the tool's process group was killed
/// the first took the child's whole life and the second never ended.
#[assetpin_test]
fn a_tool_and_what_it_started_end_together() {
    let dir = tempfile::tempdir().unwrap();
    let n = 40_000 + std::process::id() % 10_000;
    let tool = format!(
        "#!/bin/sh\ncase \"$1\" in\n  bg) (sleep {n} &); echo started >&2; exit 1;;\n  \
         hang) sleep {m}; true;;\n  \
         esc) setsid sleep {e} & sleep 0.5; echo nope >&2; exit 1;;\nesac\n",
        m = n + 1,
        e = n + 2
    );
    let modes = [
        ("bg", format!("sleep {n}")),
        ("hang", format!("sleep {}", n + 1)),
        ("esc", format!("sleep {}", n + 2)),
    ];
    for (mode, leftover) in modes {
        let a = script_adapter(dir.path(), &tool, mode);
        let start = Instant::now();
        let out = conform_in(
            Path::new(REPO),
            &[
                "--format",
                "json",
                "--filter",
                "P10-unknown-skill",
                "--adapter",
                a.to_str().unwrap(),
            ],
            &[],
            Duration::from_secs(60),
        );
        let took = start.elapsed();
        let (outcome, details) = only_case(&out);
        assert!(
            took < Duration::from_secs(20),
            "{mode}: took {took:?}: {details}"
        );
        if mode == "hang" {
            assert_eq!(outcome, "failed", "{details}");
            assert!(
                details.contains("still running at the adapter's timeout"),
                "{details}"
            );
        }
        if mode == "esc" {
            // It left the group (setsid; the tool waits until it has, or
            // the group's kill may win the race): the case fails, and the
            // run's end kills it all the same.
            assert_eq!(outcome, "failed", "{details}");
            assert!(details.contains("outlived it"), "{details}");
        }
        std::thread::sleep(Duration::from_millis(200));
        assert!(!running(&leftover), "{mode}: `{leftover}` outlived the run");
    }
}

/// An adapter whose install root is under `$HOME` (the confinement rule's
/// own remedy): P1 plants its links there, so a tool that follows them
/// fails. When the layout's variables held the unexpanded template, the
/// link went to a directory named `${home}` in the project and the
/// careless tool passed.
#[assetpin_test]
fn p1_with_a_layout_under_home_still_plants_its_links() {
    let dir = tempfile::tempdir().unwrap();
    let naive = std::fs::read_to_string(Path::new(REPO).join(NAIVE)).unwrap();
    let home = naive
        .replace(r#"cwd = "${project}""#, r#"cwd = "${home}""#)
        .replace(
            r#"root = ".claude/skills""#,
            r#"root = "${home}/.claude/skills""#,
        )
        .replace(
            r#"manifest = ".claude/skills.json""#,
            r#"manifest = "${home}/.claude/skills.json""#,
        );
    assert_ne!(home, naive, "the fixture changed; update this test");
    let a = dir.path().join("naive-home.toml");
    std::fs::write(&a, home).unwrap();
    for case in ["P1-root-link", "P1-parent-link"] {
        let (outcome, details) = one_case(case, &a);
        assert_eq!(
            outcome, "failed",
            "{case}: the careless tool must fail: {details}"
        );
        assert!(
            details.contains("written outside the project"),
            "{case}: {details}"
        );
    }
}

/// FIFOs where the run reads an adapter, a known-divergences file or a
/// case, and where it writes a report with nobody reading: each is a usage
/// error at once (exit 2, `error[usage]` naming the path), never a hang.
#[assetpin_test]
fn fifos_in_place_of_files_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let cases = dir.path().join("cases/p-x");
    std::fs::create_dir_all(&cases).unwrap();
    mkfifo(&cases.join("a.toml"));
    let f = fifo.to_str().unwrap();
    let c = dir.path().join("cases");
    let runs: [&[&str]; 4] = [
        &["--list", "--adapter", f],
        &["--list", "--known", f],
        &["--list", "--cases", c.to_str().unwrap()],
        &["--filter", "Y1-dot", "--html", f],
    ];
    for args in runs {
        let out = conform_in(Path::new(REPO), args, &[], Duration::from_secs(30));
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("error[usage]: "), "{args:?}: {err}");
    }
}

/// A directory named like a built-in adapter in the current directory
/// does not hide the built-in (the default `--adapter reference` included).
#[assetpin_test]
fn a_directory_named_reference_does_not_hide_the_builtin() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("reference")).unwrap();
    std::fs::create_dir(dir.path().join("memtomem")).unwrap();
    for args in [&["--list"][..], &["--list", "--adapter", "memtomem"][..]] {
        // Listing needs no peer: any file will do as its program.
        let env = [("ASSETPIN_MM", "/bin/true")];
        let out = conform_in(dir.path(), args, &env, Duration::from_secs(30));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stdout).contains("y-names/"), "{args:?}");
    }
}

/// `$ASSETPIN_<NAME>` given relative to the current directory finds the
/// program although each case runs elsewhere.
#[assetpin_test]
fn a_relative_program_path_is_taken_where_it_was_given() {
    let dir = tempfile::tempdir().unwrap();
    let naive = std::fs::read_to_string(Path::new(REPO).join(NAIVE)).unwrap();
    let a = dir.path().join("naive-env.toml");
    std::fs::write(
        &a,
        naive.replace(
            "[program]\n",
            "[program]\nenv = \"ASSETPIN_NAIVE_UNDER_TEST\"\n",
        ),
    )
    .unwrap();
    let out = conform_in(
        Path::new(REPO),
        &[
            "--format",
            "json",
            "--filter",
            "P10-no-source",
            "--adapter",
            a.to_str().unwrap(),
        ],
        &[(
            "ASSETPIN_NAIVE_UNDER_TEST",
            "tests/fixtures/naive-installer/naive.py",
        )],
        Duration::from_secs(60),
    );
    let (outcome, details) = only_case(&out);
    assert_eq!(outcome, "failed", "ran the tool and judged it: {details}");
}

/// A report aimed at the run's own adapter or known-divergences file, or
/// both reports at one file, is refused before anything runs and the
/// input keeps its bytes.
#[assetpin_test]
fn a_report_never_overwrites_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("known.toml");
    std::fs::write(&known, "# mine\n").unwrap();
    let naive = Path::new(REPO).join(NAIVE);
    let naive_bytes = std::fs::read(&naive).unwrap();
    let out_file = dir.path().join("out.xml");
    let (k, n, o) = (
        known.to_str().unwrap(),
        naive.to_str().unwrap(),
        out_file.to_str().unwrap(),
    );
    let runs: [&[&str]; 3] = [
        &["--adapter", n, "--known", k, "--html", k],
        &["--adapter", n, "--junit", n],
        &["--adapter", n, "--junit", o, "--html", o],
    ];
    std::fs::write(&out_file, "").unwrap();
    for args in runs {
        let mut all = vec!["--filter", "P10-no-source"];
        all.extend_from_slice(args);
        let out = conform(&all);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stderr).starts_with("error[usage]: "), "{args:?}");
    }
    assert_eq!(std::fs::read_to_string(&known).unwrap(), "# mine\n");
    assert_eq!(std::fs::read(&naive).unwrap(), naive_bytes);
    // A report file the refused run had already made is taken back.
    let fresh = dir.path().join("fresh.xml");
    let out = conform(&[
        "--filter",
        "P10-no-source",
        "--adapter",
        n,
        "--junit",
        fresh.to_str().unwrap(),
        "--html",
        n,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(!fresh.exists(), "the refused run left {}", fresh.display());
}

/// JUnit's counts are those of its testcases, and a known divergence is
/// skipped (the run exits 0 on it, so a CI reading JUnit must not go red).
#[assetpin_test]
fn junit_counts_match_its_testcases() {
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("known.toml");
    std::fs::write(
        &known,
        "[[divergence]]\ncase = \"p-portable/P10-no-source\"\nclause = \"P10\"\n\
         does = \"exits 0\"\nwhy = \"test\"\n",
    )
    .unwrap();
    let out = conform(&[
        "--adapter",
        NAIVE,
        "--known",
        known.to_str().unwrap(),
        "--filter",
        "P10-no-source",
        "--format",
        "junit",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let x = text(&out.stdout);
    let attr = |name: &str| -> usize {
        let at = x.find("<testsuite ").unwrap();
        let rest = &x[at..];
        let v = rest.split(&format!(" {name}=\"")).nth(1).unwrap();
        v[..v.find('"').unwrap()].parse().unwrap()
    };
    assert_eq!(attr("tests"), x.matches("<testcase ").count(), "{x}");
    assert_eq!(attr("failures"), x.matches("<failure ").count(), "{x}");
    assert_eq!(attr("skipped"), x.matches("<skipped ").count(), "{x}");
    assert_eq!(
        (attr("tests"), attr("failures"), attr("skipped")),
        (1, 0, 1),
        "{x}"
    );
    assert!(x.contains("known divergence: "), "{x}");
}

/// `--json` is `--format json` here as for every verb; usage errors then
/// come as one JSON object too; `--jobs 0` is a usage error; a clause id
/// filter selects that clause only (`P1`, not `P10`).
#[assetpin_test]
fn json_jobs_and_clause_filters() {
    let out = conform(&["--json", "--list", "--filter", "P1", "--adapter", NAIVE]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cases = v["cases"].as_array().unwrap();
    let cites = |c: &serde_json::Value, id: &str| {
        c["clauses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x.as_str() == Some(id))
    };
    assert!(
        cases.iter().any(|c| c["id"] == "p-portable/P1-dest-link")
            && cases.iter().all(|c| cites(c, "P1")),
        "{cases:?}"
    );
    // P1 names the cases citing P1, not those citing only P10.
    assert!(
        !cases
            .iter()
            .any(|c| c["id"] == "p-portable/P10-unknown-skill"),
        "{cases:?}"
    );
    let out = conform(&["--json", "--adapter", "no-such-adapter.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "usage", "{v}");
    let out = conform(&["--jobs", "0", "--list"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

/// Adapter mistakes that would make every case error (or none run) are
/// refused when the adapter loads, each naming what to change; so are an
/// empty `--filter` (it matched every case) and a `--list` that selects
/// nothing.
#[assetpin_test]
fn adapter_mistakes_are_refused_when_it_loads() {
    let dir = tempfile::tempdir().unwrap();
    let naive = std::fs::read_to_string(Path::new(REPO).join(NAIVE)).unwrap();
    let install = r#"install = ["${exe}", "install", "${wiki}", "${name}"]"#;
    assert!(naive.contains(install) && naive.contains("timeout_secs = 30"));
    let broken = [
        (
            "empty-argv",
            naive.replace(install, "install = []"),
            "verbs.install is empty",
        ),
        (
            "timeout-0",
            naive.replace("timeout_secs = 30", "timeout_secs = 0"),
            "timeout_secs = 0",
        ),
        (
            "name",
            naive.replace(r#"name = "naive""#, r#"name = "a=b""#),
            "cannot name it",
        ),
        (
            "pattern",
            naive.replace("[errors]\n", "[errors]\npattern = '^error: '\n"),
            "no `(?P<kind>...)` group",
        ),
    ];
    for (what, body, says) in broken {
        let a = dir.path().join(format!("{what}.toml"));
        std::fs::write(&a, body).unwrap();
        let out = conform(&["--list", "--adapter", a.to_str().unwrap()]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        assert!(
            err.starts_with("error[usage]: ") && err.contains(says),
            "{what}: {err}"
        );
    }
    for args in [
        &["--list", "--filter", ""][..],
        &["--list", "--filter", "no-such-case"][..],
    ] {
        let out = conform(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

/// A tool killed at the timeout never passes a case, even one whose
/// expectations it would otherwise meet (P1-dest-link: nothing written
/// outside; before, a tool that only hung passed it).
#[assetpin_test]
fn a_tool_killed_at_the_timeout_never_passes() {
    let dir = tempfile::tempdir().unwrap();
    let a = script_adapter(dir.path(), "#!/bin/sh\nexec sleep 600\n", "sleeper");
    let (outcome, details) = one_case("P1-dest-link", &a);
    assert_eq!(outcome, "failed", "{details}");
    assert!(details.contains("did not exit by itself"), "{details}");
}

/// The harness's own git commands leave nothing running: the end-of-run
/// note counts only what the tools left (before, each commit of a case's
/// wiki left a detached `git maintenance`, and a run of the reference
/// "killed 1136 processes the tools left").
#[assetpin_test]
fn the_harness_itself_leaves_no_process_behind() {
    let out = conform(&["--filter", "i-install/I1-deleted-file"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(!err.contains("left running"), "{err}");
}

/// A process a tool starts outside its group (`setsid`, output closed)
/// and leaves running is killed when the step ends, and the run's note
/// names its case. Before, it ran until the end of the run, which counted
/// it without saying which case left it.
#[assetpin_test]
fn a_process_left_running_is_killed_with_its_step_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let n = 70_000 + std::process::id() % 10_000;
    let a = script_adapter(
        dir.path(),
        &format!("#!/bin/sh\nsetsid sleep {n} </dev/null >/dev/null 2>&1 &\nsleep 0.3\nexit 1\n"),
        "daemon",
    );
    let out = conform(&[
        "--filter",
        "P10-unknown-skill",
        "--adapter",
        a.to_str().unwrap(),
    ]);
    let err = text(&out.stderr);
    assert!(
        err.contains("1 as their step ended (p-portable/P10-unknown-skill: 1)"),
        "{err}"
    );
    assert!(!err.contains("at the end of the run"), "{err}");
    assert!(!running(&format!("sleep {n}")));
}

/// `conform --filter P10-no-source` (one case) against a tool that runs
/// the shell line `body`, with case directories under `tmp`, returned
/// once the process `leftover` (the body's command line) runs.
fn start_stuck(dir: &Path, tmp: &Path, body: &str, leftover: &str) -> std::process::Child {
    let a = script_adapter(dir, &format!("#!/bin/sh\n{body}\n"), "stuck");
    let child = Command::new(bin())
        .args(["conform", "--filter", "P10-no-source", "--adapter"])
        .arg(&a)
        .env("TMPDIR", tmp)
        .current_dir(REPO)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !running(leftover) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the tool never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// SIGTERM (or Ctrl-C) to `conform` kills the tools it is running and
/// removes the cases' temporary directories: the tools run in groups of
/// their own, so a terminal's signal no longer reaches them by itself.
#[assetpin_test]
fn an_interrupted_run_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let n = 50_000 + std::process::id() % 10_000;
    let leftover = format!("sleep {n}");
    let child = start_stuck(
        dir.path(),
        tmp.path(),
        &format!("sleep {n}; true"),
        &leftover,
    );
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    std::thread::sleep(Duration::from_millis(200));
    assert!(!running(&leftover), "the tool outlived the interrupted run");
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "temporary directories left: {left:?}");
}

/// `run.cwd` must be the case's project or `$HOME` (or under them): a tool
/// started in `/tmp` would write where no case looks.
#[assetpin_test]
fn a_cwd_outside_the_case_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let naive = std::fs::read_to_string(Path::new(REPO).join(NAIVE)).unwrap();
    let a = dir.path().join("cwd.toml");
    std::fs::write(
        &a,
        naive.replace(r#"cwd = "${project}""#, r#"cwd = "/tmp""#),
    )
    .unwrap();
    let (outcome, details) = one_case("P3-dotgit", &a);
    assert_eq!(outcome, "error", "{details}");
    assert!(
        details.contains("run.cwd") && details.contains("leads outside"),
        "{details}"
    );
}

/// A tool that leaves a huge sparse file in the project (8 GiB, no disk)
/// costs the harness nothing: it is never read, and a check that needs
/// its bytes fails instead of passing unread. Before, every snapshot read
/// it whole: 16 GB of memory for one case; here the run gets 1 GiB of
/// address space.
#[assetpin_test]
fn a_huge_sparse_file_from_a_tool_is_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let tool = "#!/bin/sh\nmkdir -p .claude/skills/$3 && cp -r \"$2/skills/$3/.\" .claude/skills/$3/ \
                && truncate -s 8G .claude/skills/$3/big\n";
    let a = script_adapter(dir.path(), tool, "sparse");
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576; exec \"$0\" \"$@\"")
        .arg(bin())
        .args([
            "conform",
            "--format",
            "json",
            "--filter",
            "P2-link-outside",
            "--adapter",
        ])
        .arg(&a)
        .current_dir(REPO)
        .output()
        .unwrap();
    let (outcome, details) = only_case(&out);
    assert_eq!(outcome, "failed", "{details}");
    assert!(details.contains("more than the harness reads"), "{details}");
}

/// A tool that leaves a tree 20,000 levels deep in the project: the run
/// judges the case and removes its directories (std's recursive removal
/// overflowed a worker's stack and aborted the whole run, leaving every
/// case directory behind).
#[assetpin_test]
fn a_deep_tree_from_a_tool_is_removed_with_its_case() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let tool = "#!/usr/bin/env python3\nimport os, shutil, sys\n\
                d = os.path.join('.claude/skills', sys.argv[3])\n\
                shutil.copytree(os.path.join(sys.argv[2], 'skills', sys.argv[3]), d)\n\
                os.chdir(d)\nfor _ in range(20000):\n    os.mkdir('d')\n    os.chdir('d')\n";
    let a = script_adapter(dir.path(), tool, "deep");
    let out = Command::new(bin())
        .args([
            "conform",
            "--format",
            "json",
            "--filter",
            "P6-exec",
            "--adapter",
        ])
        .arg(&a)
        .env("TMPDIR", tmp.path())
        .current_dir(REPO)
        .output()
        .unwrap();
    let (outcome, details) = only_case(&out);
    assert!(
        outcome == "passed" || outcome == "failed",
        "{outcome}: {details}"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "case directories left: {left:?}");
}

/// `SIGKILL` to `conform` (no handler runs) still ends the tool it was
/// running: the tool gets `SIGKILL` when its runner dies. Before, the tool
/// ran on, orphaned, until it ended by itself.
#[assetpin_test]
fn a_tool_dies_with_a_killed_runner() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let n = 60_000 + std::process::id() % 10_000;
    let leftover = format!("sleep {n}");
    let mut child = start_stuck(
        dir.path(),
        tmp.path(),
        &format!("exec sleep {n}"),
        &leftover,
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let start = Instant::now();
    while running(&leftover) {
        if start.elapsed() > Duration::from_secs(5) {
            let _ = Command::new("pkill")
                .args(["-KILL", "-fx", &leftover])
                .status();
            panic!("the tool outlived its killed runner by 5 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A case directory whose case deletes `../../victim` (the file beside
/// the case's temporary directory): the case set is refused, by `--list`
/// and by a run, naming the case and the path, and the victim stays.
/// Before, the run joined the path to the project and deleted it.
#[assetpin_test]
fn a_case_path_that_leads_outside_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, "mine\n").unwrap();
    let cases = dir.path().join("cases/e-x");
    std::fs::create_dir_all(&cases).unwrap();
    std::fs::write(
        cases.join("evil.toml"),
        "summary = \"deletes outside\"\nclauses = [\"E1\"]\n\
         [[step]]\naction = \"delete\"\npath = \"../../victim\"\n\
         [[step]]\naction = \"sleep\"\nms = 1\n\
         [[expect.files]]\npath = \"x\"\nabsent = true\n",
    )
    .unwrap();
    let c = dir.path().join("cases");
    let tmp_env = [("TMPDIR", tmp.path().to_str().unwrap())];
    for args in [
        &["--list", "--cases", c.to_str().unwrap()][..],
        &["--cases", c.to_str().unwrap(), "--adapter", "reference"][..],
    ] {
        let out = conform_in(Path::new(REPO), args, &tmp_env, Duration::from_secs(60));
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("e-x/evil") && err.contains("../../victim"),
            "{args:?}: {err}"
        );
        assert!(victim.exists(), "{args:?}: the case deleted its victim");
    }
    // Bounds on `sleep` and `copies` are validated the same way.
    std::fs::write(
        cases.join("evil.toml"),
        "summary = \"too much\"\nclauses = [\"E1\"]\n\
         [[step]]\naction = \"sleep\"\nms = 3600000\n\
         [[step]]\nverb = \"status\"\ncopies = 100000\nexit = \"any\"\n",
    )
    .unwrap();
    let out = conform_in(
        Path::new(REPO),
        &["--list", "--cases", c.to_str().unwrap()],
        &tmp_env,
        Duration::from_secs(60),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("3600000") && err.contains("100000"), "{err}");
}

/// A path that is inside the case's directories as written but leads
/// outside through a link an earlier step planted (or a link at its end)
/// is refused when the action runs: the case errors naming the path, and
/// nothing outside is written, made or chmodded. Before, a `symlink` step
/// to a directory outside let the next `write`, `mkdir` and `chmod` reach it.
#[assetpin_test]
fn a_case_path_through_a_planted_link_to_outside_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let victim = tempfile::tempdir().unwrap();
    let kept = victim.path().join("kept");
    std::fs::write(&kept, "mine\n").unwrap();
    std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o644)).unwrap();
    let cases = dir.path().join("cases/e-x");
    std::fs::create_dir_all(&cases).unwrap();
    let v = victim.path().display();
    let k = kept.display();
    for (name, action) in [
        (
            "write",
            "action = \"write\"\npath = \"lnk/escaped\"\ntext = \"x\"",
        ),
        ("mkdir", "action = \"mkdir\"\npath = \"lnk/escaped\""),
        (
            "chmod",
            "action = \"chmod\"\npath = \"lnk/kept\"\nmode = \"600\"",
        ),
        (
            "last",
            "action = \"chmod\"\npath = \"last\"\nmode = \"600\"",
        ),
    ] {
        std::fs::write(
            cases.join(format!("{name}.toml")),
            format!(
                "summary = \"escapes\"\nclauses = [\"E1\"]\n\
                 [[step]]\naction = \"symlink\"\npath = \"lnk\"\ntarget = \"{v}\"\n\
                 [[step]]\naction = \"symlink\"\npath = \"last\"\ntarget = \"{k}\"\n\
                 [[step]]\n{action}\n\
                 [[expect.files]]\npath = \"x\"\nabsent = true\n"
            ),
        )
        .unwrap();
    }
    let c = dir.path().join("cases");
    let out = conform_in(
        Path::new(REPO),
        &["--cases", c.to_str().unwrap(), "--adapter", "reference"],
        &[],
        Duration::from_secs(60),
    );
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_ne!(out.status.code(), Some(0), "{all}");
    for name in ["write", "mkdir", "chmod", "last"] {
        assert!(all.contains(&format!("e-x/{name}")), "{name}: {all}");
    }
    assert_eq!(
        all.matches("leads outside the case's directories through a link")
            .count(),
        4,
        "{all}"
    );
    assert!(
        !victim.path().join("escaped").exists(),
        "written outside: {all}"
    );
    let mode = std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "chmodded outside: {all}");
}

/// `assetpin conform --cases cases --adapter adapter` (60 s at most):
/// its output, and stdout and stderr as one text.
fn run_cases(cases: &Path, adapter: &Path) -> (std::process::Output, String) {
    let out = conform_in(
        Path::new(REPO),
        &[
            "--cases",
            cases.to_str().unwrap(),
            "--adapter",
            adapter.to_str().unwrap(),
        ],
        &[],
        Duration::from_secs(60),
    );
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    (out, all)
}

/// A core adapter `name` for cases under `e-x/` whose `install` runs the
/// shell script `tool` (made executable in `dir`) with `args`.
fn core_script_adapter(dir: &Path, name: &str, tool: &str, args: &str) -> PathBuf {
    let exe = executable(dir, format!("{name}.sh"), tool);
    let a = dir.join(format!("{name}.toml"));
    std::fs::write(
        &a,
        format!(
            "name = \"{name}\"\nprofiles = [\"core\"]\ncases = [\"e-x/\"]\n\
             [program]\ncandidates = [{exe:?}]\n[run]\ntimeout_secs = 10\n\
             [verbs]\ninstall = [\"${{exe}}\"{args}]\n"
        ),
    )
    .unwrap();
    a
}

/// A step's `limits` reach the tool, and `SIGXFSZ` is back at its
/// default there although the runner (this binary) ignores it: a tool
/// that writes past `fsize` without handling it is killed by the signal,
/// and the case says so. With the runner's ignored disposition inherited,
/// the write would fail with EFBIG instead and hide that tool.
#[assetpin_test]
fn a_tool_killed_by_sigxfsz_under_a_step_limit_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let a = core_script_adapter(
        dir.path(),
        "xfsz",
        "#!/bin/sh\nexec head -c 100000 /dev/zero > ./big\n",
        "",
    );
    let cases = dir.path().join("cases/e-x");
    std::fs::create_dir_all(&cases).unwrap();
    std::fs::write(
        cases.join("xfsz.toml"),
        "summary = \"a write past fsize\"\nclauses = [\"E4\"]\n[project]\nmarker = true\n\
         [[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\nlimits = { fsize = 4096 }\n\
         exit = \"any\"\nhostile = {}\n",
    )
    .unwrap();
    let c = dir.path().join("cases");
    let (_, all) = run_cases(&c, &a);
    assert!(all.contains("e-x/xfsz") && all.contains("failed"), "{all}");
    assert!(all.contains("killed by a signal"), "{all}");
}

/// A step's `hold`: a tool that waits for the held lock is let through
/// once the harness has done `while_held` (the file it writes is there
/// when the tool runs), and a tool that takes no lock fails the step,
/// named as such: the interleaving never happened.
#[assetpin_test]
fn a_hold_parks_a_tool_that_waits_and_fails_one_that_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let tool = "#!/bin/sh\ncase \"$1\" in\n  waits) exec flock ./lk cat ./during;;\n  \
                ignores) exec cat ./during;;\nesac\n";
    let cases = dir.path().join("cases/e-x");
    std::fs::create_dir_all(&cases).unwrap();
    std::fs::write(
        cases.join("hold.toml"),
        "summary = \"held\"\nclauses = [\"K1\"]\n[project]\nmarker = true\n\
         [[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\nhold = \"lk\"\n\
         while_held = [{ action = \"write\", path = \"during\", text = \"written while held\\n\" }]\n\
         stdout_has = [\"written while held\"]\n",
    )
    .unwrap();
    let c = dir.path().join("cases");
    for (mode, passes) in [("waits", true), ("ignores", false)] {
        let a = core_script_adapter(dir.path(), mode, tool, &format!(", \"{mode}\""));
        let (_, all) = run_cases(&c, &a);
        assert_eq!(all.contains("1 passed, 0 failed"), passes, "{mode}: {all}");
        assert_eq!(
            all.contains("ended without waiting for the lock lk"),
            !passes,
            "{mode}: {all}"
        );
    }
}

/// A step's `user_cwd` where a FIFO stands (a tool, or an earlier step,
/// may leave one) is refused at once as not a directory; the open never
/// waits for a writer, which would hang the run.
#[assetpin_test]
fn a_user_cwd_that_is_a_fifo_errors_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let a = core_script_adapter(dir.path(), "waits", "#!/bin/sh\nexec flock ./lk true\n", "");
    let cases = dir.path().join("cases/e-x");
    std::fs::create_dir_all(&cases).unwrap();
    std::fs::write(
        cases.join("fifo-cwd.toml"),
        "summary = \"a fifo for a cwd\"\nclauses = [\"K1\"]\n[project]\nmarker = true\n\
         [[step]]\naction = \"mkfifo\"\npath = \"d\"\n\
         [[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\nhold = \"lk\"\nuser_cwd = \"d\"\n\
         while_held = [{ action = \"write\", root = \"user-cwd\", path = \"x\", text = \"x\" }]\n",
    )
    .unwrap();
    let c = dir.path().join("cases");
    let start = Instant::now();
    let (out, all) = run_cases(&c, &a);
    assert!(start.elapsed() < Duration::from_secs(30), "{all}");
    assert!(all.contains("open the directory"), "{all}");
    assert_ne!(out.status.code(), Some(0), "{all}");
}

/// A tool that leaves a FIFO where the case expects a file with some
/// text: the case fails naming "not a regular file", within seconds.
/// Before, the check opened the FIFO and waited for a writer forever.
#[assetpin_test]
fn a_fifo_where_a_file_is_expected_fails_the_case_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases/p-portable");
    std::fs::create_dir_all(&cases).unwrap();
    std::fs::write(
        cases.join("fifo.toml"),
        "summary = \"a file with text\"\nclauses = [\"P6\"]\nprofile = \"portable\"\n\
         [[wiki.commit]]\nfiles = [{ path = \"skills/a/SKILL.md\", text = \"# a\\n\" }]\n\
         [[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\n\
         [expect]\nfiles = [{ path = \"${dest.a}/SKILL.md\", text = \"# a\\n\" }]\n",
    )
    .unwrap();
    let tool = "#!/bin/sh\nmkdir -p .claude/skills/$3 && mkfifo .claude/skills/$3/SKILL.md\n";
    let a = script_adapter(dir.path(), tool, "fifo");
    let start = Instant::now();
    let out = conform_in(
        Path::new(REPO),
        &[
            "--format",
            "json",
            "--cases",
            dir.path().join("cases").to_str().unwrap(),
            "--adapter",
            a.to_str().unwrap(),
        ],
        &[],
        Duration::from_secs(30),
    );
    let (outcome, details) = only_case(&out);
    assert_eq!(outcome, "failed", "{details}");
    assert!(details.contains("not a regular file"), "{details}");
    assert!(start.elapsed() < Duration::from_secs(20));
}

/// Whether a process carries `ASSETPIN_CONFORM_CASE` with a value under
/// `tmp` (a case of a run whose `TMPDIR` it was).
fn marked_under(tmp: &Path) -> Vec<i32> {
    let want = format!("ASSETPIN_CONFORM_CASE={}", tmp.display());
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let pid: i32 = e.file_name().to_str()?.parse().ok()?;
            let env = std::fs::read(e.path().join("environ")).ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let zombie = stat[stat.rfind(')')? + 1..].trim_start().starts_with('Z');
            (!zombie
                && env
                    .split(|&b| b == 0)
                    .any(|v| String::from_utf8_lossy(v).starts_with(&want)))
            .then_some(pid)
        })
        .collect()
}

/// A tool that starts a fork chain in a session of its own (each link
/// forks the next and exits, so it is never at one pid for long) and
/// exits: once `conform` ends, no process carrying the case's marker
/// remains. Before, the end-of-run sweep killed in one pass and the chain
/// had moved on to a new pid.
#[assetpin_test]
fn a_fork_chain_does_not_outlive_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let tmp_path = std::fs::canonicalize(tmp.path()).unwrap();
    let chain = dir.path().join("chain.sh");
    std::fs::write(&chain, "#!/bin/sh\nsh -c 'sleep 5 &'\n\"$0\" &\nexit 0\n").unwrap();
    std::fs::set_permissions(&chain, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let tool = format!(
        "#!/bin/sh\nsetsid {} </dev/null >/dev/null 2>&1 &\nsleep 0.5\nexit 1\n",
        chain.display()
    );
    let a = script_adapter(dir.path(), &tool, "chain");
    let out = conform_in(
        Path::new(REPO),
        &[
            "--filter",
            "P10-unknown-skill",
            "--adapter",
            a.to_str().unwrap(),
        ],
        &[("TMPDIR", tmp_path.to_str().unwrap())],
        Duration::from_secs(60),
    );
    let err = text(&out.stderr);
    let start = Instant::now();
    loop {
        let left = marked_under(&tmp_path);
        if left.is_empty() {
            break;
        }
        if start.elapsed() > Duration::from_secs(3) {
            for pid in &left {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(*pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            // The chain may still be forking: kill what carries the mark
            // until nothing does, then fail.
            for _ in 0..200 {
                for pid in marked_under(&tmp_path) {
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            panic!("{} marked processes outlived the run: {err}", left.len());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `--scratch DIR` puts the case directories and the run's wiki states
/// in DIR, says so, and leaves DIR as it found it; a DIR that cannot
/// take them is a usage error that names it and the remedy, which the
/// run then accepts.
#[assetpin_test]
fn scratch_puts_the_case_directories_where_asked() {
    let t = tempfile::tempdir().unwrap();
    let missing = t.path().join("scratch");
    let out = conform(&[
        "--scratch",
        missing.to_str().unwrap(),
        "--filter",
        "i-install/I1-deleted-file",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("invalid value"), "{err}");
    assert!(
        err.contains(missing.to_str().unwrap()) && err.contains("mkdir -p"),
        "{err}"
    );
    // A directory no directory can be made in, whatever its mode says.
    let out = conform(&[
        "--scratch",
        "/proc",
        "--filter",
        "i-install/I1-deleted-file",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    std::fs::create_dir(&missing).unwrap();
    let out = conform(&[
        "--scratch",
        missing.to_str().unwrap(),
        "--filter",
        "i-install/I1-",
    ]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}{}", text(&out.stdout));
    assert!(
        err.contains(&format!("case directories: {} (", missing.display())),
        "{err}"
    );
    assert!(err.contains("as asked"), "{err}");
    let left: Vec<_> = std::fs::read_dir(&missing).unwrap().collect();
    assert!(left.is_empty(), "left in the scratch directory: {left:?}");
}

/// The same through the environment (`ASSETPIN_CONFORM_SCRATCH`), and
/// `$TMPDIR` is honoured when set: the directories a case uses are made
/// there while it runs (seen in the failing step's argv, which names the
/// case's wiki).
#[assetpin_test]
fn scratch_follows_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let a = script_adapter(dir.path(), "#!/bin/sh\nexit 0\n", "ok");
    for var in ["ASSETPIN_CONFORM_SCRATCH", "TMPDIR"] {
        let t = tempfile::tempdir().unwrap();
        let scratch = std::fs::canonicalize(t.path()).unwrap();
        let out = conform_in(
            Path::new(REPO),
            &[
                "--format",
                "json",
                "--filter",
                "P10-unknown-skill",
                "--adapter",
                a.to_str().unwrap(),
            ],
            &[(var, scratch.to_str().unwrap())],
            Duration::from_secs(60),
        );
        let (_, details) = only_case(&out);
        assert!(
            details.contains(&format!("{}/assetpin-conform-", scratch.display())),
            "{var}: {details}"
        );
        assert!(
            std::fs::read_dir(&scratch).unwrap().next().is_none(),
            "{var}: the scratch directory is left as found"
        );
    }
}

/// A `$TMPDIR` that is not a directory stops the run before any case,
/// naming it and the remedy; the remedy (`--scratch DIR`) is taken.
#[assetpin_test]
fn a_tmpdir_that_cannot_take_the_cases_is_a_usage_error() {
    let t = tempfile::tempdir().unwrap();
    let gone = t.path().join("gone");
    let args = ["--filter", "i-install/I1-deleted-file"];
    let out = conform_in(
        Path::new(REPO),
        &args,
        &[("TMPDIR", gone.to_str().unwrap())],
        Duration::from_secs(60),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "error[usage]: case directories cannot go to {} ($TMPDIR)",
            gone.display()
        )) && err.contains("--scratch DIR"),
        "{err}"
    );
    let out = conform_in(
        Path::new(REPO),
        &["--scratch", t.path().to_str().unwrap(), args[0], args[1]],
        &[("TMPDIR", gone.to_str().unwrap())],
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// An adapter `name` under `dir` whose `update` runs the shell script
/// `tool` with `mode` first, declaring `dry-run` and a `[dry_run]`
/// pattern, for cases under `e-x/`.
fn dry_run_adapter(dir: &Path, name: &str, tool: &str, mode: &str) -> PathBuf {
    let exe = executable(dir, "dry.sh", tool);
    let a = dir.join(format!("{name}.toml"));
    std::fs::write(
        &a,
        format!(
            "name = \"{name}\"\nprofiles = [\"core\"]\ncases = [\"e-x/\"]\nfeatures = [\"dry-run\"]\n\
             [program]\ncandidates = [{exe:?}]\n[run]\ntimeout_secs = 10\n\
             [verbs]\nupdate = [\"${{exe}}\", \"{mode}\", \"${{args}}\"]\n\
             [dry_run]\nrefuses = 'would refuse'\n\
             [errors]\nfirst_line_only = true\npattern = '^error\\[(?P<kind>[a-z-]+)\\]: '\n"
        ),
    )
    .unwrap();
    a
}

/// Each update step runs first with `--dry-run` (its twin), held to the
/// step: a twin that says the refusal passes, one that predicts success
/// before a refusal fails, one that writes fails, and one that does not
/// name the file the refusal names fails.
#[assetpin_test]
fn an_update_is_held_to_its_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let tool = "#!/bin/sh\nmode=$1; shift\n\
                case \"$*\" in *--dry-run*) case $mode in\n  \
                  honest) echo 'notes.md: would refuse';;\n  \
                  quiet) echo 'would refuse';;\n  \
                  liar) echo 'all fine';;\n  \
                  writer) echo 'would refuse'; echo x > ./written;;\n  \
                esac; exit 0;; esac\n\
                echo 'error[dirty]: .memtomem/skills/a/notes.md is modified' >&2; exit 1\n";
    let cases = dir.path().join("cases/e-x");
    std::fs::create_dir_all(&cases).unwrap();
    std::fs::write(
        cases.join("twin.toml"),
        "summary = \"an update that refuses\"\nclauses = [\"U6\"]\n[project]\nmarker = true\n\
         [[step]]\naction = \"write\"\npath = \".memtomem/skills/a/notes.md\"\ntext = \"mine\\n\"\n\n\
         [[step]]\nverb = \"update\"\nargs = [\"skill\", \"a\"]\nexit = \"refused\"\n",
    )
    .unwrap();
    let c = dir.path().join("cases");
    for (mode, says) in [
        ("honest", None),
        ("quiet", Some("the dry run does not")),
        ("liar", Some("the dry run predicted ok")),
        ("writer", Some("the dry run wrote")),
    ] {
        let a = dry_run_adapter(dir.path(), mode, tool, mode);
        let (_, all) = run_cases(&c, &a);
        assert_eq!(
            all.contains("1 passed, 0 failed"),
            says.is_none(),
            "{mode}: {all}"
        );
        if let Some(s) = says {
            assert!(all.contains(s), "{mode}: {all}");
        }
    }
}

/// A step's `keeps`: a tool that leaves the user's file and FIFO alone,
/// or moves them aside, passes; one that deletes either or rewrites the
/// file in place fails, naming what it lost.
#[assetpin_test]
fn what_a_step_keeps_is_found_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let tool = "#!/bin/sh\nd=.memtomem/skills/a\ncase $1 in\n  \
                leaves) ;;\n  \
                aside) mv $d/mine $d/mine.bak && mv $d/pipe $d/pipe.bak;;\n  \
                deletes-fifo) rm $d/pipe;;\n  \
                rewrites) echo other > $d/mine;;\n\
                esac\n";
    let cases = dir.path().join("cases/e-x");
    std::fs::create_dir_all(&cases).unwrap();
    std::fs::write(
        cases.join("keeps.toml"),
        "summary = \"the user's entries\"\nclauses = [\"D2\"]\n[project]\nmarker = true\n\
         [[step]]\naction = \"write\"\npath = \".memtomem/skills/a/mine\"\ntext = \"mine\\n\"\n\n\
         [[step]]\naction = \"mkfifo\"\npath = \".memtomem/skills/a/pipe\"\n\n\
         [[step]]\nverb = \"install\"\nargs = [\"skill\", \"a\"]\nexit = \"any\"\n\
         keeps = [\".memtomem/skills/a/mine\", \".memtomem/skills/a/pipe\"]\n",
    )
    .unwrap();
    let c = dir.path().join("cases");
    for (mode, lost) in [
        ("leaves", None),
        ("aside", None),
        ("deletes-fifo", Some(".memtomem/skills/a/pipe (a FIFO")),
        ("rewrites", Some(".memtomem/skills/a/mine (a file)")),
    ] {
        let a = core_script_adapter(dir.path(), mode, tool, &format!(", \"{mode}\""));
        let (_, all) = run_cases(&c, &a);
        assert_eq!(
            all.contains("1 passed, 0 failed"),
            lost.is_none(),
            "{mode}: {all}"
        );
        if let Some(l) = lost {
            assert!(
                all.contains(&format!("no copy kept anywhere in the project: {l}")),
                "{mode}: {all}"
            );
        }
    }
}
