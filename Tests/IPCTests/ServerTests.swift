import Glibc
import XCTest
@testable import IPC
import Shared

/// Runs a real IPCServer on a Unix socket in a temp dir.
final class ServerTests: XCTestCase {
    var dir = ""
    var path: String { dir + "/test.sock" }
    var server: IPCServer?

    override func setUp() {
        dir = NSTemporaryDirectory() + "ipc-\(UInt32.random(in: 0...UInt32.max))"
        try? Files.makeDirectory(dir, mode: 0o700)
    }

    override func tearDown() {
        server?.stop()
        Files.remove(path)
        rmdir(dir)
    }

    func startServer(policy: PeerPolicy = .standard(), ops extra: [Op] = []) throws -> IPCServer {
        let listener = try Socket.listenUnix(path: path)
        let events = Subscribers(event: "tick")
        let ops: [Op] = [
            Op("echo", .anyPeer) { r in IPCReply(result: .object(r.args)) },
            Op("admin.only", .admin) { _ in IPCReply(result: "secret-ok") },
            Op("fail", .anyPeer) { _ throws(IPCError) in throw .remote(code: "nope", message: "failed on purpose") },
            Op("pipe", .anyPeer) { _ throws(IPCError) in
                // Hands the caller the write end of a pipe; we keep the read end.
                do throws(SystemError) {
                    let (r, w) = try FileDescriptor.pipe()
                    pipeReadEnd.value = r
                    return IPCReply(result: "here", fds: [w])
                } catch { throw .system(error) }
            },
            Op("tick.subscribe", .anyPeer) { r in
                events.add(r)
                startThread("ticker") {
                    for i in 1...3 { sleepSeconds(0.02); events.publish(.int(i)) }
                }
                return IPCReply(result: 0)
            },
        ] + extra
        let s = IPCServer(name: "testd", listener: listener, policy: policy, ops: ops)
        s.start()
        server = s
        return s
    }

    func testRequestReplyAndIdsEchoed() throws {
        _ = try startServer()
        let c = try IPCClient(path: path, role: "test")
        defer { c.close() }
        XCTAssertEqual(c.peerHello.role, "testd")
        XCTAssertEqual(try c.call("echo", ["x": 1]).result["x"]?.intValue, 1)
        XCTAssertEqual(try c.call("echo", ["y": "z"]).result["y"], "z")
    }

    /// The operator's CLI may be newer than the daemon it asks (binaries
    /// replaced, daemons not yet restarted): it gets a reply naming the ops.
    func testUnknownOpFromTheCLIGetsAnErrorReplyAndTheConnectionStaysUsable() throws {
        _ = try startServer()
        let c = try IPCClient(path: path, role: "cli")
        defer { c.close() }
        XCTAssertThrowsError(try c.call("no.such.op")) { error in
            guard case .remote(let code, let message)? = error as? IPCError else { return XCTFail("\(error)") }
            XCTAssertEqual(code, IPCError.Code.unknownOp)
            XCTAssertTrue(message.contains("no.such.op"))
        }
        XCTAssertThrowsError(try c.call("fail")) { XCTAssertEqual($0 as? IPCError, .remote(code: "nope", message: "failed on purpose")) }
        XCTAssertEqual(try c.call("echo", ["still": true]).result["still"], true)
    }

    func testPeerNotOnTheAllowListIsRefusedBeforeAnythingIsRead() throws {
        // An allow-list that does not contain our uid.
        let other = Users.currentUID &+ 4242
        _ = try startServer(policy: PeerPolicy(edgeUIDs: [other], adminUIDs: [other]))
        XCTAssertThrowsError(try IPCClient(path: path, role: "test")) { error in
            guard case .badHello(let why)? = error as? IPCError else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("may not connect"), why)
        }
    }

    func testOpRestrictedToAdminsIsRefusedToOthers() throws {
        let me = Users.currentUID
        _ = try startServer(policy: PeerPolicy(edgeUIDs: [me], adminUIDs: []))
        let c = try IPCClient(path: path, role: "test")
        defer { c.close() }
        XCTAssertThrowsError(try c.call("admin.only")) { error in
            guard case .remote(let code, _)? = error as? IPCError else { return XCTFail("\(error)") }
            XCTAssertEqual(code, IPCError.Code.forbidden)
        }
        // A non-admin that asked for what it may not have loses its connection (PeerSurprise);
        // the server goes on serving others.
        XCTAssertThrowsError(try c.call("echo"))
        let again = try IPCClient(path: path, role: "test")
        defer { again.close() }
        XCTAssertEqual(try again.call("echo").result, .object([:]))
    }

    func testWrongProtocolAndVersionAreRefused() throws {
        _ = try startServer()
        for hello in [#"{"hello":"nope","version":1,"role":"x"}"#, #"{"hello":"droidgate-ipc","version":99,"role":"x"}"#] {
            let s = try Socket.connectUnix(path: path)
            let f = FramedConnection(socket: s)
            try f.send(try JSONValue(parsing: hello))
            let (reply, _) = try f.receive(timeout: 5)
            XCTAssertEqual(reply["error"]?["code"], .string(IPCError.Code.badHello.rawValue))
            XCTAssertThrowsError(try f.receive(timeout: 5)) { XCTAssertEqual($0 as? IPCError, .disconnected) }
            f.close()
        }
    }

    func testMalformedFrameClosesThatConnectionOnly() throws {
        _ = try startServer()
        let good = try IPCClient(path: path, role: "test")
        defer { good.close() }
        let s = try Socket.connectUnix(path: path)
        let f = FramedConnection(socket: s)
        try f.send(Hello(role: "bad").message)
        _ = try f.receive(timeout: 5)
        // A frame announcing 2 MiB: over the limit.
        try [UInt8]([0, 0x20, 0, 0, 1, 2, 3]).withBytes { (b) throws(SystemError) in try s.sendAll(b) }
        let (reply, _) = try f.receive(timeout: 5)
        XCTAssertEqual(reply["error"]?["code"], .string(IPCError.Code.badRequest.rawValue))
        XCTAssertThrowsError(try f.receive(timeout: 5))
        f.close()
        XCTAssertEqual(try good.call("echo", ["ok": 1]).result["ok"]?.intValue, 1)
    }

    func testPeerThatDisconnectsMidFrameDoesNotHurtTheServer() throws {
        _ = try startServer()
        for _ in 0..<5 {
            let s = try Socket.connectUnix(path: path)
            let f = FramedConnection(socket: s)
            try f.send(Hello(role: "flaky").message)
            _ = try f.receive(timeout: 5)
            try [UInt8]([0, 0, 0, 50, 0x7b]).withBytes { (b) throws(SystemError) in try s.sendAll(b) }
            f.close()
        }
        let c = try IPCClient(path: path, role: "test")
        defer { c.close() }
        XCTAssertEqual(try c.call("echo", ["alive": true]).result["alive"], true)
    }

    func testReceiverNoticesPeerClosingMidFrame() throws {
        let (a, b) = try Socket.pair()
        let reader = FramedConnection(socket: a)
        try [UInt8]([0, 0, 0, 10, 0x7b, 0x7d]).withBytes { (buf) throws(SystemError) in try b.sendAll(buf) }
        b.close()
        XCTAssertThrowsError(try reader.receive(timeout: 5)) { error in
            guard case .invalidJSON(let why)? = error as? IPCError else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("middle of a frame"))
        }
        reader.close()
    }

    func testFileDescriptorPassedAndUsedOnTheOtherSide() throws {
        _ = try startServer()
        let c = try IPCClient(path: path, role: "test")
        defer { c.close() }
        let reply = try c.call("pipe")
        XCTAssertEqual(reply.result, "here")
        XCTAssertEqual(reply.fds.count, 1)
        let w = try XCTUnwrap(reply.fds.first)
        try w.writeAll(Array("through the pipe".utf8))
        w.close()
        let r = try XCTUnwrap(pipeReadEnd.value)
        var buf = [UInt8](repeating: 0, count: 64)
        let n = try buf.withMutableBytes { (b) throws(SystemError) in try r.read(into: b) }
        r.close()
        XCTAssertEqual(String(decoding: buf[0..<n], as: UTF8.self), "through the pipe")
    }

    func testSubscriptionEventsArePushed() throws {
        _ = try startServer()
        let c = try IPCClient(path: path, role: "test")
        defer { c.close() }
        let id = try c.send("tick.subscribe")
        var seen: [Int] = []
        while seen.count < 3 {
            let m = try c.nextMessage(timeout: 5)
            if m["id"]?.intValue == id { continue }
            XCTAssertEqual(m["event"], "tick")
            XCTAssertEqual(m["sub"]?.intValue, id)
            seen.append(m["data"]?.intValue ?? -1)
        }
        XCTAssertEqual(seen, [1, 2, 3])
    }

    func testReconnectingClientReconnectsAndResubscribes() throws {
        let s1 = try startServer()
        let events = Locked<[JSONValue]>([])
        let client = ReconnectingClient(path: path, role: "test", target: "testd",
                                        subscriptions: [.init(op: "tick.subscribe") { v in events.withLock { $0.append(v) } }])
        client.start()
        defer { client.stop() }
        XCTAssertTrue(waitUntil { client.status.connected && events.value.count >= 4 })
        XCTAssertEqual(try client.call("echo", ["n": 1]).result["n"]?.intValue, 1)

        s1.stop()
        XCTAssertTrue(waitUntil { !client.status.connected })
        XCTAssertThrowsError(try client.call("echo")) { error in
            guard case .notConnected? = error as? IPCError else { return XCTFail("\(error)") }
        }
        sleepSeconds(0.3)   // down for a while: the client backs off meanwhile
        Files.remove(path)
        _ = try startServer()
        XCTAssertTrue(waitUntil { client.status.connected && client.status.connects == 2 })
        XCTAssertTrue(waitUntil { events.value.count >= 8 }, "re-subscribed after the reconnect")
        XCTAssertEqual(try client.call("echo", ["n": 2]).result["n"]?.intValue, 2)
    }
}

let pipeReadEnd = Locked<FileDescriptor?>(nil)

func waitUntil(timeout: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Monotonic.seconds() + timeout
    while Monotonic.seconds() < deadline {
        if condition() { return true }
        sleepSeconds(0.01)
    }
    return condition()
}
