#!/usr/bin/env python3
"""The fake's fidelity, measured (part of suites/real-backend): the same requests to
fake-cli-proxy-api and to the real cli-proxy-api, each started directly with the same
config.yaml (no droidgate in between), compared by status, media type and the shape of the
body (keys and JSON types, never values; an SSE body by its event names and each event's
data shape).

argv: BIN_DIR CLI_PROXY_API WORK_DIR. Prints one line per request and ends with
"fidelity: N passed, M failed". A difference fails unless it is listed in KNOWN below with
its reason; a listed difference that no longer shows up fails too (the list must stay true).
"""
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from suitekit import free_port

BIN, CPA, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
KEY = "fidelity-key"
MODEL = "claude-sonnet-4-5-20250929"

# Differences accepted today, each with its reason: request name -> what differs.
KNOWN = {
    "models list": "body: the real backend lists the models of its claude-api-key entry; the fake's models "
                   "come from account files in auth-dir only (it has no API-key providers), so its list is empty",
    "chat": "body: for a Claude account the real backend translates Anthropic's reply into a chat "
            "completion without the fields only OpenAI sends (logprobs, refusal, annotations, "
            "system_fingerprint) and with Anthropic's cache counts; the fake answers in OpenAI's own "
            "full shape, whatever the model (it has one reply plan, not one per provider)",
    "chat, streamed": "body: as for chat (the real chunks carry only the delta's own field)",
    "responses": "body: as for chat: the real backend's Responses object translated from Anthropic "
                 "leaves out instructions, metadata, tools and the other request echoes OpenAI sends",
    "responses, streamed": "body: as for responses, in each event's response object",
    "completions": "body: as for chat: both convert their chat completion into a text_completion the same way "
                   "(openai_handlers.go convertChatCompletionsResponseToCompletions copies a choice's logprobs and the "
                   "usage as they are), so the fake's carries OpenAI's logprobs: null and plain usage, the real one's "
                   "none and Anthropic's prompt_tokens_details",
    "completions, streamed": "body: as for chat, streamed: each fake chunk carries logprobs: null, and the usage the "
                             "real one's Anthropic translation puts in its finish chunk the fake's chat stream sends "
                             "only for stream_options.include_usage, which the completions conversion drops",
    "codex responses": "body: as for responses (the Codex CLI alias has the same handler)",
    "codex responses, streamed": "body: as for responses, streamed",
    "messages, unknown model": "status: the real backend answers 400 model_not_found for a model no account "
                               "serves; the fake answers every model with its reply plan (issue 26, known)",
    "chat, unknown model": "status: as above",
    "chat, no account": "status: as above (no provider account at all: the real one has no model to route to)",
}


USAGE = {"input_tokens": 3, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1}


class Anthropic(http.server.ThreadingHTTPServer):
    daemon_threads = True


class AnthropicHandler(http.server.BaseHTTPRequestHandler):
    """What the real backend's claude-api-key entry reaches: Anthropic's Messages API, in
    its documented shapes (usage with the cache counts, a ping after the first block start)."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        req = json.loads(self.rfile.read(n) or b"{}")
        if req.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            for name, data in [
                ("message_start", {"type": "message_start", "message": {"id": "m", "type": "message", "role": "assistant",
                                   "model": req.get("model"), "content": [], "stop_reason": None, "stop_sequence": None,
                                   "usage": USAGE}}),
                ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
                ("ping", {"type": "ping"}),
                ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "hi"}}),
                ("content_block_stop", {"type": "content_block_stop", "index": 0}),
                ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                   "usage": {"output_tokens": 1}}),
                ("message_stop", {"type": "message_stop"}),
            ]:
                self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            self.close_connection = True
            return
        body = json.dumps({"id": "m", "type": "message", "role": "assistant", "model": req.get("model"),
                           "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn", "stop_sequence": None,
                           "usage": USAGE}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def start(exe, port, with_account):
    d = os.path.join(WORK, f"fid-{os.path.basename(exe)}-{port}")
    os.makedirs(d + "/auth", exist_ok=True)
    lines = [f"host: 127.0.0.1", f"port: {port}", f"auth-dir: {d}/auth", f"api-keys: [\"{KEY}\"]"]
    if with_account:
        lines += ["claude-api-key:", f"  - api-key: sk-ant-fidelity", f"    base-url: http://127.0.0.1:{upstream.server_address[1]}"]
    with open(d + "/config.yaml", "w") as f:
        f.write("\n".join(lines) + "\n")
    p = subprocess.Popen([exe, "-config", d + "/config.yaml", "-local-model"], cwd=d,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return p
        except Exception:
            time.sleep(0.1)
    p.kill()
    raise RuntimeError(f"{exe} did not answer /healthz")


def send(port, method, path, body=None, key=KEY, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"Content-Type": "application/json", "anthropic-version": "2023-06-01"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def shape(v):
    """Keys and types, not values; a list by the shape of its first item."""
    if isinstance(v, dict):
        return {k: shape(x) for k, x in sorted(v.items())}
    if isinstance(v, list):
        return [shape(v[0])] if v else []
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if v is None:
        return "null"
    return "string"


def body_shape(ctype, body):
    if ctype.startswith("text/event-stream"):
        events = []
        for block in body.decode(errors="replace").split("\n\n"):
            name = next((l[7:] for l in block.splitlines() if l.startswith("event: ")), None)
            data = next((l[6:] for l in block.splitlines() if l.startswith("data: ")), None)
            if data is None:
                continue
            try:
                event = (name, shape(json.loads(data)))
            except ValueError:
                event = (name, data.strip())
            if not events or events[-1] != event:   # how many deltas is not a shape
                events.append(event)
        return events
    try:
        return shape(json.loads(body))
    except ValueError:
        return "non-JSON"


REQUESTS = [
    ("models list", True, "GET", "/v1/models", None, {}),
    ("messages", True, "POST", "/v1/messages", {"model": MODEL, "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}, {}),
    ("messages, streamed", True, "POST", "/v1/messages", {"model": MODEL, "max_tokens": 8, "stream": True,
                                                         "messages": [{"role": "user", "content": "hi"}]}, {}),
    ("chat", True, "POST", "/v1/chat/completions", {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}, {}),
    ("chat, streamed", True, "POST", "/v1/chat/completions", {"model": MODEL, "stream": True,
                                                              "messages": [{"role": "user", "content": "hi"}]}, {}),
    ("responses", True, "POST", "/v1/responses", {"model": MODEL, "input": "hi"}, {}),
    ("responses, streamed", True, "POST", "/v1/responses", {"model": MODEL, "input": "hi", "stream": True}, {}),
    ("completions", True, "POST", "/v1/completions", {"model": MODEL, "prompt": "hi", "max_tokens": 8}, {}),
    ("completions, streamed", True, "POST", "/v1/completions", {"model": MODEL, "prompt": "hi", "max_tokens": 8,
                                                                "stream": True}, {}),
    ("responses compact", True, "POST", "/v1/responses/compact", {"model": MODEL, "input": "hi"}, {}),
    ("responses compact, streamed", True, "POST", "/v1/responses/compact", {"model": MODEL, "input": "hi",
                                                                            "stream": True}, {}),
    ("codex responses", True, "POST", "/backend-api/codex/responses", {"model": MODEL, "input": "hi"}, {}),
    ("codex responses, streamed", True, "POST", "/backend-api/codex/responses", {"model": MODEL, "input": "hi",
                                                                                 "stream": True}, {}),
    ("codex responses compact", True, "POST", "/backend-api/codex/responses/compact", {"model": MODEL, "input": "hi"}, {}),
    ("codex responses, missing key", True, "POST", "/backend-api/codex/responses", {"model": MODEL, "input": "hi"},
     {"key": None}),
    ("codex responses, plain GET", True, "GET", "/backend-api/codex/responses", None, {}),
    ("codex alpha search", True, "POST", "/backend-api/codex/alpha/search", {"model": MODEL, "query": "hi"}, {}),
    ("alpha search", True, "POST", "/v1/alpha/search", {"model": MODEL, "query": "hi"}, {}),
    ("interactions", True, "POST", "/v1beta/interactions", {"model": MODEL, "input": "hi"}, {}),
    ("interactions, streamed", True, "POST", "/v1beta/interactions", {"model": MODEL, "input": "hi", "stream": True}, {}),
    ("interactions, no model", True, "POST", "/v1beta/interactions", {"input": "hi"}, {}),
    ("messages, unknown model", True, "POST", "/v1/messages", {"model": "no-such-model-q", "max_tokens": 8,
                                                              "messages": [{"role": "user", "content": "hi"}]}, {}),
    ("chat, unknown model", True, "POST", "/v1/chat/completions", {"model": "no-such-model-q",
                                                                  "messages": [{"role": "user", "content": "hi"}]}, {}),
    ("chat, no account", False, "POST", "/v1/chat/completions", {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}, {}),
    ("models list, missing key", True, "GET", "/v1/models", None, {"key": None}),
    ("models list, wrong key", True, "GET", "/v1/models", None, {"key": "not-the-key"}),
    ("messages, bad JSON", True, "POST", "/v1/messages", None, {"raw": b"{not json"}),
]

upstream = Anthropic(("127.0.0.1", 0), AnthropicHandler)
threading.Thread(target=upstream.serve_forever, daemon=True).start()
procs = []
passed = failed = 0
try:
    targets = {}
    for with_account in (True, False):
        fport, rport = free_port(), free_port()
        fake = start(f"{BIN}/fake-cli-proxy-api", fport, with_account)
        real = start(CPA, rport, with_account)
        procs += [fake, real]
        targets[with_account] = (fport, rport)
    for name, with_account, method, path, body, opts in REQUESTS:
        fport, rport = targets[with_account]
        f = send(fport, method, path, body, **opts)
        r = send(rport, method, path, body, **opts)
        diffs = []
        if f[0] != r[0]:
            diffs.append(f"status fake {f[0]} real {r[0]}")
        if f[1].split(";")[0].strip() != r[1].split(";")[0].strip():
            diffs.append(f"type fake {f[1]!r} real {r[1]!r}")
        fs, rs = body_shape(f[1], f[2]), body_shape(r[1], r[2])
        if not diffs and fs != rs:
            diffs.append(f"body shape fake {json.dumps(fs)[:300]} real {json.dumps(rs)[:300]}")
        known = KNOWN.get(name)
        if diffs and known:
            passed += 1
            print(f"  ok    {name}: known difference ({'; '.join(diffs)}): {known}")
        elif diffs:
            failed += 1
            print(f"  FAIL  {name}: {'; '.join(diffs)}")
        elif known:
            failed += 1
            print(f"  FAIL  {name}: listed as a known difference, but fake and real now agree: remove it from KNOWN")
        else:
            passed += 1
            print(f"  ok    {name}: same status {r[0]}, type {r[1].split(';')[0]}, body shape")
finally:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(40)
        except subprocess.TimeoutExpired:
            p.kill()
    upstream.shutdown()
print(f"fidelity: {passed} passed, {failed} failed", flush=True)
sys.exit(1 if failed else 0)
