#!/usr/bin/env python3
"""The real-backend suite's OAuth part (suites/real-backend/run): what the real cli-proxy-api
does only for Claude accounts logged in by OAuth, seen through droidgate's whole stack.

argv: BIN_DIR CLI_PROXY_API WORK_DIR. Prints one line per case, the facts each case saw, and
ends with "oauth: N passed, M failed" (or "oauth: 0 passed, 0 failed, 1 skipped" after a line
"oauth: skipped (<reason>)" when it cannot run here). Python 3 standard library only, plus the
`unshare`, `mount` and `openssl` programs.

Why a namespace: an OAuth account (a `claude-*.json` file in the backend's auth-dir) has no
base-url; the backend sends it to https://api.anthropic.com itself
(internal/runtime/executor/claude_executor_execute.go, claude_executor_stream.go), and every
OAuth-only behaviour is gated on exactly that origin (helps/claude_upstream.go,
IsAnthropicUpstreamURL: https, api.anthropic.com, port 443). So this script runs itself again
inside `unshare --user --map-root-user --mount --net` and there:
  - brings up `lo` (the new network namespace has nothing else: no request leaves the machine);
  - bind-mounts over /etc/hosts a file naming api.anthropic.com (and the OAuth control plane's
    hosts) 127.0.0.1;
  - makes a test CA with openssl in WORK/oauth/tls (never committed) and a certificate for those
    names, and bind-mounts the system CA bundle plus that CA over /etc/ssl/certs/ca-certificates.crt:
    the backend dials Anthropic with uTLS (helps/utls_client.go, newClaudeCodeRoundTripper) and
    verifies with Go's system roots, which read that file. SSL_CERT_FILE cannot be used:
    supervisord starts the backend with a clean environment (PATH, HOME, LANG, TZ only;
    Sources/supervisord/BackendProcess.swift), and droidgate has no config key for it;
  - runs a recording TLS stand-in of Anthropic's Messages API on 127.0.0.1:443 (HTTP/1.1: the
    Claude round tripper offers ALPN http/1.1 only), then `droidgate up` with the real binary as
    backend.command, and puts an OAuth account file in the backend's auth dir.
The mounts and the network namespace vanish with the processes; nothing on the host changes.

The stand-in answers as Anthropic does (per the backend's own comment on
claudeThinkingDisplaySet, claude_executor_request.go): a request that turns thinking on gets a
thinking block, whose text is empty when `redact-thinking-2026-02-12` is among the betas.
"""
import http.server
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time

from suitekit import Stack, StandInBase, case, check, free_port, results, wait

PART = "oauth"
REDACT = "redact-thinking-2026-02-12"
# The names the backend may reach for an OAuth account: the Messages API and the OAuth control
# plane (internal/auth/claude/anthropic_auth.go: TokenURL/RefreshTokenURL on platform.claude.com,
# ProfileURL/RolesURL on api.anthropic.com, AuthURL on claude.ai; oauth_server.go:
# console.anthropic.com). A refresh is never due here: the token expires in 2099.
HOSTS = ["api.anthropic.com", "platform.claude.com", "console.anthropic.com", "claude.ai"]
# Go's crypto/x509 reads the first of these that exists (src/crypto/x509/root_linux.go).
GO_CA_FILES = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem",
               "/etc/pki/tls/cacert.pem", "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/cert.pem"]


def skipped(reason):
    print(f"{PART}: skipped ({reason})", flush=True)
    print(f"{PART}: 0 passed, 0 failed, 1 skipped", flush=True)
    sys.exit(0)


# =========================================================================== outside: re-run inside

def outside(argv):
    for prog in ("unshare", "mount", "openssl"):
        if not shutil.which(prog):
            skipped(f"no `{prog}` program on PATH")
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "--net", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        skipped("cannot make a private user+mount+network namespace: `unshare --user --map-root-user --mount --net` "
                f"exited {probe.returncode}: {(probe.stderr or probe.stdout).strip()}")
    p = subprocess.Popen(["unshare", "--user", "--map-root-user", "--mount", "--net",
                          sys.executable, os.path.abspath(__file__), "--inside", *argv],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    summary = None
    for line in p.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        if re.match(rf"^{PART}: \d+ passed, \d+ failed", line):
            summary = line
    rc = p.wait()
    if summary is None:
        print(f"{PART}: the run inside the namespace ended (exit {rc}) without a summary", flush=True)
        print(f"{PART}: 0 passed, 1 failed", flush=True)
        sys.exit(1)
    sys.exit(rc)


if len(sys.argv) < 2 or sys.argv[1] != "--inside":
    if len(sys.argv) != 4:
        print(f"usage: {sys.argv[0]} BIN_DIR CLI_PROXY_API WORK_DIR")
        print(f"{PART}: 0 passed, 1 failed")
        sys.exit(1)
    outside(sys.argv[1:])

# =========================================================================== inside the namespace

BIN, CPA, WORK = sys.argv[2], sys.argv[3], os.path.join(sys.argv[4], "oauth")
os.makedirs(WORK, mode=0o700, exist_ok=True)



def fact(label, value):
    print(f"    {label}: {value if isinstance(value, str) else json.dumps(value)}", flush=True)


def run(*cmd):
    p = subprocess.run(list(cmd), capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {(p.stderr or p.stdout).strip()[:400]}")
    return p.stdout


def loopback_up():
    # `ip link set lo up` without needing iproute2: SIOCGIFFLAGS / SIOCSIFFLAGS with IFF_UP.
    import fcntl
    import struct
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifr = struct.pack("16sh14x", b"lo", 0)
        flags = struct.unpack("16sh14x", fcntl.ioctl(s.fileno(), 0x8913, ifr))[1]
        fcntl.ioctl(s.fileno(), 0x8914, struct.pack("16sh14x", b"lo", flags | 0x1))


def prepare_namespace():
    """lo up, /etc/hosts and the CA bundle bind-mounted; returns the leaf cert and key paths."""
    if os.stat("/").st_uid != 0:
        # unshare by a non-root user: root's folders show as the overflow uid here, and
        # droidgate (rightly) refuses a dev root below folders of another user.
        skipped(f"in this user namespace / belongs to uid {os.stat('/').st_uid}, not root (run as root, as CI does)")
    loopback_up()
    tls = os.path.join(WORK, "tls")
    os.makedirs(tls, mode=0o700, exist_ok=True)
    ca_key, ca_crt = f"{tls}/ca.key", f"{tls}/ca.crt"
    key, csr, crt = f"{tls}/api.key", f"{tls}/api.csr", f"{tls}/api.crt"
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_crt, "-days", "2",
        "-subj", "/CN=droidgate oauth suite test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=api.anthropic.com")
    ext = f"{tls}/ext.cnf"
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\nsubjectAltName=" + ",".join(f"DNS:{h}" for h in HOSTS) + "\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
        "-days", "2", "-extfile", ext)
    target = next((p for p in GO_CA_FILES if os.path.isfile(p)), None)
    if target is None:
        skipped("no system CA bundle to extend (none of " + ", ".join(GO_CA_FILES) + " exists)")
    bundle = f"{tls}/bundle.pem"
    with open(bundle, "wb") as out:
        with open(target, "rb") as f:
            out.write(f.read().rstrip(b"\n") + b"\n")
        with open(ca_crt, "rb") as f:
            out.write(f.read())
    hosts = f"{WORK}/hosts"
    with open(hosts, "w") as f:
        f.write("127.0.0.1 localhost\n::1 localhost\n127.0.0.1 " + " ".join(HOSTS) + "\n")
    run("mount", "--bind", hosts, "/etc/hosts")
    run("mount", "--bind", bundle, target)
    check(socket.gethostbyname("api.anthropic.com") == "127.0.0.1", "api.anthropic.com does not resolve to 127.0.0.1")
    return crt, key, target


# --------------------------------------------------------------------------- Anthropic's stand-in

class Anthropic(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, crt, key):
        super().__init__(("127.0.0.1", 443), AnthropicHandler)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(crt, key)
        self.ctx.set_alpn_protocols(["http/1.1"])
        self.recorded = []
        self.lock = threading.Lock()

    def get_request(self):
        conn, addr = self.socket.accept()
        # The handshake runs in the handler's thread (setup), not in the accept loop.
        return self.ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False), addr

    def requests(self):
        with self.lock:
            return list(self.recorded)


def thinking_on(req):
    return isinstance(req.get("thinking"), dict) and req["thinking"].get("type") in ("enabled", "adaptive")


class AnthropicHandler(StandInBase):
    def setup(self):
        self.request.do_handshake()
        super().setup()

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        with self.server.lock:
            self.server.recorded.append({"method": self.command, "path": self.path,
                                         "headers": list(self.headers.items()), "body": body})
        if not self.path.startswith("/v1/messages"):
            return self.reply(404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}})
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            return self.reply(400, {"type": "error", "error": {"type": "invalid_request_error", "message": "bad json"}})
        # Anthropic honours the redaction beta over thinking.display (claudeThinkingDisplaySet's
        # comment): the thinking block comes back signed, with empty text.
        redacted = REDACT in betas_of(self.headers.items())
        thought = "" if redacted else "stand-in summarized thinking"
        model = req.get("model", "?")
        blocks = []
        if thinking_on(req):
            blocks.append({"type": "thinking", "thinking": thought, "signature": "c2lnbmF0dXJl"})
        blocks.append({"type": "text", "text": "hello from the stand-in"})
        if req.get("stream"):
            return self.stream(model, blocks)
        self.reply(200, {"id": "msg_stand_in", "type": "message", "role": "assistant", "model": model,
                         "content": blocks, "stop_reason": "end_turn", "stop_sequence": None,
                         "usage": {"input_tokens": 5, "output_tokens": 4}})

    do_GET = do_POST

    def stream(self, model, blocks):
        events = [("message_start", {"type": "message_start", "message": {
            "id": "msg_stand_in", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 5, "output_tokens": 1}}})]
        for i, b in enumerate(blocks):
            if b["type"] == "thinking":
                events += [("content_block_start", {"type": "content_block_start", "index": i,
                                                    "content_block": {"type": "thinking", "thinking": "", "signature": ""}})]
                if b["thinking"]:
                    events += [("content_block_delta", {"type": "content_block_delta", "index": i,
                                                        "delta": {"type": "thinking_delta", "thinking": b["thinking"]}})]
                events += [("content_block_delta", {"type": "content_block_delta", "index": i,
                                                    "delta": {"type": "signature_delta", "signature": b["signature"]}})]
            else:
                events += [("content_block_start", {"type": "content_block_start", "index": i,
                                                    "content_block": {"type": "text", "text": ""}}),
                           ("content_block_delta", {"type": "content_block_delta", "index": i,
                                                    "delta": {"type": "text_delta", "text": b["text"]}})]
            events += [("content_block_stop", {"type": "content_block_stop", "index": i})]
        events += [("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                      "usage": {"output_tokens": 4}}),
                   ("message_stop", {"type": "message_stop"})]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        for name, data in events:
            self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()
        self.close_connection = True


def betas_of(headers):
    return [b.strip() for k, v in headers if k.lower() == "anthropic-beta" for b in v.split(",") if b.strip()]


def header(r, name):
    return next((v for k, v in r["headers"] if k.lower() == name.lower()), None)


# The backend's OAuth beta list, ported from claudeCodeCLIBetas
# (internal/runtime/executor/claude_executor_request.go) with useOAuthBetas true, evaluated on
# the body the backend actually sent (it runs on bodyForUpstream). `requested` are the caller's
# betas (claudeRequestedBetas: header and body `betas`), which only switch capabilities on.
LEGACY_SYSTEM_REMINDER = {  # claudeLegacySystemReminderModels, claude_executor_cloaking.go
    "claude-3-5-haiku-20241022", "claude-3-5-haiku-latest", "claude-3-7-sonnet-20250219", "claude-3-7-sonnet-latest",
    "claude-haiku-4-5", "claude-haiku-4-5-20251001", "claude-opus-4", "claude-opus-4-20250514", "claude-opus-4-1",
    "claude-opus-4-1-20250805", "claude-opus-4-5", "claude-opus-4-5-20251101", "claude-opus-4-6", "claude-opus-4-7",
    "claude-sonnet-4", "claude-sonnet-4-20250514", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "claude-sonnet-4-6"}


def expected_oauth_betas(sent, requested=()):
    requested = set(requested)
    out = ["claude-code-20250219", "oauth-2025-04-20"]
    if "context-1m-2025-08-07" in requested:
        out.append("context-1m-2025-08-07")
    display = (sent.get("thinking") or {}).get("display") if isinstance(sent.get("thinking"), dict) else None
    redact = not (isinstance(display, str) and display.strip())          # claudeThinkingDisplaySet
    for b in ["interleaved-thinking-2025-05-14", REDACT, "thinking-token-count-2026-05-13",
              "context-management-2025-06-27", "prompt-caching-scope-2026-01-05"]:
        if b != REDACT or redact:
            out.append(b)
    model = str(sent.get("model", "")).strip().lower().rsplit("/", 1)[-1]
    if model not in LEGACY_SYSTEM_REMINDER:
        out.append("mid-conversation-system-2026-04-07")
    if isinstance(sent.get("tools"), list) and sent["tools"]:
        out.append("advanced-tool-use-2025-11-20")
    out.append("effort-2025-11-24")
    if "fallback-credit-2026-06-01" not in requested:
        out.append("fallback-credit-2026-06-01")
    for b in ["server-side-fallback-2026-06-01", "fallback-credit-2026-06-01", "structured-outputs-2025-12-15"]:
        if b in requested:
            out.append(b)
    if "fast-mode-2026-02-01" in requested or str(sent.get("speed", "")).strip().lower() == "fast":
        out.append("fast-mode-2026-02-01")
    out.append("extended-cache-ttl-2025-04-11")
    if isinstance(sent.get("diagnostics"), dict):
        out.append("cache-diagnosis-2026-04-07")
    return out


# --------------------------------------------------------------------------- setup

try:
    CRT, KEY, CA_TARGET = prepare_namespace()
    anthropic = Anthropic(CRT, KEY)
except SystemExit:
    raise
except Exception as e:
    print(f"  FAIL  namespace setup: {e}", flush=True)
    print(f"{PART}: 0 passed, 1 failed", flush=True)
    sys.exit(1)
threading.Thread(target=anthropic.serve_forever, daemon=True).start()

listen_port, backend_port = free_port(), free_port()
config_path = os.path.join(WORK, "droidgate.json")
stack = Stack(BIN, config_path, WORK, listen_port)
droidgate, status, http, up_text, stop_stack = stack.droidgate, stack.status, stack.http, stack.up_text, stack.stop
AUTH_DIR = os.path.join(WORK, ".droidgate", "state", "backend", "auth")   # BackendFiles.authDir under `up`
ACCESS_TOKEN = "sk-ant-oat01-droidgate-oauth-suite-not-a-real-token"     # isClaudeOAuthToken: contains "sk-ant-oat"
ACCOUNT_UUID = "5f0c2a34-8d4e-4b8a-9a53-2a5c1e0b7d11"


def write_config(thinking_display=None):
    cfg = {"listen": f"127.0.0.1:{listen_port}", "log": {"level": "info"},
           # The embedded catalog: offline anyway, and the same ids on every run.
           "backend": {"command": CPA, "port": backend_port, "stopTimeoutSeconds": 35, "localModel": True}}
    if thinking_display is not None:
        cfg["rewrites"] = {"thinkingDisplay": thinking_display}
    tmp = config_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(cfg, f)
    os.chmod(tmp, 0o600)
    os.replace(tmp, config_path)


def write_account():
    # The token file cli-proxy-api's Claude login writes (internal/auth/claude/token.go,
    # ClaudeTokenStorage): type "claude", access_token, refresh_token, expired (RFC 3339), email.
    # account_uuid is required for OAuth requests (helps/claude_credential_identity.go,
    # ApplyClaudeCredentialMetadata: "account UUID is empty" otherwise). expired in 2099: the
    # manager refreshes 4 h before expiry (sdk/auth/claude.go RefreshLead), so never here.
    acct = {"type": "claude", "access_token": ACCESS_TOKEN, "refresh_token": "sk-ant-ort01-not-a-real-refresh-token",
            "id_token": "", "last_refresh": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "expired": "2099-01-01T00:00:00Z", "email": "oauth-suite@example.com",
            "account_uuid": ACCOUNT_UUID, "organization_uuid": "0b7d2c1e-1111-4222-8333-944455556666",
            "organization_name": "droidgate oauth suite"}
    path = os.path.join(AUTH_DIR, "claude-oauth-suite@example.com.json")
    tmp = os.path.join(AUTH_DIR, ".claude-oauth-suite.tmp")
    with open(tmp, "w") as f:
        json.dump(acct, f)
    os.chmod(tmp, 0o600)
    os.rename(tmp, path)   # the auth dir is watched for Create/Rename of *.json (sdk/auth/filestore.go)


def messages(body, headers=None):
    """POST /v1/messages through edged; returns (status, response body, the one request
    Anthropic's stand-in got for it, and that request's body parsed)."""
    before = len(anthropic.requests())
    st, h, resp = http("POST", "/v1/messages", body, {"anthropic-version": "2023-06-01", **(headers or {})})
    got = [r for r in anthropic.requests()[before:] if r["path"].startswith("/v1/messages")]
    check(st == 200, f"{st} {resp[:400]!r}")
    check(len(got) == 1, f"the stand-in got {len(got)} Messages requests for one client request")
    return st, resp, got[0], json.loads(got[0]["body"])


def thinking_text(resp, stream):
    """The thinking text the client received (None: no thinking block at all)."""
    if not stream:
        blocks = [b for b in json.loads(resp).get("content", []) if b.get("type") == "thinking"]
        return blocks[0].get("thinking") if blocks else None
    seen, text = False, ""
    for line in resp.decode().splitlines():
        if not line.startswith("data: "):
            continue
        ev = json.loads(line[6:])
        if ev.get("type") == "content_block_start" and ev.get("content_block", {}).get("type") == "thinking":
            seen = True
        if ev.get("type") == "content_block_delta" and ev.get("delta", {}).get("type") == "thinking_delta":
            text += ev["delta"].get("thinking", "")
    return text if seen else None


def show(r, sent):
    fact("Anthropic-Beta", ",".join(betas_of(r["headers"])))
    fact("thinking", sent.get("thinking", "(absent)"))
    if "output_config" in sent:
        fact("output_config", sent["output_config"])
    fact("body keys", list(sent.keys()))


def edged_pid():
    return status()["edged"]["pid"]


def gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] in "ZX"
    except FileNotFoundError:
        return True


def reload_edged(thinking_display):
    """Config change + `droidgate reload edged`; returns once the old generation is gone, so
    every new connection meets the new one."""
    old = edged_pid()
    write_config(thinking_display)
    code, out = droidgate("reload", "edged")
    check(code == 0, f"droidgate reload edged: {out}")
    wait(lambda: (lambda p: p if p != old else None)(edged_pid()), 30, "a new edged generation")
    wait(lambda: gone(old), 40, f"the old edged generation (pid {old}) gone")


write_config()
stack.start()


print(f"{PART}: {CPA}, Anthropic's stand-in on https://api.anthropic.com (127.0.0.1:443 in a private namespace; "
      f"test CA added to {CA_TARGET})", flush=True)
CLAUDE5 = []
MODEL = "claude-sonnet-4-6"
THINK = {"type": "enabled", "budget_tokens": 1024}


def thinking_request(model=MODEL, stream=False, thinking=None, extra=None):
    body = {"model": model, "max_tokens": 2048, "stream": stream}
    if thinking is not False:
        body["thinking"] = thinking or dict(THINK)
    body["messages"] = [{"role": "user", "content": "hi"}]
    body.update(extra or {})
    return body


try:
    @case("start: the stack comes up with the real binary; the OAuth account file is loaded from the auth dir")
    def _():
        s = wait(lambda: (lambda v: v if v.get("supervisord", {}).get("backend", {}).get("state") == "ready"
                          and v.get("edged", {}).get("ipc", {}).get("supervisord", {}).get("connected") else None)(status()),
                 45, "backend ready and edged connected")
        pid = s["supervisord"]["backend"]["pid"]
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = [e.split(b"=", 1)[0].decode() for e in f.read().split(b"\0") if e]
        fact("backend environment (supervisord's, not droidgate up's)", ",".join(sorted(env)))
        check(os.path.isdir(AUTH_DIR), f"no auth dir at {AUTH_DIR}")
        write_account()
        global CLAUDE5
        ids = wait(lambda: (lambda l: l if "claude-opus-5" in l else None)(
            [m.get("id") for m in json.loads(http("GET", "/v1/models")[2]).get("data", [])]),
            30, "the OAuth account's Claude models in GET /v1/models")
        claude = [i for i in ids if str(i).startswith("claude-")]
        fact("Claude models for the OAuth account (embedded catalog)", ",".join(claude))
        CLAUDE5 = [i for i in claude if re.match(r"^claude-[a-z]+-5(-|$)", i)]
        fact("Claude 5 family", ",".join(CLAUDE5))
        check(MODEL in claude and CLAUDE5, f"{claude}")

    def case1(stream):
        st, resp, r, sent = messages(thinking_request(stream=stream))
        show(r, sent)
        check(r["path"] == "/v1/messages?beta=true", r["path"])   # claude_executor_execute.go: url
        check(header(r, "Authorization") == f"Bearer {ACCESS_TOKEN}" and header(r, "x-api-key") is None,
              f"credential headers: {header(r, 'Authorization')} / {header(r, 'x-api-key')}")
        check(sent["thinking"].get("display") == "summarized", f"thinking {sent['thinking']}")
        betas = betas_of(r["headers"])
        check(REDACT not in betas, f"{REDACT} reached Anthropic: {betas}")
        check(betas == expected_oauth_betas(sent), f"the backend's list {betas} is not claudeCodeCLIBetas' "
              f"{expected_oauth_betas(sent)}")
        got = thinking_text(resp, stream)
        fact("thinking text the client got", repr(got))
        check(got == "stand-in summarized thinking", f"the client got thinking {got!r}")
        if stream:
            order = [l[7:] for l in resp.decode().splitlines() if l.startswith("event: ")]
            check(order[:1] == ["message_start"] and order[-1:] == ["message_stop"], f"{order}")

    @case("1: thinking on, OAuth account: display \"summarized\" reaches Anthropic, no redact-thinking; the backend's own beta list")
    def _():
        case1(stream=False)

    @case("5: the same, streamed: display reaches Anthropic, no redact-thinking, the thinking text streams to the client")
    def _():
        case1(stream=True)

    @case("1, Claude 5 adaptive: {\"type\":\"adaptive\"} on claude-opus-5 gets the display too, no redact-thinking")
    def _():
        st, resp, r, sent = messages(thinking_request(model="claude-opus-5", thinking={"type": "adaptive"}))
        show(r, sent)
        check(sent["thinking"] == {"type": "adaptive", "display": "summarized"}, f"{sent['thinking']}")
        check(REDACT not in betas_of(r["headers"]), betas_of(r["headers"]))
        check(betas_of(r["headers"]) == expected_oauth_betas(sent), f"{betas_of(r['headers'])}")

    @case("2: with rewrites.thinkingDisplay \"\" (reload edged) the backend adds redact-thinking and thinking comes back empty")
    def _():
        reload_edged("")
        try:
            for stream in (False, True):
                st, resp, r, sent = messages(thinking_request(stream=stream))
                print(f"    -- stream={stream}", flush=True)
                show(r, sent)
                check("display" not in sent["thinking"], f"display reached Anthropic with the rule off: {sent['thinking']}")
                betas = betas_of(r["headers"])
                check(REDACT in betas, f"no {REDACT}: {betas}")
                check(betas == expected_oauth_betas(sent), f"{betas} vs {expected_oauth_betas(sent)}")
                got = thinking_text(resp, stream)
                fact("thinking text the client got", repr(got))
                check(got == "", f"the client got thinking {got!r}")
        finally:
            reload_edged(None)
        st, resp, r, sent = messages(thinking_request())
        check(sent["thinking"].get("display") == "summarized" and REDACT not in betas_of(r["headers"]),
              f"the rule back on: {sent['thinking']} {betas_of(r['headers'])}")

    @case("3a: a client's own Anthropic-Beta values (not Claude Code): rebuilt; only known capability betas survive")
    def _():
        client = ["my-own-beta-2026-01-01", "context-1m-2025-08-07", "structured-outputs-2025-12-15", REDACT,
                  "interleaved-thinking-2025-05-14", "oauth-2025-04-20"]
        st, resp, r, sent = messages(thinking_request(), {"anthropic-beta": ",".join(client)})
        fact("client sent", ",".join(client))
        show(r, sent)
        betas = betas_of(r["headers"])
        # On api.anthropic.com an unconfirmed caller's betas are dropped (applyClaudeHeaders...:
        # "On direct Anthropic an unconfirmed CLI-profile caller's own betas are dropped"); they
        # only switch on context-1m and the trailing ones (claudeCodeTrailingBetas).
        check("my-own-beta-2026-01-01" not in betas, f"the unknown beta survived: {betas}")
        check(REDACT not in betas, f"{REDACT}: {betas}")
        check(betas == expected_oauth_betas(sent, client), f"{betas} vs {expected_oauth_betas(sent, client)}")
        check(betas.index("context-1m-2025-08-07") == 2 and "structured-outputs-2025-12-15" in betas, f"{betas}")

    @case("3b: a Claude Code client (confirmed native): its Anthropic-Beta kept as sent, oauth + extended-cache-ttl added")
    def _():
        client = ["claude-code-20250219", "interleaved-thinking-2025-05-14", REDACT, "my-own-beta-2026-01-01",
                  "context-management-2025-06-27"]
        user_id = json.dumps({"device_id": "ab" * 32, "account_uuid": "", "session_id": "7c4b8a2e-3f1d-4e5a-9b6c-0d1e2f3a4b5c"})
        # helps/claude_client_detection.go DetectClaudeCodeRequest: X-App cli, a claude-cli/
        # User-Agent with the cli entrypoint, claude-code-20250219 among the betas, and a valid
        # metadata.user_id make a confirmed native client, whose betas pass through
        # (withClaudeOAuthCredentialBetas adds the credential's own two).
        st, resp, r, sent = messages(thinking_request(extra={"metadata": {"user_id": user_id}}),
                                     {"anthropic-beta": ",".join(client), "X-App": "cli",
                                      "User-Agent": "claude-cli/2.1.220 (external, cli)"})
        fact("client sent", ",".join(client))
        show(r, sent)
        betas = betas_of(r["headers"])
        # Claude Code sends redact-thinking while its thinking summaries are off; edged's
        # Anthropic-Beta rule drops it for a request with thinking on (rewrites.md rule 5), and the
        # backend, passing the header through, does not add it back.
        want = ["claude-code-20250219", "oauth-2025-04-20"] + [b for b in client[1:] if b != REDACT] + \
            ["extended-cache-ttl-2025-04-11"]
        check(betas == want, f"{betas} vs {want}")
        check(sent["thinking"].get("display") == "summarized", f"{sent['thinking']}")

    @case("4a: {\"type\":\"auto\"}: edged splices display (#26), the backend keeps it (auto, or adaptive with an effort) and adds no redact-thinking")
    def _():
        # Before #26 the display rule skipped "auto": the backend then passed {"type":"auto"} on
        # (internal/thinking/apply.go extractClaudeConfig: auto without output_config.effort is
        # no thinking config), or made it {"type":"adaptive"} with an effort (the Claude applier,
        # internal/thinking/provider/claude/apply.go) — and added redact-thinking either way, so
        # the thinking was hidden. With display present claudeThinkingDisplaySet drops redact.
        for model, extra, want_type in (("claude-opus-5", {}, "auto"), (MODEL, {}, "auto"),
                                        ("claude-opus-5", {"output_config": {"effort": "high"}}, "adaptive")):
            st, resp, r, sent = messages(thinking_request(model=model, thinking={"type": "auto"}, extra=extra))
            print(f"    -- {model}, thinking {{\"type\":\"auto\"}} {json.dumps(extra)}", flush=True)
            show(r, sent)
            check(sent.get("thinking") == {"type": want_type, "display": "summarized"}, f"thinking {sent.get('thinking')}")
            check(REDACT not in betas_of(r["headers"]), betas_of(r["headers"]))
            check(betas_of(r["headers"]) == expected_oauth_betas(sent), f"{betas_of(r['headers'])}")

    @case("4c: {\"type\":\"auto\"} that already carries the client's own display: kept as sent, no redact-thinking")
    def _():
        for extra in ({}, {"output_config": {"effort": "high"}}):
            st, resp, r, sent = messages(thinking_request(model="claude-opus-5", thinking={"type": "auto", "display": "summarized"},
                                                          extra=extra))
            print(f"    -- claude-opus-5, thinking {{\"type\":\"auto\",\"display\":\"summarized\"}} {json.dumps(extra)}", flush=True)
            show(r, sent)
            # edged adds nothing (the object has display); the backend keeps display through
            # ApplyThinking (the applier sets only type/budget; summary.go leaves display alone
            # for a type it does not treat as active) and claudeThinkingDisplaySet drops redact.
            want_type = "adaptive" if extra else "auto"
            check(sent.get("thinking") == {"type": want_type, "display": "summarized"}, f"thinking {sent.get('thinking')}")
            check(REDACT not in betas_of(r["headers"]), betas_of(r["headers"]))

    @case("4b: Claude 5 models with no thinking object: no thinking config added, redact-thinking added")
    def _():
        for model in CLAUDE5:
            st, resp, r, sent = messages(thinking_request(model=model, thinking=False))
            print(f"    -- {model}, no thinking", flush=True)
            show(r, sent)
            check("thinking" not in sent, f"the backend added thinking {sent.get('thinking')}")
            check("effort" not in sent.get("output_config", {}), f"the backend added output_config {sent.get('output_config')}")
            check(REDACT in betas_of(r["headers"]), betas_of(r["headers"]))
            check(betas_of(r["headers"]) == expected_oauth_betas(sent), f"{betas_of(r['headers'])}")
        others = sorted({r["path"] for r in anthropic.requests() if not r["path"].startswith("/v1/messages")})
        fact("other requests the backend made to the stand-in's hosts", others or "none")

    @case("stop: stopping `droidgate up` stops the real backend too")
    def _():
        pid = status()["supervisord"]["backend"]["pid"]
        stop_stack()
        check(stack.up.returncode == 0, f"droidgate up exited {stack.up.returncode}")
        wait(lambda: gone(pid), 40, f"backend pid {pid} gone")
finally:
    stop_stack()
    anthropic.shutdown()

passed = sum(1 for _, ok, _ in results if ok)
failed = len(results) - passed
if failed:
    print("---- droidgate up, last 60 lines ----")
    print("\n".join(up_text().splitlines()[-60:]))
print(f"{PART}: {passed} passed, {failed} failed", flush=True)
sys.exit(1 if failed else 0)
