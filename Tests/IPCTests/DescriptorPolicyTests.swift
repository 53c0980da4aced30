import Foundation
import Glibc
import XCTest
@testable import IPC
import Shared

/// FramedConnection's descriptor policy on a socketpair: every descriptor
/// recvmsg installs ends up with the frame that announced it, or closed.
final class DescriptorPolicyTests: XCTestCase {
    var devNull = FileDescriptor(rawValue: -1)

    override func setUpWithError() throws {
        devNull = try FileDescriptor.open("/dev/null", O_RDONLY | O_CLOEXEC)
    }

    override func tearDown() { devNull.close() }

    func descriptorCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }

    func copies(_ n: Int) -> [FileDescriptor] { [FileDescriptor](repeating: devNull, count: n) }

    func testARefusingConnectionClosesWhatArrivesAndFails() throws {
        let (a, b) = try Socket.pair()
        let reader = FramedConnection(socket: a, descriptors: .refuse)
        let writer = FramedConnection(socket: b)
        defer { reader.close(); writer.close() }
        let baseline = descriptorCount()
        try writer.send(["id": 1, "op": "echo", "fds": 3], fds: copies(3))
        XCTAssertThrowsError(try reader.receive(timeout: 5)) { XCTAssertEqual($0 as? IPCError, .unexpectedDescriptors(3)) }
        XCTAssertEqual(descriptorCount(), baseline, "the three that arrived were closed")
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
        fds.forEach { $0.close() }
    }

    func testAnAcceptingConnectionHoldsAtMostOneFramesWorthUnclaimed() throws {
        let (a, b) = try Socket.pair()
        let reader = FramedConnection(socket: a, descriptors: .accept)
        let writer = FramedConnection(socket: b)
        defer { reader.close(); writer.close() }
        let baseline = descriptorCount()
        // Descriptors no frame announces: the first 16 wait, 16 more is a protocol error.
        try writer.send(["id": 1], fds: copies(16))
        try writer.send(["id": 2], fds: copies(16))
        XCTAssertEqual(try reader.receive(timeout: 5).fds.count, 0)
        XCTAssertThrowsError(try reader.receive(timeout: 5)) { XCTAssertEqual($0 as? IPCError, .unexpectedDescriptors(32)) }
        XCTAssertEqual(descriptorCount(), baseline, "all 32 were closed")
    }
}
