#!/usr/bin/env python3
"""Load shaped like real clients against droidgate's edge, for suites/systemd/run.

  load.py run --stop F --ready F --kills F --out F [options]
  load.py report OUT --title T --reps N [--summary FILE] [--no-server-closes]
                     [--first-failure FILE]
  load.py summary FILE
  load.py backend-ready [--timeout S]

Runs inside the test container.

`run` starts client threads against the edge listener (127.0.0.1:8317), each sending
POST /v1/chat/completions until the file STOP (or stop-all beside it) exists, then finishing
the request in hand:
  keep-alive  (--keep-alive, default 8) an http.client.HTTPConnection kept open across
              requests, as every SDK's pool does, and never retrying: a request that fails on
              it (RemoteDisconnected, reset, timeout, a status other than 200, a body without
              choices) is a failure. The client opens a new connection only after the server
              answered with `Connection: close` (a "server close", not a failure) or after a
              failure. Odd-numbered ones think 0-30 ms between requests, so their connections
              sit idle in the pool as real ones do.
  streaming   (--streaming, default 4) keep-alive too, "stream": true with x-fake-events /
              x-fake-event-delay-ms; complete = 200, the body read to its end, exactly EVENTS
              content deltas, then "data: [DONE]". One that got a 200 head but not all of that
              is a cut stream.
  close       exactly one client sending `Connection: close` on every request (a new
              connection each time).
Every request ends as exactly one of: ok; refused (ECONNREFUSED at connect); hang (no
response head within --head-timeout, or a gap of more than --gap-timeout while its body
arrives: a cut stream must end at once, never hang); cut (a stream with a 200 head that did
not complete); failed (anything else); and, for cut and failed only, "counted apart" when a
process that held it was SIGKILLed. KILLS is a file the driver appends a line
"BEFORE AFTER TARGET" to for each SIGKILL it sends: the epoch time just before the signal and
the time the process was dead (TARGET: edged, authd, supervisord, backend). Only two targets
can drop a request, and only one that fails between BEFORE and 3 s after AFTER:
  edged    everything that lived in it: a request on a connection opened before AFTER (in
           flight, or idle in a pool and used next);
  backend  a request or stream in flight at its kill (started before AFTER);
the backend's restart itself must drop nothing more (edged holds new requests meanwhile).
authd and supervisord kills excuse nothing. READY is touched once every client kind has
completed a request. OUT gets a JSON summary: counts per client kind, and every request that
did not end ok, with its times, its connection's age and use, and the error.

`report` prints one table for a scenario (a row per client kind) and the failures (first
ones, with wall-clock times to match the journal), appends the scenario's totals to the
summary FILE, writes the epoch of the first failure not counted apart to --first-failure,
and exits 1 unless there were requests of every kind and 0 failed, 0 refused, 0 cut, 0 hangs
beyond those counted apart (--no-server-closes: and no server close on a keep-alive client,
for a reload that hands every connection to the new generation). `summary` prints the
summary FILE as one table, a row per scenario. `backend-ready` waits until edged's /healthz
reports the backend ready (exit 0) or the timeout passes (exit 1, prints the last state).
"""
import argparse
import http.client
import json
import os
import random
import socket
import threading
import time

KINDS = ("keepalive", "stream", "close")
LABELS = {"keepalive": "keep-alive", "stream": "streaming", "close": "Connection: close"}
OUTCOMES = ("ok", "failed", "refused", "cut", "hang", "apart")
# A kill is noted as the wall-clock times just before the signal and once the process was dead.
# A request counts apart if it was under way (edged: its connection open) before AFTER and
# failed between BEFORE and AFTER + KILL_LATE: a dropped request must fail at once.
KILL_LATE = 3.0


def parse_args():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("report")
    r.add_argument("out")
    r.add_argument("--title", required=True)
    r.add_argument("--reps", type=int, default=0)
    r.add_argument("--summary")
    r.add_argument("--first-failure")
    r.add_argument("--no-server-closes", action="store_true")
    r.add_argument("--show", type=int, default=10, help="failures listed")
    s = sub.add_parser("summary")
    s.add_argument("file")
    b = sub.add_parser("backend-ready")
    b.add_argument("--host", default="127.0.0.1")
    b.add_argument("--port", type=int, default=8317)
    b.add_argument("--timeout", type=float, default=30.0)
    g = sub.add_parser("run")
    g.add_argument("--host", default="127.0.0.1")
    g.add_argument("--port", type=int, default=8317)
    g.add_argument("--keep-alive", type=int, default=8)
    g.add_argument("--streaming", type=int, default=4)
    g.add_argument("--close", type=int, default=1, choices=(0, 1))
    g.add_argument("--think-ms", type=int, default=30, help="think time 0..N ms on odd keep-alive clients")
    g.add_argument("--events", type=int, default=20)
    g.add_argument("--event-delay-ms", type=int, default=25)
    g.add_argument("--head-timeout", type=float, default=30.0)
    g.add_argument("--gap-timeout", type=float, default=2.0)
    g.add_argument("--stop", required=True)
    g.add_argument("--ready", required=True)
    g.add_argument("--kills", required=True)
    g.add_argument("--out", required=True)
    return p.parse_args()


ARGS = parse_args()
LOCK = threading.Lock()
STATS = {k: dict({o: 0 for o in OUTCOMES}, requests=0, serverCloses=0, connections=0, slowestMs=0,
                 clients=0) for k in KINDS}
PROBLEMS = []   # every request that did not end ok

PLAIN_BODY = json.dumps({"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}]}).encode()
STREAM_BODY = json.dumps({"model": "gpt-5", "stream": True,
                          "messages": [{"role": "user", "content": "stream please"}]}).encode()


class Hang(Exception):
    pass


class Refused(Exception):
    pass


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
        return "no [DONE] after %d of %d deltas" % (deltas, ARGS.events)
    if deltas != ARGS.events:
        return "%d content deltas, expected %d" % (deltas, ARGS.events)
    return None


class Client:
    """One client: a connection it keeps (or not) and the requests it sends on it."""

    def __init__(self, kind, index):
        self.kind = kind
        self.index = index
        self.conn = None
        self.opened = 0.0      # when the current connection was opened
        self.uses = 0          # requests already answered on it
        self.think = kind == "keepalive" and index % 2 == 1 and ARGS.think_ms > 0

    def drop(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
        self.conn = None

    def connect(self):
        conn = http.client.HTTPConnection(ARGS.host, ARGS.port, timeout=ARGS.head_timeout)
        try:
            conn.connect()
        except ConnectionRefusedError:
            raise Refused()
        except socket.timeout:
            raise Hang()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = conn
        self.opened = time.time()
        self.uses = 0
        with LOCK:
            STATS[self.kind]["connections"] += 1

    def read_body(self, resp, sock):
        """The whole body; a gap longer than --gap-timeout is a hang."""
        sock.settimeout(ARGS.gap_timeout)
        parts = []
        while True:
            try:
                b = resp.read1(65536) if hasattr(resp, "read1") else resp.read(65536)
            except socket.timeout:
                raise Hang("no byte for %.1f s in the body after %d bytes" % (ARGS.gap_timeout, sum(map(len, parts))))
            if not b:
                break
            parts.append(b)
        # read1 takes an early end of a Content-Length body for its end: check the length.
        if resp.length:
            raise http.client.IncompleteRead(b"".join(parts), resp.length)
        resp.read()  # and it leaves such a response open at its end: close it
        return b"".join(parts)

    def one(self):
        """Sends one request; returns (outcome, error, got_200_head, server_close)."""
        if self.conn is not None and self.conn.sock is None:
            self.drop()  # http.client closed it itself (a response it read as the last one)
        if self.conn is None:
            self.connect()
        headers = {"Content-Type": "application/json"}
        body = PLAIN_BODY
        if self.kind == "close":
            headers["Connection"] = "close"
        if self.kind == "stream":
            headers["x-fake-events"] = str(ARGS.events)
            headers["x-fake-event-delay-ms"] = str(ARGS.event_delay_ms)
            body = STREAM_BODY
        # http.client drops its socket when a response will close; keep ours for the body.
        sock = self.conn.sock
        sock.settimeout(ARGS.head_timeout)
        got200 = False
        try:
            self.conn.request("POST", "/v1/chat/completions", body, headers)
            try:
                resp = self.conn.getresponse()
            except socket.timeout:
                raise Hang("no response head within %.0f s" % ARGS.head_timeout)
            got200 = resp.status == 200
            data = self.read_body(resp, sock)
        except Hang as e:
            return "hang", str(e), got200, False
        except (http.client.HTTPException, OSError) as e:
            return ("cut" if got200 and self.kind == "stream" else "failed"), "%s: %s" % (type(e).__name__, e), got200, False
        server_close = (resp.getheader("connection") or "").lower() == "close" or resp.will_close
        if resp.status != 200:
            return "failed", "HTTP %d: %s" % (resp.status, data[:200].decode("utf-8", "replace")), False, server_close
        if self.kind == "stream":
            why = check_stream(data)
            if why:
                return "cut", why, True, server_close
        else:
            try:
                if not json.loads(data).get("choices"):
                    return "failed", "200 without choices", True, server_close
            except ValueError:
                return "failed", "200 with a body that is not JSON", True, server_close
        return "ok", None, True, server_close

    def run(self):
        while not stopping():
            t0 = time.time()
            reused = self.conn is not None and self.uses > 0
            uses_before = self.uses if self.conn is not None else 0
            opened = self.opened if self.conn is not None else None
            server_close = False
            try:
                outcome, err, _, server_close = self.one()
            except Refused:
                outcome, err = "refused", "connection refused"
            except Hang:
                outcome, err = "hang", "connect timed out"
            except (http.client.HTTPException, OSError) as e:
                outcome, err = "failed", "connect: %s: %s" % (type(e).__name__, e)
            except Exception as e:  # a bug here must show, not end the client silently
                outcome, err = "failed", "load.py: %s: %s" % (type(e).__name__, e)
            t1 = time.time()
            if opened is None:
                opened = self.opened if self.conn is not None else t0
            if outcome == "ok":
                self.uses += 1
            with LOCK:
                s = STATS[self.kind]
                s["requests"] += 1
                s[outcome] += 1
                s["slowestMs"] = max(s["slowestMs"], int((t1 - t0) * 1000))
                if outcome == "ok" and server_close and self.kind != "close":
                    s["serverCloses"] += 1
                if outcome != "ok":
                    PROBLEMS.append({"kind": self.kind, "client": self.index, "start": t0, "end": t1,
                                     "outcome": outcome, "error": err, "connOpened": opened,
                                     "reused": reused, "usesBefore": uses_before})
            # A new connection only after the server said close, or after a failure.
            if outcome != "ok" or server_close or self.kind == "close":
                self.drop()
            if outcome != "ok":
                time.sleep(0.02)
            if self.think:
                time.sleep(random.uniform(0, ARGS.think_ms / 1000.0))


def stopping():
    # STOP, or stop-all beside it (the driver's cleanup on an early exit).
    return os.path.exists(ARGS.stop) or os.path.exists(os.path.join(os.path.dirname(ARGS.stop), "stop-all"))


def read_kills(path):
    kills = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    kills.append((float(parts[0]), float(parts[1]), parts[2]))
    return kills


def excused_by(p, kills):
    """(the kill that dropped this request, ms from it to the failure), if one could; else None."""
    if p["outcome"] not in ("failed", "cut"):
        return None
    for before, after, target in kills:
        if not (before <= p["end"] <= after + KILL_LATE):
            continue
        if (target == "edged" and p["connOpened"] < after) or (target == "backend" and p["start"] < after):
            return "%s at %s" % (target, stamp(before)), int(max(0.0, p["end"] - after) * 1000)
    return None


def stamp(t):
    return time.strftime("%H:%M:%S", time.localtime(t)) + ".%03d" % int((t % 1) * 1000)


def main():
    clients = [Client("keepalive", i) for i in range(ARGS.keep_alive)]
    clients += [Client("stream", i) for i in range(ARGS.streaming)]
    clients += [Client("close", i) for i in range(ARGS.close)]
    for c in clients:
        STATS[c.kind]["clients"] += 1
    threads = [threading.Thread(target=c.run, daemon=True) for c in clients]
    started = time.time()
    for t in threads:
        t.start()
    # Ready once every kind has completed a request (the stack answers).
    while not stopping():
        with LOCK:
            if all(STATS[k]["ok"] > 0 or STATS[k]["clients"] == 0 for k in KINDS):
                break
        time.sleep(0.05)
    open(ARGS.ready, "w").close()
    while not stopping():
        time.sleep(0.1)
    # Each client finishes the request in hand; one that cannot is stuck.
    limit = time.time() + ARGS.head_timeout + 30
    for t in threads:
        t.join(max(0.1, limit - time.time()))
    stopped = time.time()

    kills = read_kills(ARGS.kills)
    with LOCK:
        for p in PROBLEMS:
            why = excused_by(p, kills)
            if why:
                p["apart"] = why[0]
                p["afterKillMs"] = why[1]
                STATS[p["kind"]][p["outcome"]] -= 1
                STATS[p["kind"]]["apart"] += 1
        summary = {
            "seconds": round(stopped - started, 1),
            "started": started,
            "stats": STATS,
            "problems": PROBLEMS,
            "kills": kills,
            "stillRunning": sum(1 for t in threads if t.is_alive()),
            "events": ARGS.events,
        }
    with open(ARGS.out + ".tmp", "w") as f:
        json.dump(summary, f)
    os.rename(ARGS.out + ".tmp", ARGS.out)


COLS = (("requests", "requests"), ("failed", "failed"), ("refused", "refused"), ("cut", "streams cut"),
        ("hang", "hangs"), ("serverCloses", "server closes"), ("apart", "counted apart"))


def report():
    """One table for a scenario; exit status 1 if an expectation failed."""
    try:
        with open(ARGS.out) as f:
            r = json.load(f)
    except (OSError, ValueError) as e:
        print("  FAIL %s: no load summary (%s)" % (ARGS.title, e))
        return 1
    st = r["stats"]
    total = {c: sum(st[k][c] for k in KINDS) for c, _ in COLS}
    print("  %s: %d repetitions, %.0f s of load, kills noted: %d" % (ARGS.title, ARGS.reps, r["seconds"], len(r["kills"])))
    print("  %-22s" % "clients" + "".join(" %*s" % (max(8, len(h)), h) for _, h in COLS) + "  slowest")
    for k in KINDS:
        s = st[k]
        cells = []
        for c, h in COLS:
            v = s[c]
            if (c == "cut" and k != "stream") or (c == "serverCloses" and k == "close"):
                v = "-"
            cells.append(" %*s" % (max(8, len(h)), v))
        print("  %-22s" % ("%s (%d)" % (LABELS[k], s["clients"])) + "".join(cells) + "  %dms" % s["slowestMs"])
    print("  %-22s" % "all" + "".join(" %*d" % (max(8, len(h)), total[c]) for c, h in COLS))

    problems = []
    for k in KINDS:
        if st[k]["clients"] and st[k]["ok"] == 0:
            problems.append("no %s request completed" % LABELS[k])
    for c, what in (("failed", "failed"), ("refused", "refused"), ("cut", "streams cut"), ("hang", "hung")):
        if total[c]:
            problems.append("%d %s" % (total[c], what))
    if ARGS.no_server_closes and total["serverCloses"]:
        problems.append("%d server closes (a reload hands every connection over: expected none)" % total["serverCloses"])
    if r["stillRunning"]:
        problems.append("%d client(s) still stuck in a request at the end" % r["stillRunning"])

    bad = sorted((p for p in r["problems"] if not p.get("apart")), key=lambda p: p["start"])
    apart = [p for p in r["problems"] if p.get("apart")]
    for p in bad[:ARGS.show]:
        print("    %s-%s %s client %d, %s connection (opened %s, %d answered on it): %s after %dms: %s" % (
            stamp(p["start"]), stamp(p["end"]), LABELS[p["kind"]], p["client"],
            "reused" if p["reused"] else "new", stamp(p["connOpened"]), p["usesBefore"],
            p["outcome"], (p["end"] - p["start"]) * 1000, p["error"]))
    if len(bad) > ARGS.show:
        print("    ... %d more" % (len(bad) - ARGS.show))
    if apart:
        kinds = {}
        for p in apart:
            kinds[(p["outcome"], p["error"].split(":")[0])] = kinds.get((p["outcome"], p["error"].split(":")[0]), 0) + 1
        print("    counted apart (in flight in a SIGKILLed process): " + ", ".join(
            "%d %s (%s)" % (n, o, e) for (o, e), n in sorted(kinds.items())))
        per_kill = {}
        for p in apart:
            per_kill[p["apart"]] = per_kill.get(p["apart"], 0) + 1
        print("    per kill: %d to %d (at %d of %d kills); each failed at most %d ms after the killed process was gone" % (
            min(per_kill.values()), max(per_kill.values()), len(per_kill), len(r["kills"]),
            max(p.get("afterKillMs", 0) for p in apart)))
    if ARGS.first_failure and bad:
        with open(ARGS.first_failure, "w") as f:
            f.write("%.3f\n" % bad[0]["start"])
    for p in problems:
        print("  FAIL %s: %s" % (ARGS.title, p))
    if ARGS.summary:
        row = dict(total, scenario=ARGS.title, reps=ARGS.reps, ok=not problems)
        with open(ARGS.summary, "a") as f:
            f.write(json.dumps(row) + "\n")
    return 1 if problems else 0


def summary():
    rows = []
    if os.path.exists(ARGS.file):
        with open(ARGS.file) as f:
            rows = [json.loads(line) for line in f if line.strip()]
    w = max([len("scenario")] + [len(r["scenario"]) for r in rows])
    print("  %-*s %5s" % (w, "scenario", "reps") + "".join(" %*s" % (max(8, len(h)), h) for _, h in COLS) + "  result")
    for r in rows:
        print("  %-*s %5d" % (w, r["scenario"], r["reps"]) + "".join(" %*d" % (max(8, len(h)), r[c]) for c, h in COLS)
              + "  " + ("ok" if r["ok"] else "FAIL"))
    return 0


def backend_ready():
    deadline = time.time() + ARGS.timeout
    state = "no answer"
    while True:
        try:
            c = http.client.HTTPConnection(ARGS.host, ARGS.port, timeout=5)
            c.request("GET", "/healthz", headers={"Connection": "close"})
            state = (json.loads(c.getresponse().read()).get("backend") or {}).get("state")
            c.close()
            if state == "ready":
                return 0
        except (http.client.HTTPException, OSError, ValueError) as e:
            state = "%s: %s" % (type(e).__name__, e)
        if time.time() >= deadline:
            print("backend state %s after %.0f s" % (state, ARGS.timeout))
            return 1
        time.sleep(0.1)


if __name__ == "__main__":
    if ARGS.command == "report":
        raise SystemExit(report())
    if ARGS.command == "summary":
        raise SystemExit(summary())
    if ARGS.command == "backend-ready":
        raise SystemExit(backend_ready())
    main()
