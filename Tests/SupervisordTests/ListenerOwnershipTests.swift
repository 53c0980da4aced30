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
        XCTAssertEqual(ListenerOwnership.check(port: port, child: getpid()), .child)
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
}
