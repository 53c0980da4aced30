#!/usr/bin/env python3
"""droidgate benchmark, `factory` phase (issue 27): edged's Factory route against edged's backend
route and droid2api, all three in front of the same static Factory stand-in.

Started by bench/run when BENCH_PHASES names `factory` (bench/run installs the tools, builds edged
and authd, raises the fd limit and cleans up every pid recorded in $TMP/pids). Standard library
only; the process handling, wrk driver and CPU accounting are bench.py's. Everything listens and
connects on 127.0.0.1 only.

- The stand-in: one nginx worker (load core, SCHED_BATCH like bench.py's static backend) answering
  Factory's paths with fixed replies (an Anthropic Messages reply for /api/llm/a/v1/messages, a
  Responses reply for /api/llm/o/v1/responses, a chat completion for /api/llm/o/v1/chat/completions,
  {"input_tokens":…} for count_tokens) and, as the backend, /v1/chat/completions and /v1/messages
  with the matching client-format replies.
- edged: alone (`backend.supervised: false`, DROIDGATE_ROOT), one worker on the proxy core,
  `factory.baseURL` and `backend.port` both the stand-in; authd beside it (same config and root,
  FACTORY_API_KEY in its environment) so edged holds a cached token and never leaves its loop for
  a credential. The Factory route gets the model `claude-opus-4-6` (type anthropic); the backend
  route gets the same bodies with `claude-opus-4-5`, a name no Factory model has (same length).
- droid2api: its source from $DROID2API_DIR (default ~/.cache/droidgate-bench/droid2api), copied
  into the temp dir with a config.json pointing its endpoints at the stand-in, run with Debian's
  node packages (`node --preserve-symlinks`, a node_modules of links to /usr/share/nodejs and a
  two-line https-proxy-agent shim); FACTORY_API_KEY in its environment. Skipped with a notice
  when the source or node is missing.
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench as B  # noqa: E402  (bench.py: Procs, run_wrk, cpu_seconds, …)

LOOPBACK = B.LOOPBACK
log = B.log

FACTORY_MODEL = "claude-opus-4-6"   # a Factory model in edged's config and in droid2api's
BACKEND_MODEL = "claude-opus-4-5"   # not a Factory model: edged sends it to the backend (same length)
API_KEY = "fk-bench-0123456789abcdef0123456789abcdef"
SYSTEM_PROMPT = "You are Droid, an AI software engineering agent built by Factory.\n\n"
USER_AGENT = "factory-cli/0.84.0"
NODE_DIR = "/usr/share/nodejs"
NODE_PACKAGES = ("express", "node-fetch", "https-proxy-agent")

TARGETS = ("factory", "backend", "droid2api")
LABEL = {"factory": "edged Factory route", "backend": "edged backend route", "droid2api": "droid2api"}
# Body kinds: the client path, and what each kind exercises.
KINDS = {
    "chat": ("/v1/chat/completions", "chat completions → Anthropic Messages and back (translated)"),
    "messages": ("/v1/messages", "Anthropic Messages (pass-through)"),
}


# --------------------------------------------------------------------------- bodies and replies

def filler(n):
    return ("lorem ipsum dolor sit amet " * (n // 27 + 1))[:n]


def request_body(kind, model, size=1024):
    """A ~size-byte JSON body; only `model` differs between the routes (names of equal length)."""
    if kind == "chat":
        head = {"model": model, "max_tokens": 1024, "stream": False,
                "messages": [{"role": "system", "content": "Answer briefly."},
                             {"role": "user", "content": ""}]}
    else:
        head = {"model": model, "max_tokens": 1024, "stream": False, "system": "Answer briefly.",
                "messages": [{"role": "user", "content": ""}]}
    base = len(json.dumps(head, separators=(",", ":")))
    head["messages"][-1]["content"] = filler(max(0, size - base))
    return json.dumps(head, separators=(",", ":")).encode()


def replies(text_len=1024):
    """The stand-in's fixed answers, each ~1.3 KiB: the same text in each format."""
    text = filler(text_len)
    anthropic = {"id": "msg_01BenchStandInReply000000", "type": "message", "role": "assistant",
                 "model": FACTORY_MODEL, "content": [{"type": "text", "text": text}],
                 "stop_reason": "end_turn", "stop_sequence": None,
                 "usage": {"input_tokens": 271, "output_tokens": 180}}
    chat = {"id": "chatcmpl-BenchStandInReply00000", "object": "chat.completion", "created": 1767225600,
            "model": FACTORY_MODEL, "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                                 "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 271, "completion_tokens": 180, "total_tokens": 451}}
    responses = {"id": "resp_BenchStandInReply000000", "object": "response", "created_at": 1767225600,
                 "status": "completed", "model": "gpt-5",
                 "output": [{"type": "message", "id": "msg_BenchStandIn", "status": "completed", "role": "assistant",
                             "content": [{"type": "output_text", "text": text, "annotations": []}]}],
                 "usage": {"input_tokens": 271, "output_tokens": 180, "total_tokens": 451}}
    count = {"input_tokens": 271}
    return {k: json.dumps(v, separators=(",", ":")) for k, v in
            (("anthropic", anthropic), ("chat", chat), ("responses", responses), ("count", count))}


def standin_conf(tmp, port, answers, nofile, name="factory-standin"):
    """One nginx worker answering Factory's paths (and, as the backend, the client paths) with fixed
    JSON. Bodies are small (~1 KiB): `return` reads and drops them (bench.py's static backend)."""
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""

    def ret(body):
        assert "$" not in body
        return "default_type application/json; return 200 '" + body.replace("\\", "\\\\").replace("'", "\\'") + "';"

    locations = {
        "/api/llm/a/v1/messages": answers["anthropic"],
        "/api/llm/a/v1/messages/count_tokens": answers["count"],
        "/api/llm/o/v1/responses": answers["responses"],
        "/api/llm/o/v1/chat/completions": answers["chat"],
        "/v1/chat/completions": answers["chat"],      # the backend route
        "/v1/messages": answers["anthropic"],         # the backend route
    }
    locs = "\n".join(f"        location = {path} {{ {ret(body)} }}" for path, body in locations.items())
    conf = B.static_nginx_head(d, user, nofile) + f"""\
    server {{
        listen {LOOPBACK}:{port} backlog=4096;
        client_max_body_size 64m;
        client_body_buffer_size 64k;
        location = /healthz {{ default_type application/json; return 200 '{{"status":"ok"}}'; }}
{locs}
    }}
}}
"""
    path = os.path.join(d, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path, d


# --------------------------------------------------------------------------- edged + authd

def edged_conf(tmp, port, standin):
    root = os.path.join(tmp, "factory-edged-root")
    os.makedirs(root, mode=0o700, exist_ok=True)
    path = os.path.join(tmp, "factory-edged.json")
    conf = {"listen": f"{LOOPBACK}:{port}", "backend": {"port": standin, "supervised": False},
            "edged": {"workers": 1}, "log": {"level": "warning"},
            "limits": {"maxBodyBytes": 67108864, "maxConnections": 65536},
            "factory": {"baseURL": f"http://{LOOPBACK}:{standin}", "systemPrompt": SYSTEM_PROMPT,
                        "userAgent": USER_AGENT},
            "models": [{"id": FACTORY_MODEL, "upstream": "factory", "type": "anthropic", "provider": "anthropic",
                        "reasoning": "auto", "upstreamModel": FACTORY_MODEL}]}
    with open(path, "w") as f:
        json.dump(conf, f)
    os.chmod(path, 0o600)
    return path, root


def healthz(port):
    try:
        c = http.client.HTTPConnection(LOOPBACK, port, timeout=2)
        c.request("GET", "/healthz")
        r = c.getresponse()
        data = r.read()
        c.close()
        return json.loads(data) if r.status == 200 else None
    except (OSError, ValueError, http.client.HTTPException):
        return None


# --------------------------------------------------------------------------- droid2api

def droid2api_source():
    d = os.path.expanduser(os.environ.get("DROID2API_DIR") or "~/.cache/droidgate-bench/droid2api")
    return d, os.path.isfile(os.path.join(d, "server.js")) and os.path.isfile(os.path.join(d, "routes.js"))


def droid2api_setup(tmp, src, port, standin):
    """A copy of droid2api's source in the temp dir: its config.json pointing at the stand-in, and a
    node_modules of links to Debian's packages (/usr/share/nodejs, which this node does not search)
    plus a shim for https-proxy-agent (droid2api imports the named export HttpsProxyAgent, which
    Debian's version 5 does not have: its CommonJS module.exports is a function carrying it)."""
    d = os.path.join(tmp, "droid2api")
    shutil.copytree(src, d, ignore=shutil.ignore_patterns(".git", "node_modules"), symlinks=True)
    cfg = {
        "port": port,
        "model_redirects": {},
        "endpoint": [
            {"name": "openai", "base_url": f"http://{LOOPBACK}:{standin}/api/llm/o/v1/responses"},
            {"name": "anthropic", "base_url": f"http://{LOOPBACK}:{standin}/api/llm/a/v1/messages"},
            {"name": "google", "base_url": f"http://{LOOPBACK}:{standin}/api/llm/g/v1/generate"},
            {"name": "common", "base_url": f"http://{LOOPBACK}:{standin}/api/llm/o/v1/chat/completions"},
        ],
        "proxies": [],
        "models": [{"name": "Opus 4.6", "id": FACTORY_MODEL, "type": "anthropic", "reasoning": "auto",
                    "provider": "anthropic"}],
        "dev_mode": False,
        "user_agent": USER_AGENT,
        "system_prompt": SYSTEM_PROMPT,
    }
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    nm = os.path.join(d, "node_modules")
    os.makedirs(nm)
    for entry in os.listdir(NODE_DIR):
        if entry != "https-proxy-agent":
            os.symlink(os.path.join(NODE_DIR, entry), os.path.join(nm, entry))
    shim = os.path.join(nm, "https-proxy-agent")
    os.makedirs(shim)
    with open(os.path.join(shim, "package.json"), "w") as f:
        json.dump({"name": "https-proxy-agent", "type": "module", "main": "index.js"}, f)
    # Debian's package, linked inside the shim so that (with --preserve-symlinks) its own imports
    # (debug, agent-base) resolve through this node_modules too.
    os.symlink(os.path.join(NODE_DIR, "https-proxy-agent"), os.path.join(shim, "debian"))
    with open(os.path.join(shim, "index.js"), "w") as f:
        f.write("import createHttpsProxyAgent from './debian/dist/index.js';\n"
                "export const HttpsProxyAgent = createHttpsProxyAgent.HttpsProxyAgent;\n")
    return d


def droid2api_missing():
    """Why droid2api cannot run here (None: it can)."""
    src, ok = droid2api_source()
    if not ok:
        return f"no source at {src}; set DROID2API_DIR"
    if not shutil.which("node"):
        return "no `node` on PATH (apt-get install nodejs)"
    absent = [p for p in NODE_PACKAGES if not os.path.isdir(os.path.join(NODE_DIR, p))]
    if absent:
        return f"Debian's node packages missing in {NODE_DIR}: {', '.join(absent)}"
    return None


# --------------------------------------------------------------------------- checks

def post(port, path, body, headers=None, conn=None):
    c = conn or http.client.HTTPConnection(LOOPBACK, port, timeout=30)
    h = {"Content-Type": "application/json", **(headers or {})}
    c.request("POST", path, body=body, headers=h)
    r = c.getresponse()
    return c, r, r.read()


def shape(data):
    """What a reply looks like: chat completion, Anthropic message, or something else."""
    try:
        v = json.loads(data)
    except ValueError:
        return "not JSON"
    if isinstance(v, dict):
        if v.get("object") == "chat.completion" and v.get("choices"):
            return "chat.completion"
        if v.get("type") == "message" and isinstance(v.get("content"), list):
            return "Anthropic message"
        if "error" in v:
            return f"error {json.dumps(v)[:160]}"
    return f"other {data[:120]!r}"


def check(name, port, kind, body, headers):
    """Two POSTs on one keep-alive connection: 200, JSON, the connection kept. Returns the reply's shape."""
    path = KINDS[kind][0]
    c = None
    try:
        sock = None
        for i in range(2):
            c, r, data = post(port, path, body, headers, c)
            what = f"{name} {kind}: POST {path} ({len(body)} B, request {i + 1} on the connection)"
            if r.status != 200:
                raise SystemExit(f"{what}: status {r.status}: {data[:300]!r}")
            if r.will_close:
                raise SystemExit(f"{what}: the connection is not kept alive")
            if sock is not None and c.sock is not sock:
                raise SystemExit(f"{what}: the client had to reconnect")
            sock = c.sock
        return shape(data), len(data), r.getheader("Content-Type")
    except (OSError, http.client.HTTPException) as e:
        raise SystemExit(f"{name} {kind}: POST {path} failed: {e!r}")
    finally:
        if c:
            c.close()


# --------------------------------------------------------------------------- wrk

def wrk_script(tmp, name, path, body, headers):
    body_path = os.path.join(tmp, f"{name}.json")
    with open(body_path, "wb") as f:
        f.write(body)
    lua = B.WRK_LUA % {"body": body_path, "reply": 1024}
    extra = f'wrk.path = "{path}"\n' + "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items())
    lua = lua.replace('wrk.headers["x-fake-size"]', extra + 'wrk.headers["x-fake-size"]', 1)
    script = os.path.join(tmp, f"{name}.lua")
    with open(script, "w") as f:
        f.write(lua)
    return script


def fmt_ratio(x):
    return f"{x:.2f}×" if x == x else "n/a"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="directory with edged and authd")
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--repo", required=True)
    a = ap.parse_args()

    cfg = argparse.Namespace(
        duration=B.env_int("BENCH_DURATION", 2),
        repeat=max(1, B.env_int("BENCH_REPEAT", 5)),
        warmup=B.env_int("BENCH_WARMUP", 1),
        concs=[int(x) for x in os.environ.get("BENCH_FACTORY_CONCURRENCY", "1,16,64").split(",")],
        kinds=[k for k in os.environ.get("BENCH_FACTORY_KINDS", "chat,messages").split(",") if k],
        port_base=B.env_int("BENCH_PORT_BASE", 27310),
        load_sched=os.environ.get("BENCH_LOAD_SCHED", "batch"),
        profile=B.env_int("BENCH_FACTORY_PROFILE", 0),
        alloc=B.env_int("BENCH_FACTORY_ALLOC", 0),
    )
    bad = [k for k in cfg.kinds if k not in KINDS]
    if bad:
        raise SystemExit(f"unknown BENCH_FACTORY_KINDS {','.join(bad)} (known: {','.join(KINDS)})")
    if cfg.load_sched not in ("batch", "other"):
        raise SystemExit(f"unknown BENCH_LOAD_SCHED {cfg.load_sched} (known: batch, other)")
    B.LOAD_SCHED = cfg.load_sched
    ncpu = os.cpu_count() or 1
    cfg.load_cpus, cfg.proxy_cpus = ("0", "1") if ncpu >= 2 else (None, None)
    if cfg.load_cpus:
        os.sched_setaffinity(0, {0})
    import resource
    cfg.nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]

    tmp = a.tmp
    procs = B.PROCS = B.Procs(tmp)
    sp, ep, dp = B.pick_ports(cfg.port_base + 100, 3)
    facts = B.machine_facts(a.bin, a.repo)
    facts = [f for f in facts if f[0] not in ("haproxy",)]
    if os.environ.get("BENCH_COMMIT"):  # a build from an exported tree (no .git): say which commit
        facts = [("commit", os.environ["BENCH_COMMIT"]) if k == "commit" else (k, v) for k, v in facts]
    missing = droid2api_missing()
    targets = [t for t in TARGETS if t != "droid2api" or not missing]
    if missing:
        log(f"droid2api: skipped ({missing})")
    t0 = time.time()
    res = {}
    notes = {}
    try:
        answers = replies()
        conf, d = standin_conf(tmp, sp, answers, cfg.nofile)
        standin = procs.start("factory-standin", ["nginx", "-e", "stderr", "-p", d, "-c", conf],
                              cpus=cfg.load_cpus, load=True)
        B.wait_http(sp, proc=standin)
        kids = B.children(standin.pid)
        for k in kids:
            procs.record(k)
        standin_pid = kids[0] if kids else standin.pid
        log(f"Factory stand-in (nginx) on {sp}; edged on {ep}, droid2api on {dp}; proxies on cpu "
            f"{cfg.proxy_cpus}, stand-in/wrk on cpu {cfg.load_cpus}")

        econf, root = edged_conf(tmp, ep, sp)
        env = dict(os.environ, DROIDGATE_ROOT=root)
        env.pop("FACTORY_API_KEY", None)
        env.pop("DROID_REFRESH_KEY", None)
        authd = procs.start("factory-authd", [os.path.join(a.bin, "authd"), "--config", econf],
                            cpus=cfg.load_cpus, env=dict(env, FACTORY_API_KEY=API_KEY))
        counts = None
        if cfg.alloc:
            # BENCH_FACTORY_ALLOC=1: edged runs under bench/alloc's malloc_count shim (its atomic
            # counters add a little to every CPU figure of this run; the report says so).
            counts = os.path.join(tmp, "factory-edged.counts")
            env = dict(env, LD_PRELOAD=B.build_shim(tmp), MALLOC_COUNT_FILE=counts)
        edged = procs.start("factory-edged", [os.path.join(a.bin, "edged"), "--config", econf],
                            cpus=cfg.proxy_cpus, env=env)
        B.wait_http(ep, proc=edged)
        deadline = time.time() + 15
        while True:
            h = healthz(ep) or {}
            if (h.get("authd") or {}).get("connected") is True:
                break
            for p in (authd, edged):
                if p.poll() is not None:
                    raise SystemExit(f"{p.bench_name} exited with {p.returncode} (its stderr is shown below)")
            if time.time() > deadline:
                raise SystemExit(f"edged did not connect to authd within 15 s (healthz: {h})")
            time.sleep(0.1)
        live = [("factory-standin", standin), ("factory-authd", authd), ("factory-edged", edged)]
        ports = {"factory": ep, "backend": ep}
        pids = {"factory": edged.pid, "backend": edged.pid}

        if "droid2api" in targets:
            src, _ = droid2api_source()
            dd = droid2api_setup(tmp, src, dp, sp)
            # Its stdout gets five lines per request ([INFO]/[REQUEST]/[RESPONSE]) and it has no switch
            # for them: /dev/null, the cheapest place (edged runs at log.level warning, nginx without
            # access log). stderr is kept.
            argv = ["taskset", "-c", cfg.proxy_cpus] if cfg.proxy_cpus else []
            argv += ["node", "--preserve-symlinks", os.path.join(dd, "server.js")]
            err = open(os.path.join(tmp, "droid2api.err"), "wb")
            denv = dict(os.environ, FACTORY_API_KEY=API_KEY, NODE_ENV="production")
            denv.pop("DROID_REFRESH_KEY", None)
            d2 = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL,
                                  cwd=dd, env=denv, start_new_session=True)
            err.close()
            d2.bench_name = "droid2api"
            procs.procs.append(d2)
            procs.record(d2.pid)
            B.wait_http(dp, path="/v1/models", proc=d2, timeout=30)
            live.append(("droid2api", d2))
            ports["droid2api"] = dp
            pids["droid2api"] = d2.pid

        def check_alive():
            for name, p in live:
                if p.poll() is not None:
                    raise SystemExit(f"{name} exited with status {p.returncode} during the run")

        # Bodies, headers and scripts per (target, kind); the check: 200 + JSON, connection kept.
        scripts, bodies = {}, {}
        for kind in cfg.kinds:
            for t in targets:
                model = BACKEND_MODEL if t == "backend" else FACTORY_MODEL
                body = request_body(kind, model)
                headers = {"anthropic-version": "2023-06-01"} if kind == "messages" else {}
                bodies[(t, kind)] = len(body)
                got, size, ctype = None, 0, None
                for _ in range(50):  # the Factory route answers 503 until authd's token has arrived
                    try:
                        got, size, ctype = check(t, ports[t], kind, body, headers)
                        break
                    except SystemExit as e:
                        if t != "factory" or " 503" not in str(e):
                            raise
                        time.sleep(0.2)
                if got is None:
                    raise SystemExit(f"{t} {kind}: still 503 after 10 s (no Factory token from authd?)")
                notes[(t, kind)] = (got, size, ctype)
                log(f"check {LABEL[t]:20} {kind:8}: 200, {size} B {got} ({ctype})")
                scripts[(t, kind)] = wrk_script(tmp, f"factory-{t}-{kind}", KINDS[kind][0], body, headers)
        lens = {len(request_body(k, FACTORY_MODEL)) for k in cfg.kinds}

        authd_cpu0 = B.cpu_seconds(authd.pid)
        cells = [(kind, c) for kind in cfg.kinds for c in cfg.concs]
        for kind, c in cells:
            runs = {t: [] for t in targets}
            for rep in range(cfg.repeat):
                for t in targets:
                    check_alive()
                    if rep == 0 and cfg.warmup > 0:
                        B.run_wrk(scripts[(t, kind)], ports[t], c, cfg.warmup, cfg.load_cpus)
                    time.sleep(0.2)  # node's GC after its runs shares the core: let it settle
                    cpu0 = B.cpu_seconds(pids[t])
                    s0 = B.cpu_seconds(standin_pid)
                    r = B.run_wrk(scripts[(t, kind)], ports[t], c, cfg.duration, cfg.load_cpus)
                    cpu = B.cpu_seconds(pids[t]) - cpu0
                    n = max(r["requests"], 1)
                    r["cpu_us"] = cpu * 1e6 / n
                    r["cpu_pct"] = cpu * 1e8 / r["duration_us"]
                    r["standin_us"] = (B.cpu_seconds(standin_pid) - s0) * 1e6 / n
                    runs[t].append(r)
                    log(f"{kind:8} c{c:<3} {t:9} {r['rps']:8.0f} req/s  p50 {B.ms(r['p50'])} p99 {B.ms(r['p99'])} ms  "
                        f"cpu {r['cpu_us']:.1f} us/req ({r['cpu_pct']:.0f}%)  errors {r['errors']}")
            for t in targets:
                m = B.median_result(runs[t])
                m["cpu_all"] = [r["cpu_us"] for r in runs[t]]
                res[(kind, c, t)] = m
        authd_cpu = B.cpu_seconds(authd.pid) - authd_cpu0

        allocs = heap_calls(cfg, scripts, ports, counts, check_alive) if counts else None

        prof = None
        if cfg.profile:
            prof = profile_edged(cfg, tmp, scripts, ports, pids, check_alive)
        check_alive()
        rss = {t: B.proc_status(pids[t]) for t in targets}
    finally:
        procs.stop_all()

    facts.append(("load average at end", open("/proc/loadavg").read().split()[0]))
    if "droid2api" in targets:
        facts.insert(-2, ("node", B.tool_version(["node", "--version"])))
        src, _ = droid2api_source()
        facts.insert(-2, ("droid2api", droid2api_version(src)))
    report = render(cfg, res, targets, facts, notes, lens, missing, authd_cpu, rss, prof, allocs, time.time() - t0)
    print(report)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(report)
    log(f"wrote {a.out}")
    return 0


def droid2api_version(src):
    try:
        v = json.load(open(os.path.join(src, "package.json"))).get("version", "?")
    except (OSError, ValueError):
        v = "?"
    return f"{v} (package.json; source from {src})"


def heap_calls(cfg, scripts, ports, counts, check_alive):
    """BENCH_FACTORY_ALLOC=1: edged's heap allocations per request (malloc, calloc, aligned and
    realloc of nothing, as bench.py's alloc phase counts them) on each route and body, wrk c16 for
    BENCH_DURATION s, the shim's counters read around the run."""
    if B.read_counts(counts) is None:
        log("alloc: the shim was not loaded into edged (no counters)")
        return {}
    out = {}
    for kind in cfg.kinds:
        for t in ("factory", "backend"):
            check_alive()
            time.sleep(0.2)
            before = B.read_counts(counts)
            r = B.run_wrk(scripts[(t, kind)], ports[t], 16, cfg.duration, cfg.load_cpus)
            time.sleep(0.3)  # requests in flight when wrk stopped finish
            after = B.read_counts(counts)
            n = max(r["requests"], 1)
            out[(t, kind)] = sum(after[k] - before[k] for k in ("malloc", "calloc", "aligned", "realloc_new")) / n
            log(f"alloc {t} {kind}: {out[(t, kind)]:.1f} heap allocations per request ({r['requests']} requests)")
    return out


def profile_edged(cfg, tmp, scripts, ports, pids, check_alive):
    """BENCH_FACTORY_PROFILE=N: perf record -g on edged for N s under the Factory chat workload at
    c16 (and the backend route for comparison); the top symbols by self time."""
    out = {}
    demangle = B.demangler()
    pin = ["taskset", "-c", cfg.load_cpus] if cfg.load_cpus else []
    for t, kind in [("factory", k) for k in cfg.kinds] + [("backend", cfg.kinds[0])]:
        check_alive()
        data = os.path.join(tmp, f"perf-factory-{t}-{kind}.data")
        try:
            perf = B.attach(pin + ["perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "-g", "-p",
                                   str(pids[t]), "-o", data], "perf record")
            try:
                r = B.run_wrk(scripts[(t, kind)], ports[t], 16, cfg.profile, cfg.load_cpus)
            finally:
                err = B.detach(perf)
            if not os.path.exists(data):
                raise RuntimeError(f"perf record exited with {perf.returncode}: {err.strip()[-400:]}")
            out[(t, kind)] = {"rps": r["rps"], "symbols": B.perf_report(data, "dso,symbol", 0.5, demangle),
                              "dsos": B.perf_report(data, "dso", 0, None)}
            log(f"profile {t} {kind}: " + ", ".join(f"{pc:.1f}% {B.short_sym(s, 50)}"
                                                    for pc, _, _, _, s in out[(t, kind)]["symbols"][:5]))
            # Then the system calls per request, the same load under strace -c (slower: only counts matter).
            trace = os.path.join(tmp, f"strace-factory-{t}-{kind}.txt")
            st = B.attach(pin + ["strace", "-c", "-f", "-o", trace, "-p", str(pids[t])], "strace")
            try:
                r = B.run_wrk(scripts[(t, kind)], ports[t], 16, 2, cfg.load_cpus)
            finally:
                B.detach(st)
            n = max(r["requests"], 1)
            out[(t, kind)]["syscalls"] = sorted(((calls / n, errors / n, name) for name, (calls, errors)
                                                 in B.strace_counts(trace).items()), reverse=True)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            out[(t, kind)] = {"error": str(e)}
            log(f"profile {t} {kind}: perf failed: {e}")
    return out


def render(cfg, res, targets, facts, notes, lens, missing, authd_cpu, rss, prof, allocs, elapsed):
    L = ["# droidgate benchmark: the Factory route", ""]
    L.append(" · ".join(f"**{k}** {v}" for k, v in facts))
    L.append("")
    L.append(f"wrk -t1, {cfg.repeat} × {cfg.duration} s per cell after a {cfg.warmup} s warm-up, the three "
             f"targets interleaved; each figure is the median of the {cfg.repeat} runs. Request bodies "
             f"{'/'.join(str(x) for x in sorted(lens))} B of JSON, non-streamed; the Factory route and droid2api get model "
             f"`{FACTORY_MODEL}` (an Anthropic-type Factory model in both), the backend route the same body with "
             f"`{BACKEND_MODEL}` (no Factory model has that name, so edged forwards it to `backend.port`). "
             f"Upstream for all three: one static nginx (the *Factory stand-in*, one worker on cpu "
             f"{cfg.load_cpus} beside wrk, both SCHED_BATCH as in bench.py) over plain HTTP on loopback, "
             f"answering `/api/llm/a/v1/messages` (and, as the backend, `/v1/messages`) with a fixed "
             f"{len(replies()['anthropic'])} B Anthropic Messages reply and `/v1/chat/completions` with the "
             f"same text as a {len(replies()['chat'])} B chat completion. edged (`edged.workers` 1, "
             f"`log.level` warning) and droid2api (one node process) are pinned to cpu {cfg.proxy_cpus}; "
             f"authd (`FACTORY_API_KEY`) runs beside edged so the Factory route has a cached token. "
             f"**chat**: `POST /v1/chat/completions`, which edged translates to Anthropic Messages and "
             f"back; **messages**: `POST /v1/messages`, passed through (system prompt spliced in). "
             f"*CPU µs/req* = user + system CPU of the target process (edged: the one process serving both "
             f"of its routes; droid2api: node, all threads) per request, in brackets its busy share of one "
             f"core. Latencies in ms.")
    L.append("")
    if missing:
        L.append(f"**droid2api: skipped** ({missing}).")
        L.append("")
    # The summary table.
    hdr = ["body", "c"]
    for t in targets:
        hdr += [f"{LABEL[t]} req/s", "CPU µs/req", "p99"]
    hdr += ["CPU Factory / backend (≤ 2×)"]
    if "droid2api" in targets:
        hdr += ["req/s Factory / droid2api (≥ 5×)"]
    hdr += ["p99 Factory / backend (c16: ≤ 1.5×)"]
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "|".join(["---", "--:"] + ["--:"] * (len(hdr) - 2)) + "|")
    for kind in cfg.kinds:
        for c in cfg.concs:
            row = [kind, str(c)]
            for t in targets:
                r = res[(kind, c, t)]
                row += [f"{r['rps']:.0f}", f"{r['cpu_us']:.1f} ({r['cpu_pct']:.0f}%)", B.ms(r["p99"])]
            f, b = res[(kind, c, "factory")], res[(kind, c, "backend")]
            row.append(fmt_ratio(f["cpu_us"] / b["cpu_us"]) if b["cpu_us"] else "n/a")
            if "droid2api" in targets:
                d = res[(kind, c, "droid2api")]
                row.append(fmt_ratio(f["rps"] / d["rps"]) if d["rps"] else "n/a")
            row.append(fmt_ratio(f["p99"] / b["p99"]) if b["p99"] else "n/a")
            L.append("| " + " | ".join(row) + " |")
    L.append("")
    # Details.
    L.append("### Every target")
    L.append("")
    L.append("| body | c | target | req/s | p50 | p99 | p99.9 | errors | CPU µs/req | CPU µs/req per run | "
             "stand-in µs/req |")
    L.append("|---|--:|---|--:|--:|--:|--:|--:|--:|---|--:|")
    for kind in cfg.kinds:
        for c in cfg.concs:
            for t in targets:
                r = res[(kind, c, t)]
                L.append(f"| {kind} | {c} | {LABEL[t]} | {r['rps']:.0f} | {B.ms(r['p50'])} | {B.ms(r['p99'])} | "
                         f"{B.ms(r['p999'])} | {r['errors']} | {r['cpu_us']:.1f} ({r['cpu_pct']:.0f}%) | "
                         f"{', '.join(f'{x:.0f}' for x in r['cpu_all'])} | {r['standin_us']:.1f} |")
    L.append("")
    L.append("*errors* = wrk's connect, read, write and timeout errors plus responses ≥ 400, summed over the "
             "runs. *stand-in µs/req* = the stand-in nginx worker's CPU per request (on the load core). "
             f"authd used {authd_cpu * 1000:.0f} ms of CPU over the whole run (edged asked it for nothing: "
             "the token was cached).")
    L.append("")
    L.append("Replies as checked before the runs (second POST on one keep-alive connection):")
    L.append("")
    for kind in cfg.kinds:
        for t in targets:
            got, size, ctype = notes[(t, kind)]
            L.append(f"- {kind}, {LABEL[t]}: {size} B, `{ctype}`, {got}"
                     + (" — **untranslated**: droid2api answers a non-streamed `/v1/chat/completions` for "
                        "an Anthropic-type model with Factory's Anthropic reply as it came (routes.js, "
                        "handleChatCompletions: only openai and google replies are converted), so its chat "
                        "figures include no reply translation while edged's do" if t == "droid2api"
                        and kind == "chat" and got == "Anthropic message" else ""))
    L.append("")
    L.append("RSS at the end (KiB): " + ", ".join(f"{LABEL[t]} {rss[t].get('VmRSS', 0)} (peak {rss[t].get('VmHWM', 0)})"
                                             for t in targets if t != "backend") + ".")
    L.append("")

    # Targets.
    def mark(ok):
        return "**PASS**" if ok else "**FAIL**"

    L.append("## Targets")
    L.append("")
    items, ok = [], True
    for kind in cfg.kinds:
        for c in cfg.concs:
            f, b = res[(kind, c, "factory")], res[(kind, c, "backend")]
            x = f["cpu_us"] / b["cpu_us"] if b["cpu_us"] else float("inf")
            ok = ok and x <= 2.0
            items.append(f"{kind} c{c} {f['cpu_us']:.1f} / {b['cpu_us']:.1f} µs = {x:.2f}×")
    L.append(f"- Factory-route CPU per request ≤ 2× the backend route's on the same body: {mark(ok)} — "
             + ", ".join(items))
    if "droid2api" in targets:
        items, ok = [], True
        for kind in cfg.kinds:
            for c in cfg.concs:
                f, d = res[(kind, c, "factory")], res[(kind, c, "droid2api")]
                x = f["rps"] / d["rps"] if d["rps"] else float("inf")
                ok = ok and x >= 5.0
                items.append(f"{kind} c{c} {f['rps']:.0f} / {d['rps']:.0f} = {x:.2f}×")
        L.append(f"- Factory-route req/s ≥ 5× droid2api's at every concurrency: {mark(ok)} — " + ", ".join(items))
        # The same ratio for edged's backend route (a byte splice, no libcurl, no JSON): at c1
        # each request is one round trip through two loopback hops, and this says how far
        # above droid2api any route of edged's can be in this bench on this machine.
        items = []
        for kind in cfg.kinds:
            for c in cfg.concs:
                b, d = res[(kind, c, "backend")], res[(kind, c, "droid2api")]
                items.append(f"{kind} c{c} {b['rps'] / d['rps']:.2f}×" if d["rps"] else f"{kind} c{c} n/a")
        L.append("- (informational) the backend route's req/s ÷ droid2api's, the same ratio for the route "
                 "without libcurl or JSON: " + ", ".join(items))
    else:
        L.append("- Factory-route req/s ≥ 5× droid2api's: not measured (droid2api skipped)")
    if 16 in cfg.concs:
        items, ok = [], True
        for kind in cfg.kinds:
            f, b = res[(kind, 16, "factory")], res[(kind, 16, "backend")]
            x = f["p99"] / b["p99"] if b["p99"] else float("inf")
            ok = ok and x <= 1.5
            items.append(f"{kind} {B.ms(f['p99'])} / {B.ms(b['p99'])} ms = {x:.2f}×")
        L.append(f"- Factory-route p99 at c16 ≤ 1.5× the backend route's: {mark(ok)} — " + ", ".join(items))
    errs = sum(r["errors"] for r in res.values())
    L.append(f"- No errors: {mark(errs == 0)} — " + ", ".join(
        f"{LABEL[t]} {sum(r['errors'] for (k, c, tt), r in res.items() if tt == t)}" for t in targets))
    L.append("")
    if allocs:
        L.append("## Heap allocations per request (BENCH_FACTORY_ALLOC=1)")
        L.append("")
        L.append("edged ran under `bench/alloc/malloc_count.c` for this whole run (every CPU figure above "
                 "includes the shim's counting); wrk c16 for "
                 f"{cfg.duration} s per row after the timed runs: malloc + calloc + aligned + realloc of nothing, "
                 "÷ requests.")
        L.append("")
        L.append("| body | edged Factory route | edged backend route |")
        L.append("|---|--:|--:|")
        for kind in cfg.kinds:
            L.append(f"| {kind} | {allocs[('factory', kind)]:.1f} | {allocs[('backend', kind)]:.1f} |")
        L.append("")
    if prof:
        L.append(f"## Where edged's time goes (perf record -e cpu-clock -F 999 -g, {cfg.profile} s at c16)")
        L.append("")
        for (t, kind), e in prof.items():
            if "error" in e:
                L.append(f"- {LABEL[t]}, {kind}: perf failed: {e['error']}")
                continue
            total = sum(row[1] for row in e["dsos"]) or 1
            L.append(f"**{LABEL[t]}, {kind}** ({e['rps']:.0f} req/s while sampled; {total} samples). By object: "
                     + ", ".join(f"{B.short_dso(dso)} {n * 100 / total:.0f}%" for _, n, dso, _, _ in e["dsos"][:6]))
            L.append("")
            if e.get("syscalls"):
                L.append("System calls per request (strace -c, c16): " + ", ".join(
                    f"{name} {calls:.2f}" + (f" ({errs:.2f} failed)" if errs >= 0.01 else "")
                    for calls, errs, name in e["syscalls"] if calls >= 0.01) + ".")
                L.append("")
            L.append("| self % | object | symbol |")
            L.append("|--:|---|---|")
            for pc, _, dso, k, sym in e["symbols"][:20]:
                L.append(f"| {pc:.1f} | {B.short_dso(dso, k)} | `{B.short_sym(sym, 90)}` |")
            L.append("")
    L.append(f"Benchmark wall time {elapsed:.0f} s (without the build).")
    return "\n".join(L) + "\n"


def on_term(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
