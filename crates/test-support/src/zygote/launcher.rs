//! The launcher: what the harness runs in the tool's place while a
//! zygote serves the tool. It is the test binary itself, started by a
//! two-line `sh` script as `BINARY --zygote-launcher SOCKET ARGS...`:
//! [`serve_if_launcher`], first thing in the binary's `main`, sends the
//! zygote its arguments, working directory, environment, umask and
//! process group with its stdin, stdout and stderr, and exits as the
//! tool's fork did (its code, or killed by its signal). A native launcher
//! starts in about 2 ms; an interpreter's start cost about 30 ms of every
//! run of the tool.

use std::ffi::OsStr;
use std::io::{IoSlice, Read};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// The flag that makes a test binary a launcher.
pub(crate) const FLAG: &str = "--zygote-launcher";

/// The environment variable the launcher leaves out of the tool's
/// environment (a tool run by a launcher must not see the harness's
/// plumbing).
const SOCKET_ENV: &str = "ASSETPIN_ZYGOTE_SOCKET";

/// The launcher's exit code when the zygote cannot be reached.
const UNREACHABLE: i32 = 125;

static SERVES: AtomicBool = AtomicBool::new(false);

/// Whether this binary's `main` called [`serve_if_launcher`] (a zygote
/// started from a binary that does not would have its launcher run the
/// whole test binary instead of the tool).
pub(crate) fn serves() -> bool {
    SERVES.load(Ordering::Relaxed)
}

/// If this process was started as a launcher (`BINARY --zygote-launcher
/// SOCKET ARGS...`), runs the tool through the zygote at `SOCKET` and
/// exits with its status; otherwise returns. Call it first in the `main`
/// of a binary that starts a [`super::Zygote`].
pub fn serve_if_launcher() {
    SERVES.store(true, Ordering::Relaxed);
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(OsStr::new(FLAG)) {
        return;
    }
    let Some(socket) = args.next() else {
        eprintln!("zygote launcher: no socket after {FLAG}");
        std::process::exit(UNREACHABLE);
    };
    let argv: Vec<_> = args.collect();
    let code = match run(Path::new(&socket), &argv) {
        Ok(Answer::Code(c)) => c,
        Ok(Answer::Signal(s)) => die_by(s),
        Err(e) => {
            eprintln!("zygote launcher: {}: {e}", Path::new(&socket).display());
            UNREACHABLE
        }
    };
    std::process::exit(code);
}

enum Answer {
    Code(i32),
    Signal(i32),
}

fn run(socket: &Path, argv: &[std::ffi::OsString]) -> Result<Answer, String> {
    let mut req = String::from("{\"argv\":[");
    for (i, a) in argv.iter().enumerate() {
        if i > 0 {
            req.push(',');
        }
        json_string(&mut req, a.as_bytes());
    }
    req.push_str("],\"cwd\":");
    let cwd = std::env::current_dir().map_err(|e| format!("working directory: {e}"))?;
    json_string(&mut req, cwd.as_os_str().as_bytes());
    req.push_str(",\"env\":{");
    let mut first = true;
    for (k, v) in std::env::vars_os() {
        if k == SOCKET_ENV {
            continue;
        }
        if !first {
            req.push(',');
        }
        first = false;
        json_string(&mut req, k.as_bytes());
        req.push(':');
        json_string(&mut req, v.as_bytes());
    }
    let umask = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
    let pgid = rustix::process::getpgid(None).map_err(|e| format!("getpgid: {e}"))?;
    req.push_str(&format!(
        "}},\"umask\":{},\"pgid\":{}}}\n",
        umask.bits(),
        pgid.as_raw_nonzero()
    ));

    let mut stream = UnixStream::connect(socket).map_err(|e| e.to_string())?;
    let (stdin, stdout, stderr) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    let stdio: [BorrowedFd<'_>; 3] = [stdin.as_fd(), stdout.as_fd(), stderr.as_fd()];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(3))];
    let mut control = rustix::net::SendAncillaryBuffer::new(&mut space);
    control.push(rustix::net::SendAncillaryMessage::ScmRights(&stdio));
    let bytes = req.as_bytes();
    let sent = rustix::net::sendmsg(
        &stream,
        &[IoSlice::new(bytes)],
        &mut control,
        rustix::net::SendFlags::empty(),
    )
    .map_err(|e| format!("sendmsg: {e}"))?;
    std::io::Write::write_all(&mut stream, &bytes[sent..]).map_err(|e| e.to_string())?;

    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|e| format!("reading the answer: {e}"))?;
    if answer.is_empty() {
        return Err("the zygote ended before the tool did".into());
    }
    let v: serde_json::Value =
        serde_json::from_slice(&answer).map_err(|e| format!("an answer that is not JSON ({e})"))?;
    let int = |k: &str| v.get(k).and_then(|n| n.as_i64()).map(|n| n as i32);
    match (int("signal"), int("code")) {
        (Some(s), _) => Ok(Answer::Signal(s)),
        (None, Some(c)) => Ok(Answer::Code(c)),
        _ => Err(format!("an answer with neither code nor signal: {v}")),
    }
}

/// Dies by signal `sig`, as the tool's fork did; 128 + `sig` if it
/// cannot.
fn die_by(sig: i32) -> i32 {
    use nix::sys::signal::{SigHandler, Signal, kill, signal};
    if let Ok(s) = Signal::try_from(sig) {
        // SAFETY: SIG_DFL installs no handler code.
        let _ = unsafe { signal(s, SigHandler::SigDfl) };
        let _ = kill(nix::unistd::getpid(), s);
    }
    128 + sig
}

/// Appends `bytes` as a JSON string as Python's `json` reads it back into
/// the `str` that `os` would have made of them: UTF-8 as text, each other
/// byte `b` as the lone surrogate U+DC00+`b` (surrogateescape), so a
/// name or value that is not UTF-8 reaches the tool unchanged.
fn json_string(out: &mut String, mut bytes: &[u8]) {
    out.push('"');
    while !bytes.is_empty() {
        let (good, rest) = match std::str::from_utf8(bytes) {
            Ok(s) => (s, &[][..]),
            Err(e) => {
                let (ok, bad) = bytes.split_at(e.valid_up_to());
                (std::str::from_utf8(ok).unwrap_or_default(), bad)
            }
        };
        for c in good.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        match rest.split_first() {
            Some((&b, tail)) => {
                out.push_str(&format!("\\u{:04x}", 0xDC00 + u32::from(b)));
                bytes = tail;
            }
            None => bytes = rest,
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::json_string;

    fn enc(b: &[u8]) -> String {
        let mut s = String::new();
        json_string(&mut s, b);
        s
    }

    #[test]
    fn text_is_text_and_other_bytes_are_surrogates() {
        assert_eq!(enc(b"a\"b\\c\n"), r#""a\"b\\c\u000a""#);
        assert_eq!(enc("é".as_bytes()), "\"é\"");
        assert_eq!(enc(b"x\xffy\xc3"), r#""x\udcffy\udcc3""#);
        assert_eq!(enc(b""), "\"\"");
    }
}
