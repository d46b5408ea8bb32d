//! A fork server for a Python tool under test (`zygote/zygote.py`): the
//! tool's modules are imported once, and each run is a fork (about 50 ms
//! a run of the memtomem peer instead of 250-500 ms). [`Zygote::start`]
//! starts it and writes a launcher, the executable the harness runs in
//! the tool's place (`zygote/client.py` under the tool's own Python).
//!
//! A stand-in: tests/conformance runs a sample of cases through both the
//! launcher and the real tool and fails on any difference (the anchor).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SERVER: &str = include_str!("../zygote/zygote.py");
const CLIENT: &str = include_str!("../zygote/client.py");

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
        let launcher = dir.path().join(&p.name);
        let quoted = serde_json::to_string(&socket.to_string_lossy()).unwrap_or_default();
        let text = format!(
            "#!{} -SI\nZYGOTE_SOCKET = {quoted}\n{CLIENT}",
            p.python.display()
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

impl Drop for Zygote {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
