"""The tool as the harness starts it when a zygote (zygote.py) serves it:
hands its argv, directory, environment, umask, process group and stdio
to the zygote (at the launcher's ZYGOTE_SOCKET, else
$ASSETPIN_ZYGOTE_SOCKET) and exits as the tool's fork did.

Run with `python -S -I` (no site packages: it needs none, and starts in
a few ms). Exit 125 when the zygote cannot be reached.
"""

import json
import os
import signal
import socket
import sys

SOCKET_ENV = "ASSETPIN_ZYGOTE_SOCKET"


def main():
    # The launcher's own socket first (Zygote::start writes it above).
    path = globals().get("ZYGOTE_SOCKET") or os.environ.get(SOCKET_ENV)
    if not path:
        print(f"zygote client: no socket: {SOCKET_ENV} is not set", file=sys.stderr)
        return 125
    env = {k: v for k, v in os.environ.items() if k != SOCKET_ENV}
    req = {
        "argv": sys.argv[1:],
        "cwd": os.getcwd(),
        "env": env,
        "umask": os.umask(0o22),
        "pgid": os.getpgid(0),
    }
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        socket.send_fds(s, [json.dumps(req).encode() + b"\n"], [0, 1, 2])
        answer = b""
        while not answer.endswith(b"\n"):
            more = s.recv(4096)
            if not more:
                break
            answer += more
    except OSError as e:
        print(f"zygote client: {path}: {e}", file=sys.stderr)
        return 125
    if not answer:
        print("zygote client: the zygote ended before the tool did", file=sys.stderr)
        return 125
    a = json.loads(answer)
    if "signal" in a:
        signal.signal(a["signal"], signal.SIG_DFL)
        os.kill(os.getpid(), a["signal"])
        return 128 + a["signal"]
    return a["code"]


if __name__ == "__main__":
    sys.exit(main())
