import Foundation
import XCTest
@testable import edged
import IPC
import Shared

/// edged sends to the backend's port only while supervisord's latest report
/// names a verified listener on that port whose process is alive.
final class BackendGateTests: XCTestCase {
    /// The report as supervisord's wire carries it, decoded as edged does.
    func report(_ pid: Int32?, port: Int = 8318) -> BackendReport? {
        BackendReport(["state": pid == nil ? "backoff" : "ready", "listener": pid.map { ["pid": .int(Int($0)), "port": .int(port)] } ?? .null])
    }

    func testClosedUntilAListenerIsReportedThenOpenForItsProcess() throws {
        let gate = BackendGate(port: 8318, supervised: true)
        XCTAssertNil(gate.admit(), "no report yet: nothing is sent")
        gate.apply(report(getpid()))
        let ticket = try XCTUnwrap(gate.admit())
        XCTAssertEqual(ticket.pid, getpid())
        XCTAssertTrue(gate.confirm(ticket))
        // A newer report, even naming the same process, voids the ticket.
        gate.apply(report(getpid()))
        XCTAssertFalse(gate.confirm(ticket))
        XCTAssertTrue(gate.confirm(try XCTUnwrap(gate.admit())))
        // No listener: closed.
        gate.apply(report(nil))
        XCTAssertNil(gate.admit())
    }

    func testAListenerOnAnotherPortDoesNotOpenIt() {
        let gate = BackendGate(port: 8318, supervised: true)
        gate.apply(report(getpid(), port: 9999))
        XCTAssertNil(gate.admit())
    }

    func testAListenerWhoseProcessExitedIsNotSentTo() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sleep")
        p.arguments = ["30"]
        try p.run()
        let gate = BackendGate(port: 8318, supervised: true)
        gate.apply(report(p.processIdentifier))
        let ticket = try XCTUnwrap(gate.admit())
        XCTAssertTrue(gate.confirm(ticket))
        XCTAssertNil(gate.exitedListener)
        p.terminate()
        p.waitUntilExit()
        XCTAssertFalse(gate.confirm(ticket), "its pidfd fired: the port may be anyone's now")
        XCTAssertEqual(gate.exitedListener, p.processIdentifier)
    }

    func testUnsupervisedIsAlwaysOpen() throws {
        let gate = BackendGate(port: 8318, supervised: false)
        XCTAssertTrue(gate.confirm(try XCTUnwrap(gate.admit())))
        gate.apply(report(nil))
        XCTAssertNotNil(gate.admit(), "reports are not taken unsupervised")
    }
}
