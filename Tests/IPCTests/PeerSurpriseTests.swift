import Foundation
import Glibc
import XCTest
@testable import IPC
import Shared

/// A peer that surprises an IPC server — descriptors no op takes, an op the
/// server lacks — loses its connection, and leaves nothing behind in the
/// server's descriptor table. The server runs in this process, so
/// /proc/self/fd is its descriptor table.
extension ServerTests {
    /// A raw connection past the hello, as a peer calling itself `role`.
    func helloedPeer(role: String) throws -> FramedConnection {
        let f = FramedConnection(socket: try Socket.connectUnix(path: path))
        try f.send(Hello(role: role).message)
        XCTAssertEqual(try f.receive(timeout: 5).message["hello"], .string(IPCProtocol.name))
        return f
    }

    /// The next frame must be an error reply with `code`, and then the server must hang up.
    func assertHungUp(_ f: FramedConnection, code: IPCError.Code, _ what: String, line: UInt = #line) {
        do {
            let (reply, _) = try f.receive(timeout: 5)
            XCTAssertEqual(reply["error"]?["code"], .string(code.rawValue), "\(what): \(reply)", line: line)
        } catch {
            XCTFail("\(what): no error reply: \(error)", line: line)
        }
        XCTAssertThrowsError(try f.receive(timeout: 2), "\(what): the connection stayed open", line: line) { error in
            XCTAssertEqual(error as? IPCError, .disconnected, "\(what)", line: line)
        }
    }

    func testDescriptorsAPeerPassesAreClosedAndEndItsConnection() throws {
        _ = try startServer()
        let pipe = try TestPipe()
        defer { pipe.close() }
        // One descriptor passed 16 times arrives as 16 new ones at the server.
        let sixteen = [FileDescriptor](repeating: pipe.passed, count: 16)
        let before = openCopies(of: pipe.passed)
        for round in 0..<10 {
            let f = try helloedPeer(role: "edged")
            // Announced ("fds":16) or not: no op takes any.
            var request: JSONObject = ["id": 1, "op": "echo", "args": .object([:])]
            if round % 2 == 0 { request["fds"] = 16 }
            for _ in 0..<8 {
                do { try f.send(.object(request), fds: sixteen) } catch { break }   // the server hung up
            }
            assertHungUp(f, code: IPCError.Code.badRequest, "round \(round)")
            f.close()
        }
        XCTAssertTrue(waitUntil { openCopies(of: pipe.passed) == before },
                      "the server holds \(openCopies(of: pipe.passed) - before) of the descriptors the peers passed")
        let c = try IPCClient(path: path, role: "test")
        defer { c.close() }
        XCTAssertEqual(try c.call("echo", ["still": true]).result["still"], true, "the server serves others")
    }

    func testDescriptorsWithTheHelloAreClosedAndEndTheConnection() throws {
        _ = try startServer()
        let pipe = try TestPipe()
        defer { pipe.close() }
        let before = openCopies(of: pipe.passed)
        let f = FramedConnection(socket: try Socket.connectUnix(path: path))
        defer { f.close() }
        try f.send(Hello(role: "edged").message, fds: [FileDescriptor](repeating: pipe.passed, count: 16))
        assertHungUp(f, code: IPCError.Code.badHello, "hello with descriptors")
        XCTAssertTrue(waitUntil { openCopies(of: pipe.passed) == before })
    }

    func testUnknownOpFromEdgedClosesTheConnection() throws {
        _ = try startServer()
        let f = try helloedPeer(role: "edged")
        defer { f.close() }
        try f.send(Messages.request(id: 3, op: "token.steal", args: [:]))
        assertHungUp(f, code: IPCError.Code.unknownOp, "unknown op from edged")
    }

    func testUnknownOpFromAPeerThatIsNotAnAdminClosesTheConnectionWhateverItCallsItself() throws {
        let me = Users.currentUID
        _ = try startServer(policy: PeerPolicy(edgeUIDs: [me], adminUIDs: []))
        let f = try helloedPeer(role: "cli")
        defer { f.close() }
        try f.send(Messages.request(id: 4, op: "no.such.op", args: [:]))
        assertHungUp(f, code: IPCError.Code.unknownOp, "unknown op from a non-admin")
    }

    /// An op the peer may not call, or `args` that are not an object: as fatal as
    /// an unknown op for every peer but the admin CLI (#28), which still gets
    /// the answer and keeps its connection.
    func testAForbiddenOpOrMalformedArgsCloseTheConnectionOfAnyPeerButTheAdminCLI() throws {
        let me = Users.currentUID
        _ = try startServer(policy: PeerPolicy(edgeUIDs: [me], adminUIDs: []))
        let edge = try helloedPeer(role: "edged")
        defer { edge.close() }
        try edge.send(Messages.request(id: 5, op: "admin.only", args: [:]))
        assertHungUp(edge, code: IPCError.Code.forbidden, "a forbidden op from a non-admin")
        let bad = try helloedPeer(role: "edged")
        defer { bad.close() }
        try bad.send(["id": 6, "op": "echo", "args": "not an object"])
        assertHungUp(bad, code: IPCError.Code.badRequest, "args that are not an object")
        server?.stop()

        _ = try startServer()   // the standard policy: this uid is an admin
        let cli = try helloedPeer(role: "cli")
        defer { cli.close() }
        try cli.send(["id": 7, "op": "echo", "args": 3])
        XCTAssertEqual(try cli.receive(timeout: 5).message["error"]?["code"], .string(IPCError.Code.badRequest.rawValue))
        try cli.send(Messages.request(id: 8, op: "echo", args: ["still": true]))
        XCTAssertEqual(try cli.receive(timeout: 5).message["result"]?["still"], true, "the admin CLI keeps its connection")
    }

    /// An edged that subscribes to an op its peer lacks (an older daemon) is
    /// hung up on at every connect: it must back off, not reconnect in a loop.
    func testReconnectingClientBacksOffWhenThePeerHangsUpAtOnce() throws {
        _ = try startServer()
        let client = ReconnectingClient(path: path, role: "edged", target: "testd",
                                        subscriptions: [.init(op: "feature.from.the.future") { _ in }])
        client.start()
        defer { client.stop() }
        sleepSeconds(2)
        let connects = client.status.connects
        XCTAssertGreaterThanOrEqual(connects, 2, "it does reconnect")
        XCTAssertLessThanOrEqual(connects, 8, "\(connects) connections in 2 s: a reconnect loop")
    }
}
