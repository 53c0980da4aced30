import Foundation
import Glibc
import Shared

/// An HTTP/1.1 server for upstreams that misbehave on purpose (a hostile
/// Factory): it records each request's head and answers it with whatever
/// `answer` writes to the socket — a fixed reply, or bytes without end until
/// the peer stops reading or `limit` bytes went out. Keep-alive: requests on
/// one connection are served in turn until the peer closes.
final class ScriptedHTTPServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Socket
    let heads = Locked<[String]>([])
    /// Bytes written to peers, over all connections.
    let sent = Locked(0)
    private let answer: @Sendable (_ index: Int, _ write: (String) -> Bool) -> Void
    private let stopped = Locked(false)
    /// Close each connection once its first request is answered (and `answer`
    /// returned), as a server that ends idle keep-alive connections does.
    private let oneRequestPerConnection: Bool
    /// Connections accepted so far.
    let connections = Locked(0)

    /// `answer(index, write)`: the reply to the index-th request (0-based),
    /// written through `write`, which returns false once the peer is gone.
    init(oneRequestPerConnection: Bool = false, answer: @escaping @Sendable (_ index: Int, _ write: (String) -> Bool) -> Void) throws {
        port = freePort()
        self.oneRequestPerConnection = oneRequestPerConnection
        self.answer = answer
        listener = try Socket.listenTCP(SocketAddress(parsing: "127.0.0.1:\(port)")!)
        startThread("scripted-http") { [self] in
            while let c = try? listener.accept() {
                connections.withLock { $0 += 1 }
                startThread("scripted-http-conn") { [self] in serve(c) }
            }
        }
    }

    private func serve(_ c: Socket) {
        defer { c.close() }
        var got: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            var headEnd: Int? = nil
            while headEnd == nil {
                headEnd = got.count >= 4 ? (0...(got.count - 4)).first { got[$0] == 13 && got[$0 + 1] == 10 && got[$0 + 2] == 13 && got[$0 + 3] == 10 } : nil
                if headEnd != nil { break }
                let n = Glibc.recv(c.fd.rawValue, &chunk, chunk.count, 0)
                if n <= 0 { return }
                got.append(contentsOf: chunk[0..<n])
            }
            let head = String(decoding: got[0..<headEnd!], as: UTF8.self)
            let length = head.lowercased().split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            while got.count < headEnd! + 4 + length {
                let n = Glibc.recv(c.fd.rawValue, &chunk, chunk.count, 0)
                if n <= 0 { return }
                got.append(contentsOf: chunk[0..<n])
            }
            got.removeFirst(headEnd! + 4 + length)
            let index = heads.withLock { h -> Int in h.append(head); return h.count - 1 }
            var alive = true
            answer(index) { text in
                guard alive else { return false }
                let bytes = Array(text.utf8)
                alive = (try? bytes.withBytes { (b) throws(SystemError) in try c.sendAll(b) }) != nil
                if alive { sent.withLock { $0 += bytes.count } }
                return alive
            }
            if !alive || oneRequestPerConnection { return }
        }
    }

    func stop() {
        guard !stopped.withLock({ s in defer { s = true }; return s }) else { return }
        listener.shutdown(writing: true, reading: true)
        listener.close()
    }

    deinit { stop() }
}
