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
public struct HTTPServer<Service: FakeService>: Sendable {
    public let listener: Socket
    public let service: Service

    public init(listener: Socket, service: Service) {
        self.listener = listener
        self.service = service
    }

    public func run() -> Never {
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
            let service = service
            startThread("fake-conn") { Connection(socket: socket, service: service).serve() }
        }
    }
}

/// One client connection, from accept to close.
struct Connection<Service: FakeService> {
    let socket: Socket
    let service: Service

    func serve() {
        let stats = service.stats
        stats.connectionOpened()
        defer {
            socket.close()
            stats.connectionClosed()
        }
        let reader = HTTPRequestReader(socket: socket, maxBodyBytes: service.maxBodyBytes,
                                       keepRaw: service.keepsRawRequests)
        let writer = ResponseWriter(socket: socket, baseHeaders: service.baseHeaders)
        while true {
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
