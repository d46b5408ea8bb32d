//! Step execution: building argv from the adapter's templates and running
//! one process, or N copies at once (K5, K6), and the outside actions
//! (edit, delete, touch, wiki commit or rollback).

use super::adapter::Adapter;
use super::case::{Action, Plant, Root, Run};
use super::workspace::{Workspace, parse_mode, remove_any};
use crate::error::{HResult, HarnessError, io_err};
use std::io::Read;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What one process did.
#[derive(Debug, Clone)]
pub struct ProcResult {
    /// argv as run (for reports).
    pub argv: Vec<String>,
    /// Exit code; `None` when killed by a signal or the timeout.
    pub code: Option<i32>,
    /// Stdout, lossily decoded.
    pub stdout: String,
    /// Stderr, lossily decoded.
    pub stderr: String,
    /// Killed after the adapter's timeout.
    pub timed_out: bool,
    /// The signal that ended it, when one did (the timeout's is `SIGKILL`).
    pub signal: Option<i32>,
    /// A descendant still held its output open after it ended, so the
    /// harness stopped reading (its output may be cut short).
    pub pipes_held: bool,
    /// From the start of the step's processes until this one was seen to
    /// end: the tool's own time, the floor of the case's.
    pub elapsed: Duration,
}

/// Builds the argv for copy `i` of a verb step.
///
/// # Errors
/// Unclaimed verb or unknown variable.
pub fn argv(ws: &Workspace, ad: &Adapter, step: &Run, i: usize) -> HResult<Vec<String>> {
    let verb = step.verb;
    let tpl = ad.spec.verbs.get(verb.as_str()).ok_or_else(|| {
        HarnessError::Adapter(format!(
            "adapter {} has no template for verb {verb}",
            ad.spec.name
        ))
    })?;
    let exe = ad.exe.display().to_string();
    let idx = i.to_string();
    let project = step_project(ws, step)?;
    let mut extra = vec![("exe", exe.as_str()), ("i", idx.as_str())];
    if let Some(p) = &project {
        extra.push(("project", p.as_str()));
    }
    let args: Vec<String> = step
        .args
        .iter()
        .map(|a| ws.subst(a, &extra))
        .collect::<HResult<_>>()?;
    // `${type}` and `${name}`: the asset a `<type> <name>` step names, for
    // tools whose argv is not `<verb> <type> <name>` (portable adapters).
    if let [ty, name, ..] = args.as_slice() {
        extra.push(("type", ty.as_str()));
        extra.push(("name", name.as_str()));
    }
    let mut out = Vec::new();
    for t in tpl {
        match t.as_str() {
            "${args}" => out.extend(args.iter().cloned()),
            "${json}" => {
                if step.json {
                    out.extend(ad.spec.json_args.iter().cloned());
                }
            }
            _ => out.push(ws.subst(t, &extra)?),
        }
    }
    if out.is_empty() {
        return Err(HarnessError::Adapter(format!(
            "adapter {}: empty argv for {verb}",
            ad.spec.name
        )));
    }
    Ok(out)
}

/// The directory of a step's `in_project` (under `$HOME`, made with a
/// `.git` marker when missing), `None` for the case's own project.
fn step_project(ws: &Workspace, step: &Run) -> HResult<Option<String>> {
    let Some(rel) = &step.in_project else {
        return Ok(None);
    };
    let dir = ws.case_path(ws.root(super::case::Root::Home), rel)?;
    let marker = dir.join(".git");
    std::fs::create_dir_all(&marker)
        .map_err(io_err(format!("cannot create {}", marker.display())))?;
    Ok(Some(dir.display().to_string()))
}

fn spawn(ws: &Workspace, ad: &Adapter, step: &Run, argv: &[String]) -> HResult<Child> {
    let project = step_project(ws, step)?;
    let traced;
    let argv = match &ws.trace {
        Some((dir, n)) => {
            let k = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            traced = super::crash::strace_argv(&dir.join(format!("trace.{k}")), argv)?;
            &traced[..]
        }
        None => argv,
    };
    let mut cmd = command(ws, ad, project, argv)?;
    if let Some(l) = step.limits {
        with_limits(&mut cmd, l);
    }
    let child = cmd
        .spawn()
        .map_err(io_err(format!("cannot start {}", argv[0])))?;
    super::reaper::track_group(child.id() as i32);
    Ok(child)
}

/// Runs the adapter's `run.setup` once, before a case's first step (a
/// tool that needs its project initialised).
///
/// # Errors
/// It cannot start, or exits non-zero (a harness error: the case cannot
/// run as the adapter describes).
pub fn run_setup(ws: &Workspace, ad: &Adapter) -> HResult<()> {
    let tpl = &ad.spec.run.setup;
    if tpl.is_empty() || !ws.project.is_dir() {
        return Ok(());
    }
    let exe = ad.exe.display().to_string();
    let argv: Vec<String> = tpl
        .iter()
        .map(|t| ws.subst(t, &[("exe", exe.as_str())]))
        .collect::<HResult<_>>()?;
    let since = super::reaper::since();
    let mut child = command(ws, ad, None, &argv)?
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(io_err(format!("cannot start adapter setup {}", argv[0])))?;
    super::reaper::track_group(child.id() as i32);
    let err = Drain::start(child.stderr.take());
    let limit = Duration::from_secs(ad.spec.run.timeout_secs.unwrap_or(60));
    let start = Instant::now();
    let end = loop {
        match poll(&mut child, start, limit) {
            Ok(Some(e)) => break e,
            Ok(None) => std::thread::sleep(backoff(start)),
            Err(e) => return Err(io_err("waiting for adapter setup")(e)),
        }
    };
    super::reaper::claim(&ws.case, ws.base(), &[child.id() as i32], since);
    if end.timed_out {
        return Err(HarnessError::Setup {
            argv,
            ended: format!("still running after {} s; killed", limit.as_secs()),
        });
    }
    if end.code != Some(0) {
        let (stderr, _) = err.finish(Instant::now() + DRAIN_GRACE);
        return Err(HarnessError::Setup {
            argv,
            ended: format!(
                "{}: {}",
                end.describe(),
                String::from_utf8_lossy(&stderr).trim()
            ),
        });
    }
    Ok(())
}

/// The command for `argv` with the adapter's cwd and environment.
fn command(
    ws: &Workspace,
    ad: &Adapter,
    project: Option<String>,
    argv: &[String],
) -> HResult<Command> {
    let exe = ad.exe.display().to_string();
    let mut extra = vec![("exe", exe.as_str())];
    if let Some(p) = &project {
        extra.push(("project", p.as_str()));
    }
    let cwd = ws.subst(ad.spec.run.cwd.as_deref().unwrap_or("${project}"), &extra)?;
    // A tool runs where the case can see what it does.
    ws.confined("run.cwd", &cwd)?;
    if !Path::new(&cwd).is_dir() {
        return Err(HarnessError::Adapter(format!(
            "harness: the adapter's run.cwd {cwd:?} is not a directory here \
             (it must exist when the verb runs: ${{project}}, ${{home}} or a directory under them)"
        )));
    }
    let mut cmd = Command::new(&argv[0]);
    // Its own process group, so that the timeout, and the end of the tool,
    // also ends whatever it started (a child left holding the output pipes
    // would otherwise keep the harness waiting).
    cmd.process_group(0);
    die_with_the_runner(&mut cmd);
    if ws.without_capabilities {
        crate::privilege::without_capabilities(&mut cmd);
    }
    // Inherited by what the tool starts: the case's mark (reaper::claim).
    cmd.env(super::reaper::CASE_VAR, ws.base());
    cmd.args(&argv[1..])
        .current_dir(&cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // The case's $HOME is the tool's whole home: these would point it at
    // the runner's own configuration (n-wiki-plants plants git's files
    // under $HOME). An adapter's env may set them again.
    for k in HOME_OVERRIDES {
        cmd.env_remove(k);
    }
    for k in &ad.spec.run.env_remove {
        cmd.env_remove(k);
    }
    for (k, v) in &ad.spec.run.env {
        cmd.env(k, ws.subst(v, &extra)?);
    }
    if let Some(t) = &ws.tmpdir {
        cmd.env("TMPDIR", t);
    }
    Ok(cmd)
}

/// Variables that would send a tool past the case's `$HOME` for its
/// configuration; removed from every verb's environment.
const HOME_OVERRIDES: &[&str] = &[
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
    "GIT_CONFIG_GLOBAL",
];

/// Sets `l` (soft and hard) in the process before it execs; what it
/// starts inherits them. `SIGXFSZ` is set back to its default action
/// there: the runner may ignore it (the reference's own binary does, and
/// runs `conform`), and an ignored disposition survives `exec`, which
/// would hide a tool that a write past the limit kills.
fn with_limits(cmd: &mut Command, l: super::case::Limits) {
    use nix::sys::signal::{SigHandler, Signal, signal};
    use rustix::process::{Resource, Rlimit, setrlimit};
    use std::os::unix::process::CommandExt;
    let set = |r: Resource, v: Option<u64>| match v {
        None => Ok(()),
        Some(v) => setrlimit(
            r,
            Rlimit {
                current: Some(v),
                maximum: Some(v),
            },
        ),
    };
    // SAFETY: between fork and exec the closure makes only sigaction and
    // setrlimit system calls, with values on the stack; it allocates
    // nothing.
    unsafe {
        cmd.pre_exec(move || {
            // SIG_DFL runs no handler code; sigaction is async-signal-safe.
            signal(Signal::SIGXFSZ, SigHandler::SigDfl).map_err(std::io::Error::from)?;
            set(Resource::Fsize, l.fsize)?;
            set(Resource::Nofile, l.nofile)?;
            Ok(())
        });
    }
}

/// Makes the tool's first process get `SIGKILL` when the runner dies,
/// even by `SIGKILL` (which leaves no chance to kill its group): a tool
/// never runs on unwatched. What that process started is not covered;
/// the end of the run and the signal handlers kill those (reaper).
fn die_with_the_runner(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let runner = rustix::process::getpid();
    // SAFETY: between fork and exec the closure makes only two system
    // calls (prctl, getppid), both async-signal-safe, and allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
            // The runner may have died before the prctl took hold.
            if rustix::process::getppid() != Some(runner) {
                return Err(std::io::Error::other("the runner has ended"));
            }
            Ok(())
        });
    }
}

/// How long the harness keeps reading a process's output after the
/// process and its group have ended (a descendant that left the group can
/// still hold the pipe).
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// A pipe read to its end on a thread of its own.
struct Drain {
    buf: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    done: std::sync::mpsc::Receiver<()>,
}

impl Drain {
    fn start<R: Read + Send + 'static>(r: Option<R>) -> Drain {
        let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, done) = std::sync::mpsc::channel();
        let sink = buf.clone();
        std::thread::spawn(move || {
            if let Some(mut r) = r {
                let mut chunk = vec![0u8; 64 * 1024];
                let mut kept = 0usize;
                while let Ok(n) = r.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    // Read to the end (the writer must not block), keep
                    // the first OUTPUT_CAP bytes.
                    let take = n.min(OUTPUT_CAP.saturating_sub(kept));
                    if take > 0 {
                        let mut b = sink.lock().unwrap_or_else(|e| e.into_inner());
                        b.extend_from_slice(&chunk[..take]);
                        kept += take;
                        if kept == OUTPUT_CAP {
                            b.extend_from_slice(b"\n[output cut at 16 MiB]\n");
                        }
                    }
                }
            }
            let _ = tx.send(());
        });
        Drain { buf, done }
    }

    /// What was read by `deadline`, and whether the pipe was still open
    /// then (the reader thread is left to end with it).
    fn finish(self, deadline: Instant) -> (Vec<u8>, bool) {
        let left = deadline.saturating_duration_since(Instant::now());
        let held = self.done.recv_timeout(left).is_err();
        let buf = std::mem::take(&mut *self.buf.lock().unwrap_or_else(|e| e.into_inner()));
        (buf, held)
    }
}

/// The most of a process's stdout or stderr a report keeps (bytes).
const OUTPUT_CAP: usize = 16 << 20;

/// Kills the process group the child leads (itself and what it started
/// that stayed in the group); a group already gone is fine.
fn kill_group(child: &Child) {
    super::reaper::end_group(child.id() as i32);
}

/// One look at `c`: `Some` once it has exited (what it left in its group
/// is killed then) or has run past `limit` since `start` (its group is
/// killed and it is reaped); `None` while it runs.
fn poll(c: &mut Child, start: Instant, limit: Duration) -> std::io::Result<Option<Ended>> {
    use std::os::unix::process::ExitStatusExt;
    Ok(match c.try_wait()? {
        Some(s) => {
            kill_group(c);
            Some(Ended {
                code: s.code(),
                signal: s.signal(),
                timed_out: false,
            })
        }
        None if start.elapsed() > limit => {
            kill_group(c);
            let _ = c.wait();
            Some(Ended {
                code: None,
                signal: Some(9),
                timed_out: true,
            })
        }
        None => None,
    })
}

/// How long to wait before polling a process started at `start` again:
/// a tenth of its run so far, from 50 µs to 2 ms, so a quick tool is
/// seen to end soon after it does and a slow one costs few polls.
fn backoff(start: Instant) -> Duration {
    (start.elapsed() / 10).clamp(Duration::from_micros(50), Duration::from_millis(2))
}

/// Runs the step's verb: one process, or `copies` processes started
/// together and then awaited (a barrier-ish start for races).
///
/// # Errors
/// A process could not be started, or argv could not be built.
pub fn run_verb(ws: &Workspace, ad: &Adapter, step: &Run) -> HResult<Vec<ProcResult>> {
    let started = start_verb(ws, ad, step)?;
    finish_verb(ws, started, step_timeout(ad, step))
}

/// The processes of one step, started and not yet awaited.
pub struct Started {
    children: Vec<Child>,
    readers: Vec<(Drain, Drain)>,
    argvs: Vec<Vec<String>>,
    since: Option<super::reaper::Since>,
    spawned: Instant,
    status: Vec<Option<Ended>>,
    ended_after: Vec<Duration>,
}

/// The per-process time limit of `step`: its `timeout_secs`, capped by
/// the adapter's.
fn step_timeout(ad: &Adapter, step: &Run) -> Duration {
    let limit = ad.spec.run.timeout_secs.unwrap_or(60);
    Duration::from_secs(step.timeout_secs.map_or(limit, |t| t.min(limit)))
}

/// Starts the step's processes (all copies back to back).
///
/// # Errors
/// A process could not be started, or argv could not be built.
pub fn start_verb(ws: &Workspace, ad: &Adapter, step: &Run) -> HResult<Started> {
    let n = step.copies.map_or(1, std::num::NonZeroUsize::get);
    let argvs: Vec<Vec<String>> = (0..n)
        .map(|i| argv(ws, ad, step, i))
        .collect::<HResult<_>>()?;
    // Build everything first, then start all copies back to back.
    let since = super::reaper::since();
    let spawned = Instant::now();
    let mut children = Vec::with_capacity(n);
    for a in &argvs {
        match spawn(ws, ad, step, a) {
            Ok(c) => children.push(c),
            Err(e) => {
                for mut c in children {
                    kill_group(&c);
                    let _ = c.wait();
                }
                return Err(e);
            }
        }
    }
    let readers: Vec<_> = children
        .iter_mut()
        .map(|c| (Drain::start(c.stdout.take()), Drain::start(c.stderr.take())))
        .collect();
    Ok(Started {
        children,
        readers,
        argvs,
        since,
        spawned,
        status: vec![None; n],
        ended_after: vec![Duration::ZERO; n],
    })
}

impl Started {
    /// Takes `other`'s processes in after this one's: awaited, reported
    /// and swept as one step (a second process's end must not sweep the
    /// first's children as strays).
    pub fn join(&mut self, other: Started) {
        let offset = other.spawned.saturating_duration_since(self.spawned);
        self.children.extend(other.children);
        self.readers.extend(other.readers);
        self.argvs.extend(other.argvs);
        self.status.extend(other.status);
        self.ended_after
            .extend(other.ended_after.into_iter().map(|d| d + offset));
        if self.since.is_none() {
            self.since = other.since;
        }
    }

    /// Polls every process not yet ended once; true when all have ended.
    fn poll_all(&mut self, timeout: Duration) -> HResult<bool> {
        let mut pending = false;
        for (k, c) in self.children.iter_mut().enumerate() {
            if self.status[k].is_some() {
                continue;
            }
            match poll(c, self.spawned, timeout) {
                Ok(Some(e)) => {
                    self.status[k] = Some(e);
                    self.ended_after[k] = self.spawned.elapsed();
                }
                Ok(None) => pending = true,
                Err(e) => return Err(io_err("waiting for a process")(e)),
            }
        }
        Ok(!pending)
    }

    /// Waits until `ready` holds or every process has ended, whichever is
    /// first, polling with [`backoff`]; true when `ready` held.
    pub fn wait_until(
        &mut self,
        timeout: Duration,
        mut ready: impl FnMut() -> bool,
    ) -> HResult<bool> {
        loop {
            if ready() {
                return Ok(true);
            }
            if self.poll_all(timeout)? {
                return Ok(ready());
            }
            std::thread::sleep(backoff(self.spawned));
        }
    }
}

/// Awaits the processes of `started` (each killed at `timeout`) and
/// collects what they printed.
///
/// # Errors
/// Waiting for a process failed.
pub fn finish_verb(
    ws: &Workspace,
    mut started: Started,
    timeout: Duration,
) -> HResult<Vec<ProcResult>> {
    while !started.poll_all(timeout)? {
        std::thread::sleep(backoff(started.spawned));
    }
    let Started {
        children,
        readers,
        argvs,
        since,
        status,
        ended_after,
        ..
    } = started;
    let groups: Vec<i32> = children.iter().map(|c| c.id() as i32).collect();
    let mut out = Vec::with_capacity(children.len());
    // One grace for all the pipes of the step, counted from now.
    let deadline = Instant::now() + DRAIN_GRACE;
    for ((k, (ro, re)), a) in readers.into_iter().enumerate().zip(argvs) {
        let (stdout, held_out) = ro.finish(deadline);
        let (stderr, held_err) = re.finish(deadline);
        let e = status[k].unwrap_or_default();
        out.push(ProcResult {
            argv: a,
            code: e.code,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            timed_out: e.timed_out,
            signal: e.signal,
            pipes_held: held_out || held_err,
            elapsed: ended_after[k],
        });
    }
    // What the step started outside its groups and left running dies
    // now, before the checks look at the project (the end-of-run note
    // names the case).
    super::reaper::claim(&ws.case, ws.base(), &groups, since);
    Ok(out)
}

/// Where a step's `second` process ran relative to the first
/// ([`run_verb_held`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The step has no `second`.
    NoSecond,
    /// The second ended while the first was stopped at its wait.
    SecondAlone,
    /// The second waited for a lock in the case's directories (the first
    /// held it), so the first was continued.
    SecondWaited,
    /// The first could not be stopped, or the second neither ended nor
    /// waited for a lock within [`PATIENCE`]: the two ran as they came.
    Unplaced,
}

/// What [`run_verb_held`] observed.
#[derive(Debug)]
pub struct HeldRun {
    /// The first process's result, then the second's.
    pub results: Vec<ProcResult>,
    /// The process ended without waiting for the lock (K1, K3).
    pub not_held: Option<crate::outcome::Failure>,
    /// Where the second process ran.
    pub placement: Placement,
    /// Whether each `while_held` action succeeded (a step held to a serial
    /// run observes a user's failed write; any other step errs on it).
    pub actions: Vec<bool>,
}

/// How long a second process may run, with the first stopped, before
/// the first is continued anyway (a tool that polls for a lock instead
/// of waiting in `flock(2)` would otherwise never end).
pub const PATIENCE: Duration = Duration::from_secs(5);

/// A step's `second` as a run of its own: the first's settings (time
/// limit, resource limits), its verb and arguments, nothing else.
pub fn second_run(step: &Run) -> Option<Run> {
    let s = step.second.as_ref()?;
    let mut r = step.clone();
    r.verb = s.verb;
    r.args.clone_from(&s.args);
    r.json = false;
    r.copies = None;
    r.hold = None;
    r.while_held = Vec::new();
    r.second = None;
    r.serial = None;
    r.user_cwd = None;
    r.in_project = None;
    r.crash = None;
    Some(r)
}

/// Opens a step's `user_cwd` (a directory only, never waited on: a tool
/// may have left a FIFO there, whose open would block until a writer
/// came) and its `/proc/self/fd` path, which follows it wherever it is
/// moved.
///
/// # Errors
/// The path is not a directory inside the case's directories.
pub fn open_user_cwd(ws: &Workspace, d: &str) -> HResult<(std::fs::File, PathBuf)> {
    let p = place(ws, Root::Project, d, true)?;
    let f = std::fs::File::options()
        .read(true)
        .custom_flags((rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::NONBLOCK).bits() as i32)
        .open(&p)
        .map_err(io_err(format!("open the directory {}", p.display())))?;
    let via = PathBuf::from(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(&f)
    ));
    Ok((f, via))
}

/// Runs a step with a `hold`: takes the lock, starts the process, waits
/// until it waits for the lock, performs `while_held`, then runs the
/// `second` process with the first stopped ([`crate::park`]), releases
/// the lock and awaits every process (the first's result first).
/// `Ok((_, Some(failure), _))` when the process ended without waiting for
/// the lock (the interleaving never happened, and the lock was not
/// respected: K1, K3).
///
/// # Errors
/// Harness failures: the lock or the actions.
pub fn run_verb_held(ws: &mut Workspace, ad: &Adapter, step: &Run, n: usize) -> HResult<HeldRun> {
    let done = |results, not_held, placement, actions| HeldRun {
        results,
        not_held,
        placement,
        actions,
    };
    let Some(hold) = &step.hold else {
        return Ok(done(
            run_verb(ws, ad, step)?,
            None,
            Placement::NoSecond,
            Vec::new(),
        ));
    };
    let lock_path = place(ws, Root::Project, hold, false)?;
    if let Some(d) = lock_path.parent() {
        mkdirs(d)?;
    }
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags((rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32)
        .mode(0o600)
        .open(&lock_path)
        .map_err(io_err(format!("open the lock {}", lock_path.display())))?;
    lock.lock()
        .map_err(io_err(format!("flock {}", lock_path.display())))?;
    ws.user_cwd = match &step.user_cwd {
        Some(d) => Some(open_user_cwd(ws, d)?),
        None => None,
    };
    let timeout = step_timeout(ad, step);
    let mut started = start_verb(ws, ad, step)?;
    let id = super::park::file_id(&lock);
    let waited = started.wait_until(timeout, || id.and_then(super::park::waiter_on).is_some())?;
    let mut failure = None;
    let mut placement = Placement::NoSecond;
    let mut actions = Vec::new();
    if waited {
        for a in &step.while_held {
            match run_action(ws, a, 1000 + n) {
                Ok(()) => actions.push(true),
                Err(_) if step.serial.is_some() => actions.push(false),
                Err(e) => {
                    drop(lock);
                    ws.user_cwd = None;
                    let _ = finish_verb(ws, started, timeout);
                    return Err(e);
                }
            }
        }
        if let Some(sec) = second_run(step) {
            let stopped = id
                .and_then(super::park::waiter_on)
                .and_then(super::park::Stopped::stop);
            drop(lock);
            ws.user_cwd = None;
            let mut second = match start_verb(ws, ad, &sec) {
                Ok(s) => s,
                Err(e) => {
                    drop(stopped);
                    let _ = finish_verb(ws, started, timeout);
                    return Err(e);
                }
            };
            placement = if stopped.is_none() {
                Placement::Unplaced
            } else {
                let roots = [ws.project.as_path(), ws.home.as_path()];
                let until = Instant::now() + PATIENCE;
                loop {
                    if second.poll_all(step_timeout(ad, &sec))? {
                        break Placement::SecondAlone;
                    }
                    if super::park::waits_below(&roots) {
                        break Placement::SecondWaited;
                    }
                    if Instant::now() > until {
                        break Placement::Unplaced;
                    }
                    std::thread::sleep(backoff(second.spawned));
                }
            };
            drop(stopped);
            started.join(second);
            let r = finish_verb(ws, started, timeout)?;
            return Ok(done(r, None, placement, actions));
        }
    } else {
        failure = Some(
            crate::outcome::Failure::new(
                "hold",
                format!(
                    "the process ended without waiting for the lock {hold} that the harness \
                     held (K1, K3): the interleaving the case places never happened"
                ),
            )
            .expecting(format!("a wait for {hold}"))
            .observing("no wait")
            .clause("K1"),
        );
        if step.second.is_some() {
            // The second still runs, after the first: the step's results
            // keep their shape.
            drop(lock);
            ws.user_cwd = None;
            let mut r = finish_verb(ws, started, timeout)?;
            if let Some(sec) = second_run(step) {
                r.extend(run_verb(ws, ad, &sec)?);
            }
            return Ok(done(r, failure, Placement::Unplaced, actions));
        }
    }
    drop(lock);
    ws.user_cwd = None;
    let r = finish_verb(ws, started, timeout)?;
    Ok(done(r, failure, placement, actions))
}

/// How one process ended.
#[derive(Debug, Clone, Copy, Default)]
struct Ended {
    code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
}

impl Ended {
    /// "exited N" or "was killed by signal N", for messages.
    fn describe(&self) -> String {
        match (self.code, self.signal) {
            (Some(c), _) => format!("exited {c}"),
            (None, Some(sig)) => format!("was killed by signal {sig}"),
            (None, None) => "ended".into(),
        }
    }
}

/// Where a file action's `path` is: inside the case's directories, also
/// once the links on the way are followed (an earlier step may have
/// planted one to `/`), and, for an action that follows a link at the end
/// (`follow`: write, append, touch, chmod, mkdir, plant), there too.
fn place(ws: &Workspace, root: Root, path: &str, follow: bool) -> HResult<PathBuf> {
    let p = ws.case_path(ws.root(root), path)?;
    ws.resolved_inside(&p, follow)?;
    Ok(p)
}

/// Performs an outside action (not the implementation's doing).
///
/// # Errors
/// I/O or git failures, unknown labels.
pub fn run_action(ws: &mut Workspace, action: &Action, n: usize) -> HResult<()> {
    // Any action may reach the wiki (a path through `${wiki}`, a write
    // through a link): only these leave it as its commits made it.
    if !matches!(
        action,
        Action::WikiCommit { .. } | Action::Sleep { .. } | Action::Stat { .. }
    ) {
        ws.wiki_touched();
    }
    match action {
        Action::Write {
            root,
            path,
            text,
            hex,
            mode,
        } => {
            let p = place(ws, *root, path, true)?;
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).map_err(io_err("mkdir"))?;
            }
            let bytes = ws.content(text.as_deref(), hex.as_deref())?;
            std::fs::write(&p, bytes).map_err(io_err(format!("write {}", p.display())))?;
            if let Some(m) = mode {
                chmod(&p, parse_mode(m)?)?;
            }
        }
        Action::Append {
            root,
            path,
            text,
            hex,
        } => {
            let p = place(ws, *root, path, true)?;
            let mut bytes = super::snapshot::read_left(&p)
                .map_err(|e| HarnessError::Case(format!("append to {}: {e}", p.display())))?;
            bytes.extend(ws.content(text.as_deref(), hex.as_deref())?);
            std::fs::write(&p, bytes).map_err(io_err(format!("write {}", p.display())))?;
        }
        Action::Prepend {
            root,
            path,
            text,
            hex,
        } => {
            let p = place(ws, *root, path, true)?;
            let mut bytes = ws.content(text.as_deref(), hex.as_deref())?;
            bytes.extend(
                super::snapshot::read_left(&p)
                    .map_err(|e| HarnessError::Case(format!("prepend to {}: {e}", p.display())))?,
            );
            std::fs::write(&p, bytes).map_err(io_err(format!("write {}", p.display())))?;
        }
        Action::Truncate {
            root,
            path,
            keep_percent,
            drop_bytes,
        } => {
            let p = place(ws, *root, path, true)?;
            let len = std::fs::metadata(&p)
                .map_err(io_err(format!("stat {}", p.display())))?
                .len();
            let to = match (keep_percent, drop_bytes) {
                (Some(k), None) if *k < 100 => len * u64::from(*k) / 100,
                (None, Some(d)) => len.saturating_sub(*d),
                _ => {
                    return Err(HarnessError::Case(
                        "truncate: give `keep_percent` (0 to 99) or `drop_bytes`, one of them"
                            .into(),
                    ));
                }
            };
            std::fs::File::options()
                .write(true)
                .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
                .open(&p)
                .and_then(|f| f.set_len(to))
                .map_err(io_err(format!("truncate {}", p.display())))?;
        }
        Action::Delete { root, path } => remove_any(&place(ws, *root, path, false)?)?,
        Action::Touch { root, path } => {
            // New mtime, same bytes: at least 10 ms later than now so that
            // coarse clocks still see a change.
            let p = place(ws, *root, path, true)?;
            std::thread::sleep(Duration::from_millis(15));
            // Never a FIFO waited on (a tool may have left one):
            // O_NONBLOCK makes one without a reader fail at once.
            let f = std::fs::File::options()
                .write(true)
                .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
                .open(&p)
                .map_err(io_err(format!("open {}", p.display())))?;
            let t = std::time::SystemTime::now() + Duration::from_secs(2);
            f.set_modified(t)
                .map_err(io_err(format!("set mtime of {}", p.display())))?;
        }
        Action::Chmod { root, path, mode } => {
            let p = place(ws, *root, path, true)?;
            chmod(&p, parse_mode(mode)?)?;
        }
        Action::Symlink { root, path, target } => {
            let p = place(ws, *root, path, false)?;
            let t = ws.subst(target, &[])?;
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).map_err(io_err("mkdir"))?;
            }
            let _ = remove_any(&p);
            symlink(&t, &p).map_err(io_err(format!("symlink {}", p.display())))?;
        }
        Action::Hardlink { root, path, target } => {
            let p = place(ws, *root, path, false)?;
            let t = place(ws, *root, target, false)?;
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).map_err(io_err("mkdir"))?;
            }
            let _ = remove_any(&p);
            std::fs::hard_link(&t, &p).map_err(io_err(format!("hard link {}", p.display())))?;
        }
        Action::Sparse {
            root,
            path,
            text,
            size,
        } => {
            let p = place(ws, *root, path, false)?;
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).map_err(io_err("mkdir"))?;
            }
            let _ = remove_any(&p);
            let text = ws.subst(text, &[])?;
            std::fs::write(&p, text.as_bytes())
                .and_then(|()| std::fs::OpenOptions::new().write(true).open(&p))
                .and_then(|f| f.set_len((*size).max(text.len() as u64)))
                .map_err(io_err(format!("sparse file {}", p.display())))?;
        }
        Action::Mkdir { root, path } => {
            let p = place(ws, *root, path, true)?;
            std::fs::create_dir_all(&p).map_err(io_err(format!("mkdir {}", p.display())))?;
        }
        Action::Mkfifo { root, path } => {
            let p = place(ws, *root, path, false)?;
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).map_err(io_err("mkdir"))?;
            }
            let _ = remove_any(&p);
            rustix::fs::mknodat(
                rustix::fs::CWD,
                &p,
                rustix::fs::FileType::Fifo,
                rustix::fs::Mode::from_raw_mode(0o644),
                0,
            )
            .map_err(io_err(format!("mkfifo {}", p.display())))?;
        }
        Action::Plant {
            root,
            path,
            plant,
            dir,
        } => {
            let missing = if *dir { Missing::Dir } else { Missing::File };
            plant_at(
                ws,
                *root,
                &place(ws, *root, path, true)?,
                *plant,
                missing,
                n,
            )?;
        }
        Action::WikiCommit { commit } => {
            ws.commit(commit, 100 + n)?;
        }
        Action::WikiBare {} => {
            ws.git(&["config", "core.bare", "true"])?;
            let tmp = ws.base().join(".wiki-bare");
            let dotgit = ws.wiki.join(".git");
            std::fs::rename(&dotgit, &tmp).map_err(io_err(format!("move {}", dotgit.display())))?;
            remove_any(&ws.wiki)?;
            std::fs::rename(&tmp, &ws.wiki).map_err(io_err(format!("move {}", tmp.display())))?;
        }
        Action::WikiReset { to } => {
            let id = ws
                .vars
                .get(&format!("commit.{to}"))
                .cloned()
                .ok_or_else(|| {
                    HarnessError::Case(format!("wiki-reset: no commit labelled {to:?}"))
                })?;
            ws.git(&["reset", "-q", "--hard", &id])?;
        }
        Action::Sleep { ms } => std::thread::sleep(Duration::from_millis(*ms)),
        Action::Stat {
            root,
            path,
            capture,
        } => {
            let p = place(ws, *root, path, false)?;
            let m =
                std::fs::symlink_metadata(&p).map_err(io_err(format!("stat {}", p.display())))?;
            ws.vars
                .insert(format!("var.{capture}"), mtime_ns(&m).to_string());
        }
    }
    Ok(())
}

/// The `mtime_ns` of `m` (seconds and nanoseconds, as `stat(2)` gives).
pub fn mtime_ns(m: &std::fs::Metadata) -> i128 {
    use std::os::unix::fs::MetadataExt;
    m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128
}

/// Why this machine cannot run `case` as written, before anything runs:
/// a mode-000 plant as root where the tool cannot run without
/// capabilities ([`crate::privilege`]), a character-device plant where
/// `mknod` is refused. `None`: it can.
pub fn machine_skip(case: &super::case::Case) -> Option<String> {
    use super::case::Step;
    if let Some(why) = super::crash::machine_skip(case) {
        return Some(why);
    }
    static MKNOD: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let plants = case.steps.iter().filter_map(|s| match s {
        Step::Action(Action::Plant { plant, .. }) => Some(*plant),
        _ => None,
    });
    for p in plants {
        match p {
            Plant::Mode000 if rustix::process::geteuid().is_root() => {
                if let Some(why) = crate::privilege::cannot() {
                    return Some(why);
                }
            }
            Plant::Chardev => {
                let probe = MKNOD.get_or_init(|| {
                    let dir = tempfile::tempdir().ok()?;
                    let p = dir.path().join("dev");
                    mknod(
                        &p,
                        rustix::fs::FileType::CharacterDevice,
                        rustix::fs::makedev(1, 3),
                    )
                    .err()
                    .map(|e| format!("this machine refuses mknod of a character device: {e}"))
                });
                if let Some(why) = probe {
                    return Some(why.clone());
                }
            }
            _ => {}
        }
    }
    None
}

fn mkdirs(p: &Path) -> HResult<()> {
    std::fs::create_dir_all(p).map_err(io_err(format!("mkdir {}", p.display())))
}

/// What a plant makes where nothing is yet (a case's `dir = true`: a
/// directory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Missing {
    /// A file holding `planted`.
    File,
    /// An empty directory.
    Dir,
}

impl Missing {
    /// Makes it at `p`.
    fn make(self, p: &Path) -> HResult<()> {
        match self {
            Missing::Dir => mkdirs(p),
            Missing::File => {
                std::fs::write(p, b"planted\n").map_err(io_err(format!("write {}", p.display())))
            }
        }
    }
}

/// Moves what is at `p` to `to` (making `missing` there when nothing is
/// at `p`), so that a link at `p` reaches the same content.
fn move_aside(p: &Path, to: &Path, missing: Missing) -> HResult<()> {
    if let Some(d) = to.parent() {
        mkdirs(d)?;
    }
    if std::fs::symlink_metadata(p).is_ok() {
        std::fs::rename(p, to).map_err(io_err(format!("move {}", p.display())))
    } else {
        missing.make(to)
    }
}

fn mknod(p: &Path, ty: rustix::fs::FileType, dev: u64) -> rustix::io::Result<()> {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        p,
        ty,
        rustix::fs::Mode::from_raw_mode(0o644),
        dev,
    )
}

/// Performs one [`Plant`] at `p`; `n` makes the moved-aside name unique.
/// "Inside" is the planted path's own root (the project, or the wiki).
fn plant_at(
    ws: &Workspace,
    root: Root,
    p: &Path,
    plant: Plant,
    missing: Missing,
    n: usize,
) -> HResult<()> {
    if let Some(d) = p.parent() {
        mkdirs(d)?;
    }
    let aside = |root: &Path| root.join(".planted").join(n.to_string());
    match plant {
        Plant::LinkInside | Plant::LinkOutside => {
            let base = if plant == Plant::LinkInside {
                ws.root(root)
            } else {
                &ws.outside
            };
            let to = aside(base);
            move_aside(p, &to, missing)?;
            symlink(&to, p).map_err(io_err(format!("symlink {}", p.display())))?;
        }
        Plant::HardlinkOutside => {
            let to = aside(&ws.outside);
            move_aside(p, &to, Missing::File)?;
            std::fs::hard_link(&to, p).map_err(io_err(format!("hard link {}", p.display())))?;
        }
        Plant::Fifo => {
            remove_any(p)?;
            mknod(p, rustix::fs::FileType::Fifo, 0)
                .map_err(io_err(format!("mkfifo {}", p.display())))?;
        }
        Plant::Socket => {
            remove_any(p)?;
            // The listener closes at once; the socket file stays.
            std::os::unix::net::UnixListener::bind(p).map_err(|e| {
                HarnessError::MachineCannot(format!(
                    "cannot make a unix socket at {}: {e}",
                    p.display()
                ))
            })?;
        }
        Plant::Chardev => {
            remove_any(p)?;
            mknod(
                p,
                rustix::fs::FileType::CharacterDevice,
                rustix::fs::makedev(1, 3),
            )
            .map_err(|e| {
                HarnessError::MachineCannot(format!(
                    "this machine refuses mknod of a character device: {e}"
                ))
            })?;
        }
        Plant::DirForFile => {
            remove_any(p)?;
            mkdirs(p)?;
        }
        Plant::FileForDir => {
            remove_any(p)?;
            std::fs::write(p, b"planted\n").map_err(io_err(format!("write {}", p.display())))?;
        }
        Plant::Mode000 => {
            if rustix::process::geteuid().is_root()
                && let Some(why) = crate::privilege::cannot()
            {
                return Err(HarnessError::MachineCannot(why));
            }
            if std::fs::symlink_metadata(p).is_err() {
                missing.make(p)?;
            }
            chmod(p, 0)?;
        }
    }
    Ok(())
}

fn chmod(p: &std::path::Path, m: u32) -> HResult<()> {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m))
        .map_err(io_err(format!("chmod {}", p.display())))
}
