import Foundation
import Glibc
import IPC
import Shared

/// authd's credential custody. Tiers, in the spec's priority order:
/// `FACTORY_API_KEY` (fixed, never refreshed); a WorkOS refresh token (the
/// persisted one, else DROID_REFRESH_KEY, else an import or device login);
/// none (edged passes clients' own keys through).
/// One thread refreshes — on a timer (6 h after the last refresh or 30 min
/// before the access token expires, whichever first, with jitter), or when
/// edged reports a 401 — always through a `RefreshWorker` process, one at a
/// time. The current access token is served while it is valid, whatever the
/// refresh's fate.
final class Refresher: Sendable {
    let store: TokenStore
    let config: AuthConfig
    let configPath: String?
    let tokenEvents = Subscribers(event: .token)
    let upstream401 = Upstream401Limit()
    private let state: Locked<State>
    private let wake: EventFD

    init(config: AuthConfig, configPath: String?, store: TokenStore, credentialsDir: String?) throws {
        self.config = config
        self.configPath = configPath
        self.store = store
        self.wake = try EventFD.create()
        var s = State()
        s.apiKey = config.factoryAPIKey ?? Self.credential(credentialsDir, "factory-api-key")
        self.state = Locked(s)
    }

    /// A secret from systemd's LoadCredential= directory, if present.
    static func credential(_ dir: String?, _ name: String) -> String? {
        guard let dir, let bytes = try? Files.read("\(dir)/droidgate_\(name)", maxBytes: 64 * 1024) else { return nil }
        let v = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return v.isEmpty ? nil : v
    }

    // MARK: Start

    /// Loads the store (waiting for any refresh worker a killed authd left
    /// running), seeds it from DROID_REFRESH_KEY if it is empty, and starts the timer.
    func start(seed: String?) throws {
        let lock = try Files.lockExclusive(store.lockFile)
        defer { lock.close() }
        store.cleanTempFiles()
        var tokens = try store.load()
        if tokens == nil, let seed {
            // The persisted (rotated) token wins over the environment once it exists.
            let t = TokenStore.Tokens(refreshToken: seed, accessToken: nil, accessExpiresAt: nil, lastRefresh: nil, source: "DROID_REFRESH_KEY")
            try store.save(t)
            tokens = t
            Log.info("authd: stored the refresh token from DROID_REFRESH_KEY; from now on the rotated one in \(store.file) is used")
        }
        state.withLock {
            $0.tokens = tokens
            $0.status = tokens == nil ? .noCredentials : .ok
            $0.nextRefreshAt = tokens.map { Self.schedule($0) }
        }
        startThread("refresher") { [self] in loop() }
    }

    // MARK: Views

    var accessToken: String? { state.value.tokens?.accessToken }

    var tier: Tier { state.value.tier }

    /// What `status`, `login.poll`, `import` and `logout` report.
    var report: CredentialsReport {
        let s = state.value
        var r = CredentialsReport(tier: s.tier, state: s.credentialsState(now: WallClock.now()).reported)
        if s.tier == .refreshToken {
            r.expiresAt = s.tokens?.accessExpiresAt.map { WallClock.iso8601($0, milliseconds: false) }
            r.lastRefresh = s.tokens?.lastRefresh.map { WallClock.iso8601($0, milliseconds: false) }
            r.nextRefresh = s.nextRefreshAt.map { WallClock.iso8601($0, milliseconds: false) }
            r.source = s.tokens?.source
            r.unsaved = s.unsaved
        }
        r.lastError = s.lastError
        return r
    }

    var waitingFor: String? { state.value.waitingFor(now: WallClock.now()) }

    /// The token edged should use now, or why there is none.
    func current() -> Result<JSONValue, IPCError> { state.value.credential(now: WallClock.now()) }

    // MARK: Refreshing

    /// Asks for a refresh and waits (up to `timeout`) for it to finish. Requests
    /// that arrive while one runs share it (single flight).
    func refreshNow(timeout: Double = AuthLimits.refreshWaitTimeout) -> Result<JSONValue, IPCError> {
        guard tier == .refreshToken else { return current() }
        let ticket = state.withLock { s -> Int in
            s.requested = max(s.requested, s.completed + 1)
            return s.requested
        }
        wake.signal()
        let deadline = Monotonic.seconds() + timeout
        while state.value.completed < ticket {
            if Monotonic.seconds() > deadline { return .failure(.timeout("the refresh to finish")) }
            sleepSeconds(0.02)
        }
        return current()
    }

    private func loop() {
        while true {
            let s = state.value
            let now = WallClock.now()
            let due = s.nextRefreshAt ?? .infinity
            let pending = s.requested > s.completed
            if !pending && now < due {
                let wait = min(due - now, AuthLimits.loopWakeInterval)
                _ = try? Poll.anyReadable([wake.fd], timeoutMs: Int32(max(0.01, wait) * 1000))
                wake.drain()
                if state.value.unsaved { retrySave() }
                continue
            }
            refreshOnce()
        }
    }

    private func refreshOnce() {
        // A rotated pair only in memory (its write failed): try the write first; if it still
        // fails, the worker gets that pair, never the dead one on disk.
        if state.value.unsaved { retrySave() }
        let (ticket, tokens, unsaved) = state.withLock { s -> (Int, TokenStore.Tokens?, Bool) in
            if s.tokens != nil && s.status != .reloginRequired { s.status = .refreshing }
            return (s.requested, s.tokens, s.unsaved)
        }
        guard let tokens, state.value.status != .reloginRequired else {
            state.withLock { $0.completed = max($0.completed, ticket); $0.nextRefreshAt = nil }
            return
        }
        let verdict = runWorker(notAfter: tokens.lastRefresh, held: unsaved ? tokens : nil)
        // The worker committed a new pair (or found one): read it outside the state lock.
        let loaded = verdict == .ok || verdict == .fresh ? try? store.load() : nil
        let applied = state.withLock { $0.apply(verdict, loaded: loaded, storeFile: store.file, now: WallClock.now()) }
        applied.log()
        if applied.publish { publishToken() }
        state.withLock { $0.completed = max($0.completed, ticket) }
    }

    /// Runs one `authd --refresh-worker` and returns its verdict. `held`: the pair
    /// only this process has (not on disk), handed over on the worker's stdin.
    private func runWorker(notAfter: Double?, held: TokenStore.Tokens?) -> RefreshVerdict {
        guard let exe = Files.executablePath() else { return .error("cannot find authd's own executable") }
        var args = ["--refresh-worker"]
        if let configPath { args += ["--config", configPath] }
        if let notAfter, held == nil { args += ["--not-after", String(notAfter)] }
        if held != nil { args += ["--held-tokens-on-stdin"] }
        do {
            let (r, w) = try FileDescriptor.pipe()
            let (inR, inW) = try FileDescriptor.pipe()
            var options = SpawnOptions()
            options.fdMap = [(held == nil ? FileDescriptor.standardInput : inR, 0), (w, 1), (FileDescriptor.standardError, 2)]
            var env = Environment.all()
            env["STATE_DIRECTORY"] = store.dir
            let pid: pid_t
            do {
                pid = try Spawn.run(exe, arguments: args, environment: env, options: options)
            } catch {
                for fd in [r, w, inR, inW] { fd.close() }
                throw error
            }
            inR.close()
            w.close()
            // A few hundred bytes: far below the pipe's buffer, so this write does not block.
            if let held { try? inW.writeAll(Array(held.json.serializedString().utf8)) }
            inW.close()
            defer { r.close() }
            var out: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            let deadline = Monotonic.seconds() + AuthLimits.workerTimeout
            while Monotonic.seconds() < deadline {
                guard (try? Poll.readable(r, timeoutMs: 250)) == true else { continue }
                let n = (try? chunk.withMutableBytes { (b) throws(SystemError) in try r.read(into: b) }) ?? 0
                if n == 0 { break }
                out.append(contentsOf: chunk[0..<n])
            }
            if Monotonic.seconds() >= deadline {
                // Leave it be: it still holds the lock and will finish or time out on its own.
                return .error("the refresh worker did not finish within \(Int(AuthLimits.workerTimeout)) s")
            }
            let status = try? Processes.wait(pid)
            guard let v = try? JSONValue(parsing: out), let o = v.objectValue else {
                return .error("the refresh worker ended (\(status.map { "\($0)" } ?? "?")) without a verdict")
            }
            return RefreshVerdict(json: o)
        } catch {
            return .error("cannot start the refresh worker: \(error)")
        }
    }

    private func retrySave() {
        guard let t = state.value.tokens else { return }
        do {
            let lock = try Files.lockExclusive(store.lockFile)
            defer { lock.close() }
            try store.save(t)
            state.withLock { $0.unsaved = false; $0.status = .ok; $0.lastError = nil }
            Log.info("authd: the refreshed tokens are on disk now")
        } catch {
            Log.warning("authd: still cannot write \(store.file): \(error)")
        }
    }

    private func publishToken() {
        if case .success(let v) = current() { tokenEvents.publish(v) }
    }

    // MARK: New credentials

    /// Stores a new refresh token (import, device login) under the lock and serves it.
    func adopt(_ t: TokenStore.Tokens) throws {
        let lock = try Files.lockExclusive(store.lockFile)
        defer { lock.close() }
        try store.save(t)
        state.withLock { s in
            s.tokens = t
            s.status = .ok
            s.lastError = nil
            s.failures = 0
            s.unsaved = false
            s.nextRefreshAt = Self.schedule(t)
        }
        wake.signal()
        publishToken()
    }

    /// Forgets the tokens and tells edged at once (a `dropped` token event), so
    /// that it stops sending the cached access token now, not when it expires.
    func logout() throws {
        let lock = try Files.lockExclusive(store.lockFile)
        defer { lock.close() }
        store.delete()
        state.withLock { s in
            s.tokens = nil
            s.status = .noCredentials
            s.lastError = nil
            s.nextRefreshAt = nil
            s.unsaved = false
        }
        tokenEvents.publish(TokenMessage.dropped(reason: .logout, tier: tier).json)
    }
}
