import Glibc
import Shared

/// Blocking accept loop; one thread per connection, requests on a connection
/// answered strictly in order (so pipelined requests come back in order).
struct HTTPServer: Sendable {
    let listener: Socket
    let backend: FakeBackend

    func run() -> Never {
        while true {
            let accepted: Socket?
            do {
                accepted = try listener.accept()
            } catch {
                Log.warning("accept: \(error)")
                sleepSeconds(0.05)
                continue
            }
            guard let socket = accepted else { continue }
            try? socket.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            let backend = backend
            startThread("fake-conn") { Connection(socket: socket, backend: backend).serve() }
        }
    }
}

/// One client connection, from accept to close.
struct Connection {
    let socket: Socket
    let backend: FakeBackend

    func serve() {
        backend.stats.connectionOpened()
        defer {
            socket.close()
            backend.stats.connectionClosed()
        }
        let reader = HTTPRequestReader(socket: socket, maxBodyBytes: backend.settings.maxBodyBytes,
                                       keepRaw: backend.settings.record)
        let writer = ResponseWriter(socket: socket)
        let router = Router(backend: backend)
        while true {
            switch reader.next(sendContinue: { backend.hang.checkpoint(); try? writer.sendContinue() }) {
            case .closed:
                return
            case .reject(let status, let message):
                backend.hang.checkpoint()
                Log.info("- - \(status) (\(message))")
                let body: JSONValue = ["error": ["message": .string(message), "type": "invalid_request_error"]]
                try? writer.sendJSON(status: status, body, close: true)
                return
            case .request(let request):
                backend.stats.requestReceived()
                if backend.settings.record && !request.path.hasPrefix("/_fake/") { backend.recorder.add(request) }
                backend.hang.checkpoint()
                let started = Monotonic.nanoseconds()
                let disposition = router.handle(request, writer)
                let ms = (Monotonic.nanoseconds() - started) / 1_000_000
                // Method, path (never the query: Gemini clients may put a key there) and status only.
                Log.info("\(Self.printable(request.method)) \(Self.printable(request.path)) \(writer.status) \(ms)ms")
                if case .close = disposition { return }
            }
        }
    }

    private static func printable(_ s: String) -> String {
        String(s.prefix(200).map { $0.isASCII && !$0.isWhitespace && $0 != "\u{7f}" && $0.asciiValue! >= 0x20 ? $0 : "?" })
    }
}
