import Foundation
import Glibc
import XCTest
@testable import edged
import Shared

/// The kernel's word on who owns the other end of a loopback connection
/// (issue 25, clients.allowedUsers): our own connection, and — as root — one
/// made by another user's process.
final class SocketOwnerTests: XCTestCase {
    /// A connection of our own on `address`: (listener, client end, server end).
    func pair(_ address: String) throws -> (Socket, Socket, Socket) {
        let listener = try Socket.listenTCP(SocketAddress(parsing: address)!)
        let client = try Socket.connectTCP(listener.localAddress()!)
        return (listener, client, try XCTUnwrap(try listener.accept()))
    }

    func testOurOwnConnectionIsOurs() throws {
        let (listener, client, server) = try pair("127.0.0.1:0")
        defer { [listener, client, server].forEach { $0.close() } }
        XCTAssertEqual(try SocketOwner.uidOfPeer(server), geteuid())
        // Asked again on the same thread: the kept netlink socket.
        XCTAssertEqual(try SocketOwner.uidOfPeer(server), geteuid())
    }

    func testAConnectionThatDoesNotExistIsAnError() {
        let a = SocketAddress(parsing: "127.0.0.1:1")!, b = SocketAddress(parsing: "127.0.0.1:2")!
        XCTAssertThrowsError(try SocketOwner.uid(localEnd: a, remoteEnd: b)) { error in
            XCTAssertEqual((error as? SystemError)?.errno, ENOENT, "\(error)")
        }
    }

    func testIPv6Loopback() throws {
        guard let (listener, client, server) = try? pair("[::1]:0") else { throw XCTSkip("no IPv6 loopback") }
        defer { [listener, client, server].forEach { $0.close() } }
        XCTAssertEqual(try SocketOwner.uidOfPeer(server), geteuid())
    }

    func testAnotherUsersConnectionIsTheirs() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root to connect as another user") }
        let listener = try Socket.listenTCP(SocketAddress(parsing: "127.0.0.1:0")!)
        defer { listener.close() }
        let port = listener.localAddress()!.port
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c",
                       "import socket,time; s=socket.create_connection(('127.0.0.1', \(port))); time.sleep(5)"]
        try p.run()
        defer { p.terminate() }
        let server = try XCTUnwrap(try listener.accept())
        defer { server.close() }
        XCTAssertEqual(try SocketOwner.uidOfPeer(server), 65534)
    }
}
