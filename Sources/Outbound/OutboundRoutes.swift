import Shared
import Synchronization

/// Which way an outbound request goes: straight to the host, or through the
/// next configured proxy — round-robin per request, as droid2api's
/// proxy-manager.js picks the next proxy for each upstream request.
public final class OutboundRoutes: Sendable {
    public enum Route: Sendable, Equatable {
        case direct
        case proxy(ProxyURL)
    }

    public let proxies: [ProxyURL]
    public let noProxy: NoProxyList
    private let next = Atomic<Int>(0)

    public init(_ network: NetworkConfig) {
        proxies = network.proxies
        noProxy = network.noProxy
    }

    /// `host` is only worked out when there are proxies (it is on every Factory request's path).
    public func route(host: @autoclosure () -> String) -> Route {
        if proxies.isEmpty || noProxy.matches(host: host()) { return .direct }
        let n = next.wrappingAdd(1, ordering: .relaxed).oldValue
        return .proxy(proxies[(n % proxies.count + proxies.count) % proxies.count])
    }
}
