import Glibc
import Shared

/// Watching one backend child: until it is ready, then while it runs. Ready
/// needs two things: the socket listening on 127.0.0.1:port is the child's
/// own (`ListenerOwnership`), and it answers its health check. Nothing is
/// sent to the port before the first is known.
extension Supervisor {
    /// Polls until ready; false if the child died, lost the port or never became ready.
    func awaitReady(_ p: BackendProcess) -> Bool {
        let started = Monotonic.seconds()
        while true {
            let config = current.config
            switch ListenerOwnership.check(port: config.port, child: p.pid, held: heldListeners) {
            case .child(let inodes):
                holdListener(inodes, of: p)
                if case .healthy = HealthProbe.check(port: config.port, apiKey: apiKey, child: p.pid, held: heldListeners) {
                    recordIdentity(of: p)
                    update {
                        $0.state = .ready
                        $0.listenerVerified = true
                        $0.message = "answering on 127.0.0.1:\(config.port)"
                        $0.readySince = Monotonic.seconds()
                    }
                    return true
                }
            case .foreign(let squatter):
                // Someone bound the port between our look and the child's bind.
                lostPort(p, to: squatter, port: config.port)
                return false
            case .nobody, .unknown:
                break
            }
            let (exited, status, woken) = p.waitForExit(seconds: Self.startupPoll, alsoWatching: wake.fd)
            if exited {
                crashed(p, status: status, during: "start-up")
                return false
            }
            if woken {
                switch apply(takeCommands()) {
                case .stop: return false
                case .restartRequested:
                    releaseListener()
                    p.stop(grace: config.stopTimeoutSeconds)
                    update { $0.state = .backoff; $0.message = "restarting by request"; $0.retryAt = Monotonic.seconds() }
                    return false
                default: break
                }
            }
            if Monotonic.seconds() - started > Self.startupTimeout {
                p.stop(grace: 2)
                crashed(p, status: nil, during: "start-up", reason: "did not answer GET /healthz within \(Int(Self.startupTimeout)) s")
                return false
            }
        }
    }

    /// Watches a ready backend: exit → crash; its listener gone → not named
    /// the listener any more; someone else on the port → stopped, port-taken;
    /// failed health checks → restart. `configWritesAtStart`: the count of
    /// config.yaml writes when this child was started (nil: adopted, long
    /// since watching its file).
    func superviseReady(_ p: BackendProcess, configWritesAtStart: Int? = nil) {
        var failures = 0
        var nextProbe = Monotonic.seconds() + Self.healthInterval
        var settleAt = configWritesAtStart.map { _ in (current.readySince ?? Monotonic.seconds()) + Self.configSettle }
        while true {
            let (exited, status, woken) = p.waitForExit(seconds: Self.ownershipInterval, alsoWatching: wake.fd)
            let config = current.config
            if exited {
                crashed(p, status: status, during: "operation")
                return
            }
            if woken {
                switch apply(takeCommands()) {
                case .stop: return
                case .restartRequested:
                    Log.info("supervisord: restarting the backend by request")
                    withdrawListener { $0.state = .backoff; $0.message = "restarting by request" }
                    releaseListener()
                    p.stop(grace: config.stopTimeoutSeconds)
                    update { $0.state = .backoff; $0.restarts += 1; $0.lastExit = "restarted by request"; $0.message = "restarting"; $0.retryAt = Monotonic.seconds() }
                    return
                default: continue
                }
            }
            if let at = settleAt, Monotonic.seconds() >= at, let start = configWritesAtStart {
                settleAt = nil
                rewriteConfigIfChanged(since: start, pid: p.pid)
            }
            if let since = current.readySince, Monotonic.seconds() - since >= Self.resetAfterHealthy {
                nextBackoff = Self.firstBackoff
            }
            switch ListenerOwnership.check(port: config.port, child: p.pid, held: heldListeners) {
            case .child(let inodes):
                holdListener(inodes, of: p)
                if !current.listenerVerified { update { $0.listenerVerified = true } }
            case .foreign(let squatter):
                lostPort(p, to: squatter, port: config.port)
                return
            case .nobody, .unknown:
                // Alive but not listening (an outside SIGTERM starts its drain):
                // not the listener any more, at once; restarted if it stays so.
                // Our duplicate keeps its socket listening until edged confirms, then goes.
                if current.listenerVerified {
                    update { $0.listenerVerified = false; $0.state = .unhealthy; $0.message = "the backend (pid \(p.pid)) no longer listens on 127.0.0.1:\(config.port)" }
                }
                releaseListener()
            }
            guard Monotonic.seconds() >= nextProbe else { continue }
            nextProbe = Monotonic.seconds() + Self.healthInterval
            let listening = current.listenerVerified
            if listening, case .healthy = HealthProbe.check(port: config.port, apiKey: apiKey, child: p.pid, held: heldListeners) {
                if failures > 0 || current.state != .ready { update { $0.state = .ready; $0.message = "answering on 127.0.0.1:\(config.port)" } }
                failures = 0
                continue
            }
            failures += 1
            let what = listening ? "health check failed" : "not listening on 127.0.0.1:\(config.port) at the health check"
            update { $0.state = .unhealthy; $0.message = "\(what) \(failures) time\(failures == 1 ? "" : "s")" }
            if failures >= Self.failuresBeforeRestart {
                Log.warning("supervisord: backend pid \(p.pid) stopped answering health checks; restarting it")
                withdrawListener()
                releaseListener()
                p.stop(grace: 2)
                crashed(p, status: nil, during: "operation", reason: "stopped answering health checks")
                return
            }
        }
    }

    /// config.yaml was written after the child `pid` was started (before its
    /// config watch may have existed): written again, now that it watches.
    private func rewriteConfigIfChanged(since start: Int, pid: pid_t) {
        guard configWrites.value != start else { return }
        do {
            try renderConfig(force: true)
            Log.info("supervisord: config.yaml changed while the backend (pid \(pid)) was starting; written again now that it watches the file")
        } catch {
            Log.error("supervisord: cannot write \(files.configYAML): \(error)")
        }
    }

    /// Someone else holds the port while the child runs (it never bound it,
    /// or let go of it): reported at once (so edged sends nothing more), and
    /// the child, which cannot serve, is stopped and not restarted until the
    /// port is free.
    private func lostPort(_ p: BackendProcess, to squatter: Squatter, port: Int) {
        Log.warning("supervisord: port \(port) is held by \(squatter.description), not by the backend (pid \(p.pid)); stopping the backend")
        _ = portTaken(by: squatter, port: port)
        p.stop(grace: 2)
        forget(p)
    }
}
