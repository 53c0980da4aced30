#!/usr/bin/env python3
"""Steady request load against droidgate's edge, for tests/systemd/run.

  load.py run --stop F --ready F --kills F --out F [options]
  load.py report OUT TITLE [--kill-drops-allowed]

Runs inside the test container. `run`: worker threads send, one request per connection
(Connection: close) to the edge listener:
  plain   POST /v1/chat/completions, non-streaming; ok = 200 and a JSON body with choices;
  stream  POST /v1/chat/completions with "stream": true and x-fake-events /
          x-fake-event-delay-ms; complete = 200, the chunked body read to its end, exactly
          EVENTS content deltas, then "data: [DONE]".
until the file STOP (or stop-all beside it) exists. Workers then finish the request in hand; the summary is written
as JSON to OUT: counts per kind (sent, ok, failed, refused), the slowest request, and every
failure with its start and end time. A refused connection (ECONNREFUSED) is counted apart
from other failures. Failures are classified against KILLS, a file of epoch timestamps (one
per line) at which the driver sent SIGKILL to edged: a request that was in flight at such a
moment (started before it, failed within 10 s after it) is "dropped at an edged kill", not an
ordinary failure. Touches READY once the first requests have completed.

`report` prints one table of figures from OUT and exits 1 if an expectation failed: no
refused connection, no failed request, every stream complete; with --kill-drops-allowed
(a scenario that SIGKILLs edged) the requests dropped at a kill are listed apart and allowed.
"""
import argparse
import http.client
import json
import os
import socket
import threading
import time


def parse_args():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("report")
    r.add_argument("out")
    r.add_argument("title")
    r.add_argument("--kill-drops-allowed", action="store_true")
    g = sub.add_parser("run")
    g.add_argument("--host", default="127.0.0.1")
    g.add_argument("--port", type=int, default=8317)
    g.add_argument("--plain-workers", type=int, default=3)
    g.add_argument("--stream-workers", type=int, default=4)
    g.add_argument("--plain-pause-ms", type=int, default=10)
    g.add_argument("--events", type=int, default=20)
    g.add_argument("--event-delay-ms", type=int, default=25)
    g.add_argument("--timeout", type=float, default=90.0)
    g.add_argument("--stop", required=True)
    g.add_argument("--ready", required=True)
    g.add_argument("--kills", required=True)
    g.add_argument("--out", required=True)
    return p.parse_args()


ARGS = parse_args()
LOCK = threading.Lock()
STATS = {k: {"sent": 0, "ok": 0, "failed": 0, "refused": 0} for k in ("plain", "stream")}
FAILURES = []
SLOWEST = {"plain": 0.0, "stream": 0.0}

PLAIN_BODY = json.dumps({"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}]}).encode()
STREAM_BODY = json.dumps({"model": "gpt-5", "stream": True,
                          "messages": [{"role": "user", "content": "stream please"}]}).encode()


def check_stream(body):
    """None if the SSE body is complete, else what is wrong with it."""
    deltas = 0
    done = False
    for line in body.decode("utf-8", "replace").split("\n"):
        if not line.startswith("data: "):
            continue
        data = line[6:].strip()
        if data == "[DONE]":
            done = True
            continue
        if done:
            return "data after [DONE]"
        try:
            chunk = json.loads(data)
        except ValueError:
            return "an event that is not JSON"
        for choice in chunk.get("choices", []):
            if choice.get("delta", {}).get("content"):
                deltas += 1
    if not done:
        return "no [DONE] (%d of %d deltas)" % (deltas, ARGS.events)
    if deltas != ARGS.events:
        return "%d content deltas, expected %d" % (deltas, ARGS.events)
    return None


def one(kind):
    t0 = time.time()
    err = None
    refused = False
    conn = http.client.HTTPConnection(ARGS.host, ARGS.port, timeout=ARGS.timeout)
    try:
        try:
            conn.connect()
        except ConnectionRefusedError:
            refused = True
            err = "connection refused"
            return
        headers = {"Content-Type": "application/json", "Connection": "close"}
        if kind == "stream":
            headers["x-fake-events"] = str(ARGS.events)
            headers["x-fake-event-delay-ms"] = str(ARGS.event_delay_ms)
            conn.request("POST", "/v1/chat/completions", STREAM_BODY, headers)
        else:
            conn.request("POST", "/v1/chat/completions", PLAIN_BODY, headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            err = "HTTP %d: %s" % (resp.status, body[:200].decode("utf-8", "replace"))
        elif kind == "stream":
            err = check_stream(body)
        else:
            try:
                if not json.loads(body).get("choices"):
                    err = "200 without choices"
            except ValueError:
                err = "200 with a body that is not JSON"
    except ConnectionRefusedError:
        refused = True
        err = "connection refused"
    except (http.client.HTTPException, OSError) as e:
        err = "%s: %s" % (type(e).__name__, e)
    finally:
        conn.close()
        t1 = time.time()
        with LOCK:
            s = STATS[kind]
            s["sent"] += 1
            SLOWEST[kind] = max(SLOWEST[kind], t1 - t0)
            if err is None:
                s["ok"] += 1
            elif refused:
                s["refused"] += 1
            else:
                s["failed"] += 1
            if err is not None:
                FAILURES.append({"kind": kind, "start": t0, "end": t1, "refused": refused, "error": err})


def stopping():
    # STOP, or stop-all beside it (the driver's cleanup on an early exit).
    return os.path.exists(ARGS.stop) or os.path.exists(os.path.join(os.path.dirname(ARGS.stop), "stop-all"))


def worker(kind):
    while not stopping():
        one(kind)
        if kind == "plain" and ARGS.plain_pause_ms > 0:
            time.sleep(ARGS.plain_pause_ms / 1000.0)


def main():
    threads = [threading.Thread(target=worker, args=("plain",), daemon=True) for _ in range(ARGS.plain_workers)]
    threads += [threading.Thread(target=worker, args=("stream",), daemon=True) for _ in range(ARGS.stream_workers)]
    started = time.time()
    for t in threads:
        t.start()
    # Ready once both kinds have completed a request (the stack answers).
    while not stopping():
        with LOCK:
            ok = STATS["plain"]["ok"] > 0 and (ARGS.stream_workers == 0 or STATS["stream"]["ok"] > 0)
        if ok:
            break
        time.sleep(0.05)
    open(ARGS.ready, "w").close()
    for t in threads:
        t.join(ARGS.timeout + 30)
    stopped = time.time()

    kills = []
    if os.path.exists(ARGS.kills):
        with open(ARGS.kills) as f:
            kills = [float(x) for x in f.read().split()]
    dropped = {"plain": 0, "stream": 0}
    for f in FAILURES:
        # The kill time is noted around the `kill` command (host and container
        # clocks, process start-up): allow half a second either way.
        f["atKill"] = (not f["refused"]) and any(f["start"] < k + 0.5 and f["end"] >= k - 0.5 and f["end"] - k < 10 for k in kills)
        if f["atKill"]:
            dropped[f["kind"]] += 1
    summary = {
        "seconds": round(stopped - started, 1),
        "stats": STATS,
        "droppedAtKill": dropped,
        "slowestMs": {k: int(v * 1000) for k, v in SLOWEST.items()},
        "failures": FAILURES,
        "stillRunning": sum(1 for t in threads if t.is_alive()),
        "events": ARGS.events,
        "started": started,
    }
    with open(ARGS.out + ".tmp", "w") as f:
        json.dump(summary, f)
    os.rename(ARGS.out + ".tmp", ARGS.out)


def report():
    """One table per scenario; exit status 1 if an expectation failed."""
    with open(ARGS.out) as f:
        r = json.load(f)
    st, dropped = r["stats"], r["droppedAtKill"]
    allowed = ARGS.kill_drops_allowed
    problems = []
    print("  %-15s %7s %7s %7s %8s %16s %9s" % ("", "sent", "ok", "failed", "refused", "dropped-at-kill", "slowest"))
    for kind, label in (("plain", "plain requests"), ("stream", "SSE streams")):
        s = st[kind]
        d = dropped[kind] if allowed else 0
        print("  %-15s %7d %7d %7d %8d %16s %7dms" % (label, s["sent"], s["ok"], s["failed"] - d, s["refused"],
                                                  str(d) if allowed else "-", r["slowestMs"][kind]))
        if s["sent"] == 0:
            problems.append("no %s were sent" % label)
        if s["refused"]:
            problems.append("%d %s refused" % (s["refused"], label))
        if s["failed"] - d:
            problems.append("%d %s failed" % (s["failed"] - d, label))
    s = st["stream"]
    expected = s["sent"] - (dropped["stream"] if allowed else 0)
    print("  streams completed/expected: %d/%d (%d events each)%s" % (
        s["ok"], expected, r.get("events", 0),
        "; %d stream(s) in flight at an edged SIGKILL, counted apart" % dropped["stream"] if allowed else ""))
    if s["ok"] != expected:
        problems.append("streams completed %d of %d" % (s["ok"], expected))
    if r["stillRunning"]:
        problems.append("%d load worker(s) still stuck in a request at the end" % r["stillRunning"])
    shown = 0
    for f in r["failures"]:
        if allowed and f.get("atKill"):
            continue
        if shown == 8:
            print("    ... %d more" % (len(r["failures"]) - shown))
            break
        print("    %s request started at +%.2fs, failed after %.0fms: %s" % (f["kind"], f["start"] - r["started"],
                                                           (f["end"] - f["start"]) * 1000, f["error"]))
        shown += 1
    for p in problems:
        print("  FAIL %s: %s" % (ARGS.title, p))
    return 1 if problems else 0


if __name__ == "__main__":
    if ARGS.command == "report":
        raise SystemExit(report())
    main()
