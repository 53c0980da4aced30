import Foundation
import Shared

/// A listener on droidgate's backend port that is not droidgate's: what any
/// local user could bind while the backend is down. It accepts every
/// connection and reads whatever arrives (a listener that only listened would
/// still get connections queued by the kernel), recording it, and never answers.
final class Squatter: @unchecked Sendable {
    let port: UInt16
    private let listener: Socket
    private let recorded = Locked<(connections: Int, bytes: [UInt8])>((0, []))
    private let stopping = Locked(false)
    private let finished = DispatchSemaphore(value: 0)

    private init(port: UInt16, listener: Socket) {
        self.port = port
        self.listener = listener
        Thread { [self] in serve() }.start()
    }

    /// Binds 127.0.0.1:`port`, trying every millisecond until `timeout` (the
    /// port frees when the process holding it has let go of it).
    static func bind(port: UInt16, timeout: Double = 10) -> Squatter? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if let s = try? Socket.listenTCP(SocketAddress(parsing: "127.0.0.1:\(port)")!) {
                try? s.fd.setNonBlocking()   // accept until EAGAIN, never block there
                return Squatter(port: port, listener: s)
            }
            usleep(1000)
        } while Date() < deadline
        return nil
    }

    var connections: Int { recorded.value.connections }
    var bytes: [UInt8] { recorded.value.bytes }

    /// What it got, in words (for assertion messages): never the bytes themselves.
    var summary: String {
        let (n, b) = recorded.value
        let text = String(decoding: b, as: UTF8.self)
        let first = text.split(separator: "\r\n").first.map { " starting \"\($0.prefix(80))\"" } ?? ""
        return "\(n) connection(s), \(b.count) byte(s)\(first)\(text.contains("Bearer dg-") ? ", carrying the backend's key" : "")"
    }

    /// Stops listening and closes every connection.
    func stop() {
        guard !stopping.withLock({ s -> Bool in defer { s = true }; return s }) else { return }
        finished.wait()
    }

    private func serve() {
        var open: [Socket] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while !stopping.value {
            let ready = (try? Poll.anyReadable([listener.fd] + open.map(\.fd), timeoutMs: 20)) ?? []
            if ready.contains(listener.fd) {
                while let c = try? listener.accept(nonBlocking: true) {
                    open.append(c)
                    recorded.withLock { $0.connections += 1 }
                }
            }
            var closed: [Int] = []
            for (i, c) in open.enumerated() where ready.contains(c.fd) {
                let n: Int? = buffer.withUnsafeMutableBytes { b in
                    do { return try c.fd.readNonBlocking(into: b) } catch { return 0 }
                }
                guard let n else { continue }   // nothing after all
                if n > 0 {
                    recorded.withLock { $0.bytes += buffer[0..<n] }
                } else {
                    c.close()
                    closed.append(i)
                }
            }
            for i in closed.reversed() { open.remove(at: i) }
        }
        for c in open { c.close() }
        listener.close()
        finished.signal()
    }

    deinit { stop() }
}
