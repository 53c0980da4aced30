import Shared

/// "Ready" means the backend answers HTTP: `GET /healthz` → 200, or (older
/// builds without /healthz) `GET /v1/models` with the key → 200. Its own
/// "started successfully" line is not trusted: it prints that even when the
/// bind failed.
enum HealthProbe {
    enum Result: Equatable {
        case healthy
        case refused          // nothing listening
        case failing(String)  // listening but not answering well
    }

    static func check(port: Int, apiKey: String, timeout: Double = 2) -> Result {
        switch LoopbackHTTP.get(port: port, path: "/healthz", timeout: timeout, maxBytes: 4096) {
        case .response(200, _): return .healthy
        case .response(404, _):
            if case .response(200, _) = LoopbackHTTP.get(port: port, path: "/v1/models", headers: [("Authorization", "Bearer \(apiKey)")], timeout: timeout) {
                return .healthy
            }
            return .failing("GET /healthz answered 404 and GET /v1/models did not answer 200")
        case .response(let s, _): return .failing("GET /healthz answered \(s)")
        case .refused: return .refused
        case .failed(let why): return .failing(why)
        }
    }
}
