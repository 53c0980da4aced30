import Foundation
import Glibc
import IPC
import Shared

/// `droidgate backend login <provider>`: runs the backend's own login flow
/// (`-config … -<provider>-login -no-browser`, the device-code variant for
/// codex) as the backend's user, relays every line it prints (the URL and
/// code the user needs) to the CLI as events, and reports success once a new
/// credential file appears in the auth-dir.
enum LoginFlow {
    static func flag(for provider: String) -> String {
        provider == "codex" ? "-codex-device-login" : "-\(provider)-login"
    }

    static let timeout = 600.0

    static func start(provider: String, executable: String, files: BackendFiles, request: OpRequest) throws(IPCError) {
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: files.authDir)) ?? [])
        let pid: pid_t
        let output: FileDescriptor
        do throws(SystemError) {
            let (r, w) = try FileDescriptor.pipe()
            let devNull = try FileDescriptor.open("/dev/null", O_RDONLY)
            defer { w.close(); devNull.close() }
            var options = SpawnOptions()
            options.fdMap = [(devNull, 0), (w, 1), (w, 2)]
            options.workingDirectory = files.workDir
            options.newSession = true
            pid = try Spawn.run(executable, arguments: ["-config", files.configYAML, flag(for: provider), "-no-browser"],
                                environment: ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": files.dir, "LANG": "C.UTF-8"],
                                options: options)
            output = r
        } catch {
            throw .remote(code: IPCError.Code.failed, message: "cannot start \(executable) for the \(provider) login: \(error)")
        }
        Log.info("supervisord: \(provider) login started (pid \(pid))")
        let connection = request.connection
        let sub = request.id
        startThread("login-\(provider)") {
            let deadline = Monotonic.seconds() + timeout
            var pending: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while Monotonic.seconds() < deadline {
                guard (try? Poll.readable(output, timeoutMs: 500)) == true else {
                    if !connection.isOpen { break }
                    continue
                }
                let n = (try? chunk.withMutableBytes { (b) throws(SystemError) in try output.read(into: b) }) ?? 0
                if n == 0 { break }
                pending.append(contentsOf: chunk[0..<n])
                while let nl = pending.firstIndex(of: 0x0a) {
                    connection.push(event: "backend.login", sub: sub, data: ["line": .string(String(decoding: pending[..<nl], as: UTF8.self))])
                    pending.removeSubrange(...nl)
                }
            }
            output.close()
            let timedOut = Monotonic.seconds() >= deadline
            if timedOut || !connection.isOpen { Processes.signal(pid, SIGTERM) }
            let status = try? Processes.wait(pid)
            let after = Set((try? FileManager.default.contentsOfDirectory(atPath: files.authDir)) ?? [])
            let added = after.subtracting(before).filter { $0.hasSuffix(".json") }.sorted()
            var result: JSONObject = ["done": true, "ok": .bool(!added.isEmpty)]
            if let a = added.first {
                result["account"] = .string(String(a.dropLast(5)))
                Log.info("supervisord: \(provider) login added account \(a.dropLast(5))")
            } else {
                let why = timedOut ? "timed out after \(Int(timeout)) s" : (!connection.isOpen ? "the CLI went away" : "ended (\(status.map { "\($0)" } ?? "?")) without writing a credential file")
                result["message"] = .string("the \(provider) login \(why)")
                Log.warning("supervisord: \(provider) login \(why)")
            }
            connection.push(event: "backend.login", sub: sub, data: .object(result))
        }
    }
}
