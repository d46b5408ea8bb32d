"""A fork server for a Python tool under test (the memtomem peer): its
modules are imported once, and each run of the tool is a fork of this
process, not a new interpreter (about 10 ms instead of 250-350 ms).

    python zygote.py --socket S --argv0 PATH (--entry MOD:FUNC | --script PY)
                     [--route NAME=MOD:FUNC ...] [--preload MOD ...]
                     [--preload-package PKG ...]

It prints `ready` on stdout once it listens. A client (the launcher: the test
binary, test-support's src/zygote/launcher.rs, its path given to the
harness as the tool) connects, sends its argv, working
directory, environment, umask and process group with its stdin, stdout
and stderr, and exits as the fork did: with its code, or killed by its
signal. The fork joins the client's process group, so the harness's
group kill and timeout reach it as they would the real tool. It also
takes what the harness set in the client, read from the client itself
(its pid by SO_PEERCRED): its resource limits (a case's `limits`) and,
when the client has no capabilities and this process has some (a root
runner's mode-000 cases), it drops them.

What a fork cannot repeat is the interpreter's start: anything the tool
reads of its environment or directory while its modules are imported is
read here, once. The harness runs a sample of the cases through both this
and the real tool and compares them (tests/conformance, the zygote's
anchor); a difference fails the run.

ZYGOTE_SABOTAGE=exit0 in a client's environment makes the fork exit 0 at
once: the anchor's negative control.
"""

import argparse
import importlib
import json
import os
import runpy
import selectors
import signal
import socket
import sys

def load(spec):
    mod, _, func = spec.partition(":")
    return getattr(importlib.import_module(mod), func)


def preload_package(name):
    """Imports every module of package `name` that imports (the tool
    imports most of them lazily, per command: each fork would repeat
    that); one that fails (an optional dependency missing) is left out,
    and so is a `__main__`."""
    import pkgutil
    import warnings

    pkg = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in pkgutil.walk_packages(pkg.__path__, name + ".", onerror=lambda _: None):
            # A `__main__` module runs its program when imported.
            if m.name.endswith(".__main__"):
                continue
            try:
                importlib.import_module(m.name)
            except (Exception, SystemExit):
                pass


def die_with_parent():
    # PR_SET_PDEATHSIG(SIGKILL): no zygote outlives the tests.
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


def cap_eff(pid="self"):
    """The effective capabilities of process `pid` (/proc/PID/status); 0
    when they cannot be read."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("CapEff:"):
                    return int(line.split()[1], 16)
    except OSError:
        pass
    return 0


def drop_capabilities():
    """Leave this fork no capabilities, as the client that asked for it
    has none (crate::privilege in the harness: uid 0 whose permission
    bits apply). Bounding set, ambient set, then capset to all zero."""
    import ctypes
    import errno

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, pr_cap_ambient, clear_all = 24, 47, 4
    for cap in range(64):
        if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
            e = ctypes.get_errno()
            if e != errno.EINVAL:
                raise OSError(e, "prctl(PR_CAPBSET_DROP)")
    libc.prctl(pr_cap_ambient, clear_all, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (ctypes.c_uint32 * 6)()
    if libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def client_pid(conn):
    """The pid of the process at the other end of `conn` (SO_PEERCRED)."""
    import struct

    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[0]


def recv_request(conn):
    data, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
    while not data.endswith(b"\n"):
        more = conn.recv(1 << 20)
        if not more:
            raise EOFError("client closed before its request ended")
        data += more
    if len(fds) != 3:
        raise ValueError(f"expected 3 descriptors, got {len(fds)}")
    return json.loads(data), fds


def run_child(req, fds, args, routes):
    """In the fork: become the tool's process and run it; never returns."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setpgid(0, req["pgid"])
        for i, fd in enumerate(fds):
            os.dup2(fd, i)
            os.close(fd)
        os.chdir(req["cwd"])
        os.umask(req["umask"])
        os.environ.clear()
        os.environ.update(req["env"])
        # The fork is the zygote's child, not the client's: it takes what
        # the harness set in the client, read from the client (alive, and
        # waiting on the socket). Only a zygote that has capabilities has
        # any to drop (a user's may not change its bounding set).
        pid = req["client_pid"]
        if cap_eff(pid) == 0 and cap_eff():
            drop_capabilities()
        import resource

        for limit in (resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE):
            resource.setrlimit(limit, resource.prlimit(pid, limit))
        if os.environ.get("ZYGOTE_SABOTAGE") == "exit0":
            os._exit(0)
        # New streams on the new descriptors (the zygote's were its own).
        sys.stdin = open(0, "r", closefd=False)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        argv = req["argv"]
        target = None
        if argv and argv[0] in routes:
            target, argv = routes[argv[0]], argv[1:]
        sys.argv = [args.argv0] + argv
        try:
            if target is not None:
                result = target()
            elif args.entry:
                result = load(args.entry)()
            else:
                runpy.run_path(args.script, run_name="__main__")
                result = 0
            code = result if isinstance(result, int) else 0
        except SystemExit as e:
            if e.code is None:
                code = 0
            elif isinstance(e.code, int):
                code = e.code
            else:
                print(e.code, file=sys.stderr)
                code = 1
        except BaseException:
            sys.excepthook(*sys.exc_info())
            code = 1
        try:
            import atexit

            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            code = 120
    finally:
        os._exit(code & 0xFF)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--socket", required=True)
    p.add_argument("--argv0", required=True)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--entry")
    g.add_argument("--script")
    p.add_argument("--route", action="append", default=[])
    p.add_argument("--preload", action="append", default=[])
    p.add_argument("--preload-package", action="append", default=[])
    args = p.parse_args()
    die_with_parent()
    for m in args.preload:
        importlib.import_module(m)
    for pkg in args.preload_package:
        preload_package(pkg)
    if args.entry:
        load(args.entry)
    else:
        # Its imports, not its main: the script's own guard skips that.
        runpy.run_path(args.script, run_name="__zygote_preload__")
    routes = {}
    for r in args.route:
        name, _, spec = r.partition("=")
        routes[name] = load(spec)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(args.socket)
    srv.listen(64)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ, None)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                conn, _ = srv.accept()
                try:
                    req, fds = recv_request(conn)
                    req["client_pid"] = client_pid(conn)
                except (OSError, ValueError, EOFError) as e:
                    print(f"zygote: bad request: {e}", file=sys.stderr, flush=True)
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    srv.close()
                    sel.close()
                    conn.close()
                    run_child(req, fds, args, routes)
                for fd in fds:
                    os.close(fd)
                pidfd = os.pidfd_open(pid)
                sel.register(pidfd, selectors.EVENT_READ, (pid, conn))
            else:
                pid, conn = key.data
                sel.unregister(key.fileobj)
                os.close(key.fileobj)
                _, status = os.waitpid(pid, 0)
                if os.WIFSIGNALED(status):
                    answer = {"signal": os.WTERMSIG(status)}
                else:
                    answer = {"code": os.waitstatus_to_exitcode(status)}
                try:
                    conn.sendall(json.dumps(answer).encode() + b"\n")
                except OSError:
                    pass  # the client was killed with its group
                conn.close()


if __name__ == "__main__":
    main()
