import EdgeCore
import XCTest

/// The backend's head as relayed (issue 25): its Access-Control-* headers
/// dropped, edged's own for an allowed Origin, Connection: close in close mode.
final class RelayedHeadTests: XCTestCase {
    func rewrite(_ head: String, origin: String? = nil, close: Bool = false) -> String {
        var out: [UInt8] = []
        Array(head.utf8).withUnsafeBytes { h in
            if let origin {
                Array(origin.utf8).withUnsafeBytes { RelayedHead.write(h, allowOrigin: $0, addClose: close, into: &out) }
            } else {
                RelayedHead.write(h, allowOrigin: nil, addClose: close, into: &out)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    func needs(_ head: String, origin: Bool = false, close: Bool = false) -> Bool {
        Array(head.utf8).withUnsafeBytes { RelayedHead.needsRewrite($0, allowOrigin: origin, addClose: close) }
    }

    /// What gin's CORS middleware in cli-proxy-api writes (see FakeBackend.corsHeaders).
    let backendHead = "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Headers: *\r\nAccess-Control-Allow-Methods: GET, POST, PUT, PATCH, DELETE, OPTIONS\r\nAccess-Control-Allow-Origin: *\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n"

    func testVectors() {
        let vectors: [(name: String, head: String, origin: String?, close: Bool, want: String)] = [
            ("backend's CORS dropped, no Origin: no CORS headers at all", backendHead, nil, false,
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n"),
            ("allowed Origin: edged's own, before the blank line", backendHead, "https://app.example", false,
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nAccess-Control-Allow-Origin: https://app.example\r\nVary: Origin\r\n\r\n"),
            ("any case, any Access-Control-* name (Expose, Max-Age, Credentials)",
             "HTTP/1.1 204 No Content\r\naccess-control-expose-headers: x\r\nACCESS-CONTROL-MAX-AGE: 600\r\nAccess-Control-Allow-Credentials: true\r\nX-Keep: 1\r\n\r\n", nil, false,
             "HTTP/1.1 204 No Content\r\nX-Keep: 1\r\n\r\n"),
            ("a header merely mentioning access-control in its value stays",
             "HTTP/1.1 200 OK\r\nX-Note: access-control-allow-origin: *\r\nX-Access-Control-Allow-Origin: *\r\n\r\n", nil, false,
             "HTTP/1.1 200 OK\r\nX-Note: access-control-allow-origin: *\r\nX-Access-Control-Allow-Origin: *\r\n\r\n"),
            ("close mode too: Connection and Keep-Alive replaced by Connection: close, last", 
             "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 0\r\n\r\n", "http://localhost:3000", true,
             "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nAccess-Control-Allow-Origin: http://localhost:3000\r\nVary: Origin\r\nConnection: close\r\n\r\n"),
            ("bare LF line ends kept as they came",
             "HTTP/1.1 200 OK\nAccess-Control-Allow-Origin: *\nContent-Length: 0\n\n", nil, false,
             "HTTP/1.1 200 OK\nContent-Length: 0\n\n"),
            ("the status line is never a header, whatever it says",
             "HTTP/1.1 200 Access-Control-Ok:\r\n\r\n", nil, false,
             "HTTP/1.1 200 Access-Control-Ok:\r\n\r\n"),
        ]
        for v in vectors {
            XCTAssertEqual(rewrite(v.head, origin: v.origin, close: v.close), v.want, v.name)
        }
    }

    func testAPreflightFromAnAllowedOriginGetsWhatItAskedFor() {
        let head = "HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Headers: *\r\nAccess-Control-Allow-Methods: GET, POST, PUT, PATCH, DELETE, OPTIONS\r\nAccess-Control-Allow-Origin: *\r\n\r\n"
        var out: [UInt8] = []
        Array(head.utf8).withUnsafeBytes { h in
            Array("https://app.example".utf8).withUnsafeBytes { o in
                Array("POST".utf8).withUnsafeBytes { m in
                    Array("content-type, authorization".utf8).withUnsafeBytes { hs in
                        RelayedHead.write(h, cors: RelayedHead.CORS(origin: o, requestMethod: m, requestHeaders: hs), addClose: false, into: &out)
                    }
                }
            }
        }
        XCTAssertEqual(String(decoding: out, as: UTF8.self),
                       "HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: https://app.example\r\nVary: Origin\r\nAccess-Control-Allow-Methods: POST\r\nAccess-Control-Allow-Headers: content-type, authorization\r\n\r\n")
    }

    func testOnlyHeadsThatNeedItAreRewritten() {
        XCTAssertTrue(needs(backendHead))
        XCTAssertFalse(needs("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
        XCTAssertTrue(needs("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", origin: true))
        XCTAssertTrue(needs("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", close: true))
        XCTAssertFalse(needs("HTTP/1.1 200 Access-Control-Ok:\r\n\r\n"))
    }

    func testReusedBufferDoesNotGrowAgain() {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        let before = out.capacity
        for _ in 0..<100 {
            out.removeAll(keepingCapacity: true)
            Array(backendHead.utf8).withUnsafeBytes { RelayedHead.write($0, allowOrigin: nil, addClose: false, into: &out) }
        }
        XCTAssertEqual(out.capacity, before)
    }
}
