import Foundation
import Shared

/// `--record`: the last 256 requests exactly as received, for tests that
/// check what droidgate forwarded byte for byte.
final class Recorder: Sendable {
    static let capacity = 256

    private struct Entry: Sendable {
        let seq: Int
        let request: HTTPRequest
    }

    private struct State: Sendable {
        var nextSeq = 1
        var entries: [Entry] = []
    }

    private let state = Locked(State())

    func add(_ request: HTTPRequest) {
        state.withLock { s in
            s.entries.append(Entry(seq: s.nextSeq, request: request))
            s.nextSeq += 1
            if s.entries.count > Self.capacity { s.entries.removeFirst(s.entries.count - Self.capacity) }
        }
    }

    func reset() {
        state.withLock { $0.entries.removeAll() }
    }

    var json: JSONValue {
        let entries = state.withLock { $0.entries }
        return ["requests": .array(entries.map(Self.describe))]
    }

    private static func describe(_ e: Entry) -> JSONValue {
        let r = e.request
        return [
            "seq": .int(e.seq),
            "raw_base64": .string(Data(r.raw).base64EncodedString()),
            "method": .string(r.method),
            "target": .string(r.target),
            "headers": .array(r.headers.map { [.string($0.name), .string($0.value)] }),
            "body_base64": .string(Data(r.body).base64EncodedString()),
        ]
    }
}
