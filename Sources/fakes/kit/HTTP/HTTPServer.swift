import Glibc
import Shared

/// What the connection loop does after a response.
public enum Disposition: Sendable {
    case keepOpen
    case close
}

/// One fake server's request handling, shared by every connection thread.
public protocol FakeService: Sendable {
    var stats: Stats { get }
    var maxBodyBytes: Int { get }
    /// Keep each request's exact bytes (`HTTPRequest.raw`), for recording.
    var keepsRawRequests: Bool { get }
    /// Written first in every response head.
    var baseHeaders: [HTTPHeader] { get }
    /// Called before anything is answered (a hanging fake never returns from it).
    func checkpoint()
    /// Called with every complete request before it is handled (recording).
    func received(_ request: HTTPRequest)
    /// Writes the response; `writer.headOnly` and `writer.chunkedAllowed` are already set.
    func handle(_ request: HTTPRequest, _ writer: ResponseWriter) -> Disposition
    /// The body of the error answer to a request the reader refused (bad framing, too large …).
    func rejectBody(status: Int, message: String) -> JSONValue
}

extension FakeService {
    public var baseHeaders: [HTTPHeader] { [] }
    public func checkpoint() {}
    public func received(_ request: HTTPRequest) {}
    public func rejectBody(status: Int, message: String) -> JSONValue {
        ["error": ["message": .string(message), "type": "invalid_request_error"]]
    }
}

/// Blocking accept loop; one thread per connection, requests on a connection
/// answered strictly in order (so pipelined requests come back in order).
/// `requestStop` + `drain` give the graceful shutdown of Go's
/// `http.Server.Shutdown`: stop accepting, close idle connections, let busy
/// ones finish (then close them), up to a deadline.
public struct HTTPServer<Service: FakeService>: Sendable {
    public let listener: Socket
    public let service: Service
    public let connections = ConnectionRegistry()
    private let stopPipe: (read: FileDescriptor, write: FileDescriptor)?

    public init(listener: Socket, service: Service) {
        self.listener = listener
        self.service = service
        stopPipe = try? FileDescriptor.pipe()
    }

    /// Serves until the process exits (fakes that exit from their signal handler).
    public func run() -> Never {
        acceptUntilStopped()
        while true { sleepSeconds(3600) }
    }

    /// Serves until `requestStop()`; then closes the listener (new connections
    /// are refused from then on) and returns.
    public func acceptUntilStopped() {
        let watched = [listener.fd] + (stopPipe.map { [$0.read] } ?? [])
        while true {
            let ready: [FileDescriptor]
            do {
                ready = try Poll.anyReadable(watched, timeoutMs: -1)
            } catch {
                Log.warning("poll: \(error)")
                sleepSeconds(0.05)
                continue
            }
            if let stop = stopPipe?.read, ready.contains(stop) { break }
            guard ready.contains(listener.fd) else { continue }
            let accepted: Socket?
            do {
                accepted = try listener.accept(nonBlocking: false)
            } catch {
                Log.warning("accept: \(error)")
                sleepSeconds(0.05)
                continue
            }
            guard let socket = accepted else { continue }
            guard let id = connections.add(socket) else {
                socket.close()
                continue
            }
            try? socket.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            let service = service
            let connections = connections
            startThread("fake-conn") { Connection(socket: socket, id: id, service: service, registry: connections).serve() }
        }
        connections.beginShutdown()
        listener.close()
    }

    /// Asks `acceptUntilStopped` to return (safe from any thread, e.g. a signal handler).
    public func requestStop() {
        connections.beginShutdown()
        if let w = stopPipe?.write { try? w.writeAll([1]) }
    }

    /// After `acceptUntilStopped` returned: closes idle connections as they
    /// become idle until none is left (true) or `graceMilliseconds` passed
    /// (false; busy connections are then left as they are). Polls like
    /// Go's Shutdown: every 1 ms at first, doubling up to 500 ms.
    public func drain(graceMilliseconds: Int) -> Bool {
        let deadline = Monotonic.nanoseconds() + UInt64(max(0, graceMilliseconds)) * 1_000_000
        var interval = 0.001
        while true {
            if connections.closeIdle() == 0 { return true }
            let now = Monotonic.nanoseconds()
            if now >= deadline { return false }
            sleepSeconds(min(interval, Double(deadline - now) / 1e9))
            interval = min(interval * 2, 0.5)
        }
    }
}

/// One client connection, from accept to close.
struct Connection<Service: FakeService> {
    let socket: Socket
    let id: Int
    let service: Service
    let registry: ConnectionRegistry

    func serve() {
        let stats = service.stats
        stats.connectionOpened()
        defer {
            registry.remove(id)
            socket.close()
            stats.connectionClosed()
        }
        let reader = HTTPRequestReader(socket: socket, maxBodyBytes: service.maxBodyBytes,
                                       keepRaw: service.keepsRawRequests)
        let writer = ResponseWriter(socket: socket, baseHeaders: service.baseHeaders)
        let registry = registry
        writer.mustClose = { registry.shuttingDown }
        var first = true
        while true {
            // Idle until the next request's first bytes arrive (or shutdown closes us).
            if !reader.hasBufferedBytes {
                if !first { registry.markIdle(id) }
                _ = try? Poll.readable(socket.fd, timeoutMs: -1)
            }
            first = false
            guard registry.markActive(id) else { return }
            switch reader.next(sendContinue: { service.checkpoint(); try? writer.sendContinue() }) {
            case .closed:
                return
            case .reject(let status, let message):
                service.checkpoint()
                Log.info("- - \(status) (\(message))")
                try? writer.sendJSON(status: status, service.rejectBody(status: status, message: message), close: true)
                return
            case .request(let request):
                stats.requestReceived()
                service.received(request)
                service.checkpoint()
                let started = Monotonic.nanoseconds()
                writer.headOnly = request.method == "HEAD"
                writer.chunkedAllowed = request.version != "HTTP/1.0"
                let disposition = service.handle(request, writer)
                let ms = (Monotonic.nanoseconds() - started) / 1_000_000
                // Method, path (never the query: clients may put a key there) and status only.
                Log.info("\(Self.printable(request.method)) \(Self.printable(request.path)) \(writer.status) \(ms)ms")
                if case .close = disposition { return }
                // A response finished during shutdown closes its connection (no keep-alive).
                if registry.shuttingDown { return }
            }
        }
    }
    private static func printable(_ s: String) -> String {
        String(s.prefix(200).map { $0.isASCII && !$0.isWhitespace && $0 != "\u{7f}" && $0.asciiValue! >= 0x20 ? $0 : "?" })
    }
}

/// Writes one response and says whether the connection may go on.
public struct Reply {
    public let writer: ResponseWriter
    public let close: Bool

    public init(writer: ResponseWriter, close: Bool) {
        self.writer = writer
        self.close = close
    }

    public func json(_ status: Int, _ value: JSONValue, headers: [HTTPHeader] = []) -> Disposition {
        do { try writer.sendJSON(status: status, value, headers: headers, close: close) } catch { return .close }
        return close ? .close : .keepOpen
    }

    public func raw(_ status: Int, contentType: String?, _ body: [UInt8], headers: [HTTPHeader] = []) -> Disposition {
        do {
            try writer.send(status: status, contentType: contentType, body: body, headers: headers, close: close)
        } catch {
            return .close
        }
        return close ? .close : .keepOpen
    }

    /// `404 page not found` as plain text (what Go's and gin's muxes answer).
    public func notFound() -> Disposition {
        raw(404, contentType: "text/plain", Array("404 page not found".utf8))
    }
}
