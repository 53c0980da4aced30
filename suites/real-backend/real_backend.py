#!/usr/bin/env python3
"""The real-backend suite (suites/real-backend/run): droidgate's stack with the real
cli-proxy-api as backend.command and a recording stand-in of Anthropic's API behind it.

argv: BIN_DIR CLI_PROXY_API WORK_DIR. Prints one line per case and ends with
"real-backend: N passed, M failed". Python 3 standard library only.

The stand-in is what the backend's claude-api-key entry points at (`base-url`): it records
every request exactly as the backend sent it (method, path, headers in order, body) and
answers like Anthropic's Messages API, plain or streamed.
"""
import http.server
import json
import os
import subprocess
import sys
import threading
import time

from suitekit import Stack, StandInBase, case, check, free_port, results, wait
from websocket_client import WebSocket

BIN, CPA, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
MODEL = "claude-sonnet-4-5-20250929"   # in v7.2.140's embedded catalog for Claude API keys



# --------------------------------------------------------------------------- the provider stand-in

class Provider(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ProviderHandler)
        self.recorded = []
        self.lock = threading.Lock()

    def requests(self):
        with self.lock:
            return list(self.recorded)


class ProviderHandler(StandInBase):
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        with self.server.lock:
            self.server.recorded.append({"method": self.command, "path": self.path,
                                         "headers": list(self.headers.items()), "body": body})
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            req = {}
        if self.path.startswith("/v1beta/models/"):
            return self.gemini()
        if not self.path.startswith("/v1/messages"):
            return self.reply(404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}})
        model = req.get("model", "?")
        auth = self.headers.get("Authorization", "")
        if auth.endswith("quota-gone"):   # an account whose quota is used up: Anthropic's 429
            return self.reply(429, {"type": "error", "error": {"type": "rate_limit_error", "message": "quota exceeded"}})
        if req.get("stream"):
            # "slow" as the user's text (the backend turns a string content into a text block).
            slow = '"slow"' in json.dumps(req.get("messages", []))
            return self.stream(model, pause=0.5 if slow else 0, deltas=10 if slow else 2)
        self.reply(200, {"id": "msg_stand_in", "type": "message", "role": "assistant", "model": model,
                         "content": [{"type": "text", "text": "hello from the stand-in"}],
                         "stop_reason": "end_turn", "stop_sequence": None,
                         "usage": {"input_tokens": 5, "output_tokens": 4}})

    do_GET = do_POST

    def gemini(self):
        """Google's generateContent / streamGenerateContent?alt=sse, for the gemini-api-key entry."""
        reply = {"candidates": [{"content": {"role": "model", "parts": [{"text": "hello from gemini"}]}, "finishReason": "STOP", "index": 0}],
                 "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 3, "totalTokenCount": 6}}
        if ":streamGenerateContent" in self.path:
            data = f"data: {json.dumps(reply)}\r\n\r\n".encode()
            ctype = "text/event-stream"
        else:
            data, ctype = json.dumps(reply).encode(), "application/json"
        self.send_body(200, ctype, data)

    def stream(self, model, pause=0, deltas=2):
        texts = ["streamed ", "hello"] if deltas == 2 else [f"part{i} " for i in range(deltas)]
        events = [
            ("message_start", {"type": "message_start", "message": {
                "id": "msg_stand_in", "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 5, "output_tokens": 1}}}),
            ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ] + [("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}})
             for t in texts] + [
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                               "usage": {"output_tokens": 4}}),
            ("message_stop", {"type": "message_stop"}),
        ]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        for name, data in events:
            self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()
            if pause and name == "content_block_delta":
                time.sleep(pause)
        self.close_connection = True


# --------------------------------------------------------------------------- the stack

provider = Provider()
threading.Thread(target=provider.serve_forever, daemon=True).start()
listen_port, backend_port = free_port(), free_port()
config_path = os.path.join(WORK, "droidgate.json")
stack = Stack(BIN, config_path, WORK, listen_port)
droidgate, status, http, up_text, stop_stack = stack.droidgate, stack.status, stack.http, stack.up_text, stack.stop


def write_config(extra, factory_models=False):
    cfg = {"listen": f"127.0.0.1:{listen_port}", "log": {"level": "info"},
           "backend": {"command": CPA, "port": backend_port, "stopTimeoutSeconds": 35, "extraConfig": extra}}
    if factory_models:   # one Factory model: edged then answers /v1/models itself, merging both lists
        cfg["models"] = [{"id": "factory-claude-x", "upstream": "factory", "type": "anthropic"}]
    tmp = config_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(cfg, f)
    os.chmod(tmp, 0o600)   # it holds the provider key: droidgate refuses it world-readable
    os.replace(tmp, config_path)


def claude_key(key):
    return {"claude-api-key": [{"api-key": key, "base-url": f"http://127.0.0.1:{provider.server_address[1]}"}]}


def gemini_key(key):
    return {"gemini-api-key": [{"api-key": key, "base-url": f"http://127.0.0.1:{provider.server_address[1]}"}]}


def messages(stream=False, model=MODEL, session=None, content="hi"):
    headers = {"anthropic-version": "2023-06-01"}
    if session:   # what Claude Code sends per session; the backend's session affinity keys on it
        headers["X-Claude-Code-Session-Id"] = session
    return http("POST", "/v1/messages", {"model": model, "max_tokens": 16, "stream": stream,
                                          "messages": [{"role": "user", "content": content}]}, headers)


def bearer(r):
    return next((v for k, v in r["headers"] if k.lower() == "authorization"), None)


write_config({**claude_key("sk-ant-stand-in-1"), **gemini_key("gemini-stand-in-1")})
stack.start()


print(f"real-backend: {CPA}", flush=True)
backend_pid = None
try:
    @case("start: the stack comes up with the real binary and it answers its health check")
    def _():
        global backend_pid
        s = wait(lambda: (lambda v: v if v.get("supervisord", {}).get("backend", {}).get("state") == "ready"
                          and v.get("edged", {}).get("ipc", {}).get("supervisord", {}).get("connected") else None)(status()),
                 45, "backend ready and edged connected")
        b = s["supervisord"]["backend"]
        check(os.path.realpath(b.get("command", "")) == os.path.realpath(CPA), f"backend command {b.get('command')}")
        backend_pid = b["pid"]
        with open(f"/proc/{backend_pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
        check(argv[0].endswith(b"cli-proxy-api"), "the backend process is cli-proxy-api")
        # backend.localModel is off by default, as in cli-proxy-api (its catalog is refreshed
        # from the network; offline it keeps the embedded one, which the models case lists).
        check(b"-local-model" not in argv, f"started with {argv}")

    @case("doctor: the backend command is the real binary, its version read from -help")
    def _():
        code, out = droidgate("doctor", "--json", timeout=120)
        c = [x for x in json.loads(out) if x["check"] == "backend command"]
        check(c and c[0]["ok"] and "CLIProxyAPI v" in c[0]["detail"], f"{c}")

    @case("models: with a Claude API key, GET /v1/models lists the embedded catalog's Claude models")
    def _():
        st, _, body = http("GET", "/v1/models")
        ids = [m.get("id") for m in json.loads(body).get("data", [])]
        check(st == 200 and MODEL in ids, f"{st} {ids[:10]}")

    @case("messages: a request through edged reaches the provider with the backend's key, the answer comes back")
    def _():
        before = len(provider.requests())
        st, h, body = messages()
        check(st == 200, f"{st} {body[:300]}")
        check(json.loads(body)["content"][0]["text"] == "hello from the stand-in", body[:300])
        got = provider.requests()[before:]
        check(len(got) == 1 and got[0]["path"].startswith("/v1/messages"), f"{[(r['method'], r['path']) for r in got]}")
        check(bearer(got[0]) == "Bearer sk-ant-stand-in-1", f"provider saw {bearer(got[0])}")
        check(json.loads(got[0]["body"])["model"] == MODEL, got[0]["body"][:200])

    @case("messages, streamed: the provider's events reach the client in order, to message_stop")
    def _():
        st, h, body = messages(stream=True)
        text = body.decode()
        check(st == 200 and h.get("Content-Type", "").startswith("text/event-stream"), f"{st} {h}")
        order = [l[7:] for l in text.splitlines() if l.startswith("event: ")]
        check(order[0] == "message_start" and order[-1] == "message_stop", f"{order}")
        check("streamed " in text and "hello" in text, text[:400])

    @case("betas: with thinking on, only the client's own Anthropic-Beta values reach the provider (#26)")
    def _():
        before = len(provider.requests())
        st, _, body = http("POST", "/v1/messages", {"model": MODEL, "max_tokens": 2048,
                                                     "thinking": {"type": "enabled", "budget_tokens": 1024},
                                                     "messages": [{"role": "user", "content": "hi"}]},
                           {"anthropic-version": "2023-06-01", "anthropic-beta": "my-own-beta-2026-01-01"})
        check(st == 200, f"{st} {body[:200]}")
        got = provider.requests()[before:]
        check(got, "nothing reached the provider")
        sent = [v for k, v in got[-1]["headers"] if k.lower() == "anthropic-beta"]
        values = [b.strip() for v in sent for b in v.split(",") if b.strip()]
        # Before, edged appended eight (claude-code-…, oauth-…, fast-mode-…, …) and the real
        # backend forwarded them all. It may add its own; none of droidgate's may appear.
        for b in ["oauth-2025-04-20", "fast-mode-2026-02-01", "structured-outputs-2025-12-15", "token-efficient-tools-2026-03-28"]:
            check(b not in values, f"{b} reached the provider: {values}")
        check("my-own-beta-2026-01-01" in values, f"the client's own beta was lost: {values}")
        check(b'"display"' in got[-1]["body"], "the display splice reached the provider")

    @case("rewrites: the model alias and the display splice reach the provider through the real backend, plain and streamed")
    def _():
        for stream in (False, True):
            before = len(provider.requests())
            st, h, body = http("POST", "/v1/messages", {"model": "ag-c46s-thinking", "max_tokens": 2048, "stream": stream,
                                                         "thinking": {"type": "enabled", "budget_tokens": 1024},
                                                         "messages": [{"role": "user", "content": "hi"}]},
                               {"anthropic-version": "2023-06-01"})
            check(st == 200, f"stream={stream}: {st} {body[:200]}")
            got = provider.requests()[before:]
            check(got, f"stream={stream}: nothing reached the provider")
            sent = json.loads(got[-1]["body"])
            check(sent.get("model") == "claude-sonnet-4-6", f"stream={stream}: the provider got model {sent.get('model')}")
            check(sent.get("thinking", {}).get("display") == "summarized", f"stream={stream}: thinking {sent.get('thinking')}")

    @case("Gemini preview on the Responses API: /v1/responses keeps its path and the answer is a Responses object, plain and streamed (#26)")
    def _():
        # The retired Gemini path rule sent gemini-…-preview to /v1/chat/completions: the
        # client then got chat completions (or chat SSE) where it expects Responses events.
        # v7.2.140 serves the Responses API for a gemini-api-key model (it calls the
        # provider's generateContent; internal/runtime/executor/gemini_executor.go).
        for stream in (False, True):
            before = len(provider.requests())
            st, h, body = http("POST", "/v1/responses", {"model": "gemini-3-pro-preview", "input": "hi", "stream": stream})
            got = provider.requests()[before:]
            check(st == 200, f"stream={stream}: {st} {body[:300]}")
            check(got and (":generateContent" in got[-1]["path"] or ":streamGenerateContent" in got[-1]["path"]),
                  f"stream={stream}: the provider saw {[r['path'] for r in got]}")
            if stream:
                events = [l[7:] for l in body.decode().splitlines() if l.startswith("event: ")]
                check(events[:1] == ["response.created"] and "response.completed" in events, f"events {events}")
            else:
                reply = json.loads(body)
                check(reply.get("object") == "response" and "hello from gemini" in body.decode(), body[:300])

    @case("models with a Factory model: each caller gets the real backend's shape — Anthropic's, Codex's client list, OpenAI's (#26)")
    def _():
        write_config({**claude_key("sk-ant-stand-in-1"), **gemini_key("gemini-stand-in-1")}, factory_models=True)
        old = status()["edged"]["pid"]
        code, out = droidgate("reload", "edged")
        check(code == 0, out)
        wait(lambda: status()["edged"]["pid"] not in (None, old), 30, "a new edged generation")
        try:
            # Claude Code and the Anthropic SDK send Anthropic-Version: Anthropic's list shape.
            st, _, body = http("GET", "/v1/models", headers={"anthropic-version": "2023-06-01"})
            v = json.loads(body)
            ids = [m.get("id") for m in v.get("data", [])]
            check(st == 200 and "first_id" in v and "has_more" in v and all(m.get("type") == "model" for m in v["data"]),
                  f"not Anthropic's shape: {str(v)[:300]}")
            check("factory-claude-x" in ids and MODEL in ids, f"both lists: {ids[:8]}")
            # Codex asks with ?client_version: the backend's client list, relayed as it came.
            st, _, body = http("GET", "/v1/models?client_version=0.50.0", headers={"User-Agent": "codex_cli_rs/0.50.0"})
            check(st == 200 and isinstance(json.loads(body).get("models"), list), f"not Codex's client list: {body[:200]}")
            # Everyone else: OpenAI's shape.
            st, _, body = http("GET", "/v1/models")
            v = json.loads(body)
            check(v.get("object") == "list" and "factory-claude-x" in [m.get("id") for m in v.get("data", [])], str(v)[:300])
        finally:
            write_config({**claude_key("sk-ant-stand-in-1"), **gemini_key("gemini-stand-in-1")})
            old = status()["edged"]["pid"]
            droidgate("reload", "edged")
            wait(lambda: status()["edged"]["pid"] not in (None, old), 30, "edged back without Factory models")

    @case("unknown model: the real backend's 400 model_not_found reaches the client")
    def _():
        st, _, body = http("POST", "/v1/chat/completions", {"model": "no-such-model-x", "messages": [{"role": "user", "content": "hi"}]})
        err = json.loads(body).get("error", {})
        check(st == 400 and err.get("code") == "model_not_found", f"{st} {body[:300]}")

    def ws_turn(w, text):
        """One response.create on an open session: the provider is asked, the events come back."""
        before = len(provider.requests())
        w.send(json.dumps({"type": "response.create", "model": MODEL,
                           "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}]}))
        events = []
        while not events or events[-1] not in ("response.completed", "error", "response.failed"):
            op, data = w.recv()
            check(op == 1, f"a text message, not opcode {op}: {data[:200]!r}")
            events.append(json.loads(data).get("type"))
        got = provider.requests()[before:]
        check(events[-1] == "response.completed", f"events {events}")
        check(got and got[-1]["path"].startswith("/v1/messages") and text.encode() in got[-1]["body"],
              f"what reached the provider: {[(r['path'], r['body'][:120]) for r in got]}")
        return events

    @case("WebSocket: GET /v1/responses upgrades through edged; a response.create reaches the provider, its events come back (#26)")
    def _():
        # The real backend serves Codex's Responses WebSocket (sdk/api/handlers/openai/
        # openai_responses_websocket.go) and runs each response.create through the
        # account's executor (here the Claude key, translated to the Messages API).
        w = WebSocket("127.0.0.1", listen_port, "/v1/responses")
        try:
            check(w.accepted, f"no 101 with the right Sec-WebSocket-Accept: {w.head[:300]}")
            events = ws_turn(w, "first turn")
            check(events[0] == "response.created", f"{events}")
            ws_turn(w, "second turn on the same session")
        finally:
            w.close()

    @case("WebSocket: an open session survives `droidgate reload edged` (the tunnel is handed over)")
    def _():
        w = WebSocket("127.0.0.1", listen_port, "/v1/responses")
        try:
            check(w.accepted, w.head[:300])
            ws_turn(w, "before the reload")
            old = status()["edged"]["pid"]
            code, out = droidgate("reload", "edged")
            check(code == 0, out)
            wait(lambda: status()["edged"]["pid"] not in (None, old), 30, "a new edged generation")
            ws_turn(w, "after the reload")
        finally:
            w.close()

    @case("WebSocket: a web page's handshake (a foreign Origin) is refused before the backend sees it")
    def _():
        w = WebSocket("127.0.0.1", listen_port, "/v1/responses", headers={"Origin": "https://evil.example"})
        w.close()
        check(w.status == 403, f"a web page got {w.status}: {w.head[:200]}")

    def reconfigure(extra):
        write_config(extra)
        code, out = droidgate("reload", "supervisord")
        check(code == 0, out)

    def key_reaches_provider(key):
        def probe():
            before = len(provider.requests())
            st, _, _ = messages()
            got = provider.requests()[before:]
            return st == 200 and got and bearer(got[-1]) == f"Bearer {key}"
        wait(probe, 30, f"a request carrying {key} at the provider")

    @case("config: a new backend.extraConfig reaches the running backend through `droidgate reload supervisord`")
    def _():
        reconfigure(claude_key("sk-ant-stand-in-2"))
        key_reaches_provider("sk-ant-stand-in-2")
        check(status()["supervisord"]["backend"]["pid"] == backend_pid, "the backend was not restarted for it")

    @case("config: a second change after the first reaches it too")
    def _():
        reconfigure(claude_key("sk-ant-stand-in-3"))
        key_reaches_provider("sk-ant-stand-in-3")

    @case("restart with a stream in flight: the old backend drains it, the new one serves the next request")
    def _():
        global backend_pid
        result = {}
        def slow_stream():
            result["r"] = messages(stream=True, content="slow", session=f"drain-{os.getpid()}")
        t = threading.Thread(target=slow_stream)
        t.start()
        time.sleep(1.2)   # the stream is under way (10 deltas, 0.5 s apart)
        code, out = droidgate("backend", "restart")
        check(code == 0, out)
        t.join(60)
        st, h, body = result.get("r", (0, {}, b""))
        order = [l[7:] for l in body.decode().splitlines() if l.startswith("event: ")]
        check(st == 200 and order[-1:] == ["message_stop"] and "part9 " in body.decode(),
              f"the stream was cut: {st} {order[-3:]} {body[-600:]!r}")
        new_pid = wait(lambda: (lambda b: b["pid"] if b.get("state") == "ready" and b.get("pid") != backend_pid else None)(
            status()["supervisord"]["backend"]), 45, "a new backend ready")
        backend_pid = new_pid
        key_reaches_provider("sk-ant-stand-in-3")

    @case("cooling: an account out of quota is tried once, not before every request (#26)")
    def _():
        base = f"http://127.0.0.1:{provider.server_address[1]}"
        reconfigure({"claude-api-key": [{"api-key": "sk-ant-quota-gone", "base-url": base},
                                         {"api-key": "sk-ant-stand-in-4", "base-url": base}]})
        key_reaches_provider("sk-ant-stand-in-4")
        before = len(provider.requests())
        # Eight new sessions (Claude Code's session header): each is placed afresh.
        statuses = [messages(session=f"session-{os.getpid()}-{i}")[0] for i in range(8)]
        got = provider.requests()[before:]
        gone = [r for r in got if bearer(r) == "Bearer sk-ant-quota-gone"]
        check(statuses == [200] * 8, f"{statuses}")
        # With disable-cooling (droidgate before) round robin put about every second new
        # session on it first, which then paid a 429 before the retry on the other account.
        check(len(gone) <= 1, f"the exhausted account was tried {len(gone)} times in 8 new sessions")

    @case("models: with the key removed from extraConfig, the Claude models leave the list")
    def _():
        reconfigure({})
        wait(lambda: not [m for m in json.loads(http("GET", "/v1/models")[2]).get("data", [])
                          if str(m.get("id", "")).startswith("claude-")], 30, "no claude model listed")
        st, _, body = messages()
        check(st == 400 or st == 502 or st == 503, f"a Claude request without an account: {st} {body[:200]}")

    @case("log: backend lines keep their priority (a 400 is a warning) and the health probe's lines stay out")
    def _():
        time.sleep(7)   # two more health probes (every 3 s) after everything above
        text = up_text()
        lines = [l for l in text.splitlines() if l.startswith("supervisord") and "backend: " in l]
        probes = [l for l in lines if '"/healthz"' in l]
        check(not probes, f"{len(probes)} probe lines, e.g. {probes[:1]}")
        warned = [l for l in lines if "warning: backend: " in l and "400 |" in l and "/v1/chat/completions" in l]
        check(warned, "no warning-priority line for the backend's 400: " + " | ".join(lines[-5:]))
        check(not [l for l in lines if "info: backend: " in l and "[warn ]" in l], "a [warn ] line relayed at info")

    @case("login: the real Claude login's URL is relayed, wrong pastes refused, a right one handed on; no account, no success")
    def _():
        import re
        auth_dir = os.path.join(WORK, ".droidgate", "state", "backend", "auth")
        before = set(os.listdir(auth_dir)) if os.path.isdir(auth_dir) else set()
        p = subprocess.Popen([f"{BIN}/droidgate", "backend", "login", "claude", "--callback-port", str(free_port()),
                              "--config", config_path], cwd=WORK, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, bufsize=1)
        out = []
        def reader():
            for line in p.stdout:
                out.append(line)
        threading.Thread(target=reader, daemon=True).start()
        text = lambda: "".join(out)
        try:
            m = wait(lambda: re.search(r"[?&]state=([A-Za-z0-9_\-]+)", text()), 30, "the authorization URL")
            state = m.group(1)
            check("claude.ai" in text() or "anthropic.com" in text(), f"the real login's URL: {text()[:300]}")
            p.stdin.write("hello\n"); p.stdin.flush()
            wait(lambda: "not the callback address" in text(), 15, "a wrong line refused")
            p.stdin.write("http://localhost:54545/callback?code=abc&state=someoneelse\n"); p.stdin.flush()
            wait(lambda: "another sign-in attempt" in text(), 15, "a foreign state refused")
            check(p.poll() is None, "a wrong paste ended the login")
            p.stdin.write(f"http://localhost:54545/callback?code=offline-code&state={state}\n"); p.stdin.flush()
            # The real program reads the paste after its own 15 s wait, tries the token exchange
            # (no internet here: it fails), and exits 0 all the same.
            code = p.wait(90)
        finally:
            if p.poll() is None:
                p.kill()
        after = set(os.listdir(auth_dir)) if os.path.isdir(auth_dir) else set()
        check(after == before, f"an account file appeared: {after - before}")
        check(code != 0, f"droidgate called a login without an account file a success (exit {code}): {text()[-400:]}")
        check("Signed in" not in text(), text()[-400:])
        print("    " + "\n    ".join(text().strip().splitlines()[-3:]), flush=True)

    @case("stop: stopping `droidgate up` stops the real backend too")
    def _():
        stop_stack()
        check(stack.up.returncode == 0, f"droidgate up exited {stack.up.returncode}")
        wait(lambda: not os.path.exists(f"/proc/{backend_pid}") or open(f"/proc/{backend_pid}/stat").read().split(")")[-1].split()[0] in "ZX",
             40, f"backend pid {backend_pid} gone")
finally:
    stop_stack()
    provider.shutdown()

passed = sum(1 for _, ok, _ in results if ok)
failed = len(results) - passed
if failed:
    print("---- droidgate up, last 60 lines ----")
    print("\n".join(up_text().splitlines()[-60:]))
print(f"real-backend: {passed} passed, {failed} failed (the stack)", flush=True)
sys.exit(1 if failed else 0)
