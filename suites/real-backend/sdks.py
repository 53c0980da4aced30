#!/usr/bin/env python3
"""The real-backend suite's SDK part (suites/real-backend/run): the official `openai` and
`anthropic` Python SDKs talk to droidgate's whole stack (`droidgate up`), whose backend is the
real cli-proxy-api, which reaches three recording provider stand-ins started here:

  claude-api-key        -> the Claude stand-in   (Anthropic Messages API, plain and SSE)
  codex-api-key         -> the Codex stand-in    (OpenAI Responses API under base-url + /responses,
                                                  always SSE: the backend always streams upstream)
  openai-compatibility  -> the compat stand-in   (OpenAI Chat Completions, plain and SSE)

Each stand-in records exactly what the backend sent upstream (method, path, headers in order,
body bytes), so every case asserts on what reached the provider after droidgate's rewrites AND
the backend's own changes, and on what the SDK got back.

    python3 suites/real-backend/sdks.py BIN_DIR CLI_PROXY_API WORK_DIR

(suites/real-backend/run passes these.) The SDKs run in a child process with the venv that
suites/clients/run makes (same place, same requirements.txt, same stamp; made here when absent),
one JSON request per line on its stdin, one JSON answer per line on its stdout. This file itself
is Python 3 standard library only. Prints one line per case and ends with
"sdks: N passed, M failed", or "sdks: 0 passed, 0 failed, 1 skipped" when the venv cannot be had.

Backend behaviour the cases rely on is cited from cli-proxy-api's source (v7.2.140, commit a7e3596).
"""
import base64
import fcntl
import hashlib
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

from suitekit import Stack, StandInBase, case, check, free_port, results, wait

BIN, CPA, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
HERE = os.path.dirname(os.path.abspath(__file__))
REQUIREMENTS = os.path.join(HERE, "..", "clients", "requirements.txt")
DIR = os.path.join(WORK, "sdks")

CLAUDE_MODEL = "claude-sonnet-4-6"        # the alias target; in v7.2.140's embedded catalog for Claude API keys
FAST_MODEL = "gpt-5.5"                    # codex-pro catalog (GetCodexProModels): what a codex-api-key entry
SLOW_MODEL = "gpt-5.4-mini"               # without `models` serves; FAST_MODEL goes in rewrites.fastModeModels
COMPAT_ALIAS, COMPAT_UPSTREAM = "standin-chat", "standin/upstream-chat-1"
CLAUDE_KEY, CODEX_KEY, COMPAT_KEY = "sk-ant-sdks-stand-in", "sk-codex-sdks-stand-in", "sk-compat-sdks-stand-in"
VISIBLE_BETA, CLIENT_BETA, REDACT_BETA, FAST_BETA = (
    "interleaved-thinking-2025-05-14", "my-own-beta-2026-01-01", "redact-thinking-2026-02-12", "fast-mode-2026-02-01")



def finish(passed, failed, skipped=0):
    tail = f", {skipped} skipped" if skipped else ""
    print(f"sdks: {passed} passed, {failed} failed{tail}", flush=True)
    sys.exit(1 if failed else 0)


# --------------------------------------------------------------------------- the SDK venv
# Exactly suites/clients/run's venv: $DROIDGATE_CLIENTS_VENV, else
# ${XDG_CACHE_HOME:-$HOME/.cache}/droidgate-clients-venv (suites/clients/.venv when no cache dir can
# be made), valid when its .droidgate-stamp is sha256(requirements.txt + the base python's
# sys.version + "\n"), built under flock("$venv.lock") with pip install -r requirements.txt.

def venv_dir():
    if os.environ.get("DROIDGATE_CLIENTS_VENV"):
        return os.environ["DROIDGATE_CLIENTS_VENV"]
    home, xdg = os.environ.get("HOME", ""), os.environ.get("XDG_CACHE_HOME", "")
    cache = xdg or f"{home}/.cache"
    try:
        if not (home or xdg):
            raise OSError("no HOME")
        os.makedirs(cache, exist_ok=True)
        if os.access(cache, os.W_OK):
            return os.path.join(cache, "droidgate-clients-venv")
    except OSError:
        pass
    return os.path.join(HERE, "..", "clients", ".venv")


def sdk_python():
    """The venv's python, made when absent or stale; None (and why) when it cannot be had."""
    base = os.environ.get("PYTHON", "python3")
    if not shutil.which(base):
        return None, f"no {base} on PATH"
    version = subprocess.run([base, "-c", "import sys; print(sys.version)"], capture_output=True).stdout
    with open(REQUIREMENTS, "rb") as f:
        stamp = hashlib.sha256(f.read() + version).hexdigest()
    venv = venv_dir()
    vpy = os.path.join(venv, "bin", "python")

    def valid():
        try:
            with open(os.path.join(venv, ".droidgate-stamp")) as f:
                ok = f.read().strip() == stamp
            return ok and subprocess.run([vpy, "-c", "import sys"], capture_output=True).returncode == 0
        except OSError:
            return False

    if valid():
        return vpy, None
    os.makedirs(os.path.dirname(venv), exist_ok=True)
    with open(venv + ".lock", "w") as lock:   # two runs at once must not build it over each other
        fcntl.flock(lock, fcntl.LOCK_EX)
        if valid():
            return vpy, None
        print(f"sdks: creating the SDK venv at {venv}", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        pip = [vpy, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        for step in ([base, "-m", "venv", venv], pip + ["--upgrade", "pip"], pip + ["-r", REQUIREMENTS]):
            p = subprocess.run(step, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if p.returncode != 0:
                return None, f"cannot build the venv at {venv}: {' '.join(step[:4])} failed: {p.stderr.strip()[-300:]}"
        with open(os.path.join(venv, ".droidgate-stamp"), "w") as f:
            f.write(stamp + "\n")
    return vpy, None


# --------------------------------------------------------------------------- the SDK child process
# Runs under the venv's python. Clients have max_retries=0: a failure shows at once, never hidden.

WORKER = r'''
import json, sys
import anthropic, openai

base = sys.argv[1]
a = anthropic.Anthropic(base_url=base, api_key="sk-client-key-not-checked", max_retries=0, timeout=60)
o = openai.OpenAI(base_url=base + "/v1", api_key="sk-client-key-not-checked", max_retries=0, timeout=60)


def anthropic_create(kw):
    return a.messages.create(**kw).model_dump(mode="json")


def anthropic_beta_create(kw):
    return a.beta.messages.create(**kw).model_dump(mode="json")


def anthropic_stream(kw):
    with a.messages.stream(**kw) as s:
        events = [e.type for e in s]
        final = s.get_final_message()
    return {"events": events, "message": final.model_dump(mode="json")}


def openai_responses(kw):
    if not kw.get("stream"):
        r = o.responses.create(**kw)
        return {"response": r.model_dump(mode="json"), "text": r.output_text}
    events, final = [], None
    for e in o.responses.create(**kw):
        events.append(e.type)
        if e.type == "response.completed":
            final = e.response
    return {"events": events, "response": final and final.model_dump(mode="json"), "text": final and final.output_text}


def openai_chat(kw):
    if not kw.get("stream"):
        c = o.chat.completions.create(**kw)
        return {"model": c.model, "text": c.choices[0].message.content, "finish": c.choices[0].finish_reason}
    chunks = list(o.chat.completions.create(**kw))
    return {"model": chunks[0].model if chunks else None, "chunks": len(chunks),
            "text": "".join(c.choices[0].delta.content or "" for c in chunks if c.choices),
            "finish": next((c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason), None)}


def openai_models(kw):
    return [m.model_dump(mode="json") for m in o.models.list()]


def anthropic_models(kw):
    return [m.model_dump(mode="json") for m in a.models.list()]


OPS = {f.__name__: f for f in (anthropic_create, anthropic_beta_create, anthropic_stream, openai_responses,
                               openai_chat, openai_models, anthropic_models)}
versions = {"openai": openai.__version__, "anthropic": anthropic.__version__}
print(json.dumps({"ready": versions}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    try:
        out = {"ok": True, "result": OPS[req["op"]](req.get("kwargs", {}))}
    except Exception as e:
        out = {"ok": False, "error": f"{type(e).__name__}: {e}", "status": getattr(e, "status_code", None)}
    print(json.dumps(out), flush=True)
'''


class SDK:
    def __init__(self, python, base_url):
        path = os.path.join(DIR, "sdk_worker.py")
        with open(path, "w") as f:
            f.write(WORKER)
        self.p = subprocess.Popen([python, path, base_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=open(os.path.join(DIR, "sdk_worker.err"), "w"), text=True, bufsize=1)
        first = self.p.stdout.readline()
        check(first, f"the SDK child did not start (see {DIR}/sdk_worker.err)")
        self.versions = json.loads(first)["ready"]

    def __call__(self, op, **kwargs):
        """The SDK call's result; an SDK exception is raised here as an AssertionError naming it."""
        self.p.stdin.write(json.dumps({"op": op, "kwargs": kwargs}) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        check(line, f"{op}: the SDK child exited (see {DIR}/sdk_worker.err)")
        out = json.loads(line)
        check(out["ok"], f"{op}: the SDK raised {out.get('error', '')[:400]}")
        return out["result"]

    def close(self):
        if self.p.poll() is None:
            self.p.stdin.close()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()


# --------------------------------------------------------------------------- the provider stand-ins

class StandIn(http.server.ThreadingHTTPServer):
    """One recording provider; `kind` picks the API it answers like."""
    daemon_threads = True

    def __init__(self, kind):
        super().__init__(("127.0.0.1", 0), StandInHandler)
        self.kind = kind
        self.recorded = []
        self.lock = threading.Lock()

    @property
    def base(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def mark(self):
        with self.lock:
            return len(self.recorded)

    def since(self, mark):
        with self.lock:
            return list(self.recorded[mark:])


class StandInHandler(StandInBase):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.recorded.append({"method": self.command, "path": self.path,
                                         "headers": list(self.headers.items()), "body": body})
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            req = {}
        kind, path = self.server.kind, self.path.split("?")[0]
        if kind == "claude" and path == "/v1/messages":
            return self.claude(req)
        if kind == "codex" and path == "/responses":
            return self.codex(req)
        if kind == "compat" and path == "/chat/completions":
            return self.compat(req)
        self.reply(404, {"error": {"type": "not_found_error", "message": f"{kind} stand-in: no {self.command} {path}"}})

    do_GET = do_POST

    def sse(self, events):
        """events: (name or None, object) pairs, then the connection closes (as the providers do)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        for name, data in events:
            line = data if isinstance(data, str) else json.dumps(data)
            self.wfile.write((f"event: {name}\n" if name else "").encode() + f"data: {line}\n\n".encode())
            self.wfile.flush()
        self.close_connection = True

    # Anthropic Messages API.
    def claude(self, req):
        model, text = req.get("model", "?"), "hello from the claude stand-in"
        usage = {"input_tokens": 5, "output_tokens": 4}
        if not req.get("stream"):
            return self.reply(200, {"id": "msg_stand_in", "type": "message", "role": "assistant", "model": model,
                                    "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                                    "stop_sequence": None, "usage": usage})
        self.sse([
            ("message_start", {"type": "message_start", "message": {
                "id": "msg_stand_in", "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 5, "output_tokens": 1}}}),
            ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text[:6]}}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text[6:]}}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                               "usage": {"output_tokens": 4}}),
            ("message_stop", {"type": "message_stop"}),
        ])

    # OpenAI Responses API as the Codex backend serves it: the backend always asks with
    # "stream": true and reads the SSE events up to response.completed, also for a client's
    # non-streamed call (internal/runtime/executor/codex_executor_execute.go: SetBoolIfDifferent
    # "stream" true; it scans `data:` lines for response.output_item.done / response.completed).
    def codex(self, req):
        model, text, now = req.get("model", "?"), "hello from the codex stand-in", int(time.time())
        msg = {"id": "msg_stand_in", "type": "message", "status": "completed", "role": "assistant",
               "content": [{"type": "output_text", "text": text, "annotations": []}]}
        resp = {"id": "resp_stand_in", "object": "response", "created_at": now, "status": "in_progress", "model": model,
                "output": [], "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
                "service_tier": req.get("service_tier", "default")}
        done = {**resp, "status": "completed", "output": [msg],
                "usage": {"input_tokens": 5, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 4,
                          "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 9}}
        part = {"type": "output_text", "text": "", "annotations": []}
        events = [
            {"type": "response.created", "response": resp},
            {"type": "response.in_progress", "response": resp},
            {"type": "response.output_item.added", "output_index": 0, "item": {**msg, "status": "in_progress", "content": []}},
            {"type": "response.content_part.added", "item_id": msg["id"], "output_index": 0, "content_index": 0, "part": part},
            {"type": "response.output_text.delta", "item_id": msg["id"], "output_index": 0, "content_index": 0, "delta": text[:6]},
            {"type": "response.output_text.delta", "item_id": msg["id"], "output_index": 0, "content_index": 0, "delta": text[6:]},
            {"type": "response.output_text.done", "item_id": msg["id"], "output_index": 0, "content_index": 0, "text": text},
            {"type": "response.content_part.done", "item_id": msg["id"], "output_index": 0, "content_index": 0,
             "part": {**part, "text": text}},
            {"type": "response.output_item.done", "output_index": 0, "item": msg},
            {"type": "response.completed", "response": done},
        ]
        self.sse([(e["type"], {**e, "sequence_number": i}) for i, e in enumerate(events)])

    # OpenAI Chat Completions (openai-compatibility: base-url + /chat/completions,
    # internal/runtime/executor/openai_compat_executor.go).
    def compat(self, req):
        model, text, now = req.get("model", "?"), "hello from the compat stand-in", int(time.time())
        usage = {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}
        if not req.get("stream"):
            return self.reply(200, {"id": "chatcmpl-stand-in", "object": "chat.completion", "created": now, "model": model,
                                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                                 "finish_reason": "stop"}], "usage": usage})
        chunk = {"id": "chatcmpl-stand-in", "object": "chat.completion.chunk", "created": now, "model": model}
        deltas = [{"role": "assistant", "content": ""}, {"content": text[:6]}, {"content": text[6:]}]
        events = [{**chunk, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
        events.append({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": usage})
        self.sse([(None, e) for e in events] + [(None, "[DONE]")])


def header_values(rec, name):
    return [v for k, v in rec["headers"] if k.lower() == name]


def betas(rec):
    """Every anthropic-beta value the provider got, in order, split on commas."""
    return [b.strip() for v in header_values(rec, "anthropic-beta") for b in v.split(",") if b.strip()]


def only(stand_in, mark, path):
    """The one request the stand-in got since `mark`, checked to be a POST to `path`."""
    got = stand_in.since(mark)
    check(len(got) == 1 and got[0]["method"] == "POST" and got[0]["path"].split("?")[0] == path,
          f"{stand_in.kind} stand-in got {[(r['method'], r['path']) for r in got]}, expected one POST {path}")
    return got[0], json.loads(got[0]["body"])


# --------------------------------------------------------------------------- the stack

claude, codex, compat = StandIn("claude"), StandIn("codex"), StandIn("compat")
listen_port, backend_port = free_port(), free_port()
config_path = os.path.join(DIR, "droidgate.json")
stack = Stack(BIN, config_path, DIR, listen_port)
droidgate, status, up_text, stop_stack = stack.droidgate, stack.status, stack.up_text, stack.stop

BACKEND_EXTRA = {   # rendered by supervisord into the backend's config.yaml (backend.extraConfig)
    "claude-api-key": [{"api-key": CLAUDE_KEY, "base-url": claude.base}],
    # No `models`: the entry serves the embedded codex-pro catalog (sdk/cliproxy/service_models.go,
    # registerModelsForAuth: registry.GetCodexProModels()), which has FAST_MODEL and SLOW_MODEL.
    "codex-api-key": [{"api-key": CODEX_KEY, "base-url": codex.base}],
    "openai-compatibility": [{"name": "standin", "base-url": compat.base,
                              "api-key-entries": [{"api-key": COMPAT_KEY}],
                              "models": [{"name": COMPAT_UPSTREAM, "alias": COMPAT_ALIAS}]}],
}
# What the second half of the run switches to with `droidgate reload edged`.
REWRITES_B = {"visibleThinkingBetas": [VISIBLE_BETA], "stripBetaPrefixes": ["fast-mode-"], "fastModeModels": [FAST_MODEL]}


def write_config(rewrites):
    cfg = {"listen": f"127.0.0.1:{listen_port}", "log": {"level": "info"}, "rewrites": rewrites,
           "backend": {"command": CPA, "port": backend_port, "stopTimeoutSeconds": 35, "extraConfig": BACKEND_EXTRA}}
    tmp = config_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(cfg, f, indent=1)
    os.chmod(tmp, 0o600)   # it holds the provider keys: droidgate refuses it world-readable
    os.replace(tmp, config_path)


def models_listed():
    with urllib.request.urlopen(f"http://127.0.0.1:{listen_port}/v1/models", timeout=10) as r:
        return {m.get("id") for m in json.load(r).get("data", [])}


def stack_ready():
    s = status()
    return (s.get("supervisord", {}).get("backend", {}).get("state") == "ready"
            and s.get("edged", {}).get("ipc", {}).get("supervisord", {}).get("connected")
            # the backend has read its config.yaml: each entry's models are listed
            and {CLAUDE_MODEL, FAST_MODEL, COMPAT_ALIAS} <= models_listed() and s)


def reload_edged(rewrites):
    """New `rewrites` in effect. edged reads them only at start, so `droidgate reload edged`
    starts a new generation on the same socket and the old one drains and exits: the new
    settings are what answers once the old edged process is gone."""
    old = status()["edged"]["pid"]
    write_config(rewrites)
    code, out = droidgate("reload", "edged")
    check(code == 0, f"droidgate reload edged: {out}")
    wait(lambda: not os.path.exists(f"/proc/{old}") and status()["edged"]["pid"] not in (None, old),
         30, f"a new edged generation answering, the old one (pid {old}) gone")


def start_stack():
    write_config({})   # droidgate's defaults: the model aliases, thinkingDisplay "summarized", nothing else
    stack.start()


# --------------------------------------------------------------------------- request helpers

THINKING = {"type": "enabled", "budget_tokens": 1024}
HI = [{"role": "user", "content": "hi"}]


def claude_call(sdk, stream, op=None, **kw):
    """One Anthropic SDK call (messages.create, or messages.stream to message_stop) through
    edged; checks the SDK got the stand-in's text; returns (the provider's request, its body)."""
    kw = {"model": CLAUDE_MODEL, "max_tokens": 2048, "messages": HI, **kw}
    mark = claude.mark()
    if stream:
        out = sdk("anthropic_stream", **kw)
        check(out["events"][-1:] == ["message_stop"], f"stream events {out['events']}")
        msg = out["message"]
    else:
        msg = sdk(op or "anthropic_create", **kw)
    # The backend calls base-url + /v1/messages?beta=true (internal/runtime/executor/claude_executor_execute.go).
    rec, body = only(claude, mark, "/v1/messages")
    text = "".join(b.get("text", "") for b in msg["content"] if b["type"] == "text")
    check(text == "hello from the claude stand-in", f"stream={stream}: the SDK got {msg['content']}")
    return rec, body


def responses_call(sdk, stream, **kw):
    """One openai SDK responses.create through edged; returns (the Codex stand-in's body, the SDK's response)."""
    mark = codex.mark()
    out = sdk("openai_responses", input="hi", stream=stream, **kw)
    if stream:
        check(out["events"][0] == "response.created" and out["events"][-1] == "response.completed",
              f"stream events {out['events']}")
    check(out["text"] == "hello from the codex stand-in", f"stream={stream}: the SDK got {out}")
    rec, body = only(codex, mark, "/responses")
    check(header_values(rec, "authorization") == [f"Bearer {CODEX_KEY}"], f"{header_values(rec, 'authorization')}")
    return body, out["response"]


def chat_call(sdk, stream, stand_in, path, model):
    """One openai SDK chat.completions.create through edged; returns (the provider's request, its body, the SDK's answer)."""
    mark = stand_in.mark()
    out = sdk("openai_chat", model=model, messages=[{"role": "user", "content": "hi from chat"}], stream=stream)
    rec, body = only(stand_in, mark, path)
    return rec, body, out


def claude_signature(model):
    """A thinking signature the backend accepts as Claude's own: the CAIS envelope it validates
    structurally (internal/signature/claude_validation.go; built like testClaudeCAISSignature in
    internal/signature/claude_test.go): field 1 = 2, field 2 = {1: {1: 16, 3: 2, 5: 64 bytes,
    6: model, 7: 1, 8: "thinking", 11: a uuid}}, field 3 = 1."""
    def varint(n):
        out = b""
        while n > 0x7f:
            out, n = out + bytes([n & 0x7f | 0x80]), n >> 7
        return out + bytes([n])

    def num(field, n):
        return varint(field << 3) + varint(n)

    def blob(field, b):
        return varint(field << 3 | 2) + varint(len(b)) + b

    channel = (num(1, 16) + num(3, 2) + blob(5, bytes(64)) + blob(6, model.encode()) + num(7, 1)
               + blob(8, b"thinking") + blob(11, b"d9743975-4bb0-4936-9e28-d5b0d21bdc48"))
    return base64.b64encode(num(1, 2) + blob(2, blob(1, channel)) + num(3, 1)).decode()


# --------------------------------------------------------------------------- the cases

def default_cases(sdk):
    """Under droidgate's default rewrites."""

    @case("alias: anthropic SDK, model ag-c46s-thinking reaches the provider as claude-sonnet-4-6 (create, stream)")
    def _():
        for stream in (False, True):
            rec, body = claude_call(sdk, stream, model="ag-c46s-thinking")
            check(body["model"] == CLAUDE_MODEL, f"stream={stream}: the provider got model {body['model']}")
            check(header_values(rec, "authorization") == [f"Bearer {CLAUDE_KEY}"],
                  f"stream={stream}: {header_values(rec, 'authorization')}")

    # The backend leaves `thinking` as it came for an API-key Claude entry: it adds no display
    # itself (it only reads thinking.display to decide on redact-thinking for OAuth accounts,
    # internal/runtime/executor/claude_executor_request.go, claudeThinkingDisplaySet). So a
    # display the provider sees came from edged. (Checked by hand: with rewrites.thinkingDisplay
    # "" the provider gets {"type":"enabled","budget_tokens":1024} and this case fails.)
    @case("thinking display: thinking without display reaches the provider with display summarized (create, stream)")
    def _():
        for stream in (False, True):
            rec, body = claude_call(sdk, stream, thinking=THINKING)
            check(body.get("thinking") == {**THINKING, "display": "summarized"}, f"stream={stream}: thinking {body.get('thinking')}")

    @case("thinking display: a client's own display is kept as sent (create, stream)")
    def _():
        for stream in (False, True):
            rec, body = claude_call(sdk, stream, thinking={**THINKING, "display": "omitted"})
            check(body.get("thinking") == {**THINKING, "display": "omitted"}, f"stream={stream}: thinking {body.get('thinking')}")

    # The backend drops, by itself, every thinking block whose signature is not a valid Claude
    # signature (internal/signature/claude_messages_sanitize.go, SanitizeClaudeMessagesForClaudeUpstream,
    # called from claude_executor.go): with a made-up "sig-1" both cases below would pass or fail
    # regardless of edged. So the history carries a signature the backend accepts (claude_signature),
    # which it forwards unchanged in any turn (checked by hand by sending the stale-turn body
    # straight to the backend's port: the thinking block reached the provider). What is removed
    # below is edged's doing.
    signature = claude_signature(CLAUDE_MODEL)
    thought = {"type": "thinking", "thinking": "an earlier thought", "signature": signature}

    @case("thinking sanitizer: an earlier assistant turn's signed thinking block is removed before the provider (create, stream)")
    def _():
        history = [{"role": "user", "content": "q1"},
                   {"role": "assistant", "content": [thought, {"type": "text", "text": "a1"}]},
                   {"role": "user", "content": "q2"}]
        for stream in (False, True):
            rec, body = claude_call(sdk, stream, thinking=THINKING, messages=history)
            turns = body["messages"]
            check(len(turns) == 3 and turns[1]["role"] == "assistant", f"stream={stream}: messages {turns}")
            check(turns[1]["content"] == [{"type": "text", "text": "a1"}], f"stream={stream}: the earlier turn reached the provider as {turns[1]['content']}")
            check(b'"type":"thinking"' not in rec["body"].replace(b" ", b""), f"stream={stream}: a thinking block reached the provider")

    @case("thinking sanitizer: the last assistant turn before a tool_result keeps its thinking block (create, stream)")
    def _():
        tools = [{"name": "get_weather", "description": "the weather in a city",
                  "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]
        history = [{"role": "user", "content": "weather in Paris?"},
                   {"role": "assistant", "content": [thought, {"type": "tool_use", "id": "toolu_1", "name": "get_weather",
                                                                "input": {"city": "Paris"}}]},
                   {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}]}]
        for stream in (False, True):
            rec, body = claude_call(sdk, stream, thinking=THINKING, messages=history, tools=tools)
            blocks = body["messages"][1]["content"]
            check(blocks[:1] == [thought] and [b["type"] for b in blocks] == ["thinking", "tool_use"],
                  f"stream={stream}: the live turn reached the provider as {blocks}")

    # An API-key Claude entry with a base-url other than api.anthropic.com forwards the caller's
    # Anthropic-Beta as sent, duplicates and redact-thinking included (config.example.yaml, above
    # claude-header-defaults: "Other Anthropic-compatible upstreams still forward caller betas
    # verbatim"; checked by hand straight at the backend's port). The lists below are edged's.
    @case("betas, default: with thinking on, only the client's own betas reach the provider, once each, no redact-thinking (create, stream)")
    def _():
        sent = f"{CLIENT_BETA},{REDACT_BETA}, {CLIENT_BETA}"
        for stream in (False, True):
            rec, _ = claude_call(sdk, stream, thinking=THINKING, extra_headers={"anthropic-beta": sent})
            check(betas(rec) == [CLIENT_BETA], f"stream={stream}: the provider got anthropic-beta {betas(rec)}")
        # The SDK's own way to ask for betas (client.beta.messages.create(betas=[...])).
        rec, _ = claude_call(sdk, False, op="anthropic_beta_create", thinking=THINKING, betas=[CLIENT_BETA, REDACT_BETA])
        check(betas(rec) == [CLIENT_BETA], f"betas=: the provider got anthropic-beta {betas(rec)}")

    @case("fast mode, default: no model gets a service_tier (responses.create, stream)")
    def _():
        for stream in (False, True):
            body, _ = responses_call(sdk, stream, model=FAST_MODEL)
            check("service_tier" not in body, f"stream={stream}: the provider got service_tier {body.get('service_tier')}")

    # openai-compatibility: base-url + /chat/completions with the entry's key as bearer and the
    # entry's upstream name as model (internal/runtime/executor/openai_compat_executor.go).
    @case("openai-compatibility: chat.completions with the entry's alias reaches the compat provider with its key and upstream name (create, stream)")
    def _():
        for stream in (False, True):
            rec, body, out = chat_call(sdk, stream, compat, "/chat/completions", COMPAT_ALIAS)
            check(header_values(rec, "authorization") == [f"Bearer {COMPAT_KEY}"], f"stream={stream}: {header_values(rec, 'authorization')}")
            check(body["model"] == COMPAT_UPSTREAM and body.get("stream", False) == stream, f"stream={stream}: {body}")
            check(body["messages"] == [{"role": "user", "content": "hi from chat"}], f"stream={stream}: {body['messages']}")
            check(out["text"] == "hello from the compat stand-in" and out["finish"] == "stop", f"stream={stream}: the SDK got {out}")

    # The backend translates chat completions for a Claude model to the Messages API
    # (internal/translator/claude/openai/chat-completions/claude_openai_request.go) and the answer
    # back; it asks the provider with "stream":true also for a non-streamed call (seen here), which
    # the stand-in answers with SSE as Anthropic does.
    @case("chat.completions with a Claude model: the backend's Messages API call reaches the Claude provider, the SDK gets the text (create, stream)")
    def _():
        for stream in (False, True):
            rec, body, out = chat_call(sdk, stream, claude, "/v1/messages", CLAUDE_MODEL)
            check(header_values(rec, "authorization") == [f"Bearer {CLAUDE_KEY}"], f"stream={stream}: {header_values(rec, 'authorization')}")
            check(body["model"] == CLAUDE_MODEL, f"stream={stream}: model {body['model']}")
            texts = [b.get("text") for m in body["messages"] for b in (m["content"] if isinstance(m["content"], list) else [{"text": m["content"]}])]
            check("hi from chat" in texts, f"stream={stream}: messages {body['messages']}")
            check(out["text"] == "hello from the claude stand-in" and out["model"] == CLAUDE_MODEL, f"stream={stream}: the SDK got {out}")

    # GET /v1/models: edged relays the backend's list, asked with the caller's Anthropic-Version;
    # the backend answers Anthropic's shape to a request carrying one (internal/api/server_routes.go,
    # isAnthropicModelsRequest), OpenAI's otherwise.
    @case("models: openai models.list() has the Codex, compat and Claude models; anthropic models.list() has Anthropic's shape")
    def _():
        listed = sdk("openai_models")
        ids = {m["id"] for m in listed}
        for want in (FAST_MODEL, SLOW_MODEL, COMPAT_ALIAS, CLAUDE_MODEL):
            check(want in ids, f"openai: {want} not in {sorted(ids)}")
        check(all(m.get("object") == "model" for m in listed), f"openai: {listed[:2]}")
        listed = sdk("anthropic_models")
        ids = {m["id"] for m in listed}
        check(CLAUDE_MODEL in ids, f"anthropic: {CLAUDE_MODEL} not in {sorted(ids)}")
        check(all(m.get("type") == "model" and m.get("display_name") and m.get("created_at") for m in listed),
              f"anthropic: not Anthropic's shape: {listed[:2]}")


def reloaded_cases(sdk):
    """Under REWRITES_B, after `droidgate reload edged`."""

    @case("betas, visibleThinkingBetas: the configured beta joins the client's, once each, no redact-thinking, fast-mode- stripped (create, stream)")
    def _():
        sent = f"{CLIENT_BETA},{VISIBLE_BETA},{REDACT_BETA},{FAST_BETA}"
        for stream in (False, True):
            rec, _ = claude_call(sdk, stream, thinking=THINKING, extra_headers={"anthropic-beta": sent})
            check(betas(rec) == [CLIENT_BETA, VISIBLE_BETA], f"stream={stream}: the provider got anthropic-beta {betas(rec)}")
            rec, _ = claude_call(sdk, stream, thinking=THINKING, extra_headers={"anthropic-beta": CLIENT_BETA})
            check(betas(rec) == [CLIENT_BETA, VISIBLE_BETA], f"stream={stream}: the provider got anthropic-beta {betas(rec)}")

    @case("betas, stripBetaPrefixes: a client's fast-mode-2026-02-01 is removed also without thinking (create, stream)")
    def _():
        for stream in (False, True):
            rec, _ = claude_call(sdk, stream, extra_headers={"anthropic-beta": f"{FAST_BETA},{CLIENT_BETA}"})
            check(betas(rec) == [CLIENT_BETA], f"stream={stream}: the provider got anthropic-beta {betas(rec)}")

    # The backend keeps a Responses request's service_tier only when it is "priority" and deletes
    # any other value (internal/translator/codex/openai/responses/codex_openai-responses_request.go,
    # ConvertOpenAIResponsesRequestToCodex), so "priority" is what reaches the provider.
    @case("fast mode: a fastModeModels model reaches the Codex provider with service_tier priority (responses.create, stream)")
    def _():
        for stream in (False, True):
            body, resp = responses_call(sdk, stream, model=FAST_MODEL)
            check(body.get("service_tier") == "priority", f"stream={stream}: the provider got service_tier {body.get('service_tier')}")
            check(body["model"] == FAST_MODEL, f"stream={stream}: model {body['model']}")
            check(resp["service_tier"] == "priority", f"stream={stream}: the SDK got service_tier {resp.get('service_tier')}")

    @case("fast mode: a model not in fastModeModels gets no service_tier (responses.create, stream)")
    def _():
        for stream in (False, True):
            body, _ = responses_call(sdk, stream, model=SLOW_MODEL)
            check("service_tier" not in body, f"stream={stream}: the provider got service_tier {body.get('service_tier')}")

    # A client's own tier wins over fast mode. The backend then deletes "flex" (see above), so a
    # kept "flex" shows as no service_tier at the provider; a "priority" there would be edged's.
    @case("fast mode: a client's own service_tier is kept, not replaced by priority (responses.create, stream)")
    def _():
        for stream in (False, True):
            body, _ = responses_call(sdk, stream, model=FAST_MODEL, service_tier="flex")
            check("service_tier" not in body, f"stream={stream}: the provider got service_tier {body.get('service_tier')}")
            body, _ = responses_call(sdk, stream, model=SLOW_MODEL, service_tier="priority")
            check(body.get("service_tier") == "priority", f"stream={stream}: the provider got service_tier {body.get('service_tier')}")


# --------------------------------------------------------------------------- the run

def on_sigterm(*_):
    raise SystemExit(143)   # unwinds through the finally below: the stack is stopped


python, why = sdk_python()
if python is None:
    print(f"sdks: skipped ({why})", flush=True)
    finish(0, 0, 1)

signal.signal(signal.SIGTERM, on_sigterm)
os.makedirs(DIR, exist_ok=True)
print(f"sdks: {CPA}", flush=True)
sdk = None
try:
    for s in (claude, codex, compat):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    start_stack()

    @case("start: the stack comes up with the real backend serving the Claude, Codex and compat entries")
    def _():
        s = wait(stack_ready, 45, "backend ready, edged connected, each entry's models listed")
        b = s["supervisord"]["backend"]
        check(os.path.realpath(b.get("command", "")) == os.path.realpath(CPA), f"backend command {b.get('command')}")

    if results[-1][1]:
        @case("sdk: the SDK child runs the versions pinned in suites/clients/requirements.txt")
        def _():
            global sdk
            sdk = SDK(python, f"http://127.0.0.1:{listen_port}")
            with open(REQUIREMENTS) as f:
                pins = dict(l.strip().split("==") for l in f if "==" in l and not l.startswith("#"))
            for name, version in sdk.versions.items():
                check(pins.get(name) == version, f"{name} {version}, pinned {pins.get(name)}")

    if sdk:
        print(f"sdks: openai {sdk.versions['openai']}, anthropic {sdk.versions['anthropic']}", flush=True)
        default_cases(sdk)

        @case("reload: new rewrites (visibleThinkingBetas, stripBetaPrefixes, fastModeModels) through `droidgate reload edged`")
        def _():
            reload_edged(REWRITES_B)

        if results[-1][1]:
            reloaded_cases(sdk)
finally:
    if sdk:
        sdk.close()
    stop_stack()
    for s in (claude, codex, compat):
        s.shutdown()

passed = sum(1 for _, ok, _ in results if ok)
failed = len(results) - passed
if failed:
    print("---- droidgate up, last 60 lines ----")
    print("\n".join(up_text().splitlines()[-60:]))
finish(passed, failed)
