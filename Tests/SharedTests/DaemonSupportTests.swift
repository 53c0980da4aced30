import XCTest
@testable import Shared

final class DaemonSupportTests: XCTestCase {
    func testListenFDsParsing() {
        let ok = ListenFDs.parse(pid: "42", fds: "2", names: "http:ipc", ourPID: 42)
        XCTAssertEqual(ok.entries.map(\.name), ["http", "ipc"])
        XCTAssertEqual(ok.entries.map(\.fd.rawValue), [3, 4])
        XCTAssertEqual(ok.first(named: "ipc")?.rawValue, 4)
        XCTAssertTrue(ListenFDs.parse(pid: "41", fds: "2", names: nil, ourPID: 42).entries.isEmpty, "meant for another process")
        XCTAssertTrue(ListenFDs.parse(pid: nil, fds: "1", names: nil, ourPID: 42).entries.isEmpty)
        XCTAssertTrue(ListenFDs.parse(pid: "42", fds: "zero", names: nil, ourPID: 42).entries.isEmpty)
        XCTAssertEqual(ListenFDs.parse(pid: "42", fds: "1", names: nil, ourPID: 42).entries.map(\.name), ["unknown"])
    }

    func testLogLineFormats() {
        XCTAssertEqual(Log.format(.error, "boom", journal: true), "<3>boom\n")
        XCTAssertEqual(Log.format(.debug, "a\nb\rc", journal: true), "<7>a\\x0ab\\x0dc\n", "one event stays one line")
        // CR LF is one Swift Character; NUL splits a journal entry; DEL and the other C0 bytes too.
        XCTAssertEqual(Log.format(.info, "model=x\r\n<0>forged", journal: true), "<6>model=x\\x0d\\x0a<0>forged\n")
        XCTAssertEqual(Log.format(.info, "a\u{0}b\u{7f}c\td\u{1b}[31m", journal: true), "<6>a\\x00b\\x7fc\\x09d\\x1b[31m\n")
        XCTAssertEqual(Log.format(.info, "naïve ✓", journal: true), "<6>naïve ✓\n", "other bytes pass as they are")
        let plain = Log.format(.warning, "careful", journal: false)
        XCTAssertTrue(plain.hasSuffix(" warning: careful\n"), plain)
        XCTAssertTrue(plain.hasPrefix("20"), plain)
    }

    func testSocketAddressParsing() {
        XCTAssertEqual(SocketAddress(parsing: "127.0.0.1:8317")?.port, 8317)
        XCTAssertEqual(SocketAddress(parsing: "localhost:1")?.description, "127.0.0.1:1")
        XCTAssertEqual(SocketAddress(parsing: "[::1]:80")?.description, "[::1]:80")
        XCTAssertNil(SocketAddress(parsing: "::1:80"), "IPv6 needs brackets")
        XCTAssertNil(SocketAddress(parsing: "127.0.0.1"))
        XCTAssertNil(SocketAddress(parsing: "127.0.0.1:99999"))
        XCTAssertNil(SocketAddress(parsing: "host.example:80"))
        XCTAssertTrue(SocketAddress(parsing: "127.8.9.1:1")!.isLoopback)
        XCTAssertFalse(SocketAddress(parsing: "0.0.0.0:1")!.isLoopback)
        XCTAssertFalse(SocketAddress(parsing: "[::]:1")!.isLoopback)
        XCTAssertFalse(SocketAddress(parsing: "10.0.0.1:1")!.isLoopback)
    }

    func testAtomicWriteSetsModeAndReplaces() throws {
        let dir = NSTemporaryDirectory() + "files-\(UInt32.random(in: 0...UInt32.max))"
        try Files.makeDirectory(dir, mode: 0o700)
        let path = dir + "/secret.json"
        try Files.writeAtomically(path, Array("one".utf8), mode: 0o600)
        try Files.writeAtomically(path, Array("two".utf8), mode: 0o600)
        XCTAssertEqual(try Files.read(path), Array("two".utf8))
        XCTAssertEqual(try Files.status(path).mode, 0o600)
        XCTAssertEqual(try Files.status(dir).mode, 0o700)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertEqual(leftovers, ["secret.json"], "no temp files left behind")
        Files.remove(path)
        try FileManager.default.removeItem(atPath: dir)
    }

    func testSystemErrorsNameTheCall() {
        XCTAssertThrowsError(try Socket.connectUnix(path: "/nonexistent/x.sock")) { error in
            XCTAssertEqual("\(error)", "connect /nonexistent/x.sock: No such file or directory (errno 2)")
        }
    }

    func testNotifySendsOneDatagram() throws {
        unsetenv("NOTIFY_SOCKET")
        XCTAssertFalse(Notify.send(["READY=1"]), "without NOTIFY_SOCKET nothing is sent")
        let path = NSTemporaryDirectory() + "notify-\(UInt32.random(in: 0...UInt32.max)).sock"
        let receiver = try Socket.bindDatagram(path: path)
        defer { receiver.close(); Files.remove(path) }
        setenv("NOTIFY_SOCKET", path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        Notify.ready(status: "serving\nnow")
        let got = try receiver.receiveDatagram(timeoutMs: 2000)
        XCTAssertEqual(got.map { String(decoding: $0, as: UTF8.self) }, "READY=1\nSTATUS=serving now")
        Notify.mainPID(1234)
        XCTAssertEqual(try receiver.receiveDatagram(timeoutMs: 2000).map { String(decoding: $0, as: UTF8.self) }, "MAINPID=1234")
    }

    func testNotifyToAbstractSocket() throws {
        let name = "@droidgate-test-\(UInt32.random(in: 0...UInt32.max))"
        let receiver = try Socket.bindDatagram(path: name)
        defer { receiver.close() }
        setenv("NOTIFY_SOCKET", name, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        Notify.watchdog()
        XCTAssertEqual(try receiver.receiveDatagram(timeoutMs: 2000).map { String(decoding: $0, as: UTF8.self) }, "WATCHDOG=1")
    }
}

/// Ids from the loop's random pool: well-formed, and never the same bytes twice
/// (across the refill of its buffer too).
final class RandomPoolTests: XCTestCase {
    func testIdsAreWellFormedAndDistinctAcrossRefills() {
        let pool = RandomPool(bytes: 64)   // a refill every 4 UUIDs
        var seen = Set<String>()
        for _ in 0..<1000 {
            let u = pool.uuid()
            XCTAssertTrue(seen.insert(u).inserted, "\(u) came twice")
            let parts = u.split(separator: "-", omittingEmptySubsequences: false).map(\.count)
            XCTAssertEqual(parts, [8, 4, 4, 4, 12], u)
            XCTAssertTrue(u.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || $0 == 0x2d }, u)
            XCTAssertEqual(Array(u.utf8)[14], UInt8(ascii: "4"), "version 4: \(u)")
            XCTAssertTrue("89ab".utf8.contains(Array(u.utf8)[19]), "RFC 4122 variant: \(u)")
        }
        let h = pool.hex(12)
        XCTAssertEqual(h.utf8.count, 24)
        XCTAssertNotEqual(h, pool.hex(12))
    }
}
