import Foundation
import Outbound
import Shared

/// The `User-Agent` Factory requests carry. With `factory.userAgent: "auto"`
/// it follows Factory CLI's current release, read from
/// `factory.latestVersionURL` at start and every hour — droid2api's
/// user-agent-updater.js does the same — through `network.*` like every
/// Factory call (no redirects, no cookies), 10 s at most, three tries a
/// minute apart, on a timer thread and never in a request's way: until a
/// fetch succeeds the built-in version is used. Any other configured string
/// pins the header.
final class UserAgentSource: Sendable {
    /// A recent release, used until the first fetch succeeds.
    static let builtInVersion = "0.84.0"
    static let prefix = "factory-cli/"

    private let current: Locked<String>
    private let url: URL?
    private let outbound: OutboundNetwork

    init(config: FactoryConfig, outbound: OutboundNetwork) {
        self.outbound = outbound
        if config.userAgent == "auto" {
            current = Locked(Self.prefix + Self.builtInVersion)
            url = URL(string: config.latestVersionURL)
        } else {
            current = Locked(config.userAgent)
            url = nil
        }
    }

    var value: String { current.value }

    /// Starts the hourly refresh (no-op for a pinned user agent).
    func start() {
        guard url != nil else { return }
        schedule(after: 0, attempt: 1)
    }

    private func refresh(attempt: Int) {
        guard let url else { return }
        let request = outbound.request(method: "GET", url: url.absoluteString, headers: [("User-Agent", Self.prefix + Self.builtInVersion)],
                                       idleTimeout: 10, totalTimeout: 10)
        let result = BlockingHTTPS.perform(request, maxBody: 256)
        if case .success(let a) = result, a.status == 200, let version = Self.version(in: Data(a.body)) {
            let next = Self.prefix + version
            let old = current.withLock { old -> String in
                defer { old = next }
                return old
            }
            if old != next { Log.info("edged: Factory user agent now \(next) (from \(url.host ?? "?"))") }
            schedule(after: 3600, attempt: 1)
        } else {
            let why: String
            switch result {
            case .failure(let e): why = e.message
            case .success(let a): why = "HTTP \(a.status)"
            }
            Log.warning("edged: could not read Factory CLI's latest version from \(url.absoluteString) (\(why)); keeping \(current.value)")
            schedule(after: attempt < 3 ? 60 : 3600, attempt: attempt < 3 ? attempt + 1 : 1)
        }
    }

    private func schedule(after seconds: Double, attempt: Int) {
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in refresh(attempt: attempt) }
    }

    /// The version in a LATEST file: its first line, `N.N.N` with an optional suffix, at most 32 bytes.
    static func version(in data: Data) -> String? {
        guard data.count <= 256 else { return nil }
        let text = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init)?
            .trimmingCharacters(in: .whitespaces) ?? ""
        guard text.utf8.count <= 32, !text.isEmpty,
              text.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || $0 == "." || $0 == "-" }) else { return nil }
        let parts = text.split(separator: ".", maxSplits: 2)
        guard parts.count == 3, parts[0].allSatisfy(\.isNumber), parts[1].allSatisfy(\.isNumber),
              parts[2].first?.isNumber == true else { return nil }
        return text
    }
}
