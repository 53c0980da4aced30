#!/usr/bin/env python3
"""droidgate's bad-input campaign (called by suites/hostile/run).

    hostile.py BIN_DIR WORK_DIR

Starts `droidgate up --demo` with a config in WORK_DIR (free ports, small
limits), then runs hostile cases against edged (HTTP/1.1), the three IPC
sockets and the config loader. Every case states its expected outcome; after
every case edged must still answer a normal request (GET /v1/models -> 200)
and must not have been restarted (same pid), else the case fails. Prints a
table, then `hostile: N passed, M failed`; exit status 1 if any failed.

HOSTILE_ONLY=group[,group] runs only those groups' cases (e.g. exhaustion).

Python 3 standard library only. Every socket operation has a timeout.
"""

import json
import os
import random
import re
import resource
import select
import signal
import socket
import struct
import subprocess
import sys
import time

BIN = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else None
WORK = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None

MAX_BODY = 1048576
BODY_BUDGET = 16 << 20               # limits.maxBufferedBodyBytes
MAX_CONNECTIONS = 12000              # limits.maxConnections: above the 10,000-connection case
HEADER_TIMEOUT = 2.0
IDLE_TIMEOUT = 5.0
RNG = random.Random(0x5eed)          # deterministic payloads


def log(msg):
    sys.stderr.write("hostile: %s\n" % msg)
    sys.stderr.flush()


# ---------------------------------------------------------------- the stack

class Stack:
    def __init__(self):
        self.port = free_port()
        self.backend_port = free_port()
        while self.backend_port == self.port:
            self.backend_port = free_port()
        self.config = os.path.join(WORK, "droidgate.json")
        self.root = os.path.join(WORK, ".droidgate")
        self.rundir = os.path.join(self.root, "run")
        self.logpath = os.path.join(WORK, "stack.log")
        self.proc = None
        self.logfile = None
        with open(self.config, "w") as f:
            json.dump({
                "listen": "127.0.0.1:%d" % self.port,
                "limits": {"maxBodyBytes": MAX_BODY, "headerTimeoutSeconds": HEADER_TIMEOUT,
                           "idleTimeoutSeconds": IDLE_TIMEOUT, "upstreamTimeoutSeconds": 30,
                           "backendHoldSeconds": 2, "drainTimeoutSeconds": 2,
                           "maxBufferedBodyBytes": BODY_BUDGET, "maxConnections": MAX_CONNECTIONS},
                "backend": {"port": self.backend_port, "stopTimeoutSeconds": 3},
            }, f, indent=1)

    def start(self):
        self.logfile = open(self.logpath, "wb")
        env = dict(os.environ)
        for k in ("DROIDGATE_LISTEN", "DROIDGATE_ROOT", "DROIDGATE_RUNTIME_DIR", "FACTORY_API_KEY",
                  "DROID_REFRESH_KEY", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET",
                  "JOURNAL_STREAM"):
            env.pop(k, None)
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "droidgate"), "up", "--demo", "--config", self.config],
            stdin=subprocess.DEVNULL, stdout=self.logfile, stderr=subprocess.STDOUT,
            cwd=WORK, env=env, start_new_session=True)
        with open(os.path.join(WORK, "launcher.pid"), "w") as f:
            f.write(str(self.proc.pid))

    def wait_ready(self, timeout=40.0):
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("droidgate up exited with %s before the stack was ready" % self.proc.returncode)
            rc, out, _ = self.status()
            if rc == 0:
                h = health()
                if h is not None and (h.get("backend") or {}).get("state") == "ready":
                    return
                last = "backend not ready: %r" % ((h or {}).get("backend"),)
            else:
                last = "droidgate status rc=%s" % rc
            time.sleep(0.25)
        raise RuntimeError("stack not ready within %ds (%s)" % (timeout, last))

    def status(self, as_json=False):
        cmd = [os.path.join(BIN, "droidgate"), "status", "--config", self.config]
        if as_json:
            cmd.append("--json")
        try:
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=15, cwd=WORK)
        except subprocess.TimeoutExpired:
            return None, b"", b"timeout"
        return p.returncode, p.stdout, p.stderr

    def pids(self):
        rc, out, _ = self.status(as_json=True)
        try:
            j = json.loads(out)
            return {k: j[k].get("pid") for k in ("authd", "supervisord", "edged")}, rc
        except Exception:
            return {}, rc

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                log("launcher did not stop within 20 s; SIGKILL to its process group")
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                self.proc.wait(timeout=10)
        try:
            os.unlink(os.path.join(WORK, "launcher.pid"))
        except OSError:
            pass
        if self.logfile:
            self.logfile.close()
        self.proc = None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


STACK = None


# ---------------------------------------------------------------- raw HTTP

class Exchange:
    def __init__(self):
        self.data = b""
        self.eof = False          # the peer closed (FIN or RST)
        self.reset = False        # ... with an RST
        self.write_error = None
        self.t_first = None       # seconds from start to the first byte received
        self.t_eof = None
        self.t_last_write = None
        self.connect_error = None


def connect(timeout=5.0):
    s = socket.create_connection(("127.0.0.1", STACK.port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def transact(pieces, timeout=5.0, stop=None, half_close=False, sock=None, keep=False):
    """Sends `pieces` (bytes, or a list of (delay_s, bytes): each piece is sent
    `delay_s` after the previous one was fully written) while reading; returns
    when the peer closes, `stop(data)` is true, or `timeout` passes."""
    ex = Exchange()
    if isinstance(pieces, (bytes, bytearray)):
        pieces = [(0.0, bytes(pieces))]
    queue = list(pieces)
    try:
        s = sock or connect()
    except OSError as e:
        ex.connect_error = str(e)
        ex.eof = True
        return ex
    s.setblocking(False)
    p = select.poll()
    t0 = time.monotonic()
    deadline = t0 + timeout
    cur, off, due = None, 0, t0 + (queue[0][0] if queue else 0)
    write_closed = False
    shut = False
    buf = bytearray()
    try:
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            if cur is None and queue and now >= due and not write_closed:
                cur, off = queue.pop(0)[1], 0
            if cur is None and not queue and half_close and not shut and not write_closed:
                try:
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                shut = True
            events = select.POLLIN
            if cur is not None and not write_closed:
                events |= select.POLLOUT
            p.register(s, events)
            wait = deadline - now
            if cur is None and queue and not write_closed:
                wait = min(wait, max(0.0, due - now))
            ready = p.poll(max(1, int(wait * 1000)))
            for _, ev in ready:
                if ev & (select.POLLIN | select.POLLHUP | select.POLLERR):
                    try:
                        chunk = s.recv(262144)
                    except BlockingIOError:
                        chunk = None
                    except ConnectionResetError:
                        ex.eof = ex.reset = True
                        ex.t_eof = time.monotonic() - t0
                        break
                    except OSError:
                        ex.eof = True
                        ex.t_eof = time.monotonic() - t0
                        break
                    if chunk == b"":
                        ex.eof = True
                        ex.t_eof = time.monotonic() - t0
                        break
                    if chunk:
                        if ex.t_first is None:
                            ex.t_first = time.monotonic() - t0
                        buf += chunk
                if ev & select.POLLOUT and cur is not None:
                    try:
                        n = s.send(cur[off:off + 262144])
                        off += n
                        if off >= len(cur):
                            cur = None
                            ex.t_last_write = time.monotonic() - t0
                            if queue:
                                due = time.monotonic() + queue[0][0]
                    except BlockingIOError:
                        pass
                    except OSError as e:
                        ex.write_error = e.__class__.__name__
                        write_closed = True
                        cur = None
            if ex.eof:
                break
            if stop is not None and stop(bytes(buf)):
                break
    finally:
        ex.data = bytes(buf)
        if not keep:
            try:
                s.close()
            except OSError:
                pass
    return ex


class Resp:
    def __init__(self, status, headers, body, head):
        self.status = status
        self.headers = headers
        self.body = body
        self.head = head

    def h(self, name):
        v = self.headers.get(name.lower())
        return v[0] if v else None

    @property
    def from_backend(self):
        # edged's own answers say exactly `Content-Type: application/json` (`text/plain; version=0.0.4`
        # for /metrics); the fake backend's JSON says `application/json; charset=utf-8` (gin's c.JSON),
        # its 404 `text/plain`, its 204 nothing. (This was the backend's `Access-Control-Allow-Origin: *`,
        # which edged no longer relays: issue 25.)
        ct = self.h("content-type")
        return not (ct == "application/json" or (ct or "").startswith("text/plain; version="))


def parse_responses(data, methods=None):
    """Splits `data` into HTTP/1.x responses. Returns (finals, interims, complete, garbage)."""
    finals, interims = [], []
    pos = 0
    garbage = False
    while pos < len(data):
        he = data.find(b"\r\n\r\n", pos)
        if he < 0:
            return finals, interims, False, garbage
        head = data[pos:he].decode("latin-1")
        lines = head.split("\r\n")
        m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
        if not m:
            return finals, interims, False, True
        status = int(m.group(1))
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers.setdefault(k.strip().lower(), []).append(v.strip())
        bstart = he + 4
        if 100 <= status < 200:
            interims.append(Resp(status, headers, b"", head))
            pos = bstart
            continue
        method = methods[len(finals)] if methods and len(finals) < len(methods) else "GET"
        te = ",".join(headers.get("transfer-encoding", [])).lower()
        if method == "HEAD" or status in (204, 304):
            body, end = b"", bstart
        elif "chunked" in te:
            body, end = bytearray(), bstart
            while True:
                le = data.find(b"\r\n", end)
                if le < 0:
                    return finals, interims, False, garbage
                try:
                    size = int(data[end:le].split(b";")[0], 16)
                except ValueError:
                    return finals, interims, False, True
                end = le + 2
                if size == 0:
                    te_end = data.find(b"\r\n", end)
                    while te_end >= 0 and te_end != end:     # skip trailers
                        end = te_end + 2
                        te_end = data.find(b"\r\n", end)
                    if te_end < 0:
                        return finals, interims, False, garbage
                    end = te_end + 2
                    break
                if len(data) < end + size + 2:
                    return finals, interims, False, garbage
                body += data[end:end + size]
                end += size + 2
            body = bytes(body)
        elif "content-length" in headers:
            n = int(headers["content-length"][0])
            end = bstart + n
            if len(data) < end:
                return finals, interims, False, garbage
            body = data[bstart:end]
        else:
            body, end = data[bstart:], len(data)
        finals.append(Resp(status, headers, body, head))
        pos = end
    return finals, interims, True, garbage


def n_responses(n, methods=None):
    def stop(data):
        f, _, complete, _ = parse_responses(data, methods)
        return len(f) >= n and complete
    return stop


# Every response body seen from non-/healthz requests: checked for the backend key at the end.
RESPONSES_SEEN = []
SENT_KEYS = []


def test_key(tag):
    k = "sk-hostile-%s-%016x" % (tag, RNG.getrandbits(64))
    SENT_KEYS.append(k)
    return k


def req(method="GET", path="/v1/models", headers=(), body=None, version="HTTP/1.1", host=True, key=None):
    lines = ["%s %s %s" % (method, path, version)]
    if host:
        lines.append("Host: 127.0.0.1")
    if key:
        lines.append("Authorization: Bearer %s" % key)
    for h in headers:
        lines.append(h)
    if body is not None and not any(h.lower().startswith(("content-length", "transfer-encoding")) for h in headers):
        lines.append("Content-Length: %d" % len(body))
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return raw + (body or b"")


def show(b, limit=160):
    if b is None:
        return "-"
    r = repr(bytes(b[:limit]))[2:-1]
    return r + ("...(%d bytes)" % len(b) if len(b) > limit else "")


def describe(ex, finals, garbage=False):
    parts = []
    if ex.connect_error:
        return "connect failed: %s" % ex.connect_error
    parts.append(",".join(str(r.status) for r in finals) if finals else "no response")
    if garbage:
        parts.append("unparseable bytes")
    if ex.eof:
        parts.append("closed%s@%.1fs" % ("(RST)" if ex.reset else "", ex.t_eof or 0))
    else:
        parts.append("open")
    return " ".join(parts)


def health():
    """GET /healthz on a fresh connection: the JSON, or None."""
    ex = transact(req("GET", "/healthz", ["Connection: close"]), timeout=5, stop=n_responses(1))
    f, _, _, _ = parse_responses(ex.data)
    if not f or f[0].status != 200:
        return None
    try:
        return json.loads(f[0].body)
    except ValueError:
        return None


# ---------------------------------------------------------------- cases

CASES = []


def case(name, expected, group="http", ipc=False):
    def deco(fn):
        CASES.append({"name": name, "expected": expected, "group": group, "fn": fn, "ipc": ipc})
        return fn
    return deco


class Result:
    def __init__(self, ok, observed, sent=None, received=None):
        self.ok = ok
        self.observed = observed
        self.sent = sent
        self.received = received


def reject_case(name, raw, status, expected=None, timeout=4.0, **kw):
    """`raw` must get exactly one `status` response from edged itself, then a close."""
    @case(name, expected or "%d + close" % status)
    def run():
        ex = transact(raw, timeout=timeout, **kw)
        f, _, _, garbage = parse_responses(ex.data)
        RESPONSES_SEEN.append(ex.data)
        ok = (len(f) == 1 and f[0].status == status and not f[0].from_backend and ex.eof and not garbage
              and (f[0].h("connection") or "").lower() == "close")
        return Result(ok, describe(ex, f, garbage), raw, ex.data)
    return run


def forwarded_case(name, raw, expected="forwarded (backend answers) + no crash", timeout=8.0, methods=None,
                   statuses=None, extra=None):
    """`raw` must be forwarded: a response from the backend (not an edged error)."""
    @case(name, expected)
    def run():
        ex = transact(raw, timeout=timeout, stop=n_responses(1, methods))
        f, _, complete, garbage = parse_responses(ex.data, methods)
        RESPONSES_SEEN.append(ex.data)
        ok = len(f) >= 1 and complete and f[0].from_backend and not garbage
        if statuses is not None:
            ok = ok and f[0].status in statuses
        obs = describe(ex, f, garbage)
        if f:
            obs += " (%s)" % ("backend" if f[0].from_backend else "edged: " + show(f[0].body, 90))
        if ok and extra:
            ok2, note = extra(ex, f)
            ok = ok and ok2
            obs += " " + note
        return Result(ok, obs, raw, ex.data)
    return run


# ---- malformed request lines
reject_case("reqline: missing version", b"GET /v1/models\r\nHost: localhost\r\n\r\n", 400)
reject_case("reqline: HTTP/2.0", b"GET /v1/models HTTP/2.0\r\nHost: localhost\r\n\r\n", 505)
reject_case("reqline: HTTP/1.2", b"GET /v1/models HTTP/1.2\r\nHost: localhost\r\n\r\n", 505)
reject_case("reqline: lowercase http/1.1", b"GET /v1/models http/1.1\r\nHost: localhost\r\n\r\n", 400)
reject_case("reqline: version + trailing junk", b"GET /v1/models HTTP/1.1 extra\r\nHost: localhost\r\n\r\n", 400)
reject_case("reqline: method with bad bytes (g\\xc3\\xa9t)", b"g\xc3\xa9t /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n", 400)
reject_case("reqline: method with '('", b"ge(t /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n", 400)
reject_case("reqline: absolute-form target", b"GET http://evil.example/v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n", 400)
reject_case("reqline: CONNECT authority-form", b"CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example\r\n\r\n", 400)
reject_case("reqline: control byte 0x01 in target", b"GET /v1/mo\x01dels HTTP/1.1\r\nHost: localhost\r\n\r\n", 400)
reject_case("reqline: NUL in target", b"GET /v1/\x00models HTTP/1.1\r\nHost: localhost\r\n\r\n", 400)
reject_case("reqline: DEL in target", b"GET /v1/\x7fmodels HTTP/1.1\r\nHost: localhost\r\n\r\n", 400)
reject_case("reqline: two spaces (empty target)", b"GET  HTTP/1.1\r\nHost: localhost\r\n\r\n", 400)
reject_case("reqline: method only", b"GET\r\n\r\n", 400)
reject_case("reqline: target of 70,000 bytes", b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 431)
reject_case("reqline: HTTP/1.1 without Host", b"GET /v1/models HTTP/1.1\r\n\r\n", 400)
reject_case("reqline: two Host headers", b"GET /v1/models HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400)
reject_case("reqline: binary garbage with CRLFCRLF",
            bytes(RNG.getrandbits(8) | 0x80 for _ in range(300)) + b"\r\n\r\n", 400)


@case("reqline: 100 KiB of CRLFs", "400 or 431 + close")
def _crlf_flood():
    raw = b"\r\n" * 51200
    ex = transact(raw, timeout=4)
    f, _, _, garbage = parse_responses(ex.data)
    ok = len(f) == 1 and f[0].status in (400, 431) and ex.eof and not f[0].from_backend
    return Result(ok, describe(ex, f, garbage), raw, ex.data)


@case("reqline: TLS ClientHello on the plain port", "400/408 + close within header timeout + 1.5 s")
def _tls_hello():
    raw = bytes.fromhex("16030100f4010000f00303") + bytes(RNG.getrandbits(8) for _ in range(240))
    raw = raw.replace(b"\r\n\r\n", b"\r\n\r.")
    ex = transact(raw, timeout=HEADER_TIMEOUT + 4)
    f, _, _, garbage = parse_responses(ex.data)
    ok = ex.eof and (ex.t_eof or 99) <= HEADER_TIMEOUT + 1.5 and len(f) <= 1 and all(r.status in (400, 408) for r in f)
    return Result(ok, describe(ex, f, garbage), raw, ex.data)




@case("reqline: HTTP/1.0 without Host (allowed)", "200 from backend, then close")
def _http10():
    raw = b"GET /v1/models HTTP/1.0\r\n\r\n"
    ex = transact(raw, timeout=5)
    f, _, _, garbage = parse_responses(ex.data)
    ok = [r.status for r in f] == [200] and f[0].from_backend and ex.eof
    return Result(ok, describe(ex, f, garbage), raw, ex.data)


forwarded_case("reqline: 2 leading empty lines (RFC 9112 2.2)",
               b"\r\n\r\n" + req("GET", "/v1/models", ["Connection: close"]), statuses=[200],
               expected="200 from backend")
forwarded_case("reqline: 60 KiB target (under the head limit)",
               req("GET", "/v1/models?q=" + "b" * 61000, ["Connection: close"]),
               expected="forwarded (backend answers), no edged error")

# ---- web pages (a browser sends Origin on cross-site requests, its own name as Host after DNS rebinding)
CHAT = b'{"model":"gpt-5","messages":[{"role":"user","content":"hi"}]}'
reject_case("browser: cross-site text/plain POST with Origin",
            req("POST", "/v1/chat/completions", ["Origin: https://evil.example", "Content-Type: text/plain"], body=CHAT), 403)
reject_case("browser: Origin: null (sandboxed page)", req("GET", "/v1/models", ["Origin: null"]), 403)
reject_case("browser: DNS-rebinding Host on a POST",
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: rebind.evil.example:8317\r\nContent-Length: %d\r\n\r\n" % len(CHAT) + CHAT, 403)
reject_case("browser: DNS-rebinding Host on /healthz", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1.evil.example\r\n\r\n", 403)

# ---- paths a later hop could normalize into another one
reject_case("path: /../ segment", req("GET", "/v1/../metrics"), 400)
reject_case("path: percent-encoded %2e%2E segment", req("GET", "/v1/%2e%2E/metrics"), 400)
reject_case("path: /./ segment", req("GET", "/./v1/models"), 400)
reject_case("path: trailing /.. ", req("GET", "/v1/models/.."), 400)

# ---- line endings: a head with bare LFs is refused at once, not at the header timeout
reject_case("head: bare LF line endings", b"GET /v1/models HTTP/1.1\nHost: 127.0.0.1\n\n", 400, timeout=1.0)

# ---- header injection
reject_case("header: bare CR in value", b"GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-A: a\rX-Injected: 1\r\n\r\n", 400)
reject_case("header: bare LF in value", b"GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-A: a\nX-Injected: 1\r\n\r\n", 400)
reject_case("header: NUL in value", b"GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-A: a\x00b\r\n\r\n", 400)
reject_case("header: DEL in value", b"GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-A: a\x7fb\r\n\r\n", 400)
reject_case("header: ESC in value", b"GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-A: \x1b[31mred\r\n\r\n", 400)
reject_case("header: obs-fold (SP continuation)", b"GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-A: a\r\n b\r\n\r\n", 400)
reject_case("header: obs-fold (TAB continuation)", b"GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-A: a\r\n\tb\r\n\r\n", 400)
reject_case("header: space before colon", b"GET /v1/models HTTP/1.1\r\nHost : x\r\n\r\n", 400)
reject_case("header: tab before colon", b"GET /v1/models HTTP/1.1\r\nHost: localhost\r\nContent-Length\t: 0\r\n\r\n", 400)
reject_case("header: no colon", b"GET /v1/models HTTP/1.1\r\nHost: localhost\r\nJustAName\r\n\r\n", 400)
reject_case("header: empty name", b"GET /v1/models HTTP/1.1\r\nHost: localhost\r\n: value\r\n\r\n", 400)
reject_case("header: non-token byte in name", b"GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX\x80A: b\r\n\r\n", 400)
reject_case("header: 129 header fields", req("GET", "/v1/models", ["X-H%d: v" % i for i in range(129)]), 431)
reject_case("header: one 70 KiB header", req("GET", "/v1/models", ["X-Big: " + "v" * 70000]), 431)
reject_case("header: 64 KiB of junk without a line end", b"G" * 70000, 431)
reject_case("header: Expect: something-else", req("POST", "/v1/chat/completions", ["Expect: 102-processing"], b"{}"), 417)


@case("header: NUL after a Bearer key", "400 + close; the key is not echoed back")
def _nul_key():
    k = test_key("nul")
    raw = ("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s" % k).encode() + b"\x00\r\n\r\n"
    ex = transact(raw, timeout=4)
    f, _, _, garbage = parse_responses(ex.data)
    RESPONSES_SEEN.append(ex.data)
    ok = len(f) == 1 and f[0].status == 400 and ex.eof and k.encode() not in ex.data
    return Result(ok, describe(ex, f, garbage) + ("" if k.encode() not in ex.data else " KEY ECHOED"), raw, ex.data)


forwarded_case("header: obs-text (0x80-0xff) in a value is allowed",
               b"GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Latin: caf\xe9 \xff\r\nConnection: close\r\n\r\n",
               statuses=[200], expected="200 from backend")

# ---- Content-Length
reject_case("CL: over maxBodyBytes (head only)", req("POST", "/v1/chat/completions", ["Content-Length: %d" % (MAX_BODY + 1)]), 413)
reject_case("CL: negative", req("POST", "/v1/chat/completions", ["Content-Length: -1"]), 400)
reject_case("CL: non-numeric", req("POST", "/v1/chat/completions", ["Content-Length: abc"]), 400)
reject_case("CL: plus sign", req("POST", "/v1/chat/completions", ["Content-Length: +2"], None) + b"{}", 400)
reject_case("CL: hex", req("POST", "/v1/chat/completions", ["Content-Length: 0x2"]) + b"{}", 400)
reject_case("CL: empty", req("POST", "/v1/chat/completions", ["Content-Length:"]), 400)
reject_case("CL: 20 digits (overflow)", req("POST", "/v1/chat/completions", ["Content-Length: 99999999999999999999"]), 400)
reject_case("CL: 15 digits (> limit)", req("POST", "/v1/chat/completions", ["Content-Length: 999999999999999"]), 413)
reject_case("CL: list '2, 2'", req("POST", "/v1/chat/completions", ["Content-Length: 2, 2"]) + b"{}", 400)
reject_case("CL: duplicated, different values",
            req("POST", "/v1/chat/completions", ["Content-Length: 2", "Content-Length: 3"]) + b"{}}", 400)
_B = b'{"model":"gpt-5","messages":[{"role":"user","content":"hi"}]}'
forwarded_case("CL: duplicated, same value (accepted)",
               req("POST", "/v1/chat/completions", ["Content-Length: %d" % len(_B), "Content-Length: %d" % len(_B),
                                                     "Connection: close", "Content-Type: application/json"]) + _B,
               statuses=[200], expected="200 from backend")
reject_case("CL + TE: chunked (smuggling vector)",
            req("POST", "/v1/chat/completions", ["Content-Length: 5", "Transfer-Encoding: chunked"]) + b"0\r\n\r\n", 400)
reject_case("TE: gzip", req("POST", "/v1/chat/completions", ["Transfer-Encoding: gzip"]) + b"0\r\n\r\n", 501)
reject_case("TE: 'gzip, chunked'", req("POST", "/v1/chat/completions", ["Transfer-Encoding: gzip, chunked"]) + b"0\r\n\r\n", 501)
reject_case("TE: 'xchunked'", req("POST", "/v1/chat/completions", ["Transfer-Encoding: xchunked"]) + b"0\r\n\r\n", 501)
reject_case("TE: doubled header (chunked twice)",
            req("POST", "/v1/chat/completions", ["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"]) + b"0\r\n\r\n", 501)
reject_case("TE: vertical tab before chunked",
            req("POST", "/v1/chat/completions", []).replace(b"\r\n\r\n", b"\r\nTransfer-Encoding: \x0bchunked\r\n\r\n") + b"0\r\n\r\n", 400)


@case("CL: 1000 announced, 10 sent, then half-close", "closed, no 2xx (client gave up)")
def _short_body():
    raw = req("POST", "/v1/chat/completions", ["Content-Length: 1000"]) + b"0123456789"
    ex = transact(raw, timeout=4, half_close=True)
    f, _, _, garbage = parse_responses(ex.data)
    ok = ex.eof and all(400 <= r.status < 500 for r in f) and len(f) <= 1
    return Result(ok, describe(ex, f, garbage), raw, ex.data)


# ---- chunked
def chunked(path="/v1/chat/completions", headers=()):
    return req("POST", path, ["Transfer-Encoding: chunked", "Content-Type: application/json"] + list(headers))


reject_case("chunked: bad hex size 'zz'", chunked() + b"zz\r\nhello\r\n0\r\n\r\n", 400)
reject_case("chunked: negative size", chunked() + b"-5\r\nhello\r\n0\r\n\r\n", 400)
reject_case("chunked: '0x5' size", chunked() + b"0x5\r\nhello\r\n0\r\n\r\n", 400)
reject_case("chunked: empty size line", chunked() + b"\r\nhello\r\n0\r\n\r\n", 400)
reject_case("chunked: missing CRLF after data", chunked() + b"5\r\nhelloXX5\r\nhello\r\n0\r\n\r\n", 400)
reject_case("chunked: LF only after size", chunked() + b"5\nhello\r\n0\r\n\r\n", 400)
reject_case("chunked: size with 17 hex digits", chunked() + b"1FFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n", 400)
reject_case("chunked: size 0xFFFFFFFFFFFFFFF (> limit)", chunked() + b"FFFFFFFFFFFFFFF\r\nhello\r\n", 413)
reject_case("chunked: extension of 5000 bytes", chunked() + b"5;" + b"e" * 5000 + b"\r\nhello\r\n0\r\n\r\n", 400)
reject_case("chunked: NUL in extension", chunked() + b"5;a\x00b\r\nhello\r\n0\r\n\r\n", 400)
reject_case("chunked: 20 KiB of trailers",
            chunked() + b"5\r\nhello\r\n0\r\n" + b"".join(b"X-T%d: %s\r\n" % (i, b"t" * 100) for i in range(200)) + b"\r\n", 400)
reject_case("chunked: trailer with bare LF", chunked() + b"5\r\nhello\r\n0\r\nX-T: a\nb\r\n\r\n", 400)
reject_case("chunked: body over the limit (2 x 600 KB)",
            chunked() + b"".join(b"%x\r\n%s\r\n" % (600000, b"a" * 600000) for _ in range(2)) + b"0\r\n\r\n", 413,
            timeout=8)
reject_case("chunked: 18 KB of extensions over six chunks",
            chunked() + b"".join(b"1;" + b"e" * 3000 + b"\r\na\r\n" for _ in range(6)) + b"0\r\n\r\n", 400)
reject_case("chunked: 1-byte chunks, raw bytes over the limit (payload under it)",
            chunked() + b"1\r\na\r\n" * 220000 + b"0\r\n\r\n", 413, timeout=8)


@case("chunked: bad chunk with Expect: 100-continue", "one 400 + close, never a 100 Continue after it")
def _continue_after_error():
    raw = chunked(headers=["Expect: 100-continue"]) + b"zz\r\n"
    ex = transact(raw, timeout=4)
    f, _, _, garbage = parse_responses(ex.data)
    RESPONSES_SEEN.append(ex.data)
    ok = [r.status for r in f] == [400] and b"100 Continue" not in ex.data and ex.eof and not garbage
    return Result(ok, describe(ex, f, garbage) + (" SENT 100 Continue" if b"100 Continue" in ex.data else ""), raw, ex.data)


forwarded_case("chunked: valid, with extensions and trailers",
               chunked(headers=["Connection: close"]) + b'3;ext=1\r\n{"m\r\n'
               + b'%x\r\n%s\r\n' % (len(b'odel":"gpt-5","messages":[{"role":"user","content":"hi"}]}'),
                                    b'odel":"gpt-5","messages":[{"role":"user","content":"hi"}]}')
               + b"0\r\nX-Trailer: yes\r\n\r\n", statuses=[200], expected="200 from backend")


@case("chunked: Expect: 100-continue flow", "100 Continue, then 200 from backend")
def _expect_continue():
    body = b'{"model":"gpt-5","messages":[{"role":"user","content":"hi"}]}'
    head = req("POST", "/v1/chat/completions", ["Expect: 100-continue", "Content-Length: %d" % len(body),
                                                 "Connection: close"])
    s = connect()
    s.settimeout(4)
    data = b""
    try:
        s.sendall(head)
        while b"\r\n\r\n" not in data:
            c = s.recv(4096)
            if not c:
                break
            data += c
        got100 = data.startswith(b"HTTP/1.1 100")
        ex = transact(body, timeout=5, stop=n_responses(1), sock=s)
    finally:
        s.close()
    data += ex.data
    f, inter, _, garbage = parse_responses(data)
    ok = got100 and len(f) == 1 and f[0].status == 200 and f[0].from_backend
    return Result(ok, ("100, " if got100 else "no 100, ") + describe(ex, f, garbage), head + body, data)


# ---- bodies
def body_case(name, body, path="/v1/chat/completions", expected="forwarded (backend answers) + no crash", statuses=None):
    return forwarded_case(name, req("POST", path, ["Content-Type: application/json", "Connection: close"], body),
                          expected=expected, statuses=statuses, timeout=15)


body_case("body: invalid UTF-8 in a string",
          b'{"model":"gpt-5","messages":[{"role":"user","content":"\xff\xfe\xc0\xaf\xed\xa0\x80"}]}')
body_case("body: 100,000 nested '[' (claude)",
          b'{"model":"claude-x","messages":' + b"[" * 100000 + b"]" * 100000 + b"}", path="/v1/messages")
body_case("body: 100,000 nested '[' unclosed (claude, thinking)",
          b'{"model":"claude-sonnet-4-6","thinking":{"type":"enabled","budget_tokens":1024},"messages":'
          + b"[" * 100000, path="/v1/messages")
body_case("body: 50,000 nested objects in messages (claude)",
          b'{"model":"claude-x","thinking":{"type":"enabled"},"messages":[{"role":"assistant","content":'
          + b'{"a":' * 50000 + b"1" + b"}" * 50000 + b"}]}", path="/v1/messages")
body_case("body: unbalanced brackets",
          b'{"model":"claude-x","messages":[[[[{"role":"user"]]]}}}}}}]]', path="/v1/messages")
body_case("body: closing brackets first", b']]]]}}}}{"model":"gpt-5"', path="/v1/chat/completions")
body_case("body: unterminated string with escapes",
          b'{"model":"ag-c46s-thinking","messages":[{"content":"\\\\\\"\\u00', path="/v1/messages")
body_case("body: NUL bytes",
          b'{"model":"gpt-5\x00","messages":[{"role":"user","content":"a\x00b"}]}\x00\x00\x00')
body_case("body: 900 KB string (under the limit)",
          b'{"model":"gpt-5","messages":[{"role":"user","content":"' + b"x" * 900000 + b'"}]}')
body_case("body: 20,000 'model' keys",
          b'{' + b'"model":"claude-x",' * 20000 + b'"messages":[]}', path="/v1/messages")
body_case("body: top-level array", b'[{"model":"claude-x"}]', path="/v1/messages")
body_case("body: Gemini path with 10,000 ':' and '-preview'",
          b'{"contents":[]}', path="/v1beta/models/gemini-3-pro-preview" + ":" * 10000 + "generateContent")
reject_case("body: 8 MiB string (> 1 MiB limit)",
            req("POST", "/v1/chat/completions", ["Content-Type: application/json"],
                b'{"model":"gpt-5","messages":[{"role":"user","content":"' + b"y" * (8 << 20) + b'"}]}'), 413, timeout=8)


# ---- pipelining and smuggling
@case("pipelining: 100 requests in one write", "100 responses in order (statuses/origin match), conn open")
def _pipeline100():
    wanted, raw = [], b""
    for i in range(100):
        if i % 3 == 0:
            raw += req("GET", "/healthz")
            wanted.append((200, False))
        else:
            st = [200, 201, 202, 203, 400, 404, 409, 418, 429][i % 9]
            raw += req("GET", "/v1/models", ["x-fake-status: %d" % st])
            wanted.append((st, True))
    ex = transact(raw, timeout=15, stop=n_responses(100))
    f, _, _, garbage = parse_responses(ex.data)
    got = [(r.status, r.from_backend) for r in f]
    ok = got == wanted and not ex.eof
    first_bad = next((i for i, (a, b) in enumerate(zip(got, wanted)) if a != b), None)
    obs = "%d responses%s, %s" % (len(f), "" if first_bad is None else " (first mismatch at #%d: %s vs %s)"
                                  % (first_bad, got[first_bad], wanted[first_bad]), "closed" if ex.eof else "open")
    return Result(ok, obs, raw, ex.data)


@case("pipelining: 3000 requests answered on the spot, in one write", "3000 responses, conn open, edged alive")
def _pipeline3000():
    # Each answer used to start the next request from inside the one before:
    # about 600 of these overflowed the loop thread's stack (SIGSEGV, every
    # connection of edged gone).
    raw = req("GET", "/healthz") * 3000
    ex = transact(raw, timeout=30, stop=lambda d: d.count(b"HTTP/1.1 ") >= 3000)
    f, _, _, garbage = parse_responses(ex.data)
    alive = health() is not None
    ok = len(f) == 3000 and all(r.status == 200 for r in f) and not ex.eof and not garbage and alive
    return Result(ok, "%d responses, %s, edged %s" % (len(f), "closed" if ex.eof else "open",
                                                       "answers" if alive else "DOWN"), raw[:200], ex.data[-200:])


@case("pipelining: 20 POSTs (CL and chunked mixed) in one write", "20 responses in order")
def _pipeline_posts():
    raw, wanted = b"", []
    for i in range(20):
        st = 200 + (i % 4)
        body = b'{"model":"gpt-5","messages":[{"role":"user","content":"%d"}]}' % i
        if i % 2:
            raw += req("POST", "/v1/chat/completions", ["x-fake-status: %d" % st], body)
        else:
            raw += chunked(headers=["x-fake-status: %d" % st]) + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        wanted.append(st)
    ex = transact(raw, timeout=15, stop=n_responses(20))
    f, _, _, garbage = parse_responses(ex.data)
    got = [r.status for r in f]
    ok = got == wanted and all(r.from_backend for r in f)
    return Result(ok, "%d responses: %s" % (len(f), ",".join(map(str, got[:24]))), raw, ex.data)


@case("pipelining: valid request then a malformed one", "200 (backend), then 400 + close")
def _pipeline_bad():
    raw = req("GET", "/v1/models") + b"GET /x HTTP/1.1\r\nHost: localhost\r\nBad Header: 1\r\n\r\n"
    ex = transact(raw, timeout=5)
    f, _, _, garbage = parse_responses(ex.data)
    ok = [r.status for r in f] == [200, 400] and f[0].from_backend and not f[1].from_backend and ex.eof
    return Result(ok, describe(ex, f, garbage), raw, ex.data)


@case("pipelining: HEAD then GET on one connection", "HEAD 200 (no body), then GET 200")
def _head_then_get():
    raw = req("HEAD", "/v1/models") + req("GET", "/v1/models", ["x-fake-status: 203"])
    ex = transact(raw, timeout=5, stop=n_responses(2, ["HEAD", "GET"]))
    f, _, _, garbage = parse_responses(ex.data, ["HEAD", "GET"])
    ok = [r.status for r in f] == [200, 203]
    return Result(ok, describe(ex, f, garbage), raw, ex.data)


@case("pipelining: 204 from backend then GET", "204, then 203 on the same connection")
def _204_then_get():
    raw = req("GET", "/v1/models", ["x-fake-status: 204"]) + req("GET", "/v1/models", ["x-fake-status: 203"])
    ex = transact(raw, timeout=5, stop=n_responses(2))
    f, _, _, garbage = parse_responses(ex.data)
    ok = [r.status for r in f] == [204, 203]
    return Result(ok, describe(ex, f, garbage), raw, ex.data)


HIDDEN = b"GET /v1/models HTTP/1.1\r\nHost: localhost\r\nx-fake-status: 299\r\n\r\n"


@case("smuggling: CL:0 + TE:chunked, hidden request in body", "one 400 + close; no response to the hidden request")
def _smuggle_clte():
    raw = req("POST", "/v1/chat/completions", ["Content-Length: 0", "Transfer-Encoding: chunked"]) + b"0\r\n\r\n" + HIDDEN
    ex = transact(raw, timeout=4)
    f, _, _, garbage = parse_responses(ex.data)
    ok = [r.status for r in f] == [400] and ex.eof and b" 299 " not in ex.data
    return Result(ok, describe(ex, f, garbage), raw, ex.data)


@case("smuggling: TE:chunked + CL:5 (TE.CL order)", "one 400 + close; no response to the hidden request")
def _smuggle_tecl():
    inner = b"0\r\n\r\n" + HIDDEN
    raw = req("POST", "/v1/chat/completions", ["Transfer-Encoding: chunked", "Content-Length: %d" % 5]) + inner
    ex = transact(raw, timeout=4)
    f, _, _, garbage = parse_responses(ex.data)
    ok = [r.status for r in f] == [400] and ex.eof and b" 299 " not in ex.data
    return Result(ok, describe(ex, f, garbage), raw, ex.data)


@case("smuggling: CL 0 and CL %d (hidden request as body)" % len(HIDDEN), "one 400 + close; no hidden response")
def _smuggle_clcl():
    raw = req("POST", "/v1/chat/completions", ["Content-Length: 0", "Content-Length: %d" % len(HIDDEN)]) + HIDDEN
    ex = transact(raw, timeout=4)
    f, _, _, garbage = parse_responses(ex.data)
    ok = [r.status for r in f] == [400] and ex.eof and b" 299 " not in ex.data
    return Result(ok, describe(ex, f, garbage), raw, ex.data)


@case("smuggling: chunked body carrying a request, framing honoured",
      "exactly 1 response (the backend's, for the POST); none for the request inside the body")
def _smuggle_in_chunk():
    body = HIDDEN
    raw = chunked(headers=["x-fake-status: 200"]) + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    ex = transact(raw, timeout=2.0, stop=n_responses(2))
    f, _, _, garbage = parse_responses(ex.data)
    ok = len(f) == 1 and f[0].from_backend and f[0].status != 299 and b" 299 " not in ex.data and not garbage
    return Result(ok, describe(ex, f, garbage), raw, ex.data)


@case("smuggling: Connection: close, then a pipelined request", "exactly 1 response, then close")
def _close_then_more():
    raw = req("GET", "/v1/models", ["Connection: close"]) + HIDDEN
    ex = transact(raw, timeout=3.0)
    f, _, _, garbage = parse_responses(ex.data)
    ok = [r.status for r in f] == [200] and ex.eof and b" 299 " not in ex.data
    return Result(ok, describe(ex, f, garbage), raw, ex.data)



# ---- more protocol edges
forwarded_case("header: 128 fields (the limit) accepted",
               req("GET", "/v1/models", ["X-H%d: v" % i for i in range(126)] + ["Connection: close"]),
               statuses=[200], expected="200 from backend")
reject_case("reqline: HTTP/2 prior-knowledge preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505)
forwarded_case("reqline: h2c upgrade request is not switched",
               req("GET", "/v1/models", ["Connection: Upgrade, HTTP2-Settings, close", "Upgrade: h2c",
                                         "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA"]),
               statuses=[200], expected="200 from backend (never 101)")
forwarded_case("reqline: OPTIONS * (asterisk-form)", req("OPTIONS", "*", ["Connection: close"]),
               expected="forwarded (backend answers) + no crash")


@case("header: Expect 100-continue with CL over the limit", "413 + close, no 100 Continue")
def _expect_too_big():
    raw = req("POST", "/v1/chat/completions", ["Expect: 100-continue", "Content-Length: %d" % (MAX_BODY * 4)])
    ex = transact(raw, timeout=4)
    f, inter, _, garbage = parse_responses(ex.data)
    ok = [r.status for r in f] == [413] and not inter and ex.eof
    return Result(ok, ("100 sent, " if inter else "") + describe(ex, f, garbage), raw, ex.data)


@case("abort: client leaves mid-stream (SSE, 20 events x 100 ms)", "some events relayed; edged survives")
def _abort_stream():
    body = b'{"model":"gpt-5","stream":true,"messages":[{"role":"user","content":"hi"}]}'
    raw = req("POST", "/v1/chat/completions", ["x-fake-events: 20", "x-fake-event-delay-ms: 100",
                                                "Content-Type: application/json"], body)
    ex = transact(raw, timeout=1.0, stop=lambda d: d.count(b"data:") >= 3)
    f, _, _, _ = parse_responses(ex.data)
    ok = ex.data.startswith(b"HTTP/1.1 200") and ex.data.count(b"data:") >= 3
    return Result(ok, "%d bytes, %d events before leaving" % (len(ex.data), ex.data.count(b"data:")), raw, ex.data)


@case("abort: client leaves while the backend thinks (800 ms)", "no response needed; edged survives")
def _abort_wait():
    raw = req("GET", "/v1/models", ["x-fake-latency-ms: 800"])
    ex = transact(raw, timeout=0.2)
    time.sleep(1.0)
    return Result(not ex.eof, "left after 0.2 s (%s)" % ("edged had closed" if ex.eof else "edged still waiting"), raw, ex.data)


@case("abort: client RST mid-upload (SO_LINGER 0)", "edged survives")
def _rst_upload():
    s = connect()
    try:
        s.sendall(req("POST", "/v1/chat/completions", ["Content-Length: 500000"]) + b"x" * 100000)
    finally:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    time.sleep(0.2)
    return Result(True, "sent 100 KB of 500 KB, then RST", b"POST ... Content-Length: 500000 + 100000 bytes, RST", None)


@case("slow reader: 8 MB response, client reads nothing for 3 s", "edged buffers <= ~1 MiB (RSS +< 32 MiB), survives")
def _slow_reader():
    pid = BASELINE.get("edged")
    before = rss_kib(pid) or 0
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect(("127.0.0.1", STACK.port))
    peak = before
    try:
        s.sendall(req("POST", "/v1/chat/completions", ["x-fake-size: 8000000", "Content-Type: application/json"],
                      b'{"model":"gpt-5","messages":[]}'))
        for _ in range(15):
            time.sleep(0.2)
            peak = max(peak, rss_kib(pid) or 0)
        # now read it all: it must be complete
        s.settimeout(10)
        data = b""
        t = time.monotonic() + 10
        while time.monotonic() < t:
            f, _, complete, _ = parse_responses(data)
            if f and complete:
                break
            c = s.recv(1 << 20)
            if not c:
                break
            data += c
    finally:
        s.close()
    f, _, complete, _ = parse_responses(data)
    grew = peak - before
    ok = bool(f) and f[0].status == 200 and len(f[0].body) >= 8000000 and grew < 32 * 1024
    return Result(ok, "got %s, %d body bytes; edged RSS grew %d KiB while the client stalled" % (
        f[0].status if f else None, len(f[0].body) if f else 0, grew), b"POST x-fake-size: 8000000", data[:300])


# ---- slow and many clients
@case("slowloris: head 1 byte / 0.5 s", "408 + close within header timeout + 1.5 s")
def _slowloris():
    raw = req("GET", "/v1/models", ["X-Slow: 1", "X-Padding: abcdefghijklmnop"])
    pieces = [(0.5 if i else 0.0, raw[i:i + 1]) for i in range(len(raw))]
    ex = transact(pieces, timeout=HEADER_TIMEOUT + 5)
    f, _, _, garbage = parse_responses(ex.data)
    ok = [r.status for r in f] == [408] and ex.eof and (ex.t_first or 99) <= HEADER_TIMEOUT + 1.5
    return Result(ok, describe(ex, f, garbage) + (" first byte@%.1fs" % ex.t_first if ex.t_first else ""),
                  raw, ex.data)


@case("slow body: CL 1000, 1 byte / s", "408 + close (within ~header timeout + 3 s)")
def _slow_body():
    head = req("POST", "/v1/chat/completions", ["Content-Length: 1000"])
    pieces = [(0.0, head)] + [(1.0, b"x")] * 20
    ex = transact(pieces, timeout=HEADER_TIMEOUT + 8)
    f, _, _, garbage = parse_responses(ex.data)
    ok = [r.status for r in f] == [408] and ex.eof and (ex.t_eof or 99) <= HEADER_TIMEOUT + 3.5
    return Result(ok, describe(ex, f, garbage), head + b"x...", ex.data)


@case("slow: big Content-Length, 10 bytes, then silence", "408 + close within header timeout + 1.5 s (not a deadline scaled by the length)")
def _stalled_body():
    head = req("POST", "/v1/chat/completions", ["Content-Length: 1000000"])
    pieces = [(0.0, head + b"0123456789")]
    ex = transact(pieces, timeout=HEADER_TIMEOUT + 8)
    f, _, _, garbage = parse_responses(ex.data)
    ok = [r.status for r in f] == [408] and ex.eof and (ex.t_eof or 99) <= HEADER_TIMEOUT + 1.5
    return Result(ok, describe(ex, f, garbage), head + b"0123456789", ex.data)


@case("idle: connect, send nothing", "closed (no bytes or 408) within header timeout + 1.5 s")
def _silent():
    ex = transact(b"", timeout=HEADER_TIMEOUT + 5)
    f, _, _, garbage = parse_responses(ex.data)
    ok = ex.eof and (ex.t_eof or 99) <= HEADER_TIMEOUT + 1.5 and all(r.status == 408 for r in f) and not garbage
    return Result(ok, describe(ex, f, garbage), b"", ex.data)


@case("idle: keep-alive connection after a response", "closed after idleTimeout (5 s) +- 1.5 s")
def _idle_keepalive():
    raw = req("GET", "/v1/models")
    ex = transact(raw, timeout=IDLE_TIMEOUT + 5)
    f, _, _, garbage = parse_responses(ex.data)
    ok = [r.status for r in f] == [200] and ex.eof and IDLE_TIMEOUT - 1.0 <= (ex.t_eof or 0) <= IDLE_TIMEOUT + 1.5
    return Result(ok, describe(ex, f, garbage), raw, ex.data)


def open_many(n, first=b"", timeout=3.0):
    socks, failed = [], 0
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", STACK.port), timeout=timeout)
            if first:
                s.sendall(first)
            socks.append(s)
        except OSError:
            failed += 1
    return socks, failed


def edged_fds():
    try:
        return len(os.listdir("/proc/%d/fd" % BASELINE.get("edged")))
    except (OSError, TypeError):
        return -1


BASELINE = {}


def timed_normal(n=3):
    statuses, worst = [], 0.0
    for _ in range(n):
        t = time.monotonic()
        ex = transact(req("GET", "/v1/models", ["Connection: close"]), timeout=5, stop=n_responses(1))
        f, _, _, _ = parse_responses(ex.data)
        statuses.append(f[0].status if f else None)
        worst = max(worst, time.monotonic() - t)
    return statuses, worst


@case("slowloris x200 while normal requests run", "normal requests 200 (< 1 s); the 200 get 408/close")
def _slowloris_many():
    socks, failed = open_many(200, b"GET /v1/models HTTP/1.1\r\n")
    try:
        statuses, worst = [], 0.0
        for step in range(3):
            for s in socks:
                try:
                    s.send(b"X-Slow-%d: 1\r\n" % step)
                except OSError:
                    pass
            st, w = timed_normal(1)
            statuses += st
            worst = max(worst, w)
            time.sleep(0.4)
        # Now wait for edged to time them out.
        deadline = time.monotonic() + HEADER_TIMEOUT + 3
        closed = got408 = 0
        pending = list(socks)
        buf = {s: b"" for s in socks}
        p = select.poll()
        for s in pending:
            p.register(s, select.POLLIN)
        by_fd = {s.fileno(): s for s in pending}
        while pending and time.monotonic() < deadline:
            for fd, _ in p.poll(200):
                s = by_fd[fd]
                try:
                    c = s.recv(4096)
                except OSError:
                    c = b""
                if c:
                    buf[s] += c
                    continue
                closed += 1
                if buf[s].startswith(b"HTTP/1.1 408"):
                    got408 += 1
                p.unregister(s)
                pending.remove(s)
        ok = failed == 0 and statuses == [200] * len(statuses) and worst < 1.0 and closed == 200
        obs = "normal %s (worst %.2fs); %d/200 closed by edged (%d with 408)%s" % (
            ",".join(map(str, statuses)), worst, closed, got408, ", %d connects failed" % failed if failed else "")
        return Result(ok, obs, b"200 x 'GET /v1/models HTTP/1.1\\r\\nX-Slow-N: 1\\r\\n' ...", None)
    finally:
        for s in socks:
            s.close()


@case("10,000 concurrent idle connections", "all connect, edged holds >= 5000 at once; normal request 200 (< 2 s)")
def _ten_thousand():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 10000 + 200
    target = want if hard == resource.RLIM_INFINITY else min(hard, want)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    soft2, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    n = min(10000, soft2 - 100)
    t = time.monotonic()
    socks, failed, held = [], 0, 0
    for _ in range(10):                 # in steps, sampling how many edged holds (the kernel backlog is only 4096)
        more, bad = open_many(n // 10, timeout=3.0)
        socks += more
        failed += bad
        held = max(held, edged_fds())
    opened = time.monotonic() - t
    try:
        held = max(held, edged_fds())
        statuses, worst = timed_normal(2)
        ok = n == 10000 and failed == 0 and statuses == [200, 200] and worst < 2.0 and held >= 5000
        obs = "%d opened in %.1fs (%d failed, nofile %d), edged holds %d fds; normal %s (worst %.2fs)" % (
            len(socks), opened, failed, soft2, held, ",".join(map(str, statuses)), worst)
    finally:
        for s in socks:
            s.close()
    return Result(ok, obs, b"10000 x connect()", None)


@case("browser: the backend's Access-Control-* headers on a plain request",
      "200 from backend with no Access-Control-* header (edged's policy, not the backend's '*')", group="browser")
def _backend_cors_dropped():
    raw = req("POST", "/v1/chat/completions", ["Connection: close", "Content-Type: application/json"],
              body=b'{"model":"gpt-5","messages":[{"role":"user","content":"hi"}]}')
    ex = transact(raw, timeout=5, stop=n_responses(1))
    f, _, _, garbage = parse_responses(ex.data)
    RESPONSES_SEEN.append(ex.data)
    cors = sorted(k for k in (f[0].headers if f else {}) if k.startswith("access-control-"))
    ok = len(f) == 1 and f[0].status == 200 and f[0].from_backend and not cors and not garbage
    return Result(ok, "%s; access-control headers: %s" % (describe(ex, f, garbage), ", ".join(cors) or "none"), raw, ex.data)


# ---- resource exhaustion (issue 25)
def cpu_seconds(pid):
    """utime + stime of `pid` in seconds (/proc/PID/stat), or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, TypeError):
        return None


def stack_log_count(text):
    try:
        return open(STACK.logpath, "rb").read().count(text)
    except OSError:
        return -1


SLOW_BODIES = 96


@case("exhaustion: %d connections each hold a %d KiB body minus 16 bytes" % (SLOW_BODIES, MAX_BODY // 1024),
      "RSS growth <= budget + 64 KiB/conn + 16 MiB; the rest 503 + Retry-After; normal 200", group="exhaustion")
def _slow_bodies_many():
    pid = BASELINE.get("edged")
    bound_kib = BODY_BUDGET // 1024 + SLOW_BODIES * 64 + 16 * 1024
    before = rss_kib(pid)
    head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % MAX_BODY
    chunk = b" " * (MAX_BODY - 16)
    socks, failed, peak = [], 0, before or 0
    try:
        for _ in range(SLOW_BODIES):
            try:
                s = socket.create_connection(("127.0.0.1", STACK.port), timeout=3.0)
                socks.append(s)
                s.sendall(head)
                s.sendall(chunk)
            except OSError:
                failed += 1         # a refused body: edged answered 503 and stopped reading (see below)
            peak = max(peak, rss_kib(pid) or 0)
        statuses, worst = timed_normal(2)
        peak = max(peak, rss_kib(pid) or 0)
        refused = 0
        for s in socks:
            try:
                s.settimeout(0.2)
                data = s.recv(4096)
            except OSError:
                continue
            if data.startswith(b"HTTP/1.1 503") and b"\r\nRetry-After: 1\r\n" in data and b"maxBufferedBodyBytes" in data:
                refused += 1
        growth = None if before is None else peak - before
        ok = (growth is not None and growth <= bound_kib and statuses == [200, 200] and worst < 1.0
              and refused >= SLOW_BODIES - BODY_BUDGET // MAX_BODY - 4)
        obs = "RSS %s -> peak %s KiB (%+d KiB, bound %d KiB = %d MiB budget + %d x 64 KiB + 16 MiB); %d refused 503; normal %s (worst %.2fs)" % (
            before, peak, growth or 0, bound_kib, BODY_BUDGET >> 20, SLOW_BODIES, refused, ",".join(map(str, statuses)), worst)
        return Result(ok, obs, b"%d x head (Content-Length %d) + %d body bytes, then nothing" % (SLOW_BODIES, MAX_BODY, MAX_BODY - 16), None)
    finally:
        for s in socks:
            s.close()


@case("exhaustion: out of descriptors (edged's RLIMIT_NOFILE = its fds + 32)",
      "<= 4 'accept failed' lines and < 0.3 s CPU in 3 s; serves again once fds free", group="exhaustion")
def _descriptors():
    pid = BASELINE.get("edged")
    old = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    low = edged_fds() + 32
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (low, old[1]))
    socks = []
    try:
        marker = b"accept failed"
        lines0 = stack_log_count(marker)
        socks, _ = open_many(100)
        deadline = time.monotonic() + 5
        while stack_log_count(marker) == lines0 and time.monotonic() < deadline:
            time.sleep(0.1)
        failing = stack_log_count(marker) > lines0
        # A rate needs a window: 3 s while accepts keep failing.
        lines1, cpu0 = stack_log_count(marker), cpu_seconds(pid)
        time.sleep(3)
        lines = stack_log_count(marker) - lines1
        cpu = (cpu_seconds(pid) or 0) - (cpu0 or 0)
        for s in socks:
            s.close()
        socks = []
        resource.prlimit(pid, resource.RLIMIT_NOFILE, old)
        served = False
        deadline = time.monotonic() + 5
        while not served and time.monotonic() < deadline:
            served = timed_normal(1)[0] == [200]
        ok = failing and lines <= 4 and cpu < 0.3 and served
        obs = "limit %d: accepts %s; %d log lines and %.2f s CPU in 3 s (bound 4 lines, 0.3 s); served again: %s" % (
            low, "failed" if failing else "never failed", lines, cpu, served)
        return Result(ok, obs, b"100 x connect() past edged's descriptor limit", None)
    finally:
        for s in socks:
            s.close()
        resource.prlimit(pid, resource.RLIMIT_NOFILE, old)


# The backend's output reaches the operator through supervisord (LogTail: a
# ring of the last 1,000 lines, each cut at 4 KiB where it enters) and the CLI
# (TerminalText: control bytes written as visible \xNN). The backend is another
# program: its log can hold anything.
BACKEND_LOG_LINE = 4 << 20            # one line of 4 MiB, written in two halves
CLI_OUTPUT_BOUND = 256 << 10          # bytes of `droidgate backend log` / `status --backend-log`
SUP_RSS_BOUND_KIB = 32 * 1024         # supervisord's RSS growth while it follows that line


def backend_log_path():
    return os.path.join(STACK.root, "state", "backend", "backend.log")


def droidgate_cli(*args):
    """`droidgate ARGS --config CONFIG` as the harness runs `status` (cwd WORK): (rc, stdout)."""
    cmd = [os.path.join(BIN, "droidgate")] + list(args) + ["--config", STACK.config]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=15, cwd=WORK)
    except subprocess.TimeoutExpired:
        return "timeout", b""
    return p.returncode, p.stdout


def append_backend_log(data):
    with open(backend_log_path(), "ab") as f:
        f.write(data)


@case("exhaustion: a 4 MiB backend log line (no newline for 1 s) and escape sequences",
      "backend log + status --backend-log: rc 0, < 256 KiB, 'more bytes cut', no ESC; supervisord same pid, RSS +< 32 MiB",
      group="exhaustion", ipc=True)
def _backend_log_line():
    pid = BASELINE.get("supervisord")
    path = backend_log_path()
    if not os.path.exists(path):
        return Result(False, "no backend log at %s" % path)
    before = rss_kib(pid)
    peak = before or 0
    marker = "hostile-esc-%d" % os.getpid()
    half = BACKEND_LOG_LINE // 2
    append_backend_log(b"hostile-long-line " + b"A" * half)
    for _ in range(5):                  # supervisord polls every 0.2 s: it sees the line without its end
        time.sleep(0.2)
        peak = max(peak, rss_kib(pid) or 0)
    append_backend_log(b"B" * (BACKEND_LOG_LINE - half))
    for _ in range(5):
        time.sleep(0.2)
        peak = max(peak, rss_kib(pid) or 0)
    # ESC sequences (clear screen, OSC title with BEL, colour), a C1 CSI (U+009B in UTF-8), a raw 0x9b.
    esc = (b"\n" + marker.encode() + b" \x1b[2J\x1b]0;pwned\x07\x1b[31mred\x1b[0m \xc2\x9b31m \x9b end\n")
    append_backend_log(esc)
    deadline = time.monotonic() + 5
    seen = False
    while not seen and time.monotonic() < deadline:
        rc, out = droidgate_cli("backend", "log", "--lines", "5")
        seen = rc == 0 and marker.encode() in out
        if not seen:
            time.sleep(0.2)
    runs = {}
    for label, args in (("backend log", ("backend", "log")), ("status --backend-log", ("status", "--backend-log"))):
        rc, out = droidgate_cli(*args)
        runs[label] = (rc, out)
        peak = max(peak, rss_kib(pid) or 0)
    pids, prc = STACK.pids()
    after = rss_kib(pid)
    peak = max(peak, after or 0)
    growth = None if before is None else peak - before
    problems = []
    if not seen:
        problems.append("the escape line never showed in `backend log --lines 5`")
    for label, (rc, out) in runs.items():
        if rc != 0:
            problems.append("%s rc=%s" % (label, rc))
        if len(out) >= CLI_OUTPUT_BOUND:
            problems.append("%s printed %d bytes" % (label, len(out)))
        if b"more bytes cut" not in out:
            problems.append("%s: no 'more bytes cut' note" % label)
        if b"\x1b" in out or b"\xc2\x9b" in out or b"\x07" in out:
            problems.append("%s: raw control bytes in the output" % label)
        if marker.encode() not in out or b"\\x1b[2J" not in out:
            problems.append("%s: the escape line is not shown (escaped)" % label)
    if prc != 0 or pids.get("supervisord") != pid:
        problems.append("supervisord: status rc=%s, pid %s -> %s" % (prc, pid, pids.get("supervisord")))
    if growth is None or growth >= SUP_RSS_BOUND_KIB:
        problems.append("supervisord RSS growth %s KiB" % growth)
    obs = "rc %s/%s, %d/%d B (< %d KiB), cut note + ESC escaped: %s; supervisord pid %s, RSS %+d KiB (< %d MiB)" % (
        runs["backend log"][0], runs["status --backend-log"][0], len(runs["backend log"][1]),
        len(runs["status --backend-log"][1]), CLI_OUTPUT_BOUND >> 10, "yes" if not problems else "; ".join(problems),
        "same" if pids.get("supervisord") == pid else "%s -> %s" % (pid, pids.get("supervisord")),
        growth or 0, SUP_RSS_BOUND_KIB >> 10)
    return Result(not problems, obs, b"backend.log += 'hostile-long-line ' + 4 MiB (newline after 1 s) + " + esc[1:],
                  runs["status --backend-log"][1][-2000:])


def ipc_open(sockname):
    """A connection to `sockname` past the hello exchange: (socket, bytes read) or raises."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3.0)
    s.connect(os.path.join(STACK.rundir, sockname))
    s.sendall(frame(HELLO))
    data, eof = read_until(s, b"", 3.0, lambda d: len(parse_frames(d)) >= 1)
    fr = parse_frames(data)
    if eof or not fr or "hello" not in fr[0]:
        s.close()
        raise RuntimeError("%s: no server hello (%r)" % (sockname, fr))
    return s, data


def ipc_call(s, data, id_, op, args, timeout=5.0):
    """Sends one request on an open connection; returns (its reply or None, data, the reply's
    frame length, eof)."""
    n0 = len(parse_frames(data))
    s.sendall(frame({"id": id_, "op": op, "args": args}))
    data, eof = read_until(s, data, timeout, lambda d: any(f.get("id") == id_ for f in parse_frames(d)[n0:]))
    reply, length, pos = None, 0, 0
    while pos + 4 <= len(data):
        n = struct.unpack(">I", data[pos:pos + 4])[0]
        if pos + 4 + n > len(data):
            break
        try:
            f = json.loads(data[pos + 4:pos + 4 + n])
        except ValueError:
            f = {}
        if f.get("id") == id_:
            reply, length = f, n
        pos += 4 + n
    return reply, data[pos:] if reply is not None else data, length, eof


HUGE_LINES = (10 ** 9, 2 ** 63 - 1, 2 ** 64, -1, 0)
LOG_ASKS = 50


@case("exhaustion: backend.log asked %d times, lines up to 2^64, ring full of \\x01 lines" % LOG_ASKS,
      "each a reply in one frame <= 1 MiB (<= 1,000 lines, cut with a note); then all three daemons answer status, same pids",
      group="exhaustion", ipc=True)
def _backend_log_huge():
    pid = BASELINE.get("supervisord")
    # Lines that JSON-escape worst (\u0001: 6 bytes each): 1,100 of 1,000 bytes fill the ring
    # (1,000 lines), so a reply asked for all of them must leave lines out to stay in one frame.
    append_backend_log((b"\x01" * 1000 + b"\n") * 1100)
    time.sleep(1.0)
    before = rss_kib(pid)
    s, data = ipc_open("supervisord.sock")
    answered, errors, biggest, most_lines, left_out, problems = 0, 0, 0, 0, 0, []
    try:
        for i in range(LOG_ASKS):
            lines = HUGE_LINES[i % len(HUGE_LINES)]
            reply, data, length, eof = ipc_call(s, data, 100 + i, "backend.log", {"lines": lines})
            if reply is None:
                problems.append("lines=%d: %s" % (lines, "closed" if eof else "no reply"))
                break
            got = (reply.get("result") or {}).get("lines")
            if not isinstance(got, list):
                # 2^64 is no Int: an error reply is a fine answer to it, not to the others
                if lines == 2 ** 64 and "error" in reply:
                    errors += 1
                    continue
                problems.append("lines=%d: %r" % (lines, reply)[:200])
                break
            answered += 1
            biggest, most_lines = max(biggest, length), max(most_lines, len(got))
            cut = bool(got) and "left out" in str(got[0])
            left_out += cut
            if lines in (10 ** 9, 2 ** 63 - 1) and not cut:
                problems.append("lines=%d: %d lines, none left out although the ring holds 1,000 of 1,000 B" % (lines, len(got)))
    finally:
        s.close()
    after = rss_kib(pid)
    statuses = {}
    for sock in ("authd.sock", "edged.sock", "supervisord.sock"):
        try:
            c, d = ipc_open(sock)
            try:
                r, _, _, _ = ipc_call(c, d, 7, "status", {})
                statuses[sock.split(".")[0]] = "result" in (r or {})
            finally:
                c.close()
        except (OSError, RuntimeError):
            statuses[sock.split(".")[0]] = False
    pids, prc = STACK.pids()
    same = all(pids.get(d) == BASELINE.get(d) for d in ("authd", "edged", "supervisord"))
    ok = (not problems and answered + errors == LOG_ASKS and biggest <= 1 << 20 and most_lines <= 1001
          and all(statuses.values()) and prc == 0 and same)
    obs = "%d results%s, largest frame %d B, <= %d lines, %d cut; status: %s; pids %s; supervisord RSS %+d KiB%s" % (
        answered, " + %d errors (2^64)" % errors if errors else "", biggest, most_lines, left_out,
        "all answer" if all(statuses.values()) else ", ".join(k for k, v in statuses.items() if not v) + " NO ANSWER",
        "same" if same else "%s -> %s" % (dict((k, BASELINE.get(k)) for k in pids), pids),
        (after or 0) - (before or 0), (" | " + "; ".join(problems)) if problems else "")
    return Result(ok, obs, b"%d x backend.log {lines: 1e9 | 2^63-1 | 2^64 | -1 | 0}" % LOG_ASKS, None)


def ipc_oversize_case(sockname):
    @case("exhaustion: ipc %s: a frame declaring 1 MiB + 1 while another connection is open" % sockname.replace(".sock", ""),
          "that connection closed (< 3 s); the other one's status request answered; status same pids",
          group="exhaustion", ipc=True)
    def run():
        held, data = ipc_open(sockname)
        try:
            frames, eof, elapsed, raw = ipc_talk(sockname, [frame(HELLO), struct.pack(">I", (1 << 20) + 1) + b" " * 4096])
            reply, _, _, heof = ipc_call(held, data, 7, "status", {})
        finally:
            held.close()
        dropped = eof and elapsed < 3.0 and all("error" in f or "hello" in f for f in frames)
        ok = dropped and reply is not None and "result" in reply and not heof
        codes = [((f.get("error") or {}).get("code") if "error" in f else ("hello" if "hello" in f else "?")) for f in frames]
        obs = "oversized: frames %s, %s after %.1fs; held connection: %s" % (
            codes, "closed" if eof else "OPEN", elapsed,
            "status answered" if reply is not None and "result" in reply else ("closed" if heof else "no answer (%r)" % (reply,)))
        return Result(ok, obs, b"hello + length 0x00100001 + 4096 bytes (held connection: hello, then status)", raw)
    return run


for _sock in ("authd.sock", "supervisord.sock", "edged.sock"):
    ipc_oversize_case(_sock)


# ---- secrets
@case("secrets: key in ?key= query (Gemini style)", "forwarded; key never in the stack's output (checked at end)")
def _query_key():
    k = test_key("query")
    raw = req("GET", "/v1beta/models?key=%s" % k, ["Connection: close", "x-goog-api-key: %s" % test_key("goog")])
    ex = transact(raw, timeout=5, stop=n_responses(1))
    f, _, _, garbage = parse_responses(ex.data)
    RESPONSES_SEEN.append(ex.data)
    ok = len(f) == 1 and f[0].from_backend
    return Result(ok, describe(ex, f, garbage), raw, ex.data)


@case("secrets: GET /healthz does not expose the backend api-key", "200, body without the backend key")
def _health_key():
    raw = req("GET", "/healthz", ["Connection: close"])
    ex = transact(raw, timeout=5, stop=n_responses(1))
    f, _, _, garbage = parse_responses(ex.data)
    key = backend_key()
    leaked = bool(key) and key.encode() in ex.data
    ok = len(f) == 1 and f[0].status == 200 and not leaked
    obs = describe(ex, f, garbage) + (" BODY CONTAINS THE BACKEND API KEY" if leaked else "")
    return Result(ok, obs, raw, ex.data)


@case("secrets: GET /metrics does not expose the backend api-key", "200, body without the backend key")
def _metrics_key():
    raw = req("GET", "/metrics", ["Connection: close"])
    ex = transact(raw, timeout=5, stop=n_responses(1))
    f, _, _, garbage = parse_responses(ex.data)
    key = backend_key()
    leaked = bool(key) and key.encode() in ex.data
    ok = len(f) == 1 and f[0].status == 200 and not leaked
    return Result(ok, describe(ex, f, garbage) + (" BODY CONTAINS THE BACKEND API KEY" if leaked else ""), raw, ex.data)


def backend_key():
    try:
        with open(os.path.join(STACK.root, "state", "backend", "api-key")) as f:
            return f.read().strip()
    except OSError:
        return ""


# ---------------------------------------------------------------- IPC

def frame(obj_or_bytes):
    b = obj_or_bytes if isinstance(obj_or_bytes, (bytes, bytearray)) else json.dumps(obj_or_bytes).encode()
    return struct.pack(">I", len(b)) + b


def parse_frames(data):
    out, pos = [], 0
    while pos + 4 <= len(data):
        n = struct.unpack(">I", data[pos:pos + 4])[0]
        if pos + 4 + n > len(data):
            break
        try:
            out.append(json.loads(data[pos + 4:pos + 4 + n]))
        except ValueError:
            out.append({"_unparseable": True})
        pos += 4 + n
    return out


HELLO = {"hello": "droidgate-ipc", "version": 1, "role": "hostile"}


def read_until(s, data, timeout, enough):
    """Reads from s, appending to data, until enough(data), EOF (or a reset) or `timeout`
    seconds. Returns (data, eof)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and not enough(data):
        s.settimeout(max(0.05, end - time.monotonic()))
        try:
            c = s.recv(65536)
        except socket.timeout:
            return data, False
        except OSError:
            c = b""
        if not c:
            return data, True
        data += c
    return data, False


def ipc_talk(sockname, steps, read_timeout=3.0, half_close=False, byte_delay=0.0, done=None):
    """steps: list of bytes to send; after each, frames are collected for a short
    while. Returns (frames, eof, elapsed, raw)."""
    path = os.path.join(STACK.rundir, sockname)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3.0)
    data, eof = b"", False
    t0 = time.monotonic()
    try:
        s.connect(path)
        for i, step in enumerate(steps):
            try:
                if byte_delay:
                    for j in range(len(step)):
                        s.sendall(step[j:j + 1])
                        time.sleep(byte_delay)
                else:
                    s.sendall(step)
            except OSError:
                break
            if i < len(steps) - 1:
                # wait for the reply to this step (e.g. the server's hello)
                want = len(parse_frames(data)) + 1
                data, eof = read_until(s, data, 2.0, lambda d: len(parse_frames(d)) >= want)
            if eof:
                break
        if half_close and not eof:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        if not eof:
            data, eof = read_until(s, data, read_timeout, lambda d: bool(done and done(parse_frames(d))))
    finally:
        s.close()
    return parse_frames(data), eof, time.monotonic() - t0, data


def ipc_case(sockname, label, steps, kind="error", half_close=False, byte_delay=0.0, read_timeout=3.0):
    if kind == "error":
        expected = "error reply and/or close (< 3 s); daemon still answers status"
    elif kind == "silent":
        expected = "closed after the 5 s hello timeout (+- 1.5 s)"
    elif kind == "ok":
        expected = "server hello, then a result for id 7"
    elif kind == "error_reply":
        expected = "server hello, then an error reply for id 7"
    else:
        expected = "error reply with id 7 (unknown_op); daemon still answers status"

    @case("ipc %s: %s" % (sockname.replace(".sock", ""), label), expected, group="ipc", ipc=True)
    def run():
        done = None
        if kind in ("ok", "error_reply", "unknown_op"):
            done = lambda fr: any(f.get("id") == 7 for f in fr)
        frames, eof, elapsed, raw = ipc_talk(sockname, steps, half_close=half_close, byte_delay=byte_delay,
                                             read_timeout=read_timeout, done=done)
        errs = [f for f in frames if "error" in f]
        hellos = [f for f in frames if "hello" in f]
        if kind == "error":
            # a valid hello first gets the server's hello; everything after it must be an error or a close
            allowed_hellos = 1 if steps[0] == frame(HELLO) and len(steps) > 1 else 0
            rest = frames[allowed_hellos:] if len(hellos) == allowed_hellos else frames
            ok = len(hellos) == allowed_hellos and (eof or errs) and all("error" in f for f in rest)
        elif kind == "silent":
            ok = eof and not hellos and all("error" in f for f in frames) and 3.5 <= elapsed <= 6.5
        elif kind == "ok":
            ok = len(hellos) == 1 and any(f.get("id") == 7 and "result" in f for f in frames)
        elif kind == "error_reply":
            ok = len(hellos) == 1 and any(f.get("id") == 7 and "error" in f for f in frames)
        else:
            ok = len(hellos) == 1 and any(f.get("id") == 7 and (f.get("error") or {}).get("code") == "unknown_op"
                                          for f in frames)
        codes = [((f.get("error") or {}).get("code") if "error" in f else ("hello" if "hello" in f else "?"))
                 for f in frames]
        obs = "frames %s, %s after %.1fs" % (codes or "none", "closed" if eof else "open", elapsed)
        sent = b"".join(steps)
        return Result(ok, obs, sent, raw)
    return run


for sock in ("authd.sock", "supervisord.sock", "edged.sock"):
    ipc_case(sock, "garbage bytes", [b"GARBAGE\x00\xff\xfe not a frame \r\n" * 8])
    ipc_case(sock, "frame announcing 2 GiB", [b"\x80\x00\x00\x00" + b"{" * 64])
    ipc_case(sock, "frame of 1 MiB + 1", [struct.pack(">I", (1 << 20) + 1) + b" " * 4096])
    ipc_case(sock, "zero-length frame", [b"\x00\x00\x00\x00"])
    ipc_case(sock, "truncated frame then close", [struct.pack(">I", 200) + b'{"hello":"droidgate-ipc","ver'],
             half_close=True)
    ipc_case(sock, "invalid JSON", [frame(b'{"hello":droidgate-ipc,"version":1}')])
    ipc_case(sock, "non-object JSON", [frame(b'["droidgate-ipc",1,"x"]')])
    ipc_case(sock, "10,000 nested arrays", [frame(b"[" * 10000 + b"]" * 10000)])
    ipc_case(sock, "wrong protocol name", [frame({"hello": "http", "version": 1, "role": "x"})])
    ipc_case(sock, "wrong version", [frame({"hello": "droidgate-ipc", "version": 2, "role": "x"})])
    ipc_case(sock, "request before hello", [frame({"id": 1, "op": "status", "args": {}})])
    ipc_case(sock, "unknown op after a valid hello",
             [frame(HELLO), frame({"id": 7, "op": "no.such.op", "args": {}})], kind="unknown_op")
    ipc_case(sock, "hello, then a request with a string id",
             [frame(HELLO), frame({"id": "seven", "op": "status", "args": {}})])
    ipc_case(sock, "hello with a 1 MiB role", [frame({"hello": "droidgate-ipc", "version": 1,
                                                    "role": "r" * ((1 << 20) - 100)})])
    ipc_case(sock, "hello without a role", [frame({"hello": "droidgate-ipc", "version": 1})])
    ipc_case(sock, "hello, then args that are not an object (error reply, then the close)",
             [frame(HELLO), frame({"id": 7, "op": "status", "args": [1, 2]})], kind="error_reply")
    ipc_case(sock, "hello and a status request, 1 byte at a time (control)",
             [frame(HELLO), frame({"id": 7, "op": "status", "args": {}})], kind="ok", byte_delay=0.002)
    ipc_case(sock, "hello + request in one write (control)",
             [frame(HELLO) + frame({"id": 7, "op": "status", "args": {}})], kind="ok")


def ipc_flood_case(sockname, n=300):
    @case("ipc %s: %d idle connections at once" % (sockname.replace(".sock", ""), n),
          "droidgate status still answers (< 10 s) while they are open", group="ipc", ipc=True)
    def run():
        path = os.path.join(STACK.rundir, sockname)
        socks, failed = [], 0
        t0 = time.monotonic()
        for _ in range(n):
            for attempt in range(200):      # the listen backlog (64) may be full for a moment: EAGAIN, retry
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(2)
                try:
                    s.connect(path)
                    socks.append(s)
                    break
                except BlockingIOError:
                    s.close()
                    time.sleep(0.01)
                except OSError:
                    s.close()
                    failed += 1
                    break
            else:
                failed += 1
        opened = time.monotonic() - t0
        try:
            t = time.monotonic()
            rc, _, _ = STACK.status()
            took = time.monotonic() - t
        finally:
            for s in socks:
                s.close()
        ok = rc == 0 and took < 10 and len(socks) == n
        return Result(ok, "%d connected in %.1fs (%d failed); status rc=%s in %.1fs" % (len(socks), opened, failed, rc, took),
                      b"%d x connect()" % n, None)
    return run


for sock in ("authd.sock", "supervisord.sock", "edged.sock"):
    ipc_flood_case(sock)
ipc_case("edged.sock", "connect and say nothing", [b""], kind="silent", read_timeout=8.0)


# ---------------------------------------------------------------- config

def config_case(label, content=None, path=None, daemon="edged"):
    @case("config (%s): %s" % (daemon, label), "exit 2, one stderr line naming the file, no crash", group="config")
    def run():
        p = path
        if p is None:
            p = os.path.join(WORK, "bad-%s.json" % re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-"))
            with open(p, "wb") as f:
                f.write(content)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LISTEN_", "DROIDGATE_", "NOTIFY_"))}
        env["DROIDGATE_ROOT"] = os.path.join(WORK, "cfgroot")
        env["DROIDGATE_LISTEN"] = "127.0.0.1:%d" % free_port()
        t = time.monotonic()
        try:
            pr = subprocess.run([os.path.join(BIN, daemon), "--config", p], stdin=subprocess.DEVNULL,
                                capture_output=True, timeout=10, env=env, cwd=WORK)
            rc, out, err = pr.returncode, pr.stdout, pr.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = "timeout(killed)", e.stdout or b"", e.stderr or b""
        elapsed = time.monotonic() - t
        lines = [l for l in err.decode("utf-8", "replace").splitlines() if l.strip()]
        ok = rc == 2 and len(lines) == 1 and p in lines[0] and not out.strip()
        obs = "rc=%s %.1fs, %d line(s): %s" % (rc, elapsed, len(lines), (lines[0][:110] if lines else ""))
        return Result(ok, obs, ("--config %s" % p).encode(), err + out)
    return run


config_case("2 MiB of whitespace + {}", b" " * (2 << 20) + b"{}")
config_case("truncated", b'{"listen": "127.0.0.1:')
config_case("truncated", b'{"listen": "127.0.0.1:', daemon="authd")
config_case("truncated", b'{"listen": "127.0.0.1:', daemon="supervisord")
config_case("100,000 nested objects", b'{"a":' * 100000)
config_case("top level is an array", b"[]")
config_case("invalid UTF-8 in a string", b'{"listen":"127.0.0.1:\xff\xfe"}')
config_case("NUL bytes", b'{"log":{"level":"info\x00"}}\x00')
config_case("wrong type (backend.port string)", b'{"backend":{"port":"8318"}}')
config_case("number 1e400", b'{"limits":{"maxBodyBytes":1e400}}')
config_case("/dev/zero", path="/dev/zero")
config_case("a directory", path="/")
config_case("missing file", path="/nonexistent/droidgate-hostile.json")


# ---------------------------------------------------------------- runner

def follow_up(baseline, ipc=False):
    """A normal request must work, edged must be the same process; after IPC
    cases `droidgate status` must answer with the same pids."""
    problems = []
    k = test_key("followup")
    raw = req("GET", "/v1/models", ["x-api-key: %s" % test_key("xapi")], key=k) + req("GET", "/healthz", ["Connection: close"])
    ex = transact(raw, timeout=8, stop=n_responses(2))
    f, _, _, _ = parse_responses(ex.data)
    if len(f) < 1 or f[0].status != 200:
        problems.append("GET /v1/models -> %s" % (f[0].status if f else "no response (%s)" % describe(ex, f)))
    if len(f) >= 1:
        RESPONSES_SEEN.append(f[0].head.encode("latin-1") + f[0].body)
    pid = None
    if len(f) >= 2:
        try:
            pid = json.loads(f[1].body)["edged"]["pid"]
        except (ValueError, KeyError, TypeError):
            pass
    if pid is not None and pid != baseline.get("edged"):
        problems.append("edged restarted (pid %s -> %s)" % (baseline.get("edged"), pid))
        baseline["edged"] = pid
    if ipc:
        pids, rc = STACK.pids()
        if rc != 0:
            problems.append("droidgate status exit %s" % rc)
        for d in ("authd", "supervisord"):
            if pids.get(d) and pids.get(d) != baseline.get(d):
                problems.append("%s restarted (pid %s -> %s)" % (d, baseline.get(d), pids.get(d)))
                baseline[d] = pids.get(d)
    return problems


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, TypeError):
        return None
    return None


def main():
    global STACK
    if not BIN or not WORK:
        print("usage: hostile.py BIN_DIR WORK_DIR", file=sys.stderr)
        return 2

    def on_signal(sig, _frame):
        raise SystemExit(128 + sig)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)

    results = []
    rss_before = rss_after = None
    t_start = time.monotonic()
    STACK = Stack()
    try:
        log("starting droidgate up --demo (edge 127.0.0.1:%d, backend %d) in %s" % (STACK.port, STACK.backend_port, WORK))
        for attempt in range(3):
            STACK.start()
            try:
                STACK.wait_ready()
                break
            except RuntimeError:
                # a free port taken by someone else between our check and the launcher's bind: new ports
                if attempt == 2 or b"Address already in use" not in open(STACK.logpath, "rb").read():
                    raise
                STACK.stop()
                STACK = Stack()
                log("port taken, retrying on edge 127.0.0.1:%d, backend %d" % (STACK.port, STACK.backend_port))
        baseline, rc = STACK.pids()
        BASELINE.update(baseline)
        baseline = BASELINE
        if rc != 0 or not baseline.get("edged"):
            raise RuntimeError("droidgate status --json did not give edged's pid (rc %s)" % rc)
        edged_pid = baseline["edged"]
        timed_normal(3)                     # warm up
        rss_before = rss_kib(edged_pid)
        log("stack ready: pids %s, edged RSS %s KiB; %d cases" % (baseline, rss_before, len(CASES)))

        only = [g for g in os.environ.get("HOSTILE_ONLY", "").split(",") if g]
        for c in CASES:
            if only and c["group"] not in only:
                continue
            t = time.monotonic()
            try:
                r = c["fn"]()
            except Exception as e:      # a case that blew up in the harness is a FAIL, not a crash of the run
                r = Result(False, "harness exception: %s: %s" % (e.__class__.__name__, e))
            problems = follow_up(baseline, ipc=c["ipc"])
            if problems:
                r.ok = False
                r.observed += " | FOLLOW-UP: " + "; ".join(problems)
            c["result"] = r
            results.append(c)
            log("%-4s %-60s %s (%.1fs)" % ("ok" if r.ok else "FAIL", c["name"][:60], r.observed[:120], time.monotonic() - t))

        # ---- end-of-campaign checks
        time.sleep(1.0)
        rss_after = rss_kib(edged_pid)
        growth = None if rss_before is None or rss_after is None else rss_after - rss_before
        ok = rss_after is not None and growth is not None and growth <= 64 * 1024 and rss_after <= 256 * 1024
        results.append({"name": "edged RSS before/after the campaign", "expected": "growth <= 64 MiB, after <= 256 MiB",
                        "result": Result(ok, "before %s KiB, after %s KiB (%s)" % (
                            rss_before, rss_after, "pid gone" if rss_after is None else "%+d KiB" % growth))})

        logtext = open(STACK.logpath, "rb").read()
        key = backend_key()
        leaks = []
        if not key:
            leaks.append("no backend api-key file to check against")
        elif key.encode() in logtext:
            leaks.append("backend api-key")
        for k in SENT_KEYS:
            if k.encode() in logtext:
                leaks.append(k)
        results.append({"name": "no token in the stack's output", "expected": "neither the backend key nor any sk- test key",
                        "result": Result(not leaks, ("found: " + ", ".join(leaks)) if leaks else
                                         "clean (%d bytes of output, %d test keys)" % (len(logtext), len(SENT_KEYS)))})
        in_resp = [i for i, d in enumerate(RESPONSES_SEEN) if key and key.encode() in d]
        results.append({"name": "no backend key in any proxied/error response", "expected": "absent",
                        "result": Result(not in_resp, "found in %d responses" % len(in_resp) if in_resp else
                                         "clean (%d responses)" % len(RESPONSES_SEEN))})
        restarts = [l for l in logtext.decode("utf-8", "replace").splitlines() if "restarting in" in l]
        results.append({"name": "no daemon died during the campaign", "expected": "no 'restarting in' line from the launcher",
                        "result": Result(not restarts, "; ".join(l[-140:] for l in restarts[:3]) if restarts else "none")})
        rc, out, err = STACK.status(as_json=True)
        leaked = bool(key) and key.encode() in out + err
        results.append({"name": "secrets: droidgate status --json shows no backend key", "expected": "absent",
                        "result": Result(rc == 0 and not leaked, "rc=%s%s" % (rc, ", OUTPUT CONTAINS THE BACKEND API KEY" if leaked else ", clean"))})
    except SystemExit as e:
        results.append({"name": "campaign interrupted", "expected": "runs to the end",
                        "result": Result(False, "stopped by a signal (exit %s) after %d cases" % (e.code, len(results)))})
        raise
    except Exception as e:
        results.append({"name": "campaign setup", "expected": "stack starts and is ready",
                        "result": Result(False, "%s: %s" % (e.__class__.__name__, e))})
    finally:
        log("stopping the stack")
        t = time.monotonic()
        STACK.stop()
        stop_s = time.monotonic() - t
        if results:
            report(results, rss_before, rss_after, time.monotonic() - t_start, stop_s)
    failed = sum(1 for r in results if not r["result"].ok)
    return 1 if failed or not results else 0


def redact(b):
    key = backend_key().encode()
    return b.replace(key, b"<BACKEND-API-KEY>") if key and b else b


def report(results, rss_before, rss_after, elapsed, stop_s):
    fails = [r for r in results if not r["result"].ok]
    if fails:
        print("== failure details")
        for r in fails:
            res = r["result"]
            print("-- %s" % r["name"])
            print("   expected: %s" % r["expected"])
            print("   observed: %s" % res.observed)
            if res.sent is not None:
                print("   sent:     %s" % show(res.sent, 300))
            if res.received is not None:
                rec = redact(res.received)
                k = rec.find(b"<BACKEND-API-KEY>")
                if k > 300:
                    rec = rec[:200] + b" ... " + rec[k - 100:]
                print("   received: %s" % show(rec, 420))
    w1 = min(62, max(len(r["name"]) for r in results))
    w2 = min(52, max(len(r["expected"]) for r in results))
    print("== hostile cases")
    print("%-*s | %-*s | %-6s | %s" % (w1, "case", w2, "expected", "result", "observed"))
    print("-" * (w1 + w2 + 40))
    for r in results:
        res = r["result"]
        print("%-*s | %-*s | %-6s | %s" % (w1, r["name"][:w1], w2, r["expected"][:w2], "OK" if res.ok else "FAIL",
                                          res.observed[:160]))
    print("-" * (w1 + w2 + 40))
    print("edged RSS: before %s KiB, after %s KiB; campaign %.0f s; stack stopped in %.1f s" % (
        rss_before, rss_after, elapsed, stop_s))
    if fails or os.environ.get("HOSTILE_KEEP"):
        print("work dir kept: %s (stack output: %s)" % (WORK, os.path.join(WORK, "stack.log")))
    passed = len(results) - len(fails)
    print("hostile: %d passed, %d failed" % (passed, len(fails)))
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
