import Foundation
import Glibc
import Shared

/// A backend that answers every request with fixed bytes: for responses no
/// real backend would send. Each connection gets its answer once the request
/// (head and Content-Length body) has arrived, in the given parts with a pause
/// between them, and is closed `holdSeconds` after the last part.
final class RawBackend: @unchecked Sendable {
    let port: UInt16
    private let listener: Socket
    private let parts: [String]
    private let pause: Double
    private let holdSeconds: Double
    let connections = Locked(0)
    private let stopped = Locked(false)

    init(port: UInt16, answer parts: [String], pause: Double = 0.2, holdSeconds: Double = 0.5) throws {
        self.port = port
        self.parts = parts
        self.pause = pause
        self.holdSeconds = holdSeconds
        listener = try Socket.listenTCP(SocketAddress(parsing: "127.0.0.1:\(port)")!)
        startThread("raw-backend") { [self] in acceptLoop() }
    }

    private func acceptLoop() {
        while let c = try? listener.accept() {
            connections.withLock { $0 += 1 }
            startThread("raw-backend-conn") { [self] in serve(c) }
        }
    }

    private func serve(_ c: Socket) {
        defer { c.close() }
        guard readRequest(c) else { return }
        for (i, part) in parts.enumerated() {
            if i > 0 { sleepSeconds(pause) }
            do { try Array(part.utf8).withBytes { (b) throws(SystemError) in try c.sendAll(b) } } catch { return }
        }
        sleepSeconds(holdSeconds)
    }

    /// Reads one request: the head, then as many body bytes as its Content-Length says.
    private func readRequest(_ c: Socket) -> Bool {
        var got: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let text = String(decoding: got, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if got.count - text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound) >= length { return true }
            }
            let n = Glibc.recv(c.fd.rawValue, &chunk, chunk.count, 0)
            if n <= 0 { return false }
            got.append(contentsOf: chunk[0..<n])
        }
    }

    /// Stops accepting (connections being served finish on their own).
    func stop() {
        guard !stopped.withLock({ s in defer { s = true }; return s }) else { return }
        listener.shutdown(writing: true, reading: true)   // wakes the blocked accept
        listener.close()
    }

    deinit { stop() }
}
