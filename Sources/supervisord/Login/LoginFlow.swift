import Foundation
import Glibc
import IPC
import Shared

/// `droidgate backend login <provider>`: runs the backend's own login flow
/// (`-config … -<provider>-login -no-browser`, the device-code variant for
/// codex) as the backend's user and relays everything it prints to the CLI as
/// events — a prompt without a newline too (cli-proxy-api's "Paste the …
/// callback URL …: " ends with no newline). The CLI's pasted callback address
/// reaches the process's stdin through `backend.login.input` (see
/// `LoginSession`). The login succeeded when an account file in the auth-dir
/// is new or was rewritten (logging in the same account again rewrites
/// `claude-<email>.json`: an update, not a failure).
enum LoginFlow {
    static func flag(for provider: String) -> String {
        provider == "codex" ? "-codex-device-login" : "-\(provider)-login"
    }

    /// Providers whose login waits for a browser redirect to the backend host
    /// (and reads a pasted callback address after 15 s); the others are device flows.
    static let browserProviders: Set<String> = ["claude", "antigravity"]

    static let timeout = 600.0
    /// A line of the login's output is cut at this many bytes (an OAuth URL
    /// with all its scopes is a few KiB).
    static let maxLineBytes = 16 << 10
    /// A partial line (a prompt) is relayed once the output pauses this long.
    static let promptPause = 0.2

    static func start(provider: String, executable: String, files: BackendFiles, callbackPort: Int?,
                      request: OpRequest) throws(IPCError) -> LoginSession {
        let before = AccountFiles.snapshot(files.authDir)
        let pid: pid_t
        let output: FileDescriptor
        let input: FileDescriptor
        var arguments = ["-config", files.configYAML, flag(for: provider), "-no-browser"]
        if let callbackPort { arguments += ["-oauth-callback-port", String(callbackPort)] }
        do throws(SystemError) {
            let (r, w) = try FileDescriptor.pipe()
            let (inR, inW) = try FileDescriptor.pipe()
            defer { w.close(); inR.close() }
            var options = SpawnOptions()
            options.fdMap = [(inR, 0), (w, 1), (w, 2)]
            options.workingDirectory = files.workDir
            options.newSession = true
            pid = try Spawn.run(executable, arguments: arguments,
                                environment: ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": files.dir, "LANG": "C.UTF-8"],
                                options: options)
            output = r
            input = inW
        } catch {
            throw .remote(code: IPCError.Code.failed, message: "cannot start \(executable) for the \(provider) login: \(error)")
        }
        Log.info("supervisord: \(provider) login started (pid \(pid))")
        let connection = request.connection
        let sub = request.id
        let session = LoginSessions.add(provider: provider, connection: connection, stdin: input)
        startThread("login-\(provider)") {
            let deadline = Monotonic.seconds() + timeout
            var pending: [UInt8] = []
            var skipping = false   // the rest of a line already cut at maxLineBytes
            var chunk = [UInt8](repeating: 0, count: 4096)
            func relay(_ bytes: ArraySlice<UInt8>) {
                let line = Array(bytes).boundedText(Self.maxLineBytes)
                session.saw(outputLine: line)
                _ = connection.push(event: .backendLogin, sub: sub, data: BackendLoginEvent.line(line).json)
            }
            while Monotonic.seconds() < deadline {
                guard (try? Poll.readable(output, timeoutMs: Int32(promptPause * 1000))) == true else {
                    if !connection.isOpen { break }
                    if !pending.isEmpty {   // a prompt waiting for input (or the rest of a cut line)
                        if !skipping { relay(pending[...]) }
                        pending.removeAll()
                    }
                    continue
                }
                let n = (try? chunk.withMutableBytes { (b) throws(SystemError) in try output.read(into: b) }) ?? 0
                if n == 0 { break }
                pending.append(contentsOf: chunk[0..<n])
                while let nl = pending.firstIndex(of: 0x0a) {
                    if skipping { skipping = false } else { relay(pending[..<nl]) }
                    pending.removeSubrange(...nl)
                }
                // The backend's output is bounded where it enters: a line longer
                // than maxLineBytes is relayed cut, and the rest of it dropped.
                if pending.count > Self.maxLineBytes {
                    if !skipping { relay(pending[...]) }
                    skipping = true
                    pending.removeAll(keepingCapacity: true)
                }
            }
            if !pending.isEmpty && !skipping { relay(pending[...]) }
            output.close()
            LoginSessions.remove(session)
            let timedOut = Monotonic.seconds() >= deadline
            let cancelled = !connection.isOpen
            if timedOut || cancelled { Processes.signal(pid, SIGTERM) }
            let status = try? Processes.wait(pid)
            let changes = AccountFiles.changes(from: before, to: AccountFiles.snapshot(files.authDir))
            let result: BackendLoginEvent
            if let first = changes.first, !cancelled {
                result = .done(ok: true, account: first.account, updated: first.updated, message: nil)
                Log.info("supervisord: \(provider) login \(first.updated ? "updated" : "added") account \(first.account)")
            } else {
                let why = timedOut ? "timed out after \(Int(timeout)) s"
                    : cancelled ? "was cancelled (the CLI went away)"
                    : "ended (\(status.map { "\($0)" } ?? "?")) without writing a credential file"
                result = .done(ok: false, account: nil, updated: false, message: "the \(provider) login \(why)")
                Log.warning("supervisord: \(provider) login \(why)")
            }
            _ = connection.push(event: .backendLogin, sub: sub, data: result.json)
        }
        return session
    }
}

/// The auth-dir's account files by name, with what changes when one is
/// written again (content digest, modification time, inode), to tell a new
/// account from a rewritten one.
enum AccountFiles {
    static func snapshot(_ dir: String) -> [String: String] {
        var out: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasSuffix(".json") {
            let path = dir + "/" + name
            guard let bytes = try? Files.read(path, maxBytes: 1 << 20), let st = try? Files.status(path) else { continue }
            out[name] = "\(SHA256.hexDigest(bytes)) \(st.modified) \(st.inode)"
        }
        return out
    }

    /// New files first, then rewritten ones, each sorted by name.
    static func changes(from before: [String: String], to after: [String: String]) -> [(account: String, updated: Bool)] {
        let added = after.keys.filter { before[$0] == nil }.sorted()
        let updated = after.keys.filter { before[$0] != nil && before[$0] != after[$0] }.sorted()
        return added.map { (String($0.dropLast(5)), false) } + updated.map { (String($0.dropLast(5)), true) }
    }
}
