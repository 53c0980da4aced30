import EdgeCore
import Shared

/// The client headers the Factory route may use.
enum FactoryHeaders {
    static let forwardedNames: Set<String> = ["authorization", "x-api-key", "anthropic-version", "anthropic-beta",
                                              "x-session-id", "x-assistant-message-id"]

    /// Those of `head`'s headers the planner may use (lowercased names), and whether
    /// one was a droidgate client key: those never leave for Factory (tier 3 passes
    /// the client's own credential, which is never one of them).
    static func forwarded(_ buf: UnsafeRawBufferPointer, _ head: RequestHead,
                          clientKeys: ClientKeyCheck) -> (headers: [(String, String)], clientKeyWithheld: Bool) {
        var headers: [(String, String)] = []
        var withheld = false
        for h in head.headers {
            if h.kind.isCredential, let key = ClientKeyCheck.key(buf, h), clientKeys.isClientKey(buf.slice(key)) {
                withheld = true
                continue
            }
            let n = buf.string(h.name).lowercased()
            if forwardedNames.contains(n) { headers.append((n, buf.string(h.value))) }
        }
        return (headers, withheld)
    }
}
