import FakeKit
import Shared

/// Settings the request path needs, fixed at start-up.
struct ServerSettings: Sendable {
    var apiKeys: [String] = []
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

    init(settings: ServerSettings, hang: HangSwitch) {
        self.settings = settings
        self.hang = hang
    }

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
        if settings.record && !request.path.hasPrefix("/_fake/") { recorder.add(request) }
    }

    func handle(_ request: HTTPRequest, _ writer: ResponseWriter) -> Disposition {
        Router(backend: self).handle(request, writer)
    }

    /// What cli-proxy-api's config-access provider does with `api-keys`:
    /// nil when the request may pass, else the 401 message.
    func authFailure(_ request: HTTPRequest) -> String? {
        guard !settings.apiKeys.isEmpty else { return nil }
        let authorization = request.header("Authorization") ?? ""
        let candidates = [
            bearerToken(authorization),
            request.header("X-Goog-Api-Key") ?? "",
            request.header("X-Api-Key") ?? "",
            request.queryValue("key") ?? "",
            request.queryValue("auth_token") ?? "",
        ]
        if candidates.allSatisfy(\.isEmpty) { return "Missing API key" }
        return candidates.contains { !$0.isEmpty && settings.apiKeys.contains($0) } ? nil : "Invalid API key"
    }

    private func bearerToken(_ header: String) -> String {
        guard let space = header.firstIndex(of: " ") else { return header }
        guard header[..<space].lowercased() == "bearer" else { return header }
        return header[header.index(after: space)...].trimming(" \t")
    }
}
