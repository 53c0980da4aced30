import CCurl
import Shared

/// One request, performed on the calling thread (authd's refresh worker and
/// IPC handlers, edged's user-agent refresh — never an event loop): the
/// answer's status, `Content-Type`, `Location` and body, the body bounded.
public enum BlockingHTTPS {
    public struct Answer: Sendable {
        public let status: Int
        public let contentType: String?
        /// A 3xx's `Location` (never followed).
        public let location: String?
        public let body: [UInt8]
    }

    public static func perform(_ request: OutboundRequest, maxBody: Int = 1 << 20) -> Result<Answer, OutboundError> {
        let easy: CurlEasy
        do { easy = try CurlEasy(request) } catch { return .failure(error) }
        let collector = Collector(maxBody: maxBody)
        easy.deliver(to: collector)
        let code = ccurl_easy_perform(easy.handle)
        if let problem = collector.problem { return .failure(problem) }
        if let failure = easy.failure(code: code) { return .failure(failure) }
        return .success(Answer(status: collector.head.status, contentType: collector.head.contentType,
                               location: collector.head.location, body: collector.body))
    }

    private final class Collector: CurlReceiver {
        var head = UpstreamResponseHead()
        var body: [UInt8] = []
        var problem: OutboundError? = nil
        let maxBody: Int

        init(maxBody: Int) { self.maxBody = maxBody }

        func curlHeaderLine(_ line: UnsafeRawBufferPointer) -> Bool {
            do { try head.feed(line) } catch {
                problem = OutboundError(.malformed, error.message)
                return false
            }
            return true
        }

        func curlBody(_ bytes: UnsafeRawBufferPointer) -> CurlBodyVerdict {
            guard body.count + bytes.count <= maxBody else {
                problem = OutboundError(.limit, "the answer is larger than \(maxBody) bytes")
                return .abort
            }
            body.append(contentsOf: bytes)
            return .taken
        }
    }
}

extension UpstreamResponseHead.Problem {
    /// In words, for an error message.
    public var message: String {
        switch self {
        case .tooLarge(let n): "the response head is larger than \(n) bytes"
        case .malformed(let what): "malformed response head: \(what)"
        }
    }
}
