import Glibc
import Synchronization

/// Sets up how this process reaches the outside: call it at the start of a
/// daemon's main, before any thread uses URLSession (setenv is not thread-safe).
///
/// libcurl, under URLSession, takes its proxy from the environment only. So:
/// - proxy variables the daemon inherited are removed (logged if any was set):
///   `network.proxies` is the one, explicit way;
/// - with proxies configured, `http_proxy` and `https_proxy` name this
///   process's own `OutboundRelay`, which applies `network.proxies` round-robin
///   and `network.noProxy`.
public enum OutboundProxyEnvironment {
    /// Whether this process's outbound calls go through its relay: an error
    /// reaching Factory or WorkOS then says so (the relay's log line names the proxy).
    public static var relaying: Bool { relayStarted.load(ordering: .relaxed) }
    private static let relayStarted = Atomic<Bool>(false)

    /// " (through network.proxies: …)" when relaying, else "": for messages about a failed call.
    public static var viaProxiesNote: String {
        relaying ? " (through network.proxies; the daemon's log names the proxy and what it answered)" : ""
    }

    static let variables = ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                            "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"]

    /// Returns the started relay (nil without proxies). Throws when the relay
    /// cannot be set up: the daemon must not quietly go direct instead.
    @discardableResult
    public static func install(_ network: NetworkConfig, daemon: String) throws(SystemError) -> OutboundRelay? {
        // Set by the process that started us when that was a droidgate daemon with its own
        // relay (edged's next generation, authd's refresh worker): not the user's setting.
        let inherited = variables.filter { v in
            Environment.get(v).map { !$0.isEmpty && !($0.hasPrefix("socks5h://localhost/") && $0.contains("/droidgate-")) } ?? false
        }
        for v in variables { Environment.unset(v) }
        guard !network.proxies.isEmpty else {
            if !inherited.isEmpty {
                Log.notice("\(daemon): ignoring \(inherited.joined(separator: ", ")) from the environment; outbound proxies are set with network.proxies in the config")
            }
            return nil
        }
        // A path without spaces: libcurl reads it out of a URL.
        let slug = String(daemon.map { $0.isLetter || $0.isNumber ? $0 : "-" })
        let dir = try Files.makeTemporaryDirectory(prefix: "droidgate-\(slug)-outbound")
        let relay = try OutboundRelay(routes: OutboundRoutes(network), socketPath: dir + "/relay.sock")
        relay.start()
        relayStarted.store(true, ordering: .relaxed)
        removeAtExit(dir: dir, socket: relay.socketPath)
        setenv("http_proxy", relay.curlProxyURL, 1)
        setenv("https_proxy", relay.curlProxyURL, 1)
        let direct = network.noProxy.matchesEverything ? "; every host direct (noProxy \"*\")"
            : (network.noProxy.entries.isEmpty ? "" : "; direct: \(network.noProxy.entries.joined(separator: ", "))")
        Log.info("\(daemon): outbound calls through \(network.proxies.map(\.description).joined(separator: ", ")), round-robin\(direct)")
        return relay
    }

    private static let leftovers = Mutex<[(dir: String, socket: String)]>([])

    /// The relay's socket and directory go when the process exits normally
    /// (under systemd, PrivateTmp= removes them in any case).
    private static func removeAtExit(dir: String, socket: String) {
        let first = leftovers.withLock { l in
            l.append((dir, socket))
            return l.count == 1
        }
        if first {
            atexit {
                for l in OutboundProxyEnvironment.leftovers.withLock({ $0 }) {
                    _ = unlink(l.socket)
                    _ = rmdir(l.dir)
                }
            }
        }
    }
}

/// `OutboundProxyEnvironment.install`, or exit with status 1 and the cause:
/// a daemon that was told to use proxies never goes direct instead.
public func installOutboundProxies(_ config: Config, daemon: String) {
    do { try OutboundProxyEnvironment.install(config.network, daemon: daemon) } catch {
        Log.error("\(daemon): cannot set up the outbound relay for network.proxies: \(error)")
        exitProcess(1)
    }
}
