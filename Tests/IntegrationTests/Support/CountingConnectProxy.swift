import Foundation
import Shared

/// A small HTTP proxy that only tunnels (CONNECT, RFC 9110 §9.3.6), as the
/// company proxies droidgate users sit behind do for HTTPS (squid's
/// `http_port`, tinyproxy): it reads the request head, checks
/// `Proxy-Authorization` when it has credentials (407 with
/// `Proxy-Authenticate: Basic` otherwise), connects to the target, answers
/// `200 Connection established` and copies bytes both ways. It records every
/// CONNECT (target, whether the credentials matched) and the bytes it carried,
/// and — the tests' Factory speaks plain HTTP inside the tunnel — each
/// `POST /` request line it carries, numbered in one sequence shared by every
/// proxy of the test process (`Self.sequence`), so a test can see the order in
/// which requests took the proxies. Anything but CONNECT gets 405, as a
/// tunnel-only proxy answers.
final class CountingConnectProxy: @unchecked Sendable {
    struct Tunnel: Equatable {
        let target: String
        let authorized: Bool
    }

    let port: UInt16
    private let listener: Socket
    private let expectedAuthorization: String?
    private let log = Locked<(tunnels: [Tunnel], refused: Int, bytes: Int)>(([], 0, 0))
    /// The numbers (in `sequence`) of the requests this proxy carried.
    let requests = Locked<[Int]>([])
    static let sequence = Locked(0)

    /// `credentials`: "user:password" the proxy demands (nil: it demands none).
    init(credentials: String? = nil) throws {
        port = freePort()
        listener = try Socket.listenTCP(SocketAddress(parsing: "127.0.0.1:\(port)")!)
        expectedAuthorization = credentials.map { "Basic " + Data($0.utf8).base64EncodedString() }
        Thread { [self] in
            while let c = try? listener.accept() { Thread { [self] in serve(c) }.start() }
        }.start()
    }

    var url: String { "http://127.0.0.1:\(port)" }
    var tunnels: [Tunnel] { log.value.tunnels }
    var refused: Int { log.value.refused }
    var bytesCarried: Int { log.value.bytes }
    func tunnels(to port: UInt16) -> Int { tunnels.filter { $0.target == "127.0.0.1:\(port)" && $0.authorized }.count }

    private func serve(_ c: Socket) {
        defer { c.close() }
        var got: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !got.containsHeadEnd {
            let n = (try? chunk.withMutableBytes { (b) throws(SystemError) in try c.fd.read(into: b) }) ?? 0
            if n <= 0 || got.count > 16384 { return }
            got.append(contentsOf: chunk[0..<n])
        }
        let end = got.headEndIndex!
        let lines = String(decoding: got[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count == 3, parts[0] == "CONNECT" else {
            send(c, "HTTP/1.1 405 Method Not Allowed\r\nAllow: CONNECT\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        }
        let target = String(parts[1])
        let auth = lines.dropFirst().first { $0.lowercased().hasPrefix("proxy-authorization:") }
            .map { String($0.dropFirst("proxy-authorization:".count)).trimmingCharacters(in: .whitespaces) }
        let authorized = expectedAuthorization == nil || auth == expectedAuthorization
        log.withLock { $0.tunnels.append(Tunnel(target: target, authorized: authorized)) }
        guard authorized else {
            log.withLock { $0.refused += 1 }
            send(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        }
        guard let address = SocketAddress(parsing: target), let far = try? Socket.connectTCP(address) else {
            send(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        }
        defer { far.close() }
        send(c, "HTTP/1.1 200 Connection established\r\n\r\n")
        if end < got.count { try? Array(got[end...]).withBytes { (b) throws(SystemError) in try far.sendAll(b) } }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            guard let ready = try? Poll.anyReadable([c.fd, far.fd], timeoutMs: -1) else { return }
            for fd in ready {
                let (from, to) = fd == c.fd ? (c, far) : (far, c)
                let n = (try? buffer.withMutableBytes { (b) throws(SystemError) in try from.fd.read(into: b) }) ?? 0
                if n <= 0 { return }
                log.withLock { $0.bytes += n }
                if from.fd.rawValue == c.fd.rawValue { countRequests(buffer[0..<n]) }
                guard (try? buffer.withBytes({ (b) throws(SystemError) in try to.sendAll(UnsafeRawBufferPointer(rebasing: b[0..<n])) })) != nil else { return }
            }
        }
    }

    /// Request lines in one read from the client side (a line is never split
    /// across reads in these tests: each request is written at once).
    private func countRequests(_ bytes: ArraySlice<UInt8>) {
        let text = String(decoding: bytes, as: UTF8.self)
        var rest = Substring(text)
        while let r = rest.range(of: "POST /") {
            if r.lowerBound == rest.startIndex || text[text.index(before: r.lowerBound)] == "\n" {
                let n = Self.sequence.withLock { s -> Int in s += 1; return s }
                requests.withLock { $0.append(n) }
            }
            rest = rest[r.upperBound...]
        }
    }

    private func send(_ c: Socket, _ s: String) {
        try? Array(s.utf8).withBytes { (b) throws(SystemError) in try c.sendAll(b) }
    }
}

private extension Array where Element == UInt8 {
    var headEndIndex: Int? {
        guard count >= 4 else { return nil }
        for i in 0...(count - 4) where self[i] == 13 && self[i + 1] == 10 && self[i + 2] == 13 && self[i + 3] == 10 { return i + 4 }
        return nil
    }
    var containsHeadEnd: Bool { headEndIndex != nil }
}
