import Foundation
import Shared

/// `--record`: the last 256 requests exactly as received, for tests that
/// check what droidgate forwarded byte for byte.
public final class Recorder: Sendable {
    public static let capacity = 256

    /// Also describe each request by `path` and its body as UTF-8 text (`body_text`).
    private let withText: Bool

    private struct Entry: Sendable {
        let seq: Int
        let request: HTTPRequest
        /// Fake-specific facts about the request, added to its JSON entry.
        let extra: JSONObject
    }

    private struct State: Sendable {
        var nextSeq = 1
        var entries: [Entry] = []
    }

    private let state = Locked(State())

    public init(withText: Bool = false) {
        self.withText = withText
    }

    public func add(_ request: HTTPRequest, extra: JSONObject = [:]) {
        state.withLock { s in
            s.entries.append(Entry(seq: s.nextSeq, request: request, extra: extra))
            s.nextSeq += 1
            if s.entries.count > Self.capacity { s.entries.removeFirst(s.entries.count - Self.capacity) }
        }
    }

    public func reset() {
        state.withLock { $0.entries.removeAll() }
    }

    public var json: JSONValue {
        let entries = state.withLock { $0.entries }
        return ["requests": .array(entries.map(describe))]
    }

    private func describe(_ e: Entry) -> JSONValue {
        let r = e.request
        var o: JSONObject = [
            "seq": .int(e.seq),
            "raw_base64": .string(Data(r.raw).base64EncodedString()),
            "method": .string(r.method),
            "target": .string(r.target),
        ]
        if withText { o["path"] = .string(r.target) }
        o["headers"] = .array(r.headers.map { [.string($0.name), .string($0.value)] })
        o["body_base64"] = .string(Data(r.body).base64EncodedString())
        if withText { o["body_text"] = .string(String(decoding: r.body, as: UTF8.self)) }
        for (k, v) in e.extra { o[k] = v }
        return .object(o)
    }
}
