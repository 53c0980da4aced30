import Foundation
import Shared
import XCTest

/// The fake backend (recording) and a real edged in front of it, in a temp dir.
/// No supervisord: edged runs with `backend.supervised: false` (it forwards to
/// whatever listens on the port).
final class ProxyStack: @unchecked Sendable {
    let dir = TempDir()
    let backendPort: UInt16
    let edgePort: UInt16
    var backend: RunningProcess?
    let edged: RunningProcess

    init(config extra: String = "", startBackend: Bool = true, backendArgs: [String] = [], logLevel: String = "debug") throws {
        backendPort = freePort()
        edgePort = freePort()
        if startBackend { backend = try Self.startBackend(port: backendPort, args: backendArgs) }
        let config = dir.write("droidgate.json", """
        {"listen": "127.0.0.1:\(edgePort)", "backend": {"port": \(backendPort), "supervised": false}, "log": {"level": "\(logLevel)"}\(extra.isEmpty ? "" : ", " + extra)}
        """)
        edged = try RunningProcess(Binaries.path("edged"), ["--config", config], environment: ["DROIDGATE_ROOT": dir.path])
        guard eventually(timeout: 10, { (try? RawHTTP(port: edgePort)) != nil }) else {
            throw TimedOut(what: "edged start: \(edged.text)", seconds: 10)
        }
    }

    static func startBackend(port: UInt16, args: [String] = []) throws -> RunningProcess {
        let p = try RunningProcess(Binaries.path("fake-cli-proxy-api"), ["--port", String(port), "--record"] + args)
        guard eventually(timeout: 10, { (try? RawHTTP(port: port)) != nil }) else {
            throw TimedOut(what: "fake backend start: \(p.text)", seconds: 10)
        }
        return p
    }

    /// What the fake backend received, oldest first.
    func recorded() throws -> [JSONValue] {
        let r = try XCTUnwrap(try request(backendPort, "GET", "/_fake/requests"))
        return r.json?["requests"]?.arrayValue ?? []
    }

    func recordedRaw() throws -> [String] {
        try recorded().map { String(decoding: Data(base64Encoded: $0["raw_base64"]?.stringValue ?? "") ?? Data(), as: UTF8.self) }
    }

    func resetRecording() throws { _ = try request(backendPort, "POST", "/_fake/reset") }

    func backendStats() throws -> JSONValue {
        try XCTUnwrap(try request(backendPort, "GET", "/_fake/stats")?.json)
    }

    deinit {
        edged.signal(SIGKILL)
        backend?.signal(SIGKILL)
    }
}
