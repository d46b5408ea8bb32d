"""Drive memtomem's web API (`mm web`, memtomem 0.6.12) for the
conformance suite: the adapter crates/conform/adapters/memtomem-web.toml runs this script
through the launcher that scripts/install-peer-web.sh writes.

    memtomem-web.py edit TYPE NAME --expect-mtime-ns N --content-file F
    memtomem-web.py edit TYPE NAME --show
    memtomem-web.py mm ARGS...        # the peer's own CLI, same venv

The project is the working directory, as for `mm web` started there. The
requests go to the peer's own FastAPI application (memtomem.web.app
.create_app, its CSRF middleware included: the token comes from
GET /api/session) through FastAPI's TestClient, in this process; with
ASSETPIN_MM_WEB_URL set they go over HTTP to a live server at that
address instead (tests/interop/web.rs runs both and compares them).

What the peer answers is printed as it came: the JSON body on stdout
and, for any status but 200, `HTTP <status> <body>` on stderr. Exit code:
0 for 200, 3 for 409 (the web API's conflict, as E2's 3), 1 for any other
status, 2 for a usage error of this script.
"""

import logging
import os
import sys

SECTIONS = {"skill": "skills", "agent": "agents", "command": "commands"}


def usage(msg):
    print(f"memtomem-web.py: {msg}", file=sys.stderr)
    sys.exit(2)


def parse(argv):
    if len(argv) < 3 or argv[0] != "edit":
        usage("expected: edit TYPE NAME (--show | --expect-mtime-ns N --content-file F)")
    ty, name, rest = argv[1], argv[2], argv[3:]
    if ty not in SECTIONS:
        usage(f"unknown type {ty!r}: expected skill, agent or command")
    opts = {}
    i = 0
    while i < len(rest):
        a = rest[i]
        if a == "--show":
            opts["show"] = True
            i += 1
        elif a in ("--expect-mtime-ns", "--content-file") and i + 1 < len(rest):
            opts[a] = rest[i + 1]
            i += 2
        else:
            usage(f"unexpected argument {a!r}")
    if not opts.get("show") and not ("--expect-mtime-ns" in opts and "--content-file" in opts):
        usage("edit needs --show, or --expect-mtime-ns N and --content-file F")
    return SECTIONS[ty], name, opts


def client():
    url = os.environ.get("ASSETPIN_MM_WEB_URL")
    if url:
        import httpx

        return httpx.Client(base_url=url, timeout=60)
    from fastapi.testclient import TestClient
    from memtomem.web.app import create_app

    app = create_app()
    # What `mm web` records at startup: the project it was started in.
    app.state.project_root = os.getcwd()
    return TestClient(app, base_url="http://127.0.0.1")


def report(resp):
    body = resp.text
    print(body)
    if resp.status_code == 200:
        return 0
    print(f"HTTP {resp.status_code} {body}", file=sys.stderr)
    return 3 if resp.status_code == 409 else 1


def main(argv):
    if argv and argv[0] == "mm":
        mm = os.path.join(os.path.dirname(sys.executable), "mm")
        os.execv(mm, [mm] + argv[1:])
    section, name, opts = parse(argv)
    content = None
    if not opts.get("show"):
        path = opts["--content-file"]
        try:
            if path == "-":
                content = sys.stdin.buffer.read().decode("utf-8")
            else:
                with open(path, "rb") as f:
                    content = f.read().decode("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            print(f"memtomem-web.py: cannot read {path}: {e}", file=sys.stderr)
            return 1
    # The peer logs every request at INFO on stderr; its warnings stay.
    logging.disable(logging.INFO)
    with client() as c:
        url = f"/api/context/{section}/{name}"
        if opts.get("show"):
            return report(c.get(url))
        token = c.get("/api/session").json()["csrf"]
        body = {"content": content, "mtime_ns": opts["--expect-mtime-ns"]}
        return report(c.put(url, json=body, headers={"X-Memtomem-CSRF": token}))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
