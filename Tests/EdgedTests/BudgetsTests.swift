import XCTest
@testable import edged
import Foundation
import Shared

/// The pieces of edged's budgets (issue 25) on their own.
final class BudgetsTests: XCTestCase {
    func testBufferBudgetTakesUpToItsLimitAndGetsBytesBack() {
        let b = BufferBudget(limit: 100)
        XCTAssertTrue(b.take(60))
        XCTAssertFalse(b.take(41), "past the limit")
        XCTAssertEqual(b.inUse, 60, "a refused take takes nothing")
        XCTAssertTrue(b.take(40))
        XCTAssertFalse(b.take(1))
        b.give(50)
        XCTAssertTrue(b.take(50))
        XCTAssertEqual(b.inUse, 100)
    }

    func testBufferBudgetHoldsAcrossThreads() {
        let b = BufferBudget(limit: 1000)
        let taken = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<1000 where b.take(1) { taken.withLock { $0 += 1 } }
        }
        XCTAssertEqual(taken.value, 1000)
        XCTAssertEqual(b.inUse, 1000)
    }

    func testRateLimitedLogSpeaksOnceAnIntervalWithTheCount() {
        let log = RateLimitedLog(intervalSeconds: 1)
        let s: UInt64 = 1_000_000_000
        XCTAssertEqual(log.due(now: 10 * s), 1, "the first event is logged at once")
        for i in 1...99 { XCTAssertNil(log.due(now: 10 * s + UInt64(i) * 5_000_000)) }
        XCTAssertEqual(log.due(now: 11 * s), 100, "the next line counts those kept quiet")
        XCTAssertNil(log.due(now: 11 * s + 1))
    }

    func testAReserveWithACeilingStopsGrowingAtIt() {
        var b = ByteBuffer()
        b.append([UInt8](repeating: 1, count: 100))
        // A 900,100-byte request: doubling would reach 1 MiB; the ceiling keeps it exact.
        while b.readableCount < 900_100 {
            b.reserve(min(65536, 900_100 - b.readableCount), ceiling: 900_100)
            b.didWrite(min(b.writable.count, 900_100 - b.readableCount))
        }
        XCTAssertEqual(b.capacity, 900_100)
        XCTAssertEqual(b.capacityAfterReserve(1, ceiling: 900_100), 900_101, "more than the ceiling only when asked for")
        b.release()
    }
}
