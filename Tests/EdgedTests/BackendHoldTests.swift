import XCTest
@testable import edged

/// The retry policy for backend requests: when a request is held and tried
/// again, and when it is given up.
final class BackendHoldTests: XCTestCase {
    let second: UInt64 = 1_000_000_000

    func testHeldWhileTheBackendComesBackThenGivenUpAtTheHoldTime() {
        var h = BackendHold()
        XCTAssertFalse(h.isHolding)
        XCTAssertEqual(h.unreachable(now: 10 * second, holdNanos: 5 * second, backendHopeless: false), .retry(at: 10 * second + BackendHold.retryInterval))
        XCTAssertTrue(h.isHolding)
        XCTAssertFalse(h.takeDueRetry(now: 10 * second + 1), "not yet")
        XCTAssertTrue(h.takeDueRetry(now: 10 * second + BackendHold.retryInterval))
        XCTAssertFalse(h.takeDueRetry(now: 11 * second), "taken once")
        // The hold time counts from the first failure, not the latest.
        XCTAssertEqual(h.unreachable(now: 14 * second, holdNanos: 5 * second, backendHopeless: false), .retry(at: 14 * second + BackendHold.retryInterval))
        XCTAssertEqual(h.unreachable(now: 15 * second, holdNanos: 5 * second, backendHopeless: false), .giveUp)
    }

    func testAHopelessBackendIsNotWaitedFor() {
        var h = BackendHold()
        XCTAssertEqual(h.unreachable(now: second, holdNanos: 5 * second, backendHopeless: true), .giveUp)
    }

    func testAResetIsRetriedAFewTimesAndAStaleConnectionOnce() {
        var h = BackendHold()
        for _ in 0..<BackendHold.maxResetRetries { XCTAssertTrue(h.mayRetryAfterReset()) }
        XCTAssertFalse(h.mayRetryAfterReset())
        XCTAssertTrue(h.mayRetryStaleConnection())
        XCTAssertFalse(h.mayRetryStaleConnection())
        h.reset()
        XCTAssertTrue(h.mayRetryStaleConnection(), "a new request starts over")
        XCTAssertFalse(h.isHolding)
    }
}
