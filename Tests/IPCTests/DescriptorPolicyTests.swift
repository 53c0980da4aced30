import Foundation
import Glibc
import XCTest
@testable import IPC
import Shared

/// FramedConnection's descriptor policy on a socketpair: every descriptor
/// recvmsg installs ends up with the frame that announced it, or closed.
final class DescriptorPolicyTests: XCTestCase {
    var pipe: TestPipe?
    /// Copies open before the test passes any.
    var before = 0

    override func setUpWithError() throws {
        pipe = try TestPipe()
        before = openCopies(of: pipe!.passed)
    }
    override func tearDown() { pipe?.close() }

    /// `n` times the same descriptor: it arrives as `n` new ones.
    func copies(_ n: Int) -> [FileDescriptor] { [FileDescriptor](repeating: pipe!.passed, count: n) }
    func passedCopiesOpen() -> Int { openCopies(of: pipe!.passed) }

    func testARefusingConnectionClosesWhatArrivesAndFails() throws {
        let (a, b) = try Socket.pair()
        let reader = FramedConnection(socket: a, descriptors: .refuse)
        let writer = FramedConnection(socket: b)
        defer { reader.close(); writer.close() }
        try writer.send(["id": 1, "op": "echo", "fds": 3], fds: copies(3))
        XCTAssertThrowsError(try reader.receive(timeout: 5)) { XCTAssertEqual($0 as? IPCError, .unexpectedDescriptors(3)) }
        XCTAssertEqual(passedCopiesOpen(), before, "the three that arrived were closed")
    }

    func testAnAcceptingConnectionHandsAnnouncedDescriptorsOver() throws {
        let (a, b) = try Socket.pair()
        let reader = FramedConnection(socket: a, descriptors: .accept)
        let writer = FramedConnection(socket: b)
        defer { reader.close(); writer.close() }
        try writer.send(["id": 1, "fds": 2], fds: copies(2))
        let (m, fds) = try reader.receive(timeout: 5)
        XCTAssertEqual(m["id"]?.intValue, 1)
        XCTAssertEqual(fds.count, 2)
        XCTAssertEqual(passedCopiesOpen(), before + 2)
        fds.forEach { $0.close() }
    }

    func testAnAcceptingConnectionHoldsAtMostOneFramesWorthUnclaimed() throws {
        let (a, b) = try Socket.pair()
        let reader = FramedConnection(socket: a, descriptors: .accept)
        let writer = FramedConnection(socket: b)
        defer { reader.close(); writer.close() }
        // Descriptors no frame announces: the first 16 wait, 16 more is a protocol error.
        try writer.send(["id": 1], fds: copies(16))
        try writer.send(["id": 2], fds: copies(16))
        XCTAssertEqual(try reader.receive(timeout: 5).fds.count, 0)
        XCTAssertThrowsError(try reader.receive(timeout: 5)) { XCTAssertEqual($0 as? IPCError, .unexpectedDescriptors(32)) }
        XCTAssertEqual(passedCopiesOpen(), before, "all 32 were closed")
    }
}
