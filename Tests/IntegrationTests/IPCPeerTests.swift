import Foundation
import IPC
import Shared
import XCTest

/// A daemon's IPC server against a peer that breaks the protocol: passes
/// descriptors (no op takes any) or calls an op the daemon lacks. The peer
/// loses its connection, with one log line naming it and why, and the
/// daemon's descriptor table is back where it was.
final class IPCPeerTests: XCTestCase {
    /// Entries of /proc/<pid>/fd.
    static func descriptorCount(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// authd with no credentials: nothing it does on its own opens descriptors.
    final class Daemon {
        let dir = TempDir()
        let process: RunningProcess
        var socket: String { dir.path + "/run/authd.sock" }
        var descriptors: Int { IPCPeerTests.descriptorCount(process.pid) }

        init() throws {
            let config = dir.write("droidgate.json", #"{"log": {"level": "info"}}"#)
            process = try RunningProcess(Binaries.path("authd"), ["--config", config], environment: ["DROIDGATE_ROOT": dir.path])
            guard process.waitFor("ready") else { throw TimedOut(what: "authd start: \(process.text)", seconds: 10) }
            // One ordinary exchange first, so whatever is opened lazily is open.
            let c = try IPCClient(path: socket, role: "cli")
            _ = try c.call("status")
            c.close()
        }

        /// The descriptor count once it stopped changing (the last peer's socket is closed).
        func settledDescriptors() -> Int {
            var last = descriptors
            _ = eventually(timeout: 5) {
                let now = descriptors
                defer { last = now }
                return now == last
            }
            return last
        }

        /// A raw connection past the hello.
        func peer(role: String) throws -> FramedConnection {
            let f = FramedConnection(socket: try Socket.connectUnix(path: socket))
            try f.send(Hello(role: role).message)
            _ = try f.receive(timeout: 5)
            return f
        }

        func occurrences(_ s: String) -> Int { process.text.components(separatedBy: s).count - 1 }

        deinit { process.signal(SIGKILL) }
    }

    /// The error reply, then the daemon hangs up; nil if it kept the connection open.
    func errorThenHangUp(_ f: FramedConnection) -> IPCError.Code? {
        guard let reply = try? f.receive(timeout: 5), let code = reply.message["error"]?["code"]?.stringValue.map(IPCError.Code.init(rawValue:)) else { return nil }
        do { _ = try f.receive(timeout: 2); return nil } catch { return error == .disconnected ? code : nil }
    }

    func testPeerPassingDescriptorsIsHungUpOnAndTheDaemonKeepsNone() throws {
        let d = try Daemon()
        let baseline = d.settledDescriptors()
        let devNull = try FileDescriptor.open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { devNull.close() }
        let sixteen = [FileDescriptor](repeating: devNull, count: 16)
        let peers = 30
        var hungUp = 0
        for i in 0..<peers {
            let f = try d.peer(role: "edged")
            var request: JSONObject = ["id": 1, "op": "token.get", "args": .object([:])]
            if i % 2 == 0 { request["fds"] = 16 }   // announced or not, no op takes any
            for _ in 0..<8 {
                do { try f.send(.object(request), fds: sixteen) } catch { break }   // it hung up
            }
            if errorThenHangUp(f) == IPCError.Code.badRequest { hungUp += 1 }
            f.close()
        }
        XCTAssertEqual(hungUp, peers, "every such peer is hung up on: \(d.process.text.suffix(2000))")
        XCTAssertTrue(eventually(timeout: 5) { d.descriptors <= baseline },
                      "authd holds \(d.descriptors - baseline) descriptors more than before the peers came")
        // authd's log lines reach us through a pipe, after it hung up: wait for them.
        let line = "authd IPC: closing the connection from edged (uid \(getuid()), pid \(getpid())): peer passed 16 file descriptors"
        _ = eventually(timeout: 5) { d.occurrences(line) >= peers }
        XCTAssertEqual(d.occurrences(line), peers, "one line per connection naming the peer and why: \(d.process.text.suffix(2000))")
        let c = try IPCClient(path: d.socket, role: "cli")
        defer { c.close() }
        XCTAssertEqual(try c.call("status").result["daemon"], "authd", "authd serves others")
    }

    func testUnknownOpFromEdgedIsHungUpOnAndTheCLIGetsAnAnswer() throws {
        let d = try Daemon()
        let f = try d.peer(role: "edged")
        try f.send(Messages.request(id: 9, op: "token.steal", args: [:]))
        XCTAssertEqual(errorThenHangUp(f), IPCError.Code.unknownOp, "edged is hung up on")
        f.close()
        XCTAssertTrue(d.waitFor(#"authd IPC: closing the connection from edged (uid \#(getuid()), pid \#(getpid())): authd has no op "token.steal""#),
                      d.process.text)

        // The operator's CLI may be newer than authd: a reply naming authd's ops, and the connection stays.
        let c = try IPCClient(path: d.socket, role: "cli")
        defer { c.close() }
        XCTAssertThrowsError(try c.call("feature.from.the.future")) { error in
            guard case .remote(let code, let message)? = error as? IPCError else { return XCTFail("\(error)") }
            XCTAssertEqual(code, IPCError.Code.unknownOp)
            XCTAssertTrue(message.contains("token.get"), message)
        }
        XCTAssertEqual(try c.call("status").result["daemon"], "authd")
        XCTAssertEqual(d.occurrences("closing the connection"), 1, d.process.text)
    }
}

private extension IPCPeerTests.Daemon {
    func waitFor(_ marker: String) -> Bool { process.waitFor(marker, timeout: 5) }
}
