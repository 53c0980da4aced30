import Outbound
import Shared
import XCTest

/// Which way each request goes out (`network.proxies`, `network.noProxy`).
final class OutboundRoutesTests: XCTestCase {
    func testRoutesAreRoundRobinAndNoProxyGoesDirect() throws {
        var network = NetworkConfig()
        network.proxies = [try ProxyURL(parsing: "http://a:1"), try ProxyURL(parsing: "http://b:2")]
        network.noProxy = NoProxyList(["direct.example"])
        let routes = OutboundRoutes(network)
        let picked = (0..<4).map { _ -> String in
            if case .proxy(let p) = routes.route(host: "api.factory.ai") { return p.host }
            return "direct"
        }
        XCTAssertEqual(picked, ["a", "b", "a", "b"])
        XCTAssertEqual(routes.route(host: "x.direct.example"), .direct)
        XCTAssertEqual(OutboundRoutes(NetworkConfig()).route(host: "api.factory.ai"), .direct)
    }
}
