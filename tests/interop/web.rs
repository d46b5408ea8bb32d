//! The memtomem-web adapter's driver (`crates/conform/adapters/memtomem-web.py`) is a
//! stand-in for a browser talking to `mm web`: it calls the peer's
//! application in-process (FastAPI's TestClient). Anchored here to the
//! real transport: the same edits go over HTTP on loopback to the same
//! application served by uvicorn, and both must answer alike (status,
//! body keys, the file's bytes and mtime_ns). `mm web` itself cannot start
//! on this machine's Python 3.12 (its storage needs sqlite extension
//! loading, which pyenv's build lacks); the context routes it serves are
//! the ones served here, without the storage lifespan.

use assetpin_test_support::*;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// uvicorn serving the peer's app for `project`, and its address.
struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(venv: &Path, project: &Project) -> Server {
    let mut child = Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "uvicorn",
            "memtomem.web.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ])
        .current_dir(project.path())
        .env("HOME", project.home())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start uvicorn");
    let err = child.stderr.take().expect("stderr");
    let mut url = None;
    let mut lines = BufReader::new(err).lines();
    for line in lines.by_ref().map_while(Result::ok) {
        if let Some(at) = line.find("http://127.0.0.1:") {
            let rest = &line[at..];
            url = Some(rest.split_whitespace().next().unwrap_or(rest).to_owned());
            break;
        }
        assert!(!line.contains("Traceback"), "uvicorn failed: {line}");
    }
    // Keep draining its log, so that a full pipe never blocks it.
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if std::env::var_os("ASSETPIN_WEB_LOG").is_some() {
                eprintln!("uvicorn: {line}");
            }
        }
    });
    Server(child, url.expect("uvicorn printed no address"))
}

/// `mm-web edit skill x ...` through `transport` (None: in-process).
fn edit(venv: &Path, project: &Project, url: Option<&str>, args: &[&str]) -> (i32, Value) {
    let mut c = Command::new(venv.join("bin/mm-web"));
    c.arg("edit")
        .args(args)
        .current_dir(project.path())
        .env("HOME", project.home())
        .stdin(Stdio::null());
    match url {
        Some(u) => c.env("ASSETPIN_MM_WEB_URL", u),
        None => c.env_remove("ASSETPIN_MM_WEB_URL"),
    };
    let out = c.output().expect("run mm-web");
    let body = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(body.trim()).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {body}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

/// A stale edit then a fresh one, in-process and over HTTP: the same
/// exit codes, body keys and values, and the file as each left it.
#[assetpin_test(web)]
fn driver_in_process_answers_as_over_http(venv: &Path) {
    let wiki = Wiki::new();
    wiki.skill("x");
    wiki.commit("x");
    let mut runs = Vec::new();
    for over_http in [false, true] {
        let project = Project::new();
        assetpin(&project, &wiki)
            .args(["install", "skill", "x"])
            .assert()
            .success();
        let file = project.dest("skill", "x").join("SKILL.md");
        let server = over_http.then(|| serve(venv, &project));
        let url = server.as_ref().map(|s| s.1.as_str());
        let m0 = mtime_ns(&file);
        let content = project.home().join("new.md");
        std::fs::write(&content, "# x v2\n").expect("write content");
        let content = content.display().to_string();
        let stale = (m0 - 1).to_string();
        let (code, body) = edit(
            venv,
            &project,
            url,
            &[
                "skill",
                "x",
                "--expect-mtime-ns",
                &stale,
                "--content-file",
                &content,
            ],
        );
        assert_eq!(code, 3, "stale edit (http: {over_http}): {body}");
        assert_eq!(body["status"], "aborted");
        assert_eq!(body["mtime_ns"], m0.to_string());
        assert_eq!(mtime_ns(&file), m0, "a stale edit wrote");
        let (code2, body2) = edit(
            venv,
            &project,
            url,
            &[
                "skill",
                "x",
                "--expect-mtime-ns",
                &m0.to_string(),
                "--content-file",
                &content,
            ],
        );
        assert_eq!(code2, 0, "fresh edit (http: {over_http}): {body2}");
        assert_eq!(body2["mtime_ns"], mtime_ns(&file).to_string());
        assert_eq!(std::fs::read_to_string(&file).expect("read"), "# x v2\n");
        runs.push((
            code,
            keys(&body),
            body["reason_code"].clone(),
            code2,
            keys(&body2),
        ));
    }
    assert_eq!(runs[0], runs[1], "in-process and HTTP answers differ");
}

/// An edit by the reference is seen by the peer's web API at once (same
/// file, same mtime_ns), and the other way round: one guard, two tools.
#[assetpin_test(web)]
fn reference_and_peer_web_share_the_guard(venv: &Path) {
    let wiki = Wiki::new();
    wiki.skill("x");
    wiki.commit("x");
    let project = Project::new();
    assetpin(&project, &wiki)
        .args(["install", "skill", "x"])
        .assert()
        .success();
    let file = project.dest("skill", "x").join("SKILL.md");
    let content = project.home().join("new.md");
    std::fs::write(&content, "# ours\n").expect("write content");
    let m0 = mtime_ns(&file).to_string();
    let c = content.display().to_string();
    assetpin(&project, &wiki)
        .args([
            "edit",
            "skill",
            "x",
            "--expect-mtime-ns",
            &m0,
            "--content-file",
            &c,
        ])
        .assert()
        .success();
    // The peer now holds a stale value: it must refuse.
    let (code, body) = edit(
        venv,
        &project,
        None,
        &["skill", "x", "--expect-mtime-ns", &m0, "--content-file", &c],
    );
    assert_eq!(code, 3, "the peer took a value our edit made stale: {body}");
    let m1 = body["mtime_ns"].as_str().expect("mtime_ns").to_owned();
    assert_eq!(m1, mtime_ns(&file).to_string());
    let (code, _) = edit(
        venv,
        &project,
        None,
        &["skill", "x", "--expect-mtime-ns", &m1, "--content-file", &c],
    );
    assert_eq!(code, 0);
    // And ours refuses the value the peer's edit made stale.
    assetpin(&project, &wiki)
        .args([
            "edit",
            "skill",
            "x",
            "--expect-mtime-ns",
            &m1,
            "--content-file",
            &c,
        ])
        .assert()
        .code(3);
}
