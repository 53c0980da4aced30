import Foundation
import XCTest
@testable import supervisord
import Shared

/// Whose socket listens on the backend's port: the child's, nobody's, or a squatter's.
final class ListenerOwnershipTests: XCTestCase {
    func testOwnListenerIsTheChildsAndAnotherProcessSeesASquatter() throws {
        let s = try Socket.listenTCP(SocketAddress(parsing: "127.0.0.1:0")!)
        defer { s.close() }
        let port = Int(try XCTUnwrap(s.localAddress()).port)
        // This process as "the child": the listener is its own.
        let inode = try XCTUnwrap(Files.identity(of: s.fd)?.inode)
        XCTAssertEqual(ListenerOwnership.check(port: port, child: getpid()), .child([inode]))
        // Another process as "the child": the listener (ours) is a squatter's, and we are named.
        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/bin/sleep")
        other.arguments = ["30"]
        try other.run()
        defer { other.terminate(); other.waitUntilExit() }
        guard case .foreign(let squatter) = ListenerOwnership.check(port: port, child: other.processIdentifier) else {
            return XCTFail("expected a squatter")
        }
        XCTAssertEqual(squatter.pid, getpid())
        XCTAssertTrue(squatter.description.hasPrefix("pid \(getpid()) ("), squatter.description)
    }

    func testNothingListeningIsNobody() throws {
        let s = try Socket.listenTCP(SocketAddress(parsing: "127.0.0.1:0")!)
        let port = Int(try XCTUnwrap(s.localAddress()).port)
        s.close()
        XCTAssertEqual(ListenerOwnership.check(port: port, child: getpid()), .nobody)
        XCTAssertNil(PortOwner.squatter(port: port))
    }

    func testAGoneChildIsUnknown() {
        guard case .unknown = ListenerOwnership.check(port: 1, child: Int32.max) else { return XCTFail("expected unknown") }
    }

    /// supervisord's own duplicate of a socket the child let go of is the
    /// child having let go (nobody), not a squatter.
    func testOurDuplicateOfTheListenerIsNotASquatter() throws {
        let s = try Socket.listenTCP(SocketAddress(parsing: "127.0.0.1:0")!)
        defer { s.close() }
        let port = Int(try XCTUnwrap(s.localAddress()).port)
        let inode = try XCTUnwrap(Files.identity(of: s.fd)?.inode)
        let other = try Spawn.run("/bin/sleep", arguments: ["30"], environment: [:])
        defer { kill(other, SIGKILL); _ = try? Processes.wait(other) }
        XCTAssertEqual(ListenerOwnership.check(port: port, child: other, held: [inode]), .nobody)
        guard case .foreign = ListenerOwnership.check(port: port, child: other, held: [inode + 1]) else {
            return XCTFail("a socket we do not hold is a squatter's")
        }
    }

    /// The hold: after the child is killed, its port stays taken (nobody can
    /// bind it) until supervisord lets go of its duplicate.
    func testTheHeldListenerKeepsThePortAfterTheChildIsKilled() throws {
        let s = try Socket.listenTCP(SocketAddress(parsing: "127.0.0.1:0")!)
        let address = try XCTUnwrap(s.localAddress())
        let port = Int(address.port)
        var options = SpawnOptions()
        options.fdMap = [(s.fd, 3)]
        let pid = try Spawn.run("/bin/sleep", arguments: ["30"], environment: [:], options: options)
        s.close()   // the child's descriptor 3 is now the only one
        let child = BackendProcess(pid: pid, pidfd: try Pidfd.open(pid), startTime: 0, executable: "/bin/sleep", isOurChild: true)
        defer { child.close() }
        guard case .child(let inodes) = ListenerOwnership.check(port: port, child: pid) else { return XCTFail("the child's listener") }
        let hold = try ListenerHold.take(inodes, from: child)
        XCTAssertEqual(hold.inodes, inodes)

        kill(pid, SIGKILL)
        _ = try Processes.wait(pid)
        XCTAssertEqual(LoopbackListeners.receiving(port: port), Array(inodes), "still listening: our duplicate")
        XCTAssertThrowsError(try Socket.listenTCP(address), "nobody may bind the port while we hold it") { error in
            XCTAssertEqual((error as? SystemError)?.errno, EADDRINUSE, "\(error)")
        }
        hold.release()
        let next = try Socket.listenTCP(address)   // free once we let go
        next.close()
    }

    func testAHoldOnADescriptorThatIsNotTheListenerIsRefused() throws {
        let s = try Socket.listenTCP(SocketAddress(parsing: "127.0.0.1:0")!)
        defer { s.close() }
        let pid = try Spawn.run("/bin/sleep", arguments: ["30"], environment: [:])
        defer { kill(pid, SIGKILL); _ = try? Processes.wait(pid) }
        let child = BackendProcess(pid: pid, pidfd: try Pidfd.open(pid), startTime: 0, executable: "/bin/sleep", isOurChild: true)
        defer { child.close() }
        let inode = try XCTUnwrap(Files.identity(of: s.fd)?.inode)
        XCTAssertThrowsError(try ListenerHold.take([inode], from: child)) { error in
            guard case .notFound(pid) = error as? ListenerHold.Failure else { return XCTFail("\(error)") }
        }
    }
}
