/// Per-request behaviour switches, read from `x-fake-*` request headers
/// (edged forwards client headers, so tests set them on the client request),
/// with defaults from the command line.
public struct Knobs: Sendable {
    public struct Defaults: Sendable {
        public var latencyMs = 0
        public var events = 3
        public var eventDelayMs = 0
        public var size: Int?

        public init() {}
    }

    public static let maxEvents = 100_000
    public static let maxSize = 256 << 20

    /// Answer this status with an error body in the API's own shape.
    public var status: Int?
    /// Wait before writing the response head.
    public var latencyMs: Int
    /// Content deltas in a stream.
    public var events: Int
    /// Pause between stream events.
    public var eventDelayMs: Int
    /// Reply text of about this many bytes.
    public var size: Int?
    /// In a stream, close the socket abruptly after this many events.
    public var dieAfterEvents: Int?
    /// Close the connection after the response.
    public var close: Bool
    /// Read the request, then close the connection without answering: what Go's
    /// net/http does when a handler panics (it recovers, logs "http: panic
    /// serving …" and closes; net/http/server.go `conn.serve`).
    public var panic: Bool

    public init(_ request: HTTPRequest, defaults: Defaults) {
        func int(_ name: String, _ range: ClosedRange<Int>) -> Int? {
            guard let v = request.header(name).flatMap({ Int($0.trimming(" \t")) }) else { return nil }
            return min(max(v, range.lowerBound), range.upperBound)
        }
        status = int("x-fake-status", 200...599)
        latencyMs = int("x-fake-latency-ms", 0...3_600_000) ?? defaults.latencyMs
        events = int("x-fake-events", 1...Self.maxEvents) ?? defaults.events
        eventDelayMs = int("x-fake-event-delay-ms", 0...3_600_000) ?? defaults.eventDelayMs
        size = int("x-fake-size", 0...Self.maxSize) ?? defaults.size
        dieAfterEvents = int("x-fake-die-after-events", 0...Int(Int32.max))
        let c = request.header("x-fake-close")?.lowercased() ?? ""
        close = c == "1" || c == "true" || c == "yes"
        let p = request.header("x-fake-panic")?.lowercased() ?? ""
        panic = p == "1" || p == "true" || p == "yes"
    }
}
