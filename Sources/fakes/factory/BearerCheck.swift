import FakeKit
import Shared

/// Decides whether a bearer token may call the API.
final class BearerCheck: Sendable {
    enum Verdict {
        case ok
        case invalid
        /// fake-workos could not be asked and nothing is known yet.
        case unavailable
    }

    private let workosURL: String?
    private let keys: Set<String>
    /// The last list fake-workos gave, and when (monotonic ns).
    private let cache = Locked<(at: UInt64, valid: Set<String>)?>(nil)
    static let cacheNanoseconds: UInt64 = 200_000_000

    init(workosURL: String?, keys: [String]) {
        self.workosURL = workosURL
        self.keys = Set(keys)
    }

    func check(_ token: String) -> Verdict {
        if keys.contains(token) { return .ok }
        guard let workosURL else { return keys.isEmpty ? .ok : .invalid }
        let now = Monotonic.nanoseconds()
        // A fresh cached list answers "yes" at once; a miss asks again, so a token issued a
        // moment ago is not turned away (a revoked one may pass for up to ~200 ms).
        if let c = cache.value, now - c.at < Self.cacheNanoseconds, c.valid.contains(token) { return .ok }
        let problem: String
        switch LoopbackHTTP.get(url: workosURL, path: "/_fake/current-access", headers: [("Accept", "application/json")]) {
        case .response(200, let body):
            if let list = (try? JSONValue(parsing: body))?["valid"]?.arrayValue {
                let valid = Set(list.compactMap(\.stringValue))
                cache.withLock { $0 = (Monotonic.nanoseconds(), valid) }
                return valid.contains(token) ? .ok : .invalid
            }
            problem = "its answer has no \"valid\" list"
        case .response(let status, _): problem = "unexpected reply \(status)"
        case .refused: problem = "connection refused"
        case .failed(let why): problem = why
        case .withheld: problem = "withheld"
        }
        Log.warning("cannot ask fake-workos for valid tokens: \(problem)")
        guard let c = cache.value else { return .unavailable }
        return c.valid.contains(token) ? .ok : .invalid   // the last known list, however old
    }
}
