import Foundation
import Glibc
import Shared

/// A deliberately low-level HTTP client for tests: sends exact bytes, reads
/// exact bytes, with timeouts, so tests can check framing and timing.
final class RawHTTP {
    let socket: Socket
    private var buffer: [UInt8] = []
    private(set) var closedByPeer = false

    init(port: UInt16) throws {
        socket = try Socket.connectTCP(SocketAddress(parsing: "127.0.0.1:\(port)")!)
    }

    deinit { socket.close() }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        try bytes.withBytes { (b) throws(SystemError) in try socket.sendAll(b) }
    }

    /// Reads whatever arrives within `timeout` (returns early once something arrived and `untilAny`).
    @discardableResult
    func fill(timeout: Double, untilAny: Bool = true) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        var got = 0
        var chunk = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline && !closedByPeer {
            let ms = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard try Poll.readable(socket.fd, timeoutMs: ms) else { break }
            let n = Glibc.recv(socket.fd.rawValue, &chunk, chunk.count, 0)
            if n <= 0 { closedByPeer = true; break }
            buffer.append(contentsOf: chunk[0..<n])
            got += n
            if untilAny { break }
        }
        return got
    }

    /// Waits until the buffered bytes contain `marker`; returns the index after it.
    func waitFor(_ marker: String, timeout: Double = 5) throws -> Int? {
        let m = Array(marker.utf8)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let r = find(m) { return r }
            if closedByPeer || Date() >= deadline { return nil }
            try fill(timeout: deadline.timeIntervalSinceNow)
        }
    }

    /// Reads until what has arrived ends with `marker` (checking only the end:
    /// for long bodies, where `waitFor`'s search from the start is too slow).
    func readUntil(endsWith marker: String, timeout: Double) throws -> Bool {
        let m = Array(marker.utf8)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if buffer.count >= m.count && buffer[(buffer.count - m.count)...].elementsEqual(m) { return true }
            if closedByPeer || Date() >= deadline { return false }
            try fill(timeout: deadline.timeIntervalSinceNow)
        }
    }

    var receivedCount: Int { buffer.count }

    /// Reads like a slow client, at most `bytesPerSecond` (in slices of a
    /// sixteenth of a second), until what arrived ends with `marker`; calls
    /// `tick` between slices. False when the time or the connection ran out.
    func readPaced(bytesPerSecond: Int, until marker: String, timeout: Double, tick: () -> Void = {}) throws -> Bool {
        let m = Array(marker.utf8)
        let slice = max(1, bytesPerSecond / 16)
        let start = Date()
        let received0 = buffer.count
        var chunk = [UInt8](repeating: 0, count: slice)
        var allowed = 0
        while true {
            if buffer.count >= m.count && buffer[(buffer.count - m.count)...].elementsEqual(m) { return true }
            let elapsed = Date().timeIntervalSince(start)
            if closedByPeer || elapsed >= timeout { return false }
            // Bytes the pace allows by now, less what was read.
            allowed = Int(elapsed * Double(bytesPerSecond)) + slice - (buffer.count - received0)
            if allowed <= 0 {
                tick()
                usleep(62_500)
                continue
            }
            guard try Poll.readable(socket.fd, timeoutMs: 100) else { tick(); continue }
            let n = Glibc.recv(socket.fd.rawValue, &chunk, min(allowed, chunk.count), 0)
            if n <= 0 { closedByPeer = true; continue }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    private func find(_ m: [UInt8]) -> Int? {
        guard buffer.count >= m.count else { return nil }
        for i in 0...(buffer.count - m.count) where buffer[i] == m[0] && Array(buffer[i..<(i + m.count)]) == m {
            return i + m.count
        }
        return nil
    }

    struct Response {
        var status: Int
        /// The status line's reason phrase.
        var reason = ""
        var headers: [(String, String)]
        var body: [UInt8]
        var bodyText: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        var json: JSONValue? { try? JSONValue(parsing: body) }
    }

    /// Reads one complete response (Content-Length, chunked, or until close).
    func readResponse(timeout: Double = 10) throws -> Response? {
        let deadline = Date().addingTimeInterval(timeout)
        guard let headEnd = try waitFor("\r\n\r\n", timeout: timeout) else { return nil }
        let headText = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let statusLine = lines.removeFirst()
        let status = Int(statusLine.split(separator: " ")[1]) ?? 0
        let headers = lines.map { l -> (String, String) in
            let i = l.firstIndex(of: ":")!
            return (String(l[..<i]), l[l.index(after: i)...].trimmingCharacters(in: .whitespaces))
        }
        var r = Response(status: status, headers: headers, body: [])
        r.reason = statusLine.split(separator: " ", maxSplits: 2).dropFirst(2).first.map(String.init) ?? ""
        buffer.removeFirst(headEnd)
        if status == 100 { return try readResponse(timeout: deadline.timeIntervalSinceNow) }
        if let cl = r.header("content-length").flatMap(Int.init) {
            while buffer.count < cl && !closedByPeer && Date() < deadline { try fill(timeout: deadline.timeIntervalSinceNow) }
            guard buffer.count >= cl else { return nil }
            r.body = Array(buffer[0..<cl])
            buffer.removeFirst(cl)
        } else if r.header("transfer-encoding")?.lowercased() == "chunked" {
            while true {
                guard let lineEnd = try waitFor("\r\n", timeout: deadline.timeIntervalSinceNow) else { return nil }
                let size = Int(String(decoding: buffer[0..<(lineEnd - 2)], as: UTF8.self), radix: 16) ?? -1
                guard size >= 0 else { return nil }
                while buffer.count < lineEnd + size + 2 && !closedByPeer && Date() < deadline { try fill(timeout: deadline.timeIntervalSinceNow) }
                guard buffer.count >= lineEnd + size + 2 else { return nil }
                r.body.append(contentsOf: buffer[lineEnd..<(lineEnd + size)])
                buffer.removeFirst(lineEnd + size + 2)
                if size == 0 { break }
            }
        } else {
            while !closedByPeer && Date() < deadline { try fill(timeout: deadline.timeIntervalSinceNow) }
            r.body = buffer
            buffer.removeAll()
        }
        return r
    }

    /// Everything received so far, as text.
    var received: String { String(decoding: buffer, as: UTF8.self) }
    var receivedBytes: [UInt8] { buffer }
    func clear() { buffer.removeAll() }

    /// True if the peer closes the connection within `timeout`.
    func waitForClose(timeout: Double) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !closedByPeer && Date() < deadline { try fill(timeout: deadline.timeIntervalSinceNow) }
        return closedByPeer
    }
}

/// One request over a fresh connection.
func request(_ port: UInt16, _ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:], timeout: Double = 10) throws -> RawHTTP.Response? {
    let c = try RawHTTP(port: port)
    var text = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n"
    for (k, v) in headers { text += "\(k): \(v)\r\n" }
    if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
    text += "Connection: close\r\n\r\n" + (body ?? "")
    try c.send(text)
    return try c.readResponse(timeout: timeout)
}

/// `POST /v1/messages` on a kept connection, `body` as JSON: the raw request the Factory tests send.
func messagesPOST(_ body: String) -> String {
    "POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
}
