"""What every part of the real-backend suite shares: the case runner and its checks, waiting
for a condition, free ports, and the stack it runs (`droidgate up` with a config of the part's
own, and the `droidgate` commands and HTTP requests against it). Python 3 standard library only."""
import http.server
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

# (name, passed, why) per case, in the order they ran.
results = []


def case(name):
    """Runs the decorated function at once as one case: one line per case, never an exception out."""
    def wrap(fn):
        start = time.monotonic()
        try:
            fn()
            results.append((name, True, ""))
            print(f"  ok    {name} ({time.monotonic() - start:.1f} s)", flush=True)
        except Exception as e:  # a failed check or anything unexpected
            results.append((name, False, str(e)))
            print(f"  FAIL  {name}: {e}", flush=True)
        return fn
    return wrap


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(cond, timeout, what):
    """`cond()`'s first true value within `timeout` seconds, else a failed check naming `what`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = cond()
            if last:
                return last
        except Exception as e:
            last = e
        time.sleep(0.1)
    raise AssertionError(f"{what} (waited {timeout} s; last: {str(last)[:300]})")


class Stack:
    """droidgate's whole stack under `droidgate up`, started in `cwd` with `config_path`; its
    output goes to cwd/up.log."""

    def __init__(self, bin_dir, config_path, cwd, listen_port):
        self.bin, self.config_path, self.cwd, self.listen_port = bin_dir, config_path, cwd, listen_port
        self.up = self.log = None

    def droidgate(self, *args, timeout=60):
        p = subprocess.run([f"{self.bin}/droidgate", *args, "--config", self.config_path], cwd=self.cwd,
                           capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout + p.stderr

    def status(self):
        return json.loads(self.droidgate("status", "--json")[1])

    def http(self, method, path, body=None, headers=None, timeout=30):
        """(status, headers, body bytes) of one JSON request to edged; an HTTP error is an answer too."""
        data = json.dumps(body).encode() if body is not None else None
        h = {"Content-Type": "application/json", **(headers or {})}
        req = urllib.request.Request(f"http://127.0.0.1:{self.listen_port}{path}", data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def start(self):
        self.log = open(os.path.join(self.cwd, "up.log"), "w+")
        self.up = subprocess.Popen([f"{self.bin}/droidgate", "up", "--config", self.config_path], cwd=self.cwd,
                                   stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def up_text(self):
        if not self.log:
            return ""
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def stop(self):
        """SIGTERM to `droidgate up` (which stops the daemons and the backend); SIGKILL to its group after 60 s."""
        if self.up and self.up.poll() is None:
            self.up.send_signal(signal.SIGTERM)
            try:
                self.up.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.up.pid, signal.SIGKILL)


class StandInBase(http.server.BaseHTTPRequestHandler):
    """The base of the provider stand-ins: HTTP/1.1 keep-alive, no access log, JSON replies."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, obj):
        self.send_body(status, "application/json", json.dumps(obj).encode())

    def send_body(self, status, ctype, data):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
