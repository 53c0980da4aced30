import Shared

/// Everything that can go wrong on an IPC connection, typed so callers can
/// tell "the other daemon is down" from "we sent something wrong".
public enum IPCError: Error, Sendable, Equatable, CustomStringConvertible {
    case frameTooLarge(Int)
    case emptyFrame
    case invalidJSON(String)
    case notAnObject
    /// The peer passed descriptors this side does not take (all closed on arrival).
    case unexpectedDescriptors(Int)
    case badHello(String)
    case disconnected
    case timeout(String)
    case notConnected(String)
    /// The socket's server is not who may serve it (checked before a byte is sent).
    case untrustedServer(String)
    /// An error reply from the peer: a stable code plus a message for humans.
    case remote(code: Code, message: String)
    case system(SystemError)

    public var description: String {
        switch self {
        case .frameTooLarge(let n): return "frame of \(n) bytes exceeds the \(Frame.maxPayload)-byte limit"
        case .emptyFrame: return "empty frame (a frame must carry a JSON object)"
        case .invalidJSON(let why): return "frame is not valid JSON: \(why)"
        case .notAnObject: return "frame is not a JSON object"
        case .unexpectedDescriptors(let n): return "peer passed \(n) file descriptor\(n == 1 ? "" : "s") that nothing here takes (closed)"
        case .badHello(let why): return "handshake failed: \(why)"
        case .disconnected: return "peer closed the connection"
        case .timeout(let what): return "timed out waiting for \(what)"
        case .notConnected(let why): return "not connected: \(why)"
        case .untrustedServer(let why): return "refusing to talk to it: \(why)"
        case .remote(let code, let message): return "\(message) [\(code)]"
        case .system(let e): return e.description
        }
    }

}
