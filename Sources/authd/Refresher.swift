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
    enum Tier: String, Sendable { case apiKey = "api-key", refreshToken = "refresh-token", passthrough }

    struct State: Sendable {
        var apiKey: String?
        var tokens: TokenStore.Tokens?
        var status = "starting"          // ok, refreshing, degraded, relogin_required
        var lastError: String?
        var nextRefreshAt: Double?       // wall clock
        var failures = 0
        /// A rotated pair that could not be written yet (disk full): kept here and retried.
        var unsaved = false
        var requested = 0
        var completed = 0
    }

    let store: TokenStore
    let config: AuthConfig
    let configPath: String?
    let tokenEvents = Subscribers(event: "token")
    let upstream401 = Upstream401Limit()
    private let state: Locked<State>
    private let wake: EventFD

    static let refreshEvery = 6 * 3600.0
    static let refreshBeforeExpiry = 30 * 60.0
    static let workerTimeout = 90.0

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
            $0.status = tokens == nil ? "no_credentials" : "ok"
            $0.nextRefreshAt = tokens.map { Self.schedule($0) }
        }
        startThread("refresher") { [self] in loop() }
    }

    // MARK: Views

    var accessToken: String? { state.value.tokens?.accessToken }

    var tier: Tier {
        state.withLock { s in s.apiKey != nil ? .apiKey : (s.tokens != nil ? .refreshToken : .passthrough) }
    }

    /// What `status` reports.
    var report: JSONObject {
        let s = state.value
        let t = tier
        var o: JSONObject = ["tier": .string(t.rawValue)]
        switch t {
        case .apiKey: o["state"] = "ok"
        case .passthrough: o["state"] = "no_credentials"
        case .refreshToken:
            let expired = s.tokens?.accessExpiresAt.map { $0 <= WallClock.now() } ?? (s.tokens?.accessToken == nil)
            o["state"] = .string(s.status == "relogin_required" ? "relogin_required" : (expired && s.status != "refreshing" ? "expired" : s.status))
            o["expiresAt"] = s.tokens?.accessExpiresAt.map { .string(WallClock.iso8601($0, milliseconds: false)) } ?? .null
            o["lastRefresh"] = s.tokens?.lastRefresh.map { .string(WallClock.iso8601($0, milliseconds: false)) } ?? .null
            o["nextRefresh"] = s.nextRefreshAt.map { .string(WallClock.iso8601($0, milliseconds: false)) } ?? .null
            o["source"] = .string(s.tokens?.source ?? "?")
            o["unsaved"] = .bool(s.unsaved)
        }
        o["lastError"] = s.lastError.map { .string($0) } ?? .null
        return o
    }

    var waitingFor: String? {
        switch tier {
        case .apiKey: return nil
        case .passthrough: return "credentials: set FACTORY_API_KEY or run `droidgate login` (until then clients' own keys pass through)"
        case .refreshToken:
            let r = report
            switch r["state"]?.stringValue {
            case "relogin_required": return "a new login: WorkOS refused the refresh token (`droidgate login`)"
            case "expired": return "a successful refresh (the access token expired; \(state.value.lastError ?? "retrying"))"
            default: return nil
            }
        }
    }

    /// The token edged should use now, or why there is none.
    func current() -> Result<JSONValue, IPCError> {
        let s = state.value
        if let key = s.apiKey { return .success(["token": .string(key), "tier": "api-key", "expiresAt": nil]) }
        guard let t = s.tokens else {
            return .failure(.remote(code: "no_credentials", message: "authd holds no Factory credentials: set FACTORY_API_KEY or run `droidgate login`"))
        }
        if s.status == "relogin_required" {
            return .failure(.remote(code: "relogin_required", message: "WorkOS refused the refresh token: run `droidgate login` again"))
        }
        guard let access = t.accessToken, let exp = t.accessExpiresAt, exp > WallClock.now() else {
            return .failure(.remote(code: "expired", message: "the Factory access token expired and no refresh has succeeded yet\(s.lastError.map { " (\($0))" } ?? "")"))
        }
        return .success(["token": .string(access), "tier": "refresh-token", "expiresAt": .number(JSONNumber(exp))])
    }

    // MARK: Refreshing

    /// Asks for a refresh and waits (up to `timeout`) for it to finish. Requests
    /// that arrive while one runs share it (single flight).
    func refreshNow(timeout: Double = 60) -> Result<JSONValue, IPCError> {
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
                let wait = min(due - now, 60)
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
            if s.tokens != nil && s.status != "relogin_required" { s.status = "refreshing" }
            return (s.requested, s.tokens, s.unsaved)
        }
        guard let tokens, state.value.status != "relogin_required" else {
            state.withLock { $0.completed = max($0.completed, ticket); $0.nextRefreshAt = nil }
            return
        }
        let outcome = runWorker(notAfter: tokens.lastRefresh, held: unsaved ? tokens : nil)
        let result = outcome["result"]?.stringValue ?? "error"
        let message = outcome["message"]?.stringValue
        switch result {
        case "ok", "fresh":
            let loaded = try? store.load()
            state.withLock { s in
                s.tokens = loaded ?? s.tokens
                s.status = "ok"
                s.unsaved = false
                s.lastError = nil
                s.failures = 0
                s.nextRefreshAt = s.tokens.map { Self.schedule($0) }
            }
            Log.info("authd: access token refreshed\(result == "fresh" ? " (by another refresh)" : ""); valid until \(state.value.tokens?.accessExpiresAt.map { WallClock.iso8601($0, milliseconds: false) } ?? "?")")
            publishToken()
        case "invalid_grant":
            state.withLock { s in
                s.status = "relogin_required"
                s.lastError = "WorkOS refused the refresh token (\(message ?? "invalid_grant")); run `droidgate login`"
                s.nextRefreshAt = nil
            }
            Log.error("authd: WorkOS refused the refresh token; a new login is required (`droidgate login`); \(store.file) is kept for inspection")
        case "persist_failed_after_rotation":
            // The new pair exists only in memory now: serve it, keep trying to save it.
            if let refresh = outcome["refresh_token"]?.stringValue, let access = outcome["access_token"]?.stringValue {
                let now = WallClock.now()
                state.withLock { s in
                    s.tokens = TokenStore.Tokens(refreshToken: refresh, accessToken: access, accessExpiresAt: JWT.expiry(of: access) ?? now + 8 * 3600,
                                                 lastRefresh: now, source: "refresh")
                    s.unsaved = true
                    s.status = "degraded"
                    s.lastError = "refreshed, but cannot write \(store.file): \(message ?? "?"); retrying"
                    s.nextRefreshAt = s.tokens.map { Self.schedule($0) }
                }
                Log.error("authd: refreshed but cannot write \(store.file) (\(message ?? "?")); holding the new tokens in memory and retrying the write")
                publishToken()
            }
        default:
            failed(message ?? "refresh failed", result: result)
        }
        state.withLock { $0.completed = max($0.completed, ticket) }
    }

    private func failed(_ why: String, result: String) {
        let backoff = state.withLock { s -> Double in
            s.failures += 1
            let b = min(15 * pow(2, Double(s.failures - 1)), 900)
            s.status = "degraded"
            s.lastError = why
            s.nextRefreshAt = WallClock.now() + b * Double.random(in: 0.9...1.1)
            return b
        }
        Log.warning("authd: refresh failed (\(result)): \(why); the current access token is still served while valid; retrying in \(Int(backoff)) s")
    }

    /// Runs one `authd --refresh-worker` and returns its verdict. `held`: the pair
    /// only this process has (not on disk), handed over on the worker's stdin.
    private func runWorker(notAfter: Double?, held: TokenStore.Tokens?) -> JSONObject {
        guard let exe = Files.executablePath() else { return ["result": "error", "message": "cannot find authd's own executable"] }
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
            let deadline = Monotonic.seconds() + Self.workerTimeout
            while Monotonic.seconds() < deadline {
                guard (try? Poll.readable(r, timeoutMs: 250)) == true else { continue }
                let n = (try? chunk.withMutableBytes { (b) throws(SystemError) in try r.read(into: b) }) ?? 0
                if n == 0 { break }
                out.append(contentsOf: chunk[0..<n])
            }
            if Monotonic.seconds() >= deadline {
                // Leave it be: it still holds the lock and will finish or time out on its own.
                return ["result": "error", "message": .string("the refresh worker did not finish within \(Int(Self.workerTimeout)) s")]
            }
            let status = try? Processes.wait(pid)
            guard let v = try? JSONValue(parsing: out), let o = v.objectValue else {
                return ["result": "error", "message": .string("the refresh worker ended (\(status.map { "\($0)" } ?? "?")) without a verdict")]
            }
            return o
        } catch {
            return ["result": "error", "message": .string("cannot start the refresh worker: \(error)")]
        }
    }

    private func retrySave() {
        guard let t = state.value.tokens else { return }
        do {
            let lock = try Files.lockExclusive(store.lockFile)
            defer { lock.close() }
            try store.save(t)
            state.withLock { $0.unsaved = false; $0.status = "ok"; $0.lastError = nil }
            Log.info("authd: the refreshed tokens are on disk now")
        } catch {
            Log.warning("authd: still cannot write \(store.file): \(error)")
        }
    }

    private func publishToken() {
        if case .success(let v) = current() { tokenEvents.publish(v) }
    }

    /// Next refresh: 6 h after the last one or 30 min before expiry, whichever
    /// comes first, a few minutes early at random (so many hosts do not line up).
    static func schedule(_ t: TokenStore.Tokens) -> Double {
        guard t.accessToken != nil, let exp = t.accessExpiresAt, let last = t.lastRefresh else { return WallClock.now() }
        let due = min(last + refreshEvery, exp - refreshBeforeExpiry)
        return due - Double.random(in: 0...min(300, max(0, (due - last) * 0.05)))
    }

    // MARK: New credentials

    /// Stores a new refresh token (import, device login) under the lock and serves it.
    func adopt(_ t: TokenStore.Tokens) throws {
        let lock = try Files.lockExclusive(store.lockFile)
        defer { lock.close() }
        try store.save(t)
        state.withLock { s in
            s.tokens = t
            s.status = "ok"
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
            s.status = "no_credentials"
            s.lastError = nil
            s.nextRefreshAt = nil
            s.unsaved = false
        }
        tokenEvents.publish(["dropped": true, "reason": "logout", "tier": .string(tier.rawValue)])
    }
}
