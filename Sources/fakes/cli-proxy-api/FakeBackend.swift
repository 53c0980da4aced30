import FakeKit
import Shared

/// Settings the request path needs, fixed at start-up.
struct ServerSettings: Sendable {
    var record = false
    var failHealth = false
    var defaults = Knobs.Defaults()
    var maxBodyBytes = 256 << 20
}

/// The state shared by every connection thread.
final class FakeBackend: FakeService {
    let settings: ServerSettings
    let stats = Stats()
    let recorder = Recorder()
    let hang: HangSwitch
    /// The config in force (hot reloads replace it).
    let live: LiveConfig
    init(settings: ServerSettings, hang: HangSwitch, live: LiveConfig) {
        self.settings = settings
        self.hang = hang
        self.live = live
    }

    /// The auth-dir of the config in force, read at request time for the model
    /// list (account file changes count at once; a reloaded auth-dir too).
    var authDir: String { expandHome(live.current.authDir ?? "~/.cli-proxy-api") }

    /// What gin's CORS middleware in cli-proxy-api adds to every response.
    static let corsHeaders = [
        HTTPHeader(name: "Access-Control-Allow-Origin", value: "*"),
        HTTPHeader(name: "Access-Control-Allow-Methods", value: "GET, POST, PUT, PATCH, DELETE, OPTIONS"),
        HTTPHeader(name: "Access-Control-Allow-Headers", value: "*"),
    ]

    // MARK: FakeService

    var maxBodyBytes: Int { settings.maxBodyBytes }
    var keepsRawRequests: Bool { settings.record }
    var baseHeaders: [HTTPHeader] { Self.corsHeaders }
    func checkpoint() { hang.checkpoint() }

    func received(_ request: HTTPRequest) {
        guard settings.record && !request.path.hasPrefix("/_fake/") else { return }
        var extra: JSONObject = [:]
        if let beta = upstreamAnthropicBeta(request) { extra["upstream_anthropic_beta"] = .string(beta) }
        recorder.add(request, extra: extra)
    }

    func handle(_ request: HTTPRequest, _ writer: ResponseWriter) -> Disposition {
        Router(backend: self).handle(request, writer)
    }

    /// The models the enabled accounts serve now.
    var availableModels: [ModelCatalog.Model] {
        ModelCatalog.available(authDir: authDir, config: live.current)
    }

    /// What cli-proxy-api's config-access provider does with `api-keys`
    /// (`internal/access/config_access/provider.go`): nil when the request may
    /// pass, else the 401 message. The keys of the config in force count.
    func authFailure(_ request: HTTPRequest) -> String? {
        let apiKeys = live.current.apiKeys
        guard !apiKeys.isEmpty else { return nil }
        let authorization = request.header("Authorization") ?? ""
        let candidates = [
            bearerToken(authorization),
            request.header("X-Goog-Api-Key") ?? "",
            request.header("X-Api-Key") ?? "",
            request.queryValue("key") ?? "",
            request.queryValue("auth_token") ?? "",
        ]
        if candidates.allSatisfy(\.isEmpty) { return "Missing API key" }
        return candidates.contains { !$0.isEmpty && apiKeys.contains($0) } ? nil : "Invalid API key"
    }

    private func bearerToken(_ header: String) -> String {
        guard let space = header.firstIndex(of: " ") else { return header }
        guard header[..<space].lowercased() == "bearer" else { return header }
        return header[header.index(after: space)...].trimming(" \t")
    }
}
