import EdgeCore
import Shared

/// Something producing a response body that the sink can slow down.
protocol ResponseProducer: AnyObject {
    /// Stops reading from the producer's source until `resume`.
    func pause()
    func resume()
    /// The client's side is gone or cut off: stop producing.
    func cancel()
}

/// Where every response a client gets is written, whichever route produced
/// it: begin (a head), body (→ "pause?"), end. Owns the framing edged adds
/// itself (chunked for HTTP/1.1, close-delimited for HTTP/1.0) and the
/// backpressure: when more than `highWater` bytes wait for a slow client the
/// producer (a backend connection, or a Factory transfer libcurl pauses) is
/// paused, and resumed once they are written.
final class ResponseSink {
    enum Framing {
        /// The backend's head and framing, relayed as they are.
        case relayed
        /// Our head; each body write becomes one chunk.
        case chunked
        /// Our head; the body ends when the connection does (HTTP/1.0 clients).
        case untilClose
    }

    /// Stop reading a producer while this much is queued for the client.
    static let highWater = 1 << 20

    /// Unowned: the connection owns its sink. Every entry point loads it into
    /// a strong local first, because a write can end the connection (the
    /// client reset it) and the connection's last reference is the server's
    /// list: without the local it, and this sink, would be freed mid-call.
    unowned let connection: ClientConnection
    private var framing: Framing = .relayed
    /// Strong, and dropped when the response ends: a weak reference would move
    /// the producer's reference counts to a side table (every retain and release
    /// the slow path). A producer that has closed ignores `resume` and `cancel`.
    private var producer: ResponseProducer?
    private var paused = false
    private var scratch: [UInt8] = []
    /// Our own head for a streamed body, not written yet: it goes out with the
    /// first body bytes (or the end), in one write rather than two.
    private var pendingHead: [UInt8] = []

    init(connection: ClientConnection) { self.connection = connection }

    /// A new response (a new request on the connection).
    func reset(producer: ResponseProducer?) {
        self.producer = producer
        paused = false
        framing = .relayed
        pendingHead.removeAll(keepingCapacity: true)
    }

    // MARK: begin

    /// Body bytes that ride in the rewritten head's buffer (one write) rather
    /// than in a second write of their own.
    static let headCarriesBody = 16 * 1024

    /// The backend's response head (`wire[0..<headCount]`) and the body bytes
    /// that came with it, relayed in one write — without the backend's
    /// `Access-Control-*` headers, with edged's own for an allowed Origin, and
    /// with `Connection: close` added when this connection ends after the
    /// response (close mode); see `RelayedHead`. The rewrite goes through
    /// `scratch`, which keeps its capacity: no allocation per response.
    /// Returns false when the producer should pause.
    func beginRelayed(_ wire: UnsafeRawBufferPointer, headCount: Int, addClose: Bool) -> Bool {
        let c = connection
        framing = .relayed
        let head = UnsafeRawBufferPointer(rebasing: wire[0..<headCount])
        let cors = c.corsAnswer
        if RelayedHead.needsRewrite(head, allowOrigin: cors != nil, addClose: addClose) {
            let rest = UnsafeRawBufferPointer(rebasing: wire[headCount...])
            scratch.removeAll(keepingCapacity: true)
            RelayedHead.write(head, cors: cors, addClose: addClose, into: &scratch)
            let together = rest.count <= Self.headCarriesBody
            if together { scratch.append(contentsOf: rest) }
            scratch.withUnsafeBytes { write($0) }
            if !together { write(rest) }
        } else {
            write(wire)
        }
        guard c.state != .closed else { return false }
        return checkPressure(c)
    }

    /// edged's CORS headers for a head of its own: for a request with an allowed Origin.
    private var corsLines: String {
        guard let cors = connection.corsAnswer else { return "" }
        var lines: [UInt8] = []
        cors.write(into: &lines)
        return String(decoding: lines, as: UTF8.self)
    }

    /// Our own head for a streamed body: chunked (HTTP/1.1), close-delimited
    /// (HTTP/1.0), or — when the producer knows the body's length — with that
    /// `Content-Length` and the bytes as they come. It is written with the
    /// first body bytes or the end, whichever comes first.
    func begin(status: Int, contentType: String, clientIsHTTP10: Bool, closeAfter: Bool, contentLength: Int? = nil) {
        // Written in place, byte by byte: no String per response.
        typealias W = ForwardHeadWriter
        pendingHead.removeAll(keepingCapacity: true)
        W.appendLiteral("HTTP/1.1 ", into: &pendingHead)
        W.appendDecimal(status, into: &pendingHead)
        pendingHead.append(0x20)
        pendingHead.append(contentsOf: LocalReply.reason(status).utf8)
        W.appendLiteral("\r\nContent-Type: ", into: &pendingHead)
        pendingHead.append(contentsOf: contentType.utf8)
        W.appendLiteral("\r\nCache-Control: no-cache\r\n", into: &pendingHead)
        connection.corsAnswer?.write(into: &pendingHead)
        if let contentLength, !clientIsHTTP10 {
            framing = .relayed
            W.appendContentLength(contentLength, into: &pendingHead)
        } else {
            framing = clientIsHTTP10 ? .untilClose : .chunked
            if framing == .chunked { W.appendLiteral("Transfer-Encoding: chunked\r\n", into: &pendingHead) }
        }
        if closeAfter || framing == .untilClose { W.appendLiteral("Connection: close\r\n", into: &pendingHead) }
        W.appendLiteral("\r\n", into: &pendingHead)
    }

    /// A whole response with a known body, in one write.
    /// `extraHeaders`: complete header lines (CRLF-terminated) edged adds itself.
    func complete(status: Int, contentType: String, body: [UInt8], close: Bool, extraHeaders: String = "") {
        framing = .relayed
        LocalReply.make(status: status, contentType: contentType, body: body, close: close,
                        extraHeaders: corsLines + extraHeaders).withUnsafeBytes { write($0) }
    }

    // MARK: body

    /// Body bytes. Returns false when the producer should pause.
    @discardableResult
    func body(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let c = connection
        guard bytes.count > 0 else { return true }
        if pendingHead.isEmpty, framing != .chunked {
            // The relayed backend route (and later bytes of our own unchunked bodies): as they are.
            write(bytes)
            guard c.state != .closed else { return false }
            return checkPressure(c)
        }
        // One write: the pending head, the chunk's size line, the bytes, its CRLF
        // (copied together when small; a large chunk goes on in its own writes).
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: pendingHead)
        pendingHead.removeAll(keepingCapacity: true)
        if case .chunked = framing {
            appendHex(bytes.count)
            scratch.append(0x0d); scratch.append(0x0a)
        }
        if bytes.count <= Self.headCarriesBody {
            scratch.append(contentsOf: bytes)
            if case .chunked = framing { scratch.append(0x0d); scratch.append(0x0a) }
            scratch.withUnsafeBytes { write($0) }
        } else {
            if !scratch.isEmpty { scratch.withUnsafeBytes { write($0) } }
            write(bytes)
            if case .chunked = framing { write(crlf) }
        }
        guard c.state != .closed else { return false }
        return checkPressure(c)
    }

    func body(_ bytes: [UInt8]) { bytes.withUnsafeBytes { _ = body($0) } }

    // MARK: end

    /// Writes what ends our framing. Returns whether the client can tell the
    /// response is whole: a chunked body that was not terminated (or a
    /// close-delimited one) is seen as cut off only if the connection closes.
    func end(complete: Bool) -> Bool {
        producer = nil
        paused = false
        // A head still pending (no body at all) goes now, with the terminator.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: pendingHead)
        pendingHead.removeAll(keepingCapacity: true)
        if case .chunked = framing, complete { scratch.append(contentsOf: terminator) }
        if !scratch.isEmpty { scratch.withUnsafeBytes { write($0) } }
        switch framing {
        case .chunked:
            return complete
        case .untilClose:
            return false
        case .relayed:
            return complete
        }
    }

    // MARK: Backpressure

    /// The client's queue drained: let the producer go on.
    func drained() {
        guard paused, let p = producer else { return }
        paused = false
        p.resume()
    }

    private func checkPressure(_ c: ClientConnection) -> Bool {
        let queued = c.queuedBytes
        guard queued >= Self.highWater else { return true }
        guard let p = producer else { return false }
        if !paused {
            paused = true
            p.pause()
        }
        return false
    }

    private func write(_ bytes: UnsafeRawBufferPointer) {
        let c = connection
        guard c.state != .closed else { return }
        c.exchangeSent(bytes.count)
        c.send(bytes)
    }

    private func append(_ s: String) { scratch.append(contentsOf: s.utf8) }

    private func appendHex(_ n: Int) {
        var shift = (Int.bitWidth - n.leadingZeroBitCount + 3) / 4 * 4 - 4
        if shift < 0 { shift = 0 }
        while shift >= 0 {
            scratch.append(Self.hexDigits[(n >> shift) & 0xf])
            shift -= 4
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
    private let crlf = UnsafeRawBufferPointer(start: ("\r\n" as StaticString).utf8Start, count: 2)
    private let terminator: [UInt8] = Array("0\r\n\r\n".utf8)
}
