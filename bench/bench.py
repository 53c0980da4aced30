#!/usr/bin/env python3
"""droidgate proxy benchmark: direct vs edged vs nginx vs haproxy.

Started by bench/run (which installs the tools, builds the binaries, raises the fd limit
and cleans up every pid this script records in $TMP/pids). Standard library only.
Everything listens and connects on 127.0.0.1 only.
"""
import argparse
import datetime
import http.client
import json
import math
import os
import platform
import re
import selectors
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

LOOPBACK = "127.0.0.1"
# `profile` (perf + strace) runs only when named in BENCH_PHASES; keep bench/run's copy in step.
DEFAULT_PHASES = "wrk,sse,idle,alloc"


def env_int(name, default):
    v = os.environ.get(name)
    return int(v) if v not in (None, "") else default


# How wrk and the backends share their core (BENCH_LOAD_SCHED): "batch" runs them SCHED_BATCH.
# They stand in for other machines; sharing one core, a normal (SCHED_OTHER) wakeup lets each
# preempt the other in the middle of a batch of responses, and how often that happens depends
# on how fast the proxy feeds them, not on the proxy's own latency (bench/results/
# profile-summary.md, "The added-p99 figure at c16"). SCHED_BATCH tasks do not preempt on
# wakeup. The proxies run under the normal policy either way.
LOAD_SCHED = "batch"


def on_load_core(argv, cpus):
    """argv under the load side's scheduling policy, pinned to the load core(s) when there are two."""
    prefix = ["chrt", "--batch", "0"] if LOAD_SCHED == "batch" else []
    if cpus is not None:
        prefix += ["taskset", "-c", cpus]
    return prefix + argv


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- processes

class Procs:
    """Every process started here: recorded in TMP/pids (bench/run's trap kills them by id)."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.pidfile = os.path.join(tmp, "pids")
        self.procs = []

    def record(self, pid):
        with open(self.pidfile, "a") as f:
            f.write(f"{pid}\n")

    def start(self, name, argv, cpus=None, env=None, quiet=False, load=False):
        """load: a backend on the load core (on_load_core); otherwise pinned to cpus as is."""
        if load:
            argv = on_load_core(argv, cpus)
        elif cpus is not None:
            argv = ["taskset", "-c", cpus] + argv
        out = open(os.path.join(self.tmp, f"{name}.out"), "wb")
        err = open(os.devnull if quiet else os.path.join(self.tmp, f"{name}.err"), "wb")
        # A new session: Ctrl-C reaches only us; we stop the children ourselves.
        p = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                             env=env, start_new_session=True)
        out.close()
        err.close()
        p.bench_name = name
        self.procs.append(p)
        self.record(p.pid)
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=5):
        if p.poll() is not None:
            return
        for child in children(p.pid):
            self.record(child)
        try:
            p.send_signal(sig)
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        except ProcessLookupError:
            pass

    def stop_all(self):
        for p in reversed(self.procs):
            self.stop(p)


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0])  # kB
    except OSError:
        pass
    return out


def port_free(port):
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((LOOPBACK, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pick_ports(base, n):
    ports, p = [], base
    while len(ports) < n:
        if p > base + 2000:
            raise SystemExit(f"no free ports near {base}")
        if port_free(p):
            ports.append(p)
        p += 1
    return ports


def wait_http(port, path="/healthz", timeout=15.0, proc=None):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"{proc.bench_name} exited with {proc.returncode} before listening "
                             f"(its stderr is shown below)")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\nConnection: close\r\n\r\n".encode())
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                if data.startswith(b"HTTP/1.1 200") or data.startswith(b"HTTP/1.0 200"):
                    return
                last = data[:80]
        except OSError as e:
            last = e
        time.sleep(0.1)
    raise SystemExit(f"port {port} did not answer 200 on {path} within {timeout}s (last: {last!r})")


# --------------------------------------------------------------------------- wrk

WRK_LUA = r'''
local f = assert(io.open("%(body)s", "rb"))
local body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-fake-size"] = "%(reply)d"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%%d,"duration_us":%%d,"bytes":%%d,"connect":%%d,' ..
    '"read":%%d,"write":%%d,"status":%%d,"timeout":%%d,"p50":%%d,"p90":%%d,"p99":%%d,' ..
    '"p999":%%d,"max":%%d,"mean":%%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
'''


def make_body(path, size, stream=False):
    head = '{"model":"gpt-5","stream":%s,"messages":[{"role":"user","content":"' % ("true" if stream else "false")
    tail = '"}]}'
    filler = max(0, size - len(head) - len(tail))
    data = (head + ("lorem ipsum " * (filler // 12 + 1))[:filler] + tail).encode()
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


PROCS = None  # the Procs of this run, so wrk's pid is recorded too


def run_wrk(script, port, conns, duration, cpus, timeout_s=10):
    argv = ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--latency", f"--timeout={timeout_s}s",
            "-s", script, f"http://{LOOPBACK}:{port}/v1/chat/completions"]
    argv = on_load_core(argv, cpus)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if PROCS:
        PROCS.record(p.pid)
    try:
        out, err = p.communicate(timeout=duration + 60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    r = argparse.Namespace(stdout=out, stderr=err, returncode=p.returncode)
    for line in r.stdout.splitlines():
        if line.startswith("BENCH "):
            d = json.loads(line[6:])
            d["rps"] = d["requests"] / (d["duration_us"] / 1e6)
            d["errors"] = d["connect"] + d["read"] + d["write"] + d["status"] + d["timeout"]
            return d
    raise RuntimeError(f"wrk produced no result (rc {r.returncode}):\n{r.stdout}\n{r.stderr}")


# --------------------------------------------------------------------------- SSE client

class SSEStream:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.head_done = False
        self.status = None
        self.chunked = False
        self.chunk_left = None  # bytes left in the current chunk (None: expecting a size line)
        self.payload = b""
        self.events = []  # arrival times (ns) of each complete event
        self.done = False

    def feed(self, data, t):
        self.buf += data
        if not self.head_done:
            i = self.buf.find(b"\r\n\r\n")
            if i < 0:
                return
            head = self.buf[:i].decode("latin-1")
            self.buf = self.buf[i + 4:]
            self.head_done = True
            self.status = int(head.split(" ", 2)[1])
            self.chunked = bool(re.search(r"(?im)^transfer-encoding:\s*chunked", head))
        if self.chunked:
            while True:
                if self.chunk_left is None:
                    j = self.buf.find(b"\r\n")
                    if j < 0:
                        break
                    size = int(self.buf[:j].split(b";")[0], 16)
                    self.buf = self.buf[j + 2:]
                    if size == 0:
                        self.done = True
                        break
                    self.chunk_left = size
                take = min(self.chunk_left, len(self.buf))
                self.payload += self.buf[:take]
                self.buf = self.buf[take:]
                self.chunk_left -= take
                if self.chunk_left == 0:
                    if len(self.buf) < 2:
                        self.chunk_left = 0
                        break
                    self.buf = self.buf[2:]
                    self.chunk_left = None
                else:
                    break
        else:
            self.payload += self.buf
            self.buf = b""
        while True:
            k = self.payload.find(b"\n\n")
            if k < 0:
                break
            self.events.append(t)
            if self.payload[:k].strip() == b"data: [DONE]":
                self.done = True
            self.payload = self.payload[k + 2:]


def sse_round(port, streams, events, delay_ms, body):
    req = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\n"
           f"Content-Type: application/json\r\nAccept: text/event-stream\r\n"
           f"x-fake-events: {events}\r\nx-fake-event-delay-ms: {delay_ms}\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    sel = selectors.DefaultSelector()
    all_streams = []
    for _ in range(streams):
        s = socket.create_connection((LOOPBACK, port), timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        st = SSEStream(s)
        all_streams.append(st)
    for st in all_streams:  # send all requests back to back so the streams run together
        st.sock.sendall(req)
        st.sock.setblocking(False)
        sel.register(st.sock, selectors.EVENT_READ, st)
    open_count = streams
    deadline = time.time() + 30 + events * delay_ms / 1000 * 2
    errors = []
    while open_count and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            st = key.data
            t = time.perf_counter_ns()
            try:
                data = st.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError as e:
                data = b""
                errors.append(f"recv: {e}")
            if data:
                st.feed(data, t)
            if not data or st.done:
                sel.unregister(st.sock)
                st.sock.close()
                open_count -= 1
                if not data and not st.done:
                    errors.append("connection closed before the end of the stream")
    for st in all_streams:
        if open_count and st.sock.fileno() >= 0:
            errors.append("stream timed out")
            sel.unregister(st.sock)
            st.sock.close()
        if st.status != 200:
            errors.append(f"status {st.status}")
    sel.close()
    gaps = []
    counts = []
    for st in all_streams:
        counts.append(len(st.events))
        gaps += [(b - a) / 1e6 - delay_ms for a, b in zip(st.events, st.events[1:])]
    return gaps, counts, errors


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = (len(v) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


# --------------------------------------------------------------------------- idle connections

def idle_request(port, body_size):
    """GET /healthz (body_size 0), else a chat POST with a body of about body_size bytes."""
    if not body_size:
        return f"GET /healthz HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\n\r\n".encode()
    body = ('{"model":"gpt-5","messages":[{"role":"user","content":"' + "x" * max(0, body_size - 60)
            + '"}]}').encode()
    return (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\nContent-Type: application/json"
            f"\r\nx-fake-size: 1024\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def idle_test(port, n, pid, body_size=0, batch=500):
    """Opens n keep-alive connections, one request on each (see idle_request), keeps them open.
    Returns (rss_before_kB, rss_after_kB, open_ok, failures)."""
    req = idle_request(port, body_size)
    with socket.create_connection((LOOPBACK, port), timeout=5) as s:  # warm the upstream pool
        s.sendall(req)
        s.recv(65536)
    time.sleep(0.5)
    before = proc_status(pid).get("VmRSS", 0)
    socks = []
    failures = 0
    sel = selectors.DefaultSelector()
    for start in range(0, n, batch):
        pending = 0
        for _ in range(min(batch, n - start)):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.setblocking(False)
            s.connect_ex((LOOPBACK, port))
            st = {"sock": s, "buf": b"", "sent": False}
            sel.register(s, selectors.EVENT_WRITE, st)
            pending += 1
            socks.append(s)
        deadline = time.time() + 30
        while pending and time.time() < deadline:
            for key, ev in sel.select(timeout=1):
                st = key.data
                s = st["sock"]
                if not st["sent"]:
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        failures += 1
                        pending -= 1
                        sel.unregister(s)
                        continue
                    s.sendall(req)  # fits the socket buffer of a fresh connection
                    st["sent"] = True
                    sel.modify(s, selectors.EVENT_READ, st)
                    continue
                try:
                    data = s.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    failures += 1
                    pending -= 1
                    sel.unregister(s)
                    continue
                st["buf"] += data
                buf = st["buf"]
                i = buf.find(b"\r\n\r\n")
                if i >= 0:
                    m = re.search(rb"(?im)^content-length:\s*(\d+)", buf[:i])
                    need = i + 4 + (int(m.group(1)) if m else 0)
                    if len(buf) >= need:
                        if not buf.startswith(b"HTTP/1.1 200"):
                            failures += 1
                        pending -= 1
                        sel.unregister(s)
        if pending:
            failures += pending
            for key in list(sel.get_map().values()):
                sel.unregister(key.fileobj)
    sel.close()
    time.sleep(1.0)
    after = proc_status(pid).get("VmRSS", 0)
    still_open = 0
    for s in socks:
        try:
            d = s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            if d:
                still_open += 1
        except BlockingIOError:
            still_open += 1
        except OSError:
            pass
    for s in socks:
        s.close()
    return before, after, still_open, failures


# --------------------------------------------------------------------------- configs

def nginx_conf(tmp, port, backend_port, nofile, name):
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""  # workers must reach the 0700 temp dir
    conf = static_nginx_head(d, user, nofile, server_tokens=True, keepalive_requests=1000000) + f"""\
    upstream backend {{
        server {LOOPBACK}:{backend_port};
        keepalive 64;
        keepalive_requests 1000000;
    }}
    server {{
        listen {LOOPBACK}:{port};
        client_max_body_size 64m;
        location = /healthz {{ default_type application/json; return 200 '{{"status":"ok"}}'; }}
        location / {{
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }}
    }}
}}
"""
    path = os.path.join(d, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path, d


def static_nginx_head(d, user, nofile, server_tokens=False, keepalive_requests=1000000000):
    """The start of an nginx config, up to and within `http {`: one worker, no access log, its
    temp paths in `d`, keep-alive up to `keepalive_requests` per connection. The caller adds the
    rest. The static stand-ins leave out the version in `Server`; the proxy under test
    (`nginx_conf`) keeps nginx's default."""
    tokens = "" if server_tokens else "\n    server_tokens off;"
    return f"""
{user}
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
worker_rlimit_nofile {nofile};
events {{ worker_connections {min(nofile - 64, 65536)}; }}
http {{
    access_log off;{tokens}
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    keepalive_timeout 75s;
    keepalive_requests {keepalive_requests};
"""


def static_backend_conf(tmp, port, reply_path, nofile, name="static-backend"):
    """The wrk phase's backend (BENCH_BACKEND=static): one nginx worker that answers
    POST /v1/chat/completions with the fixed reply in reply_path, on a kept-alive connection.

    A body of 10,000 bytes or more is read in full (into memory: client_body_buffer_size) before
    the reply, as a real backend parses the whole request first; nginx's `return` would reply at
    once and discard the body afterwards, in 4 KiB reads (a reply overtaking the upload is not the
    case this benchmark is about, and those reads cost more than the 2 MiB buffer). `mirror`, with
    its default `mirror_request_body on`, is what makes nginx read the body before the content
    phase; the static handler then refuses the POST (405), which error_page turns into the reply.
    That path costs about twice `return`'s per small request, so smaller bodies (the 1 KiB one,
    which normally arrives with the head) keep `return`, which reads and drops them before answering."""
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""
    with open(reply_path, "rb") as f:
        reply = f.read().decode("utf-8")
    if "$" not in reply:
        # `return` takes a complex value: backslash and quote are escaped; `$` cannot be.
        text = reply.replace("\\", "\\\\").replace("'", "\\'")
        small = f"return 200 '{text}';"
    else:  # the static file, through the same 405 → error_page turn (the body is discarded on the way)
        small = "alias " + reply_path + "; error_page 405 =200 /_reply;"
    conf = static_nginx_head(d, user, nofile) + f"""\
    map $content_length $read_body_first {{ default 0; "~^[0-9]{{5,}}$" 1; }}
    server {{
        listen {LOOPBACK}:{port} backlog=4096;
        client_max_body_size 64m;
        client_body_buffer_size 2m;
        location = /healthz {{ default_type application/json; return 200 '{{"status":"ok"}}'; }}
        location = /v1/chat/completions {{
            if ($read_body_first) {{ rewrite ^ /_read_body_first last; }}
            default_type application/json;
            {small}
        }}
        location = /_read_body_first {{
            internal;
            mirror /_mirror;
            alias {reply_path};
            error_page 405 =200 /_reply;
        }}
        location = /_mirror {{ internal; return 204; }}
        location = /_reply {{ internal; default_type application/json; alias {reply_path}; }}
    }}
}}
"""
    path = os.path.join(d, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path, d


def capture_reply(port, body_path, out_path, reply_size=1024):
    """One real chat request to the fake (x-fake-size: reply_size); its reply body saved to
    out_path, which the static backend then serves."""
    with open(body_path, "rb") as f:
        body = f.read()
    c = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        c.request("POST", "/v1/chat/completions", body=body,
                  headers={"Content-Type": "application/json", "x-fake-size": str(reply_size)})
        r = c.getresponse()
        data = r.read()
    finally:
        c.close()
    if r.status != 200:
        raise SystemExit(f"fake backend answered {r.status} to the reply-capturing request: {data[:200]!r}")
    json.loads(data)  # a chat completion, as JSON
    with open(out_path, "wb") as f:
        f.write(data)
    return data


def check_targets(ports, bodies, expect=None):
    """A POST of each body in turn on one keep-alive connection per target, then the first again:
    each must get 200, an application/json reply that parses (and equals expect, if given), and the
    connection must stay open throughout (the request body was read or discarded, not left behind)."""
    for t, port in ports.items():
        c = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
        try:
            sock = None
            for i, body in enumerate(list(bodies) + bodies[:1]):
                c.request("POST", "/v1/chat/completions", body=body,
                          headers={"Content-Type": "application/json", "x-fake-size": "1024"})
                r = c.getresponse()
                data = r.read()
                what = f"{t}: POST of {len(body)} B (request {i + 1} on the connection)"
                if r.status != 200:
                    raise SystemExit(f"{what}: status {r.status}: {data[:200]!r}")
                if not (r.getheader("Content-Type") or "").startswith("application/json"):
                    raise SystemExit(f"{what}: Content-Type {r.getheader('Content-Type')!r}")
                json.loads(data)
                if expect is not None and data != expect:
                    raise SystemExit(f"{what}: reply differs from the static backend's ({len(data)} B)")
                if r.will_close:
                    raise SystemExit(f"{what}: the connection is not kept alive")
                if sock is not None and c.sock is not sock:
                    raise SystemExit(f"{what}: the client had to reconnect")
                sock = c.sock
        except (OSError, http.client.HTTPException) as e:
            raise SystemExit(f"{t}: POST on a keep-alive connection failed: {e!r}")
        finally:
            c.close()


def haproxy_conf(tmp, port, backend_port, name, nofile, maxconn):
    path = os.path.join(tmp, f"{name}.cfg")
    conf = f"""
global
    nbthread 1
    maxconn {maxconn}
    ulimit-n {nofile}
defaults
    mode http
    option http-keep-alive
    option http-no-delay
    http-reuse always
    maxconn {maxconn}
    timeout connect 5s
    timeout client 600s
    timeout server 600s
    timeout http-request 10s
    timeout http-keep-alive 75s
frontend fe
    bind {LOOPBACK}:{port}
    http-request return status 200 content-type application/json string '{{"status":"ok"}}' if {{ path /healthz }}
    default_backend be
backend be
    server s1 {LOOPBACK}:{backend_port}
"""
    with open(path, "w") as f:
        f.write(conf)
    return path


def edged_conf(tmp, port, backend_port, name, allowed_users=None):
    """allowed_users: clients.allowedUsers (the conn phase), or None for no list."""
    root = os.path.join(tmp, f"{name}-root")
    os.makedirs(root, exist_ok=True)
    path = os.path.join(tmp, f"{name}.json")
    conf = {"listen": f"{LOOPBACK}:{port}", "backend": {"port": backend_port, "supervised": False},
            "edged": {"workers": 1}, "log": {"level": "warning"},
            # maxConnections as nginx's worker_connections: the idle phase holds 10,000 connections,
            # more than edged's default cap of 4096 (limits.maxConnections, issue 25).
            "limits": {"maxBodyBytes": 67108864, "maxConnections": 65536}}
    if allowed_users is not None:
        conf["clients"] = {"allowedUsers": allowed_users}
    with open(path, "w") as f:
        json.dump(conf, f)
    return path, root


# --------------------------------------------------------------------------- formatting

def ms(us):
    return f"{us / 1000:.3f}"


def signed_ms(x):
    return f"{x:+.3f}"


def ratio(a, b):
    return f"{a / b:.2f}×" if b else "n/a"


def tool_version(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except Exception:
        return "?"


def machine_facts(bin_dir, repo):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return [
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("nproc", str(os.cpu_count())),
        ("cpu", cpu),
        ("kernel", platform.release()),
        ("swift", tool_version(["swift", "--version"])),
        ("edged build", "release, --static-swift-stdlib (as scripts/install builds it)"),
        ("commit", commit + (" (with uncommitted changes)" if dirty else "")),
        ("nginx", tool_version(["nginx", "-v"])),
        ("haproxy", tool_version(["haproxy", "-v"])),
        ("wrk", tool_version(["wrk", "-v"])),
        ("load average at start", open("/proc/loadavg").read().split()[0]),
    ]


# --------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="directory with edged and fake-cli-proxy-api")
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--repo", required=True)
    a = ap.parse_args()

    cfg = argparse.Namespace(
        duration=env_int("BENCH_DURATION", 2),
        repeat=max(1, env_int("BENCH_REPEAT", 5)),
        warmup=env_int("BENCH_WARMUP", 1),
        concs=[int(x) for x in os.environ.get("BENCH_CONCURRENCY", "1,16,256").split(",")],
        big_conc=env_int("BENCH_BIG_CONCURRENCY", 8),
        sse_streams=env_int("BENCH_SSE_STREAMS", 16),
        sse_rounds=env_int("BENCH_SSE_ROUNDS", 3),
        sse_events=env_int("BENCH_SSE_EVENTS", 64),
        sse_delay=env_int("BENCH_SSE_DELAY_MS", 20),
        idle_n=env_int("BENCH_IDLE_CONNS", 10000),
        port_base=env_int("BENCH_PORT_BASE", 27310),
        phases={x for x in os.environ.get("BENCH_PHASES", DEFAULT_PHASES).split(",") if x},
        alloc_duration=env_int("BENCH_ALLOC_DURATION", 3),
        alloc_concs=[int(x) for x in os.environ.get("BENCH_ALLOC_CONCURRENCY", "1,16").split(",")],
        conn_conc=env_int("BENCH_CONN_CONCURRENCY", 16),
        profile_duration=env_int("BENCH_PROFILE_DURATION", 5),
        strace_duration=env_int("BENCH_STRACE_DURATION", 2),
        profile_limit=0.2,
        profile_top=15,
        profile_top_user=10,
        backend=os.environ.get("BENCH_BACKEND", "static"),
        load_sched=os.environ.get("BENCH_LOAD_SCHED", "batch"),
    )
    if cfg.load_sched not in ("batch", "other"):
        raise SystemExit(f"unknown BENCH_LOAD_SCHED {cfg.load_sched} (known: batch, other)")
    global LOAD_SCHED
    LOAD_SCHED = cfg.load_sched
    if cfg.backend not in ("static", "fake"):
        raise SystemExit(f"unknown BENCH_BACKEND {cfg.backend} (known: static, fake)")
    unknown = cfg.phases - {"wrk", "sse", "idle", "alloc", "profile", "conn"}
    if unknown:
        raise SystemExit(f"unknown BENCH_PHASES {','.join(sorted(unknown))} (known: wrk,sse,idle,alloc,profile,conn)")
    ncpu = os.cpu_count() or 1
    cfg.load_cpus, cfg.proxy_cpus = ("0", "1") if ncpu >= 2 else (None, None)
    import pwd
    try:
        cfg.conn_user = pwd.getpwuid(os.geteuid()).pw_name  # the conn phase's clients.allowedUsers
    except KeyError:
        cfg.conn_user = str(os.geteuid())
    if cfg.load_cpus:
        os.sched_setaffinity(0, {0})  # our own SSE / idle clients run beside wrk and the backend
    import resource
    cfg.nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if cfg.idle_n > cfg.nofile - 200:
        log(f"fd limit {cfg.nofile}: idle connections reduced from {cfg.idle_n} to {cfg.nofile - 200}")
        cfg.idle_n = cfg.nofile - 200
    if "idle" not in cfg.phases:
        cfg.idle_n = 0

    tmp = a.tmp
    global PROCS
    procs = PROCS = Procs(tmp)
    # bp: the fake; sp: the static backend; ep/np_/hp: the load-phase proxies (wrk, profile, and SSE
    # when they point at the fake); *2: idle; *3: alloc; *4: SSE when the load phase uses sp; *5: conn
    # (eu5: edged with clients.allowedUsers).
    bp, sp, ep, np_, hp, ep2, np2, hp2, ep3, np3, hp3, ep4, np4, hp4, ep5, eu5, np5 = pick_ports(cfg.port_base, 17)
    edged_bin = os.path.join(a.bin, "edged")
    fake_bin = os.path.join(a.bin, "fake-cli-proxy-api")
    facts = machine_facts(a.bin, a.repo)
    res = argparse.Namespace(wrk={}, workloads=[], sse={}, mem={}, alloc={}, profile={}, conn={}, small_len=0,
                             big_len=0, reply_len=0)
    targets = ["direct", "edged", "nginx", "haproxy"]
    t0 = time.time()

    # haproxy wants 2 fds per connection (client + server side) under its maxconn.
    haproxy_maxconn = max(1000, min(cfg.idle_n + 200, (cfg.nofile - 200) // 2))

    # backend: the port every proxy of the instance forwards to. extra_env: LD_PRELOAD and
    # MALLOC_COUNT_FILE for the alloc phase.
    def start_edged(name, port, backend, extra_env=None, allowed_users=None):
        conf, root = edged_conf(tmp, port, backend, name, allowed_users)
        env = dict(os.environ, DROIDGATE_ROOT=root, **(extra_env or {}))
        p = procs.start(name, [edged_bin, "--config", conf], cpus=cfg.proxy_cpus, env=env)
        wait_http(port, proc=p)
        return p, p.pid

    def start_nginx(name, port, backend, extra_env=None):
        conf, d = nginx_conf(tmp, port, backend, cfg.nofile, name)
        p = procs.start(name, ["nginx", "-e", "stderr", "-p", d, "-c", conf], cpus=cfg.proxy_cpus,
                        env=dict(os.environ, **extra_env) if extra_env else None)
        wait_http(port, proc=p)
        kids = children(p.pid)
        for k in kids:
            procs.record(k)
        return p, (kids[0] if kids else p.pid)  # the worker

    def start_haproxy(name, port, backend, extra_env=None):
        conf = haproxy_conf(tmp, port, backend, name, cfg.nofile, haproxy_maxconn)
        p = procs.start(name, ["haproxy", "-db", "-f", conf], cpus=cfg.proxy_cpus,
                        env=dict(os.environ, **extra_env) if extra_env else None)
        wait_http(port, proc=p)
        return p, p.pid

    def start_proxies(suffix, ports3, backend):
        return {name: start(name + suffix, port, backend)
                for (name, start), port in zip((("edged", start_edged), ("nginx", start_nginx),
                                                ("haproxy", start_haproxy)), ports3)}

    try:
        log(f"ports: fake backend {bp}, static backend {sp}, edged {ep}, nginx {np_}, haproxy {hp}; proxies on "
            f"cpu {cfg.proxy_cpus}, backend/wrk/clients on cpu {cfg.load_cpus}")
        # The fake logs a line per request and has no switch for it: its stderr goes to /dev/null.
        fake = procs.start("backend", [fake_bin, "--host", LOOPBACK, "--port", str(bp)], cpus=cfg.load_cpus,
                           quiet=True, load=True)
        wait_http(bp, proc=fake)
        backends = [("backend", fake)]
        wrk_scripts(tmp, res)  # also writes small.json and big.json
        bodies = [open(os.path.join(tmp, n), "rb").read() for n in ("small.json", "big.json")]
        expect = None
        if cfg.backend == "static":
            # The wrk, profile and alloc phases' backend: one nginx worker on cpu load_cpus serving a
            # reply captured from the fake, so that the proxy, not the backend, is the bottleneck.
            reply_path = os.path.join(tmp, "reply.json")
            expect = capture_reply(bp, os.path.join(tmp, "small.json"), reply_path)
            res.reply_len = len(expect)
            conf, d = static_backend_conf(tmp, sp, reply_path, cfg.nofile)
            static = procs.start("static-backend", ["nginx", "-e", "stderr", "-p", d, "-c", conf],
                                 cpus=cfg.load_cpus, load=True)
            wait_http(sp, proc=static)
            kids = children(static.pid)
            for k in kids:
                procs.record(k)
            backends.append(("static-backend", static))
            wp, wpid = sp, (kids[0] if kids else static.pid)  # its worker
            log(f"static backend (nginx) on {sp}: replies with {len(expect)} B captured from the fake")
        else:
            wp, wpid = bp, fake.pid
        facts.insert(-1, ("phases", ",".join(p for p in ("wrk", "profile", "sse", "conn", "alloc", "idle")
                                            if p in cfg.phases) + f" ({cfg.repeat} × {cfg.duration} s per cell)"))
        facts.insert(-1, ("wrk backend", f"static (nginx, fixed {res.reply_len} B reply)"
                          if cfg.backend == "static" else "fake-cli-proxy-api"))
        live = start_proxies("", (ep, np_, hp), wp)
        ports = {"direct": wp, "edged": ep, "nginx": np_, "haproxy": hp}
        pids = {"direct": wpid, **{name: pid for name, (_, pid) in live.items()}}

        def check_backend():
            for name, p in backends:
                if p.poll() is not None:
                    raise SystemExit(f"{name} exited with status {p.returncode} during the run")

        def check_alive():
            check_backend()
            for name, (p, _) in live.items():
                if p.poll() is not None:
                    raise SystemExit(f"{name} exited with status {p.returncode} during the run")

        # 1 KiB, 1 MiB, 1 KiB on one connection per target: 200 + the JSON, connection kept.
        check_targets(ports, bodies, expect)
        log("check: POST 1 KiB / 1 MiB / 1 KiB on one keep-alive connection: 200 + JSON through every target")
        if "wrk" in cfg.phases:
            phase_wrk(cfg, res, tmp, ports, pids, targets, check_alive)
        if "profile" in cfg.phases:
            phase_profile(cfg, res, tmp, ports, pids, check_alive)
        if "sse" in cfg.phases:
            if wp != bp:  # SSE needs the fake: fresh instances of the proxies in front of it
                check_alive()
                for name, (p, pid) in live.items():
                    res.mem[f"{name}_load"] = proc_status(pid)
                    procs.stop(p)
                live = start_proxies("-sse", (ep4, np4, hp4), bp)
                sse_ports = {"direct": bp, "edged": ep4, "nginx": np4, "haproxy": hp4}
            else:
                sse_ports = ports
            phase_sse(cfg, res, tmp, sse_ports, targets, check_alive)
        check_alive()
        for name, (p, pid) in live.items():
            res.mem[f"{name}_sse" if f"{name}_load" in res.mem else f"{name}_load"] = proc_status(pid)
            procs.stop(p)

        if "conn" in cfg.phases:
            phase_conn(cfg, res, tmp, [("edged", ep5, lambda n, p, b: start_edged(n, p, b)),
                                       ("edged+allowedUsers", eu5,
                                        lambda n, p, b: start_edged(n, p, b, allowed_users=[cfg.conn_user])),
                                       ("nginx", np5, start_nginx)], wp, check_backend)
        if "alloc" in cfg.phases:
            phase_alloc(cfg, res, tmp, [("edged", ep3, start_edged), ("nginx", np3, start_nginx),
                                        ("haproxy", hp3, start_haproxy)], wp, check_backend)
        if cfg.idle_n:
            # Each on a fresh instance, so buffers freed after the load phase don't hide the cost.
            # Twice: after a GET /healthz the proxy answers itself (the brief's measure), and after
            # one proxied chat POST of IDLE_BODY bytes (what an agent's connection looks like), in
            # front of the fake (only its memory is measured, not its speed).
            for kind, body_size, batch in (("healthz", 0, 500), ("post", IDLE_BODY, 100)):
                for name, start, port in (("edged", start_edged, ep2), ("nginx", start_nginx, np2),
                                          ("haproxy", start_haproxy, hp2)):
                    check_backend()
                    p, pid = start(f"{name}-idle-{kind}", port, bp)
                    n = min(cfg.idle_n, haproxy_maxconn - 100) if name == "haproxy" else cfg.idle_n
                    before, after, still, fails = idle_test(port, n, pid, body_size, batch)
                    res.mem[f"{name}_idle_{kind}"] = (before, after, still, fails,
                                                      proc_status(pid).get("VmHWM", 0), n)
                    log(f"idle {name} ({kind}): {before} kB -> {after} kB with {still}/{n} open, "
                        f"{fails} failures")
                    if p.poll() is not None:
                        raise SystemExit(f"{name}-idle exited with status {p.returncode}")
                    procs.stop(p)
    finally:
        procs.stop_all()

    facts.append(("load average at end", open("/proc/loadavg").read().split()[0]))
    report = render(cfg, res, facts, targets, tmp, time.time() - t0)
    print(report)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(report)
    log(f"wrote {a.out}")
    return 0


IDLE_BODY = 32 * 1024


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def median_result(runs):
    """Median of each metric over repeated runs; errors are summed."""
    out = {}
    for k in runs[0]:
        vals = [r[k] for r in runs]
        out[k] = sum(vals) if k in ("errors", "connect", "read", "write", "status", "timeout", "resets") \
            else statistics.median(vals)
    for k in ("rps", "p99"):
        out[f"{k}_all"] = [r[k] for r in runs]
    return out


def spread(values):
    """Run-to-run spread (max − min) relative to the median, or 0 for a single run."""
    m = statistics.median(values)
    return (max(values) - min(values)) / m if len(values) > 1 and m else 0.0


def wrk_scripts(tmp, res):
    """The wrk scripts for the 1 KiB and the 1 MiB POST (written once)."""
    small_lua = os.path.join(tmp, "small.lua")
    big_lua = os.path.join(tmp, "big.lua")
    if not os.path.exists(big_lua):
        small = os.path.join(tmp, "small.json")
        big = os.path.join(tmp, "big.json")
        res.small_len = make_body(small, 1024)
        res.big_len = make_body(big, 1 << 20)
        for path, body in ((small_lua, small), (big_lua, big)):
            with open(path, "w") as f:
                f.write(WRK_LUA % {"body": body, "reply": 1024})
    return small_lua, big_lua


def phase_wrk(cfg, res, tmp, ports, pids, targets, check_alive):
    small_lua, big_lua = wrk_scripts(tmp, res)
    workloads = [(f"POST 1 KiB c{c}", small_lua, c) for c in cfg.concs]
    workloads.append((f"POST 1 MiB c{cfg.big_conc}", big_lua, cfg.big_conc))
    for wl, script, c in workloads:
        res.workloads.append(wl)
        runs = {t: [] for t in targets}
        # Repeats interleave the targets, so a burst of outside load hits them alike.
        for rep in range(cfg.repeat):
            for t in targets:
                check_alive()
                if rep == 0 and cfg.warmup > 0:
                    run_wrk(script, ports[t], c, cfg.warmup, cfg.load_cpus)
                cpu0 = cpu_seconds(pids[t])
                r = run_wrk(script, ports[t], c, cfg.duration, cfg.load_cpus)
                r["cpu_us"] = (cpu_seconds(pids[t]) - cpu0) * 1e6 / max(r["requests"], 1)
                r["cpu_pct"] = (cpu_seconds(pids[t]) - cpu0) * 1e8 / r["duration_us"]
                runs[t].append(r)
                log(f"{wl:16} {t:8} {r['rps']:9.0f} req/s  p50 {ms(r['p50'])} p99 {ms(r['p99'])} "
                    f"p99.9 {ms(r['p999'])} ms  cpu {r['cpu_us']:.0f} us/req ({r['cpu_pct']:.0f}%)  "
                    f"errors {r['errors']}")
        for t in targets:
            res.wrk[(wl, t)] = median_result(runs[t])


def phase_sse(cfg, res, tmp, ports, targets, check_alive):
    sse_body = os.path.join(tmp, "sse.json")
    make_body(sse_body, 256, stream=True)
    with open(sse_body, "rb") as f:
        body = f.read()
    for t in targets:
        check_alive()
        gaps, counts, errors = [], [], []
        for _ in range(cfg.sse_rounds):
            g, c, e = sse_round(ports[t], cfg.sse_streams, cfg.sse_events, cfg.sse_delay, body)
            gaps += g
            counts += c
            errors += e
            time.sleep(0.2)
        s = {"gaps": gaps, "counts": counts, "errors": errors,
             "p50": pct(gaps, 50), "p99": pct(gaps, 99), "max": max(gaps) if gaps else float("nan")}
        res.sse[t] = s
        log(f"SSE {t:8} gap-{cfg.sse_delay}ms p50 {s['p50']:.3f} p99 {s['p99']:.3f} max {s['max']:.3f} ms; "
            f"events/stream {min(counts)}..{max(counts)}; errors {len(errors)}")


# --------------------------------------------------------------------------- alloc phase

# Slots of the counters file written by bench/alloc/malloc_count.c (little-endian uint64s).
MC_FIELDS = ("magic", "malloc", "calloc", "realloc_new", "realloc", "aligned", "free", "bytes", "free_null")
MC_SLOTS = 16
MC_MAGIC = 0x31746e636f6c6c61


def build_shim(tmp):
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "alloc", "malloc_count.c")
    so = os.path.join(tmp, "malloc_count.so")
    argv = [os.environ.get("CC") or "cc", "-O2", "-shared", "-fPIC", "-o", so, src, "-ldl"]
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"building the malloc_count shim failed ({' '.join(argv)}):\n{r.stderr}")
    return so


def read_counts(path):
    """The shim's counters, or None if the file is missing or was never mapped by a process."""
    try:
        with open(path, "rb") as f:
            data = f.read(MC_SLOTS * 8)
    except OSError:
        return None
    if len(data) < MC_SLOTS * 8:
        return None
    v = struct.unpack(f"<{MC_SLOTS}Q", data)
    return dict(zip(MC_FIELDS, v)) if v[0] == MC_MAGIC else None


def phase_alloc(cfg, res, tmp, starters, backend, check_backend):
    """starters: (name, port, start(name, port, backend, env) -> (Popen, pid)). Each proxy on a fresh
    instance under the shim, in front of the wrk phase's backend; counters read around each wrk run,
    divided by wrk's requests."""
    small_lua, _ = wrk_scripts(tmp, res)
    so = build_shim(tmp)
    for name, port, start in starters:
        check_backend()
        counts = os.path.join(tmp, f"{name}-alloc.counts")
        p, _ = start(f"{name}-alloc", port, backend, {"LD_PRELOAD": so, "MALLOC_COUNT_FILE": counts})
        entry = res.alloc[name] = {"rows": [], "note": None}
        try:
            if read_counts(counts) is None:
                entry["note"] = "the shim was not loaded (no counters)"
                log(f"alloc {name}: {entry['note']}")
                continue
            if cfg.warmup > 0:
                run_wrk(small_lua, port, 16, cfg.warmup, cfg.load_cpus)
            for c in cfg.alloc_concs:
                time.sleep(0.2)
                before = read_counts(counts)
                r = run_wrk(small_lua, port, c, cfg.alloc_duration, cfg.load_cpus)
                # Requests in flight when wrk stopped finish; its closed connections are torn down.
                time.sleep(0.3)
                after = read_counts(counts)
                if p.poll() is not None:
                    raise SystemExit(f"{name}-alloc exited with status {p.returncode}")
                n = max(r["requests"], 1)
                d = {k: (after[k] - before[k]) / n for k in MC_FIELDS[1:]}
                d["allocs"] = d["malloc"] + d["calloc"] + d["aligned"] + d["realloc_new"]
                d.update(requests=r["requests"], errors=r["errors"], conc=c)
                entry["rows"].append(d)
                log(f"alloc {name:8} c{c:<3} {r['requests']} requests: {d['allocs']:.2f} allocs/req "
                    f"(malloc {d['malloc']:.2f}, calloc {d['calloc']:.2f}, aligned {d['aligned']:.2f}), "
                    f"{d['realloc']:.2f} reallocs/req, {d['free']:.2f} frees/req, {d['bytes']:.0f} B/req; "
                    f"errors {r['errors']}")
        finally:
            PROCS.stop(p)


# --------------------------------------------------------------------------- conn phase

def refused_for(port, uid):
    """Connects as `uid` (a forked child that drops to it; needs root) and returns the status
    edged answers to GET /healthz, or an error string."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        out = "?"
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            with socket.create_connection((LOOPBACK, port), timeout=5) as s:
                s.sendall(f"GET /healthz HTTP/1.1\r\nHost: {LOOPBACK}\r\nConnection: close\r\n\r\n".encode())
                d = b""
                while True:
                    c = s.recv(65536)
                    if not c:
                        break
                    d += c
            out = d.split(b" ", 2)[1].decode() if d.startswith(b"HTTP/1.1 ") else "no HTTP answer"
        except BaseException as e:
            out = f"{e.__class__.__name__}: {e}"
        finally:
            os.write(w, out.encode()[:500])
            os._exit(0)
    os.close(w)
    try:
        with os.fdopen(r, "rb") as f:
            got = f.read().decode(errors="replace")
    finally:
        os.waitpid(pid, 0)
    return got


def phase_conn(cfg, res, tmp, starters, backend, check_backend):
    """New-connection throughput: wrk sends the 1 KiB POST with `Connection: close`, so every
    request opens a connection. Fresh instances: edged without clients.allowedUsers, edged with
    the bench's own user listed (each accepted connection's owner is asked of the kernel with one
    NETLINK_SOCK_DIAG lookup), nginx for reference; same pinning as the wrk phase, runs
    interleaved. CPU per connection from each process's utime + stime."""
    small_lua, _ = wrk_scripts(tmp, res)
    conn_lua = os.path.join(tmp, "conn.lua")
    with open(conn_lua, "w") as f:
        f.write(WRK_LUA.replace('wrk.headers["x-fake-size"]', 'wrk.headers["Connection"] = "close"\n'
                                'wrk.headers["x-fake-size"]', 1) % {"body": os.path.join(tmp, "small.json"),
                                                                    "reply": 1024})
    live = {}
    try:
        for name, port, start in starters:
            check_backend()
            p, pid = start(f"{name.replace('+', '-')}-conn", port, backend)
            live[name] = (p, pid, port)
        # The list must be in force, or the phase measures nothing: a user not listed gets 403.
        uid_probe = 65534
        if os.geteuid() == 0 and uid_probe != os.geteuid():
            got = refused_for(live["edged+allowedUsers"][2], uid_probe)
            if got != "403":
                raise SystemExit(f"conn: edged with clients.allowedUsers answered uid {uid_probe} with {got}, not 403")
            other = refused_for(live["edged"][2], uid_probe)
            if other != "200":
                raise SystemExit(f"conn: edged without the list answered uid {uid_probe} with {other}, not 200")
            res.conn_check = f"uid {uid_probe} (not listed) gets 403 from the listed edged and 200 from the other"
        else:
            res.conn_check = "not checked (needs root to connect as another user)"
        log(f"conn: allowedUsers [{cfg.conn_user}]; {res.conn_check}")
        runs = {name: [] for name in live}
        for rep in range(cfg.repeat):
            for name, (p, pid, port) in live.items():
                check_backend()
                if p.poll() is not None:
                    raise SystemExit(f"{name}-conn exited with status {p.returncode}")
                if rep == 0 and cfg.warmup > 0:
                    run_wrk(conn_lua, port, cfg.conn_conc, cfg.warmup, cfg.load_cpus)
                cpu0 = cpu_seconds(pid)
                r = run_wrk(conn_lua, port, cfg.conn_conc, cfg.duration, cfg.load_cpus)
                cpu = cpu_seconds(pid) - cpu0
                r["cpu_us"] = cpu * 1e6 / max(r["requests"], 1)
                r["cpu_pct"] = cpu * 1e8 / r["duration_us"]
                runs[name].append(r)
                # edged closes after the response to a `Connection: close` request but does not say so in
                # the relayed response head, so wrk sends its next request on the closed connection,
                # gets a reset (a read error) and reconnects: counted apart, not as errors.
                r["resets"] = r["read"]
                r["errors"] = r["connect"] + r["write"] + r["status"] + r["timeout"]
                log(f"conn c{cfg.conn_conc} {name:18} {r['rps']:8.0f} conn/s  p50 {ms(r['p50'])} p99 {ms(r['p99'])} ms  "
                    f"cpu {r['cpu_us']:.1f} us/conn ({r['cpu_pct']:.0f}%)  errors {r['errors']}  resets {r['resets']}")
        for name in live:
            res.conn[name] = median_result(runs[name])
            res.conn[name]["cpu_all"] = [r["cpu_us"] for r in runs[name]]
        # Per repeat, the listed edged's CPU per connection minus the other's (the two ran back to back).
        res.conn_added = [a["cpu_us"] - b["cpu_us"] for a, b in zip(runs["edged+allowedUsers"], runs["edged"])]
    finally:
        for p, _, _ in live.values():
            PROCS.stop(p)


def render_conn(cfg, res, L):
    c = res.conn
    L.append("## New connections: the cost of clients.allowedUsers")
    L.append("")
    L.append(f"wrk -t1 -c{cfg.conn_conc}, the 1 KiB chat POST with `Connection: close` (every request a new "
             f"connection, closed by the proxy after its response), {cfg.repeat} × {cfg.duration} s per target "
             f"after a {cfg.warmup} s warm-up, targets interleaved, medians. Fresh instances in front of the wrk "
             f"table's backend, pinned as above: **edged** as configured for the table, "
             f"**edged+allowedUsers** the same with `\"clients\": {{\"allowedUsers\": [\"{cfg.conn_user}\"]}}` "
             f"(the bench's own user, so every connection is served; each accepted connection's owner is asked "
             f"of the kernel with one NETLINK_SOCK_DIAG request), and nginx (its worker) for reference. "
             f"Check before the runs: {res.conn_check}.")
    L.append("")
    L.append("| target | conn/s | p50 | p99 | errors | resets | CPU µs/conn | vs edged conn/s |")
    L.append("|---|--:|--:|--:|--:|--:|--:|--:|")
    base = c["edged"]
    for name, r in c.items():
        L.append(f"| {'**' + name + '**' if name.startswith('edged') else name} | {r['rps']:.0f} | {ms(r['p50'])} | "
                 f"{ms(r['p99'])} | {r['errors']} | {r['resets']} | {r['cpu_us']:.1f} ({r['cpu_pct']:.0f}%) | "
                 f"{'—' if name == 'edged' else ratio(r['rps'], base['rps'])} |")
    L.append("")
    added = res.conn_added
    med = statistics.median(added)
    own = max(base["cpu_all"]) - min(base["cpu_all"])
    n, positive = len(added), sum(1 for x in added if x > 0)
    # Each pair ran back to back, so the paired differences are the measure; a sign test says
    # whether they lean one way more than chance would (two-sided binomial, p = 1/2).
    k = max(positive, n - positive)
    p_sign = min(1.0, 2 * sum(math.comb(n, i) for i in range(k, n + 1)) / 2 ** n)
    q = statistics.quantiles(added, n=4) if n >= 2 else [med, med, med]
    L.append(f"clients.allowedUsers: {ratio(c['edged+allowedUsers']['rps'], base['rps'])} the connections/s "
             f"of edged without it; **{med:+.1f} µs of edged's CPU per new connection** (median of the "
             f"{n} back-to-back pairs of runs, interquartile range {q[0]:+.1f} to {q[2]:+.1f}; per pair: "
             f"{', '.join(f'{x:+.1f}' for x in added)}), {med / base['cpu_us'] * 100:+.0f} % of edged's "
             f"{base['cpu_us']:.1f} µs. {positive} of {n} pairs positive (sign test p = {p_sign:.3f}): "
             + ("the difference is the list's cost, not noise." if p_sign < 0.05 else
                "not distinguishable from noise in this run (more repeats, `BENCH_REPEAT`, or a quieter "
                "machine).")
             + f" For scale: edged alone ranged {min(base['cpu_all']):.1f}–{max(base['cpu_all']):.1f} µs/conn "
             f"across its runs. CPU µs/conn = user + system time of the process "
             f"(nginx: its worker) / requests; in brackets its busy share of one core: below ~90 % the proxy "
             f"is not what limits conn/s (the load core is: wrk's connects and the backend), so compare "
             f"CPU µs/conn, not conn/s. *errors* = wrk's connect, write and timeout errors and responses "
             f"≥ 400, summed over the runs. *resets* = wrk's read errors: a proxy that closes after the "
             f"response to a `Connection: close` request without saying `Connection: close` in its "
             f"response head (RFC 9112 §9.6 says it SHOULD) makes wrk write its next request into the "
             f"closed connection, get a reset and reconnect; 0 for a proxy that announces the close.")
    L.append("")


# --------------------------------------------------------------------------- profile phase

def demangler():
    """argv of a Swift demangler that filters stdin, or None."""
    if shutil.which("swift-demangle"):
        return ["swift-demangle", "--simplified"]
    if shutil.which("swift"):
        return ["swift", "demangle", "--simplified"]
    return None


def perf_report(data, sort, limit, demangle):
    """[(percent, samples, dso, kernel?, symbol)] from perf report --stdio: self time, no call graphs."""
    argv = ["perf", "report", "-i", data, "--stdio", "--no-children", "-n", "--sort", sort, "-g", "none",
            "--percent-limit", str(limit)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    if r.returncode:
        raise RuntimeError(f"perf report failed: {r.stderr.strip()[-500:]}")
    text = r.stdout
    if demangle and "$s" in text:
        try:
            text = subprocess.run(demangle, input=text, capture_output=True, text=True, timeout=60).stdout or text
        except (OSError, subprocess.SubprocessError):
            pass
    rows = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        # "  12.34%  123  dso  [.] symbol   -   -" (the trailing columns are IPC, unsupported here)
        m = re.match(r"\s*([\d.]+)%\s+(\d+)\s+(\S+)(?:\s+\[(.)\]\s+(.*?))?(?:\s+-\s+-)?\s*$", line)
        if m:
            rows.append((float(m.group(1)), int(m.group(2)), m.group(3), m.group(4) == "k", m.group(5) or ""))
    return rows


def strace_counts(path):
    """{syscall: (calls, errors)} from strace -c output, without the total line."""
    out = {}
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return out
    for line in lines:
        f = line.split()
        if len(f) < 5 or not re.match(r"^[\d.]+$", f[0]) or f[-1] == "total":
            continue
        # % time, seconds, usecs/call, calls, [errors], syscall
        calls = int(f[3])
        errors = int(f[4]) if len(f) >= 6 else 0
        out[f[-1]] = (calls, errors)
    return out


def attach(argv, name):
    """Starts perf or strace on cpu load_cpus, records its pid, lets it attach."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    PROCS.record(p.pid)
    time.sleep(0.7)
    if p.poll() is not None:
        raise RuntimeError(f"{name} exited with {p.returncode}: {p.stderr.read().strip()[-400:]}")
    return p


def detach(p, timeout=60):
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    return err


def phase_profile(cfg, res, tmp, ports, pids, check_alive):
    """perf (CPU by symbol) and strace -c (syscalls per request) on the load-phase instances of
    edged and nginx, each under wrk POST 1 KiB c16."""
    small_lua, _ = wrk_scripts(tmp, res)
    demangle = demangler()
    pin = ["taskset", "-c", cfg.load_cpus] if cfg.load_cpus else []
    for t in ("edged", "nginx"):
        check_alive()
        pid, port = pids[t], ports[t]
        entry = res.profile[t] = {}
        run_wrk(small_lua, port, 16, max(cfg.warmup, 1), cfg.load_cpus)
        data = os.path.join(tmp, f"perf-{t}.data")
        try:
            perf = attach(pin + ["perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "-g", "-p", str(pid),
                                 "-o", data], "perf record")
            try:
                cpu0 = cpu_seconds(pid)
                r = run_wrk(small_lua, port, 16, cfg.profile_duration, cfg.load_cpus)
                cpu = cpu_seconds(pid) - cpu0
            finally:
                err = detach(perf)
            if perf.returncode not in (0, -signal.SIGINT, 130) or not os.path.exists(data):
                raise RuntimeError(f"perf record exited with {perf.returncode}: {err.strip()[-400:]}")
            entry.update(requests=r["requests"], rps=r["rps"], errors=r["errors"],
                         cpu_us=cpu * 1e6 / max(r["requests"], 1), cpu_pct=cpu * 1e8 / r["duration_us"])
            entry["symbols"] = perf_report(data, "dso,symbol", cfg.profile_limit, demangle)
            entry["dsos"] = perf_report(data, "dso", 0, None)
            entry["samples"] = sum(row[1] for row in entry["dsos"])
            log(f"profile {t:6} {r['rps']:.0f} req/s, {entry['cpu_us']:.1f} us/req CPU, {entry['samples']} "
                f"samples; top: " + ", ".join(f"{pc:.1f}% {sym}" for pc, _, _, _, sym in entry["symbols"][:3]))
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            entry["perf_error"] = str(e)
            log(f"profile {t}: perf failed: {e}")
        check_alive()
        out = os.path.join(tmp, f"strace-{t}.txt")
        try:
            st = attach(pin + ["strace", "-c", "-f", "-p", str(pid), "-o", out], "strace")
            try:
                r = run_wrk(small_lua, port, 16, cfg.strace_duration, cfg.load_cpus)
                time.sleep(0.3)
            finally:
                err = detach(st)
            calls = strace_counts(out)
            if not calls:
                raise RuntimeError(f"strace counted nothing (rc {st.returncode}): {err.strip()[-400:]}")
            entry["strace"] = calls
            entry["strace_requests"] = r["requests"]
            entry["strace_errors"] = r["errors"]
            n = max(r["requests"], 1)
            log(f"strace {t:6} {r['requests']} requests, {sum(c for c, _ in calls.values()) / n:.2f} syscalls/req: "
                + ", ".join(f"{k} {c / n:.2f}" for k, (c, _) in
                            sorted(calls.items(), key=lambda kv: -kv[1][0])[:6]))
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            entry["strace_error"] = str(e)
            log(f"profile {t}: strace failed: {e}")
        time.sleep(0.5)  # let the proxy settle after ptrace detached


def short_sym(sym, width=70):
    sym = sym.strip()
    return sym if len(sym) <= width else sym[:width - 1] + "…"


def short_dso(dso, kernel=False):
    if kernel or dso.startswith("[kernel"):
        return "kernel"
    dso = os.path.basename(dso)
    return re.sub(r"\.so(\.[\d.]+)?$", "", dso)


def render_alloc(cfg, res, L):
    L.append("## Heap allocations per request")
    L.append("")
    L.append(f"An LD_PRELOAD shim (`bench/alloc/malloc_count.c`) counts the heap calls of a fresh instance of "
             f"each proxy (same configuration and backend as above, nginx: master and worker together, the master idle). "
             f"Its counters are read before and 0.3 s after a wrk run (POST 1 KiB, {cfg.alloc_duration} s, "
             f"after a {cfg.warmup} s warm-up at c16) and divided by the requests wrk completed, so opening "
             f"and closing wrk's connections is included, amortised. *allocs* = malloc + calloc + "
             f"posix_memalign/aligned_alloc/memalign + realloc(NULL, n); *reallocs* = realloc of a live "
             f"block; *frees* = free of a non-NULL pointer (and realloc(p, 0)); *bytes* = sizes asked for "
             f"(realloc: the new size). nginx and haproxy carve requests out of their own pools, which "
             f"they get from malloc.")
    L.append("")
    L.append("| target | workload | requests | allocs/req | malloc | calloc | aligned | reallocs/req | "
             "frees/req | bytes/req | errors |")
    L.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for name, e in res.alloc.items():
        label = f"**{name}**" if name == "edged" else name
        if e["note"]:
            L.append(f"| {label} | — | | {e['note']} | | | | | | | |")
        for d in e["rows"]:
            L.append(f"| {label} | POST 1 KiB c{d['conc']} | {d['requests']} | {d['allocs']:.2f} | "
                     f"{d['malloc']:.2f} | {d['calloc']:.2f} | {d['aligned']:.2f} | {d['realloc']:.2f} | "
                     f"{d['free']:.2f} | {d['bytes']:.0f} | {d['errors']} |")
    L.append("")


def render_profile(cfg, res, L):
    prof = res.profile
    names = list(prof)
    L.append("## Where the time goes")
    L.append("")
    L.append(f"On the load-phase instances under wrk POST 1 KiB c16. CPU: `perf record -e cpu-clock -F 999 -g "
             f"-p <pid>` for {cfg.profile_duration} s (nginx: its worker), self time by object and symbol "
             f"(`perf report --no-children --sort dso,symbol`; Swift names through `swift demangle "
             f"--simplified`, long names cut). Percentages are of the proxy's own samples (one sample ≈ 1 ms "
             f"of its CPU, so entries under ~1 % are noise); the top {cfg.profile_top} overall, then the top "
             f"{cfg.profile_top_user} outside the kernel. perf's own overhead shows in the CPU/req here.")
    L.append("")
    for t in names:
        e = prof[t]
        if "perf_error" in e:
            L.append(f"- {t}: perf failed — {e['perf_error']}")
            continue
        by_dso = ", ".join(f"{short_dso(d)} {pc:.0f}%" for pc, _, d, _, _ in e["dsos"] if pc >= 0.5)
        L.append(f"- **{t}**: {e['samples']} samples, {e['rps']:.0f} req/s, {e['cpu_us']:.1f} µs CPU/req "
                 f"({e['cpu_pct']:.0f}% of its core), errors {e['errors']}; by object: {by_dso}")
    L.append("")
    for title, keep, top in (("all", lambda row: True, cfg.profile_top),
                             ("outside the kernel", lambda row: not row[3], cfg.profile_top_user)):
        lists = {t: [row for row in prof[t].get("symbols", []) if keep(row)][:top] for t in names}
        rows = max([len(v) for v in lists.values()] + [0])
        if not rows:
            continue
        L.append(f"| # ({title}) | " + " | ".join(f"{t} | %" for t in names) + " |")
        L.append("|--:|" + "---|--:|" * len(names))
        for i in range(rows):
            cols = [str(i + 1)]
            for t in names:
                if i < len(lists[t]):
                    pc, _, dso, kern, sym = lists[t][i]
                    sym = short_sym(sym).replace("|", "\\|").replace("`", "'")
                    cols += [f"`{sym}` ({short_dso(dso, kern)})", f"{pc:.1f}"]
                else:
                    cols += ["", ""]
            L.append("| " + " | ".join(cols) + " |")
        L.append("")
    st = {t: prof[t] for t in names if "strace" in prof[t]}
    for t in names:
        if "strace_error" in prof[t]:
            L.append(f"- {t}: strace failed — {prof[t]['strace_error']}")
    if st:
        per = {t: {k: (c / max(e["strace_requests"], 1), err / max(e["strace_requests"], 1))
                   for k, (c, err) in e["strace"].items()} for t, e in st.items()}
        keep = sorted({k for p in per.values() for k, (c, _) in p.items() if c >= 0.02},
                      key=lambda k: -max(p.get(k, (0, 0))[0] for p in per.values()))
        L.append(f"Syscalls per request: `strace -c -f -p <pid>` during {cfg.strace_duration} s of the same load "
                 f"(slowed by strace: " + ", ".join(f"{t} {e['strace_requests']} requests" for t, e in st.items())
                 + "), divided by the requests wrk completed; failed calls in brackets (EAGAIN mostly). "
                 "Calls under 0.02/req left out of the rows, counted in the total.")
        L.append("")
        L.append("| syscall | " + " | ".join(st) + " |")
        L.append("|---|" + "--:|" * len(st))

        def cell(c, err):
            if not c:
                return ""
            return (f"{c:.2f}" if c >= 0.005 else "<0.01") + (f" ({err:.2f})" if err >= 0.005 else "")
        for k in keep:
            L.append(f"| {k} | " + " | ".join(cell(*per[t].get(k, (0, 0))) for t in st) + " |")
        L.append("| **total** | " + " | ".join(
            cell(sum(c for c, _ in per[t].values()), sum(e for _, e in per[t].values())) for t in st) + " |")
        L.append("")


def render(cfg, res, facts, targets, tmp, elapsed):
    L = []
    L.append("# droidgate proxy benchmark")
    L.append("")
    L.append(" · ".join(f"**{k}** {v}" for k, v in facts))
    L.append("")
    load = float(facts[-1][1])
    if load > 1.5 * (os.cpu_count() or 1):
        L.append(f"**Warning:** the load average was {load} at the end: other processes competed for the "
                 f"CPUs, so these numbers are noisy.")
        L.append("")
    wrk, wls = res.wrk, res.workloads
    if wls:
        L.append(f"wrk -t1, {cfg.repeat} × {cfg.duration} s per cell (targets interleaved; each figure is the "
                 f"median of the {cfg.repeat} runs) after a {cfg.warmup} s warm-up; request body "
                 f"{res.small_len} B (1 KiB workloads) / {res.big_len} B (1 MiB), " + (
                     f"reply {res.reply_len} B of JSON. Backend: a static nginx (one worker, on cpu "
                     f"{cfg.load_cpus}) that answers every chat POST with the same {res.reply_len} B chat "
                     f"completion, captured once from fake-cli-proxy-api (`x-fake-size: 1024`), after reading the "
                     f"request body (and dropping it). It costs a fraction of what the fake does per request, so "
                     f"at c16 and above the proxy, not the backend, limits throughput; *direct* is wrk against "
                     f"that static backend (`BENCH_BACKEND=fake`: the fake instead)."
                     if cfg.backend == "static" else
                     "reply ~1.4 KiB of JSON (`x-fake-size: 1024`). Backend: fake-cli-proxy-api "
                     "(`BENCH_BACKEND=fake`; it is slower per request than any proxy, so throughput and p99 "
                     "are mostly the backend's).") +
                 f" Proxies pinned to cpu {cfg.proxy_cpus}; backend, wrk and the Python "
                 f"clients to cpu {cfg.load_cpus}" +
                 (" (wrk and the backends under SCHED_BATCH, so that they do not preempt each other on "
                  "wakeup: they stand in for other machines; `BENCH_LOAD_SCHED=other` for the normal policy)"
                  if cfg.load_sched == "batch" else " (all under the normal scheduling policy, "
                  "`BENCH_LOAD_SCHED=other`)") +
                 f". Latencies in ms. *added p99* = p99 through the proxy − p99 "
                 f"direct (so comparing added p99 between proxies is comparing their p99). The edged/other added-p99 "
                 f"columns give the ratio when both are positive, and in brackets edged's p99 minus the other's "
                 f"(negative: edged is better).")
        L.append("")
        L.append("| workload | target | req/s | p50 | p99 | p99.9 | errors | CPU µs/req | added p99 | "
                 "edged/nginx req/s | edged/haproxy req/s | edged/nginx added p99 | edged/haproxy added p99 |")
        L.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for wl in wls:
            d = wrk[(wl, "direct")]
            for t in targets:
                r = wrk[(wl, t)]
                added = (r["p99"] - d["p99"]) / 1000
                cols = [wl, f"**{t}**" if t == "edged" else t, f"{r['rps']:.0f}", ms(r["p50"]), ms(r["p99"]),
                        ms(r["p999"]), str(r["errors"]), f"{r['cpu_us']:.1f} ({r['cpu_pct']:.0f}%)",
                        "—" if t == "direct" else signed_ms(added)]
                if t == "edged":
                    for other in ("nginx", "haproxy"):
                        cols.append(ratio(r["rps"], wrk[(wl, other)]["rps"]))
                    for other in ("nginx", "haproxy"):
                        ao = (wrk[(wl, other)]["p99"] - d["p99"]) / 1000
                        diff = f"{signed_ms(added - ao)} ms"
                        cols.append(f"{ratio(added, ao)} ({diff})" if ao > 0 and added > 0 else f"— ({diff})")
                else:
                    cols += ["", "", "", ""]
                L.append("| " + " | ".join(cols) + " |")
        L.append("")
        L.append("`errors` = wrk connect + read + write + timeout errors plus responses with status ≥ 400 "
                 "(wrk's non-2xx/3xx count), summed over the runs. `CPU µs/req` = user + system CPU time of "
                 "the target process (for *direct*: the backend — the static nginx's worker or the fake; for "
                 "nginx: its worker) per request, and in brackets its busy share of one core during the run. "
                 "A proxy near 100% is the bottleneck; one well below it is not: the backend and wrk share "
                 "the other core.")
        L.append("")
    L.append("Configuration: logging is off everywhere — edged runs with `log.level` `warning` (no "
             "access-log line per request), nginx with `access_log off`, haproxy with no log target. "
             "edged: `edged.workers` 1, `limits.maxConnections` 65536 (as nginx's `worker_connections`; the idle phase holds 10,000), alone (no authd/supervisord). nginx: `worker_processes 1`, upstream "
             "`keepalive 64`, `proxy_http_version 1.1`, `proxy_set_header Connection \"\"`, `proxy_buffering "
             "off`, `client_max_body_size 64m`, `keepalive_requests 1000000` on both sides (its default of "
             "1000 would force reconnects), request bodies buffered nginx's default way (over 16 KiB: to a "
             "temp file). haproxy: `nbthread 1`, mode http, `option http-keep-alive`, `http-reuse always`, "
             "`option http-no-delay` (without it haproxy holds SSE events back up to ~200 ms). "
             + ("Backends: the wrk table, the profile and the allocation counts use the static backend — nginx, "
                "`worker_processes 1`, `access_log off`, `keepalive_requests` 10⁹, `client_max_body_size 64m`, "
                "`client_body_buffer_size 2m`, the captured reply with `return 200` (bodies under 10,000 B: "
                "nginx reads and drops them), or for larger bodies after reading the whole body into memory "
                "(`mirror` to an internal location, then the reply — as a real backend reads the request "
                "before answering). SSE runs on fresh proxy instances in front of fake-cli-proxy-api (it "
                "needs the fake's paced streams), and so does the idle-connection test. All proxies of a "
                "phase forward to the same backend."
                if cfg.backend == "static" else
                "Backend: fake-cli-proxy-api for every phase (`BENCH_BACKEND=fake`)."))
    L.append("")
    sse = res.sse
    if sse:
        L.append(f"## SSE: {cfg.sse_streams} concurrent streams × {cfg.sse_rounds} rounds, {cfg.sse_events} "
                 f"deltas at {cfg.sse_delay} ms pacing")
        L.append("")
        L.append(f"gap = inter-arrival time of consecutive events at the client − {cfg.sse_delay} ms, in ms "
                 f"(the fake backend overshoots its pause by up to ~1 ms, so compare with *direct*).")
        L.append("")
        L.append("| target | gaps | gap p50 | gap p99 | gap max | added p50 vs direct | added p99 vs direct | "
                 "events/stream | errors |")
        L.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
        for t in targets:
            s = sse[t]
            lo, hi = min(s["counts"]), max(s["counts"])
            cnt = f"{lo}" if lo == hi else f"{lo}–{hi}"
            add50 = "—" if t == "direct" else signed_ms(s["p50"] - sse["direct"]["p50"])
            add99 = "—" if t == "direct" else signed_ms(s["p99"] - sse["direct"]["p99"])
            L.append(f"| {t} | {len(s['gaps'])} | {s['p50']:.3f} | {s['p99']:.3f} | {s['max']:.3f} | {add50} | "
                     f"{add99} | {cnt} | {len(s['errors'])} |")
        L.append("")
    mem = res.mem
    if mem and (wls or sse or cfg.idle_n):  # (a conn/alloc/profile-only run served no workload of these)
        L.append("## Memory (RSS, KiB)")
        L.append("")
        names = ("edged", "nginx", "haproxy")
        if any(f"{name}_sse" in mem for name in names):
            L.append("Peak RSS (VmHWM) of the instances that served the wrk workloads: "
                     + ", ".join(f"{name} {mem.get(f'{name}_load', {}).get('VmHWM', 0)}" for name in names)
                     + "; of those that served SSE: "
                     + ", ".join(f"{name} {mem.get(f'{name}_sse', {}).get('VmHWM', 0)}" for name in names)
                     + " (nginx: its worker).")
        else:
            served = " and ".join(x for x, ran in (("wrk", bool(res.workloads)), ("SSE", bool(res.sse))) if ran)
            L.append(f"Peak RSS (VmHWM) of the instances that served the {served or 'wrk and SSE'} workloads: "
                     + ", ".join(f"{name} {mem.get(f'{name}_load', {}).get('VmHWM', 0)}" for name in names)
                     + " (nginx: its worker).")
        L.append("")
        if cfg.idle_n:
            L.append(f"Idle keep-alive connections: on a fresh instance, {cfg.idle_n} client connections each "
                     f"send one request and stay open; RSS is read before (after one warm-up request) and 1 s "
                     f"after the last answer. *healthz*: `GET /healthz`, answered by the proxy itself. *post "
                     f"{IDLE_BODY // 1024} KiB*: one chat POST with a {IDLE_BODY // 1024} KiB body proxied to "
                     f"the backend (100 at a time), as an agent's connection looks between requests. haproxy "
                     f"counts two fds per connection against its `maxconn`, so under a low fd limit it gets "
                     f"fewer connections (see *still open*).")
            L.append("")
            L.append("| process | request | RSS before | RSS with idle conns | per idle connection | still open | "
                     "failures | VmHWM |")
            L.append("|---|---|--:|--:|--:|--:|--:|--:|")
            for kind, label in (("healthz", "healthz"), ("post", f"post {IDLE_BODY // 1024} KiB")):
                for name in ("edged", "nginx", "haproxy"):
                    if f"{name}_idle_{kind}" not in mem:
                        continue
                    b, af, still, fails, ihwm, n = mem[f"{name}_idle_{kind}"]
                    per = (af - b) * 1024 / n
                    L.append(f"| {'**edged**' if name == 'edged' else name} | {label} | {b} | {af} | "
                             f"{per / 1024:.2f} KiB | {still}/{n} | {fails} | {ihwm} |")
            L.append("")

    targets_from = len(L)
    L.append("## Targets")
    L.append("")

    def mark(ok):
        return "**met**" if ok else "**NOT met**"

    if wls:
        def noise(wl, key):
            e, n = wrk[(wl, "edged")][f"{key}_all"], wrk[(wl, "nginx")][f"{key}_all"]
            return max(spread(e), spread(n))

        thr = []
        for wl in wls:
            x = wrk[(wl, "edged")]["rps"] / wrk[(wl, "nginx")]["rps"]
            nz = noise(wl, "rps")
            thr.append(f"{wl}: {x:.2f}×" + (" (short, but within the run-to-run spread of "
                                             f"{nz * 100:.0f}%)" if 1 - nz <= x < 1 else ""))
        ok = all(wrk[(wl, "edged")]["rps"] >= wrk[(wl, "nginx")]["rps"] for wl in wls)
        L.append(f"- Throughput ≥ nginx's at every concurrency: {mark(ok)} — " + ", ".join(thr))
        lat, ok = [], True
        for wl in wls:
            d = wrk[(wl, "direct")]["p99"]
            e, n = (wrk[(wl, "edged")]["p99"] - d) / 1000, (wrk[(wl, "nginx")]["p99"] - d) / 1000
            ok = ok and e <= n
            nz = noise(wl, "p99") * wrk[(wl, "nginx")]["p99"] / 1000
            lat.append(f"{wl}: edged {signed_ms(e)} vs nginx {signed_ms(n)} ms"
                       + (f" (over, but within the run-to-run p99 spread of {nz:.1f} ms)" if n < e <= n + nz else ""))
        L.append(f"- Added p99 latency over direct ≤ nginx's: {mark(ok)} — " + ", ".join(lat))
        cpu = [f"{wl}: {wrk[(wl, 'edged')]['cpu_us']:.0f} vs {wrk[(wl, 'nginx')]['cpu_us']:.0f} µs "
               f"({wrk[(wl, 'edged')]['cpu_us'] / wrk[(wl, 'nginx')]['cpu_us']:.2f}×)" for wl in wls]
        L.append("- (informational) proxy CPU per request, edged vs nginx — the cost that decides throughput "
                 "once the proxy, not the backend, is the bottleneck: " + ", ".join(cpu))
    if sse:
        add = sse["edged"]["p99"] - sse["direct"]["p99"]
        L.append(f"- SSE added gap p99 ≤ 1 ms: {mark(add <= 1.0 and not sse['edged']['errors'])} — "
                 f"edged {signed_ms(add)} ms (nginx {signed_ms(sse['nginx']['p99'] - sse['direct']['p99'])}, "
                 f"haproxy {signed_ms(sse['haproxy']['p99'] - sse['direct']['p99'])})")
    if "edged_idle_healthz" in mem:
        b, af, still, fails, _, n = mem["edged_idle_healthz"]
        per = (af - b) / n * 1024
        line = (f"- ≤ 16 KiB RSS per idle connection: {mark(per <= 16384 and still == n and not fails)}"
                f" — edged {per / 1024:.2f} KiB after `GET /healthz` ({still}/{n} still open, {fails} failures)")
        if "edged_idle_post" in mem:
            b, af, still, fails, _, n = mem["edged_idle_post"]
            per = (af - b) / n * 1024
            ok = per <= 16384 and still == n and not fails
            line += (f"; after a {IDLE_BODY // 1024} KiB chat POST: {per / 1024:.2f} KiB — "
                     f"{'met' if ok else '**NOT met**'} for that case ({still}/{n} still open, {fails} failures)")
        L.append(line)
    errs = sum(r["errors"] for r in wrk.values()) + sum(len(s["errors"]) for s in sse.values())
    errs_edged = sum(r["errors"] for (_, t), r in wrk.items() if t == "edged") + \
        len(sse.get("edged", {}).get("errors", []))
    L.append(f"- No errors through edged: {mark(errs_edged == 0)} — {errs_edged} (all targets: {errs})")
    L.append("")
    if not (wls or sse or cfg.idle_n):
        del L[targets_from:]  # the targets are about the wrk, SSE and idle phases: none ran
    edged_err = os.path.join(tmp, "edged.err")
    lines = open(edged_err, errors="replace").read().splitlines() if os.path.exists(edged_err) else []
    if lines:
        L.append(f"edged's stderr during the load phase ({len(lines)} lines), the last ones:")
        L.append("")
        L.append("```")
        L += lines[-10:]
        L.append("```")
        L.append("")
    if res.conn:
        render_conn(cfg, res, L)
    if res.alloc:
        render_alloc(cfg, res, L)
    if res.profile:
        render_profile(cfg, res, L)
    L.append(f"Benchmark wall time {elapsed:.0f} s (without the build).")
    return "\n".join(L) + "\n"


def on_term(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # bash starts us with SIGINT ignored
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
