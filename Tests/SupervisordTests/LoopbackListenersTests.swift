import Foundation
import XCTest
@testable import supervisord
import Shared

/// Which listeners would take a connection to 127.0.0.1:port, from /proc's tables.
final class LoopbackListenersTests: XCTestCase {
    static let header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

    func table(_ rows: [(address: String, port: Int, state: String, inode: Int)]) -> [UInt8] {
        var text = Self.header
        for (i, r) in rows.enumerated() {
            let remote = r.address.count == 8 ? "00000000:0000" : String(repeating: "0", count: 32) + ":0000"
            text += "   \(i): \(r.address):\(String(format: "%04X", r.port)) \(remote) \(r.state) 00000000:00000000 00:00000000 00000000  1000        0 \(r.inode) 1 0000000000000000 100 0 0 10 0\n"
        }
        return Array(text.utf8)
    }

    func testV4LoopbackAndWildcardListenersCountAndOthersDoNot() {
        let tcp = table([("0100007F", 8318, "0A", 11),      // 127.0.0.1:8318, listening
                         ("00000000", 8318, "0A", 12),      // 0.0.0.0:8318
                         ("0200007F", 8318, "0A", 13),      // 127.0.0.2: never gets 127.0.0.1
                         ("0100007F", 8319, "0A", 14),      // another port
                         ("0100007F", 8318, "01", 15)])     // an established connection, not a listener
        XCTAssertEqual(LoopbackListeners.receiving(port: 8318, tcp: tcp, tcp6: []), [11, 12])
        XCTAssertEqual(LoopbackListeners.receiving(port: 9999, tcp: tcp, tcp6: []), [])
    }

    func testABusyTableIsReadQuickly() {
        // After a load test a host lists tens of thousands of TIME_WAIT connections.
        var rows = (0..<50_000).map { i in (address: "0100007F", port: 30000 + i % 20000, state: "06", inode: 0) }
        rows.insert(("00000000", 8318, "0A", 99), at: 25_000)
        let tcp = table(rows)
        let start = Date()
        XCTAssertEqual(LoopbackListeners.receiving(port: 8318, tcp: tcp, tcp6: []), [99])
        let elapsed = Date().timeIntervalSince(start)
        print("LoopbackListeners: \(tcp.count) bytes, 50,001 rows read in \(Int(elapsed * 1000)) ms")
        XCTAssertLessThan(elapsed, 0.25, "checked every 0.25 s while the backend runs")
    }

    func testV6WildcardCountsOnlyWithoutAV4Listener() {
        let any6 = String(repeating: "0", count: 32)
        let tcp6 = table([(any6, 8318, "0A", 21), ("0000000000000000FFFF00000100007F", 8320, "0A", 22)])
        // Alone, a [::] listener may be dual-stack: it counts.
        XCTAssertEqual(LoopbackListeners.receiving(port: 8318, tcp: [], tcp6: tcp6), [21])
        // Beside a v4 listener it can only be v6-only (a dual-stack bind would have conflicted).
        XCTAssertEqual(LoopbackListeners.receiving(port: 8318, tcp: table([("0100007F", 8318, "0A", 11)]), tcp6: tcp6), [11])
        // ::ffff:127.0.0.1 is 127.0.0.1.
        XCTAssertEqual(LoopbackListeners.receiving(port: 8320, tcp: [], tcp6: tcp6), [22])
    }

    func testOurOwnListenerIsFoundWithItsOwner() throws {
        let s = try Socket.listenTCP(SocketAddress(parsing: "127.0.0.1:0")!)
        defer { s.close() }
        let port = Int(try XCTUnwrap(s.localAddress()).port)
        let inodes = try XCTUnwrap(LoopbackListeners.receiving(port: port))
        XCTAssertEqual(inodes.count, 1)
        XCTAssertEqual(LoopbackListeners.held(Set(inodes), by: getpid()), Set(inodes))
        XCTAssertEqual(LoopbackListeners.owner(of: inodes[0])?.pid, getpid())
    }
}
