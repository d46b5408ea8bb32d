//! Reading what a tool asked of the file system: `strace -f -y -xx -ttt`
//! output ([`STRACE_ARGS`]) parsed into [`Call`]s, one per completed
//! system call, in the order the calls completed.
//!
//! `-xx` prints every string and every path annotation (`3</p/a>`) as
//! `\xHH` escapes, so no name, however odd, can break the split into
//! arguments; `-y` annotates each descriptor with its path, the return
//! value of `openat` included, so a call's paths need no cwd or
//! descriptor bookkeeping here.

use std::path::PathBuf;

/// The system calls recorded: every one that can change a file's bytes,
/// a directory entry or a mode, or make them durable, and those that move
/// descriptors and offsets around.
pub const TRACED: &str = "openat,open,creat,write,pwrite64,writev,pwritev,pwritev2,\
ftruncate,truncate,lseek,close,dup,dup2,dup3,fcntl,rename,renameat,renameat2,\
link,linkat,symlink,symlinkat,unlink,unlinkat,rmdir,mkdir,mkdirat,fsync,fdatasync,\
sync,syncfs,sendfile,copy_file_range,fchmod,fchmodat,chmod,clone,clone3,fork,vfork,\
mmap,fallocate,chdir,fchdir,openat2,mknod,mknodat";

/// The largest string strace prints whole (bytes): 16 MiB. A longer
/// write is reported as [`TraceError::Truncated`], never replayed short.
pub const STRING_CAP: usize = 16 << 20;

/// strace's arguments before `-o <file> -- <argv>`.
pub fn strace_args() -> Vec<String> {
    [
        "-f",
        "-q",
        "-y",
        "-xx",
        "-ttt",
        "-e",
        "signal=none",
        "-s",
        &STRING_CAP.to_string(),
        "-e",
        &format!("trace={TRACED}"),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

/// One completed system call (or a process's end).
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The thread that made it.
    pub pid: u32,
    /// When strace saw it start, in µs since the epoch.
    pub t_us: u64,
    /// The call's name, or `+++exit` for a process's end.
    pub name: String,
    /// The arguments, split at the top level (raw strace text).
    pub args: Vec<String>,
    /// The return value (`-1` on error), or the exit status for `+++exit`.
    pub ret: i64,
    /// The path annotation of the return value (a descriptor's path).
    pub ret_path: Option<Vec<u8>>,
    /// The line as strace printed it, its strings decoded (for reports).
    pub text: String,
}

/// Why a trace cannot be read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TraceError {
    /// A string was cut at [`STRING_CAP`]: the bytes written are not all
    /// known.
    #[error("line {line}: a string longer than {STRING_CAP} bytes was cut")]
    Truncated {
        /// 1-based line number.
        line: usize,
    },
    /// A line of a shape this parser does not know.
    #[error("line {line}: cannot read `{text}`")]
    Unreadable {
        /// 1-based line number.
        line: usize,
        /// The line, shortened.
        text: String,
    },
}

/// Decodes strace's `-xx` text: `\xHH` escapes to bytes, anything else as
/// itself.
pub fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len() / 4 + 1);
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 4 <= b.len()
            && b[i + 1] == b'x'
            && let Some(v) = std::str::from_utf8(&b[i + 2..i + 4])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 4;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// The text with its escaped runs decoded (lossy UTF-8), for reports.
fn readable(s: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') && i + 4 <= b.len() {
            run.push_str(&s[i..i + 4]);
            i += 4;
            continue;
        }
        if !run.is_empty() {
            out.push_str(
                &String::from_utf8_lossy(&unescape(&run))
                    .escape_debug()
                    .to_string(),
            );
            run.clear();
        }
        let c = s[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    if !run.is_empty() {
        out.push_str(
            &String::from_utf8_lossy(&unescape(&run))
                .escape_debug()
                .to_string(),
        );
    }
    out
}

/// Splits an argument list at its top-level `, `, keeping strings,
/// brackets, braces and `<…>` annotations whole.
pub fn split_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut in_str = false;
    let mut in_ann = false;
    let mut cur = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '"' if !in_ann => in_str = !in_str,
            '<' if !in_str && !in_ann => in_ann = true,
            '>' if in_ann => in_ann = false,
            '[' | '{' | '(' if !in_str && !in_ann => depth += 1,
            ']' | '}' | ')' if !in_str && !in_ann => depth -= 1,
            ',' if !in_str && !in_ann && depth == 0 => {
                if it.peek() == Some(&' ') {
                    it.next();
                }
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

/// A descriptor argument: its number (`AT_FDCWD` is -100) and path.
pub fn fd(arg: &str) -> Option<(i64, Option<Vec<u8>>)> {
    // `3</p/a>`, or `3</p/a>(deleted)` for a file no longer named.
    let arg = arg.strip_suffix("(deleted)").unwrap_or(arg);
    let (num, ann) = match arg.find('<') {
        Some(i) if arg.ends_with('>') => (&arg[..i], Some(unescape(&arg[i + 1..arg.len() - 1]))),
        _ => (arg, None),
    };
    let n = if num == "AT_FDCWD" {
        -100
    } else {
        num.parse().ok()?
    };
    Some((n, ann))
}

/// A string argument's bytes, and whether strace cut it (`"…"...`).
pub fn string(arg: &str) -> Option<(Vec<u8>, bool)> {
    let a = arg.trim();
    let cut = a.ends_with("...");
    let a = a.strip_suffix("...").unwrap_or(a);
    let inner = a.strip_prefix('"')?.strip_suffix('"')?;
    Some((unescape(inner), cut))
}

/// A number argument (decimal, octal `0644`, or hex `0x1f`), or the first
/// number of `[N]` / `[N] => [M]`.
pub fn number(arg: &str) -> Option<i64> {
    let a = arg.trim().trim_start_matches('[');
    let a = a.split([']', ' ']).next()?;
    if let Some(h) = a.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if a.len() > 1 && a.starts_with('0') {
        i64::from_str_radix(&a[1..], 8).ok()
    } else {
        a.parse().ok()
    }
}

/// The `[{iov_base="…", iov_len=N}, …]` of `writev`: the bytes.
pub fn iovecs(arg: &str) -> Option<(Vec<u8>, bool)> {
    let mut out = Vec::new();
    let mut cut = false;
    let inner = arg.trim().strip_prefix('[')?.strip_suffix(']')?;
    for v in split_args(inner) {
        let v = v.trim().strip_prefix('{')?.strip_suffix('}')?;
        for f in split_args(v) {
            if let Some(s) = f.strip_prefix("iov_base=") {
                let (b, c) = string(s)?;
                out.extend(b);
                cut |= c;
            }
        }
    }
    Some((out, cut))
}

/// Parses a whole trace file (several processes, one file). Lines for
/// calls that did not complete (`<unfinished ...>` with no resumption,
/// the process killed) are dropped; a resumed call is placed where it
/// completed.
///
/// # Errors
/// [`TraceError`] for a line of an unknown shape or a cut string.
pub fn parse(text: &str) -> Result<Vec<Call>, TraceError> {
    let mut out = Vec::new();
    let mut pending: std::collections::HashMap<u32, (u64, String)> = Default::default();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let bad = || TraceError::Unreadable {
            line: n,
            text: line.chars().take(160).collect(),
        };
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            return Err(bad());
        };
        // strace pads a short pid (`1474  1796…`).
        let Some((t, rest)) = rest.trim_start().split_once(' ') else {
            return Err(bad());
        };
        let t_us = parse_time(t).ok_or_else(bad)?;
        if let Some(e) = rest.strip_prefix("+++ ") {
            let ret = if let Some(c) = e.strip_prefix("exited with ") {
                c.trim_end_matches(" +++")
                    .trim()
                    .parse()
                    .map_err(|_| bad())?
            } else {
                -1 // killed by a signal
            };
            out.push(Call {
                pid,
                t_us,
                name: "+++exit".into(),
                args: Vec::new(),
                ret,
                ret_path: None,
                text: line.into(),
            });
            continue;
        }
        if rest.starts_with("---") {
            continue;
        }
        let whole = if let Some(r) = rest.strip_prefix("<... ") {
            let Some((_, tail)) = r.split_once(" resumed>") else {
                return Err(bad());
            };
            // Placed where it completed: its effect is there.
            let Some((_, head)) = pending.remove(&pid) else {
                continue;
            };
            (t_us, format!("{head}{tail}"))
        } else if let Some(head) = rest.strip_suffix(" <unfinished ...>") {
            pending.insert(pid, (t_us, head.to_owned()));
            continue;
        } else {
            (t_us, rest.to_owned())
        };
        // `= ? ERESTARTSYS (...)`: interrupted, to be restarted; the
        // restarted call has its own line.
        if whole.1.contains(") = ? ") || whole.1.ends_with(") = ?") {
            continue;
        }
        if let Some(c) = call(pid, whole.0, &whole.1) {
            if c.args.iter().any(|a| a.ends_with("\"...")) && writes_data(&c.name) {
                return Err(TraceError::Truncated { line: n });
            }
            out.push(c);
        } else if !whole.1.ends_with("= ?") && !whole.1.contains(") = ? <unavailable>") {
            return Err(bad());
        }
    }
    Ok(out)
}

fn writes_data(name: &str) -> bool {
    matches!(
        name,
        "write" | "pwrite64" | "writev" | "pwritev" | "pwritev2"
    )
}

fn parse_time(t: &str) -> Option<u64> {
    let (s, us) = t.split_once('.')?;
    Some(s.parse::<u64>().ok()? * 1_000_000 + us.parse::<u64>().ok()?)
}

/// `name(args) = ret[<path>] [ERRNO (…)]` to a [`Call`]; `None` for a
/// call with no return (`= ?`).
fn call(pid: u32, t_us: u64, s: &str) -> Option<Call> {
    let open = s.find('(')?;
    let name = s[..open].to_owned();
    // `) = ret`, the `=` padded to a column when the call is short
    // (`vfork()         = 25023`).
    let eq_sign = s.rfind(" = ")?;
    let eq = s[..eq_sign].trim_end().len().checked_sub(1)?;
    if s.as_bytes().get(eq) != Some(&b')') {
        return None;
    }
    let args = split_args(&s[open + 1..eq]);
    let r = &s[eq_sign + 3..];
    let tok = r.split(' ').next()?;
    let (ret, ret_path) = match tok.find('<') {
        Some(i) => (
            tok[..i].parse().ok()?,
            Some(unescape(tok[i + 1..].trim_end_matches('>'))),
        ),
        None => (
            if let Some(h) = tok.strip_prefix("0x") {
                i64::from_str_radix(h, 16).ok()?
            } else {
                tok.parse().ok()?
            },
            None,
        ),
    };
    Some(Call {
        pid,
        t_us,
        name,
        args,
        ret,
        ret_path,
        text: readable(&format!("{pid} {s}")),
    })
}

/// A path argument resolved against its directory descriptor's path
/// annotation (absolute paths stand alone).
pub fn resolve(dirfd: Option<&str>, path: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let p = std::path::Path::new(std::ffi::OsStr::from_bytes(path));
    if p.is_absolute() {
        return Some(p.to_path_buf());
    }
    let (_, dir) = fd(dirfd?)?;
    Some(std::path::Path::new(std::ffi::OsStr::from_bytes(&dir?)).join(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> String {
        s.bytes().map(|b| format!("\\x{b:02x}")).collect()
    }

    #[test]
    fn a_write_with_odd_names_parses_whole() {
        let p = hex("/p/a, b>\"<");
        let line = format!(
            "12 1700000000.000010 write(3<{p}>, \"{}\", 3) = 3\n",
            hex("hé")
        );
        let c = parse(&line).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].name, "write");
        assert_eq!(c[0].args.len(), 3);
        let (n, path) = fd(&c[0].args[0]).unwrap();
        assert_eq!((n, path.unwrap()), (3, b"/p/a, b>\"<".to_vec()));
        assert_eq!(string(&c[0].args[1]).unwrap().0, "hé".as_bytes());
        assert_eq!(c[0].t_us, 1_700_000_000_000_010);
    }

    #[test]
    fn an_unfinished_call_is_placed_where_it_resumed() {
        let t = "5 1.000001 renameat2(AT_FDCWD<\\x2f>, \"\\x61\", AT_FDCWD<\\x2f>, \"\\x62\", RENAME_NOREPLACE <unfinished ...>\n\
                 6 1.000002 fsync(4<\\x2f\\x64>) = 0\n\
                 5 1.000003 <... renameat2 resumed>) = 0\n\
                 5 1.000004 +++ exited with 0 +++\n\
                 7 1.000005 +++ killed by SIGKILL +++\n";
        let c = parse(t).unwrap();
        let names: Vec<_> = c.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["fsync", "renameat2", "+++exit", "+++exit"]);
        assert_eq!(c[1].args.len(), 5);
        assert_eq!((c[2].ret, c[3].ret), (0, -1));
    }

    #[test]
    fn a_cut_write_is_an_error_not_a_short_replay() {
        let t = "5 1.000001 write(3<\\x2f>, \"\\x61\"..., 9999) = 9999\n";
        assert_eq!(parse(t), Err(TraceError::Truncated { line: 1 }));
    }

    #[test]
    fn numbers_and_returns() {
        assert_eq!(number("0644"), Some(0o644));
        assert_eq!(number("[0] => [3]"), Some(0));
        let c = parse(
            "1 1.0 openat(AT_FDCWD<\\x2f>, \"\\x61\", O_WRONLY|O_CREAT, 0600) = 4<\\x2f\\x61>\n",
        )
        .unwrap();
        assert_eq!((c[0].ret, c[0].ret_path.clone()), (4, Some(b"/a".to_vec())));
        let c = parse("1 1.0 unlink(\"\\x2f\\x61\") = -1 ENOENT (No such file or directory)\n")
            .unwrap();
        assert_eq!(c[0].ret, -1);
        assert_eq!(
            resolve(Some("AT_FDCWD<\\x2f\\x70>"), b"x").unwrap(),
            PathBuf::from("/p/x")
        );
    }

    #[test]
    fn a_deleted_descriptor_and_a_restarted_call_parse() {
        let t = "1 1.0 fsync(3<\\x2f\\x61>(deleted)) = 0\n\
                 1 1.1 openat(AT_FDCWD<\\x2f>, \"\\x61\", O_RDONLY) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)\n";
        let c = parse(t).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(fd(&c[0].args[0]), Some((3, Some(b"/a".to_vec()))));
    }

    #[test]
    fn a_padded_return_parses() {
        let c =
            parse("7 1.0 vfork()         = 25023\n7 1.1 <... clone3 resumed>)    = 9\n").unwrap();
        assert_eq!((c[0].name.as_str(), c[0].ret), ("vfork", 25023));
        assert!(c[0].args.is_empty());
    }

    #[test]
    fn writev_gathers_its_buffers() {
        let (b, cut) =
            iovecs("[{iov_base=\"\\x61\", iov_len=1}, {iov_base=\"\\x62\\x63\", iov_len=2}]")
                .unwrap();
        assert_eq!((b, cut), (b"abc".to_vec(), false));
    }
}
