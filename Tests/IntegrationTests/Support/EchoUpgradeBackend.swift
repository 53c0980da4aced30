import Foundation
import Glibc
import Shared

/// A backend for WebSocket handshakes: to a request that asks to upgrade it
/// answers `101 Switching Protocols` (plus `greeting`, sent right behind the
/// head), then echoes every byte back until the client's side ends, and
/// shuts its own. Anything else gets a 426. It records each request head.
/// The tunnel edged builds is protocol-blind, so plain bytes stand for frames.
final class EchoUpgradeBackend: @unchecked Sendable {
    let port: UInt16
    private let listener: Socket
    private let greeting: String
    let heads = Locked<[String]>([])
    /// Bytes echoed, over all connections.
    let echoed = Locked(0)
    private let stopped = Locked(false)

    init(port: UInt16, greeting: String = "") throws {
        self.port = port
        self.greeting = greeting
        listener = try Socket.listenTCP(SocketAddress(parsing: "127.0.0.1:\(port)")!)
        startThread("echo-upgrade") { [self] in
            while let c = try? listener.accept() {
                startThread("echo-upgrade-conn") { [self] in serve(c) }
            }
        }
    }

    private func serve(_ c: Socket) {
        defer { c.close() }
        var got: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var headEnd: Int? = nil
        while headEnd == nil {
            let n = Glibc.recv(c.fd.rawValue, &chunk, chunk.count, 0)
            if n <= 0 { return }
            got.append(contentsOf: chunk[0..<n])
            headEnd = got.indices.dropLast(3).first { got[$0] == 13 && got[$0 + 1] == 10 && got[$0 + 2] == 13 && got[$0 + 3] == 10 }
        }
        let head = String(decoding: got[0..<headEnd!], as: UTF8.self)
        heads.withLock { $0.append(head) }
        let asks = head.lowercased().contains("\r\nupgrade: websocket") && head.lowercased().contains("\r\nconnection: upgrade")
        guard asks else {
            send(c, "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        }
        send(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: test\r\n\r\n" + greeting)
        // Bytes that came with the head are the client's first.
        let early = Array(got[(headEnd! + 4)...])
        if !early.isEmpty { send(c, early) }
        while true {
            let n = Glibc.recv(c.fd.rawValue, &chunk, chunk.count, 0)
            if n <= 0 { break }
            send(c, Array(chunk[0..<n]))
        }
        c.shutdown(writing: true)
    }

    private func send(_ c: Socket, _ s: String) { send(c, Array(s.utf8)) }

    private func send(_ c: Socket, _ bytes: [UInt8]) {
        try? bytes.withBytes { (b) throws(SystemError) in try c.sendAll(b) }
        echoed.withLock { $0 += bytes.count }
    }

    func stop() {
        guard !stopped.withLock({ s in defer { s = true }; return s }) else { return }
        listener.shutdown(writing: true, reading: true)
        listener.close()
    }

    deinit { stop() }
}
