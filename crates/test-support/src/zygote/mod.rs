//! A fork server for a Python tool under test (`zygote/zygote.py`): the
//! tool's modules are imported once, and each run is a fork (about 50 ms
//! a run of the memtomem peer instead of 250-500 ms). [`Zygote::start`]
//! starts it and writes a launcher, the executable the harness runs in
//! the tool's place: the test binary itself as a client ([`launcher`]),
//! so the binary's `main` must call [`serve_if_launcher`] first.
//!
//! A stand-in: tests/conformance runs a sample of cases through both the
//! launcher and the real tool and fails on any difference (the anchor).

mod launcher;

pub use launcher::serve_if_launcher;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SERVER: &str = include_str!("../../zygote/zygote.py");

/// What the zygote runs for a request: `--entry MOD:FUNC` or `--script
/// PATH` for the tool itself, `--route NAME=MOD:FUNC` for a first
/// argument `NAME`, `--preload-package PKG` for the modules to import
/// before forking.
#[derive(Debug, Clone, Default)]
pub struct Program {
    /// The tool's Python interpreter (its venv's `bin/python3`).
    pub python: PathBuf,
    /// `sys.argv[0]` of each run (the real tool's path: its usage lines
    /// name it).
    pub argv0: PathBuf,
    /// The zygote's arguments after `--socket` and `--argv0`.
    pub args: Vec<String>,
    /// The launcher's file name (`mm`).
    pub name: String,
}

/// A running zygote and its launcher; killed and removed on drop.
#[derive(Debug)]
pub struct Zygote {
    child: Child,
    _dir: tempfile::TempDir,
    /// The executable to run in the tool's place.
    pub launcher: PathBuf,
}

/// The Python interpreter a script's `#!` line names (a venv's console
/// script, such as the peer's `mm`).
pub fn shebang_python(script: &Path) -> Option<PathBuf> {
    let text = std::fs::read(script).ok()?;
    let first = text.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(first).ok()?.strip_prefix("#!")?;
    let python = PathBuf::from(line.split_whitespace().next()?);
    python.is_file().then_some(python)
}

impl Zygote {
    /// Starts the zygote and waits (up to `ready_within`) for it to
    /// listen.
    ///
    /// # Errors
    /// The interpreter cannot start, or the zygote does not say `ready`
    /// in time (its stderr is in the message).
    pub fn start(p: &Program, ready_within: Duration) -> Result<Zygote, String> {
        let dir = tempfile::Builder::new()
            .prefix("assetpin-zygote-")
            .tempdir()
            .map_err(|e| format!("temporary directory: {e}"))?;
        let socket = dir.path().join("s");
        let server = dir.path().join("zygote.py");
        std::fs::write(&server, SERVER).map_err(|e| format!("{}: {e}", server.display()))?;
        if !launcher::serves() {
            return Err(
                "this binary's main does not call zygote::serve_if_launcher: its launcher \
                 would run the test binary instead of the tool"
                    .into(),
            );
        }
        let exe = std::env::current_exe().map_err(|e| format!("the test binary: {e}"))?;
        let launcher = dir.path().join(&p.name);
        let text = format!(
            "#!/bin/sh\nexec {} {} {} \"$@\"\n",
            sh_quote(&exe.to_string_lossy()),
            launcher::FLAG,
            sh_quote(&socket.to_string_lossy())
        );
        std::fs::write(&launcher, text).map_err(|e| format!("{}: {e}", launcher.display()))?;
        std::fs::set_permissions(
            &launcher,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .map_err(|e| e.to_string())?;
        let errlog = dir.path().join("stderr");
        let mut child = Command::new(&p.python)
            .arg(&server)
            .arg("--socket")
            .arg(&socket)
            .arg("--argv0")
            .arg(&p.argv0)
            .args(&p.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(
                std::fs::File::create(&errlog)
                    .map(Stdio::from)
                    .unwrap_or(Stdio::null()),
            )
            .spawn()
            .map_err(|e| format!("{}: {e}", p.python.display()))?;
        let out = child.stdout.take();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            if let Some(o) = out {
                let _ = BufReader::new(o).read_line(&mut line);
            }
            let _ = tx.send(line);
        });
        match rx.recv_timeout(ready_within) {
            Ok(l) if l.trim() == "ready" => Ok(Zygote {
                child,
                _dir: dir,
                launcher,
            }),
            got => {
                let _ = child.kill();
                let _ = child.wait();
                let err = std::fs::read_to_string(&errlog).unwrap_or_default();
                Err(format!(
                    "the zygote did not start ({}): {}",
                    match got {
                        Ok(l) => format!("said {l:?}"),
                        Err(_) => format!("not ready within {} s", ready_within.as_secs()),
                    },
                    err.trim()
                ))
            }
        }
    }
}

/// `s` as one `sh` word.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl Drop for Zygote {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
