import Foundation
import Glibc
import XCTest
@testable import Shared
@testable import supervisord

/// backend.log is the backend's text: each line is bounded where supervisord
/// reads it, however many reads a long line takes (issue 25).
final class LogTailTests: XCTestCase {
    func testALongLineWrittenInPiecesIsOneCutLineWithTheExactCount() throws {
        let path = NSTemporaryDirectory() + "logtail-\(UInt32.random(in: 0...UInt32.max)).log"
        defer { Files.remove(path) }
        try Files.writeAtomically(path, Array("before\n".utf8), mode: 0o600)
        let tail = LogTail(path: path)
        tail.start()
        let fd = try FileDescriptor.open(path, O_WRONLY | O_APPEND)
        defer { fd.close() }
        try fd.writeAll(Array("first\n".utf8))
        XCTAssertTrue(eventually { tail.lines.last == "first" }, "\(tail.lines)")
        // 2 MiB, a pause longer than a poll (the line is still open), 2 MiB more and its end.
        try fd.writeAll([UInt8](repeating: 0x41, count: 2 << 20))
        usleep(600_000)
        try fd.writeAll([UInt8](repeating: 0x42, count: 2 << 20) + Array("\nafter\n".utf8))
        XCTAssertTrue(eventually { tail.lines.last == "after" }, "\(tail.lines.map { $0.prefix(80) })")
        let lines = tail.lines
        XCTAssertEqual(lines.count, 4, "before, first, the long line, after: \(lines.map { $0.prefix(80) })")
        let long = lines[lines.count - 2]
        XCTAssertTrue(long.hasPrefix(String(repeating: "A", count: LogTail.maxLineBytes) + "…"), String(long.prefix(80)))
        XCTAssertTrue(long.hasSuffix("(\((4 << 20) - LogTail.maxLineBytes) more bytes cut)"), String(long.suffix(80)))
    }

    func eventually(timeout: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }
}
