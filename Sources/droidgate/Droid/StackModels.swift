import Shared

/// What the running stack serves: `GET /v1/models` on droidgate's listener,
/// which edged answers with the configured Factory models plus the backend's
/// own list (only what the logged-in accounts can serve).
enum StackModels {
    struct Unavailable: Error, CustomStringConvertible {
        /// True when nothing answered at all (no stack running).
        let noListener: Bool
        let description: String
    }

    /// The URL the listener is asked on (loopback, the config's listen port).
    static func baseURL(_ listen: SocketAddress) -> String {
        "http://127.0.0.1:\(listen.port)"
    }

    /// The served model ids, in the order the stack lists them, without duplicates.
    static func fetch(listen: SocketAddress, apiKey: String?, timeout: Double = 10) -> Result<[String], Unavailable> {
        let url = baseURL(listen)
        let headers = apiKey.map { [("Authorization", "Bearer " + $0)] } ?? []
        switch LoopbackHTTP.get(port: Int(listen.port), path: "/v1/models", headers: headers, timeout: timeout) {
        case .refused:
            return .failure(Unavailable(noListener: true, description: "no droidgate listener answers at \(url)"))
        case .failed(let why):
            return .failure(Unavailable(noListener: true, description: "no droidgate listener answers at \(url) (\(why))"))
        case .withheld:   // not asked for here
            return .failure(Unavailable(noListener: true, description: "nothing was sent to \(url)"))
        case .response(let status, _) where status == 401 || status == 403:
            return .failure(Unavailable(noListener: false, description: "the listener at \(url) refused the client key (HTTP \(status)): pass the key clients use with --api-key-file PATH"))
        case .response(let status, _) where status != 200:
            return .failure(Unavailable(noListener: false, description: "the listener at \(url) answered GET /v1/models with HTTP \(status)"))
        case .response(_, let body):
            guard let list = (try? JSONValue(parsing: body))?["data"]?.arrayValue else {
                return .failure(Unavailable(noListener: false, description: "the listener at \(url) did not answer GET /v1/models with a model list"))
            }
            var seen = Set<String>()
            let ids = list.compactMap { $0["id"]?.stringValue }.filter { !$0.isEmpty && seen.insert($0).inserted }
            return .success(ids)
        }
    }
}
