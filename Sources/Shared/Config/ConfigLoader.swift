import Glibc
/// Loads the config file (or built-in defaults), validates every key, then
/// applies the environment overrides. Either everything is valid or nothing
/// starts: there is no half-configured daemon.
public enum ConfigLoader {
    public static let maxFileBytes = 1 << 20

    public static func load(path: String?, environment: [String: String]) throws(ConfigError) -> Config {
        var config: Config
        if let path {
            let bytes: [UInt8]
            do {
                bytes = try Files.read(path, maxBytes: maxFileBytes)
            } catch {
                let why = error.errno == 27 ? "file is larger than \(maxFileBytes) bytes" : "cannot read: \(error.errnoName)"
                throw ConfigError(file: path, key: "", problem: why)
            }
            config = try parse(bytes, file: path)
            if let st = try? Files.status(path) { try ConfigSecrets.refuseIfExposed(config, file: path, mode: UInt32(st.mode)) }
        } else {
            config = try parse(Array("{}".utf8), file: "(built-in defaults)")
            config.file = nil
        }
        try applyEnvironment(&config, environment)
        return config
    }

    public static func parse(_ bytes: [UInt8], file: String) throws(ConfigError) -> Config {
        let root: JSONValue
        do {
            root = try JSONValue(parsing: bytes, maxDepth: 64)
        } catch {
            let at = error.keyPath.isEmpty ? "" : " (in \"\(error.keyPath)\")"
            throw ConfigError(file: file, key: "", problem: "syntax error at line \(error.line), column \(error.column)\(at): \(error.message)")
        }
        guard let object = root.objectValue else {
            throw ConfigError(file: file, key: "", problem: "expected a JSON object at the top level, got \(root.typeName)")
        }
        var r = ConfigReader(file: file, path: "", object: object)
        let config = try read(&r, file: file)
        try r.finish()
        return config
    }

    private static func read(_ r: inout ConfigReader, file: String) throws(ConfigError) -> Config {
        let listenText = try r.string("listen", default: Config.defaultListen.description)
        guard let listen = SocketAddress(parsing: listenText) else {
            throw r.error("listen", "expected \"host:port\" with a numeric IPv4 or [IPv6] address, got \"\(listenText)\"")
        }

        var logSection = try r.section("log")
        let levelName = try logSection.string("level", default: "info")
        guard let level = Log.Level(name: levelName) else {
            throw logSection.error("level", "expected one of error, warning, notice, info, debug; got \"\(levelName)\"")
        }
        try logSection.finish()

        var p = try r.section("paths")
        var paths = PathsConfig()
        paths.runtimeDir = try absolutePath(&p, "runtimeDir", default: paths.runtimeDir, file: file)
        paths.stateDir = try absolutePath(&p, "stateDir", default: paths.stateDir, file: file)
        try p.finish()

        var c = try r.section("clients")
        var clients = ClientsConfig()
        clients.apiKeyDigests = try c.stringArray("apiKeys", default: [])
        for (i, d) in clients.apiKeyDigests.enumerated() where !isDigest(d) {
            throw ConfigError(file: file, key: "clients.apiKeys[\(i)]",
                              problem: "expected \"sha256:<64 hex digits>\" (the digest of a key, never the key itself; make one with `droidgate hash-key`)")
        }
        clients.allowedOrigins = try c.stringArray("allowedOrigins", default: [])
        for (i, o) in clients.allowedOrigins.enumerated() where !(o.hasPrefix("http://") || o.hasPrefix("https://")) || o.hasSuffix("/") || o.contains(" ") {
            throw ConfigError(file: file, key: "clients.allowedOrigins[\(i)]",
                              problem: "expected an origin as a browser sends it, \"https://host\" or \"http://host:port\" (no path, no trailing slash)")
        }
        clients.allowedHosts = try c.stringArray("allowedHosts", default: [])
        for (i, h) in clients.allowedHosts.enumerated() where h.isEmpty || h.contains("/") || h.contains(" ") || h.contains(":") && !h.hasPrefix("[") {
            throw ConfigError(file: file, key: "clients.allowedHosts[\(i)]",
                              problem: "expected a host name or address without a port (\"devbox.lan\", \"192.168.1.5\", \"[fd00::5]\")")
        }
        let users = try c.stringArray("allowedUsers", default: [])
        for (i, u) in users.enumerated() {
            guard let uid = UInt32(u).map({ uid_t($0) }) ?? Users.uid(named: u) else {
                throw ConfigError(file: file, key: "clients.allowedUsers[\(i)]", problem: "no user named \"\(u)\" (give a user name or a numeric uid)")
            }
            clients.allowedUIDs.append(uid)
        }
        if let path = try c.optionalString("unixSocket") {
            guard path.hasPrefix("/"), path.utf8.count < 108 else {
                throw ConfigError(file: file, key: "clients.unixSocket", problem: "expected an absolute path of at most 107 bytes (a Unix socket address), got \"\(path)\"")
            }
            clients.unixSocket = path
        }
        if !users.isEmpty && !listen.isLoopback {
            throw ConfigError(file: file, key: "clients.allowedUsers",
                              problem: "needs a loopback \"listen\" address: the users of other hosts are not known here (use clients.apiKeys for them)")
        }
        try c.finish()

        var l = try r.section("limits")
        var limits = LimitsConfig()
        limits.maxBodyBytes = try l.int("maxBodyBytes", default: limits.maxBodyBytes, range: 1024...(1 << 32))
        limits.headerTimeoutSeconds = try l.double("headerTimeoutSeconds", default: limits.headerTimeoutSeconds, range: 0.1...3600)
        limits.idleTimeoutSeconds = try l.double("idleTimeoutSeconds", default: limits.idleTimeoutSeconds, range: 0.1...86400)
        limits.upstreamTimeoutSeconds = try l.double("upstreamTimeoutSeconds", default: limits.upstreamTimeoutSeconds, range: 1...86400)
        limits.backendHoldSeconds = try l.double("backendHoldSeconds", default: limits.backendHoldSeconds, range: 0...300)
        limits.drainTimeoutSeconds = try l.double("drainTimeoutSeconds", default: limits.drainTimeoutSeconds, range: 0...3600)
        limits.maxConnections = try l.int("maxConnections", default: limits.maxConnections, range: 1...1_000_000)
        limits.maxBufferedBodyBytes = try l.int("maxBufferedBodyBytes", default: limits.maxBufferedBodyBytes, range: (1 << 20)...(1 << 40))
        limits.minBodyBytesPerSecond = try l.int("minBodyBytesPerSecond", default: limits.minBodyBytesPerSecond, range: 1...(1 << 30))
        try l.finish()

        var b = try r.section("backend")
        var backend = BackendConfig()
        backend.command = try b.string("command", default: backend.command)
        if backend.command.isEmpty { throw b.error("command", "must not be empty") }
        backend.port = try b.int("port", default: backend.port, range: 1...65535)
        backend.stopTimeoutSeconds = try b.double("stopTimeoutSeconds", default: backend.stopTimeoutSeconds, range: 0...3600)
        backend.extraConfig = try b.object("extraConfig") ?? JSONObject()
        backend.supervised = try b.bool("supervised", default: backend.supervised)
        backend.localModel = try b.bool("localModel", default: backend.localModel)
        for k in backend.extraConfig.keys where BackendConfig.managedKeys.contains(k) {
            throw ConfigError(file: file, key: "backend.extraConfig.\(k)",
                              problem: "managed by droidgate (\(k == "port" ? "set backend.port instead" : "it keeps this value for a documented reason"))")
        }
        try b.finish()

        var a = try r.section("auth")
        var auth = AuthConfig()
        auth.workosBaseURL = try a.string("workosBaseURL", default: auth.workosBaseURL)
        if !(auth.workosBaseURL.hasPrefix("https://") || auth.workosBaseURL.hasPrefix("http://")) {
            throw a.error("workosBaseURL", "expected an http:// or https:// URL, got \"\(auth.workosBaseURL)\"")
        }
        auth.clientID = try a.string("clientId", default: auth.clientID)
        auth.timeoutSeconds = try a.double("timeoutSeconds", default: auth.timeoutSeconds, range: 1...300)
        try a.finish()

        var e = try r.section("edged")
        var edged = EdgedConfig()
        edged.workers = try e.int("workers", default: 0, range: 0...256)
        try e.finish()

        var w = try r.section("rewrites")
        let rewrites = try readRewrites(&w)
        try w.finish()

        var f = try r.section("factory")
        var factory = FactoryConfig()
        factory.baseURL = try f.string("baseURL", default: factory.baseURL)
        if let problem = Self.baseURLProblem(factory.baseURL) { throw f.error("baseURL", problem) }
        factory.systemPrompt = try f.string("systemPrompt", default: factory.systemPrompt)
        factory.userAgent = try f.string("userAgent", default: factory.userAgent)
        if factory.userAgent.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) { throw f.error("userAgent", "must not contain control characters") }
        factory.latestVersionURL = try f.string("latestVersionURL", default: factory.latestVersionURL)
        if !(factory.latestVersionURL.hasPrefix("https://") || factory.latestVersionURL.hasPrefix("http://")) {
            throw f.error("latestVersionURL", "expected an http:// or https:// URL, got \"\(factory.latestVersionURL)\"")
        }
        factory.timeoutSeconds = try f.double("timeoutSeconds", default: factory.timeoutSeconds, range: 1...86400)
        try f.finish()

        var n = try r.section("network")
        let network = try readNetwork(&n)
        try n.finish()
        if let first = network.proxies.first { backend.proxyURL = first.text }

        let models = try r.objects("models") { (m: inout ConfigReader) throws(ConfigError) -> ModelEntry in try readModel(&m) }
        var seen = Set<String>()
        for (i, m) in models.enumerated() where !seen.insert(m.id).inserted {
            throw ConfigError(file: file, key: "models[\(i)].id", problem: "\"\(m.id)\" is listed twice")
        }
        let redirects = try r.stringMap("modelRedirects", default: [])
        for (from, to) in redirects where !isModelName(from) || !isModelName(to) {
            throw r.error("modelRedirects", "\"\(from)\" -> \"\(to)\": model names must be non-empty, without control characters or quotes")
        }

        var d = try r.section("droid")
        var droidModels = DroidModel.defaults
        if d.has("models") {
            droidModels = try d.objects("models") { (m: inout ConfigReader) throws(ConfigError) -> DroidModel in try readDroidModel(&m) }
        }
        try d.finish()

        return Config(file: file, listen: listen, logLevel: level, paths: paths, clients: clients,
                      limits: limits, backend: backend, auth: auth, edged: edged, rewrites: rewrites,
                      factory: factory, network: network, models: models, modelRedirects: redirects, droidModels: droidModels)
    }

    private static func readNetwork(_ n: inout ConfigReader) throws(ConfigError) -> NetworkConfig {
        var network = NetworkConfig()
        for (i, text) in try n.stringArray("proxies", default: []).enumerated() {
            do throws(ProxyURL.ParseError) {
                network.proxies.append(try ProxyURL(parsing: text))
            } catch {
                // The message never repeats the URL: it may carry a password.
                throw n.error("proxies[\(i)]", error.message)
            }
        }
        let hosts = try n.stringArray("noProxy", default: [])
        for (i, h) in hosts.enumerated() where !NoProxyList.isValidEntry(h) {
            throw n.error("noProxy[\(i)]", "expected a host name, a domain (\".corp.example\" or \"corp.example\" covers its subdomains), an IP address, or \"*\"; got \"\(h)\"")
        }
        network.noProxy = NoProxyList(hosts)
        if let ca = try n.optionalString("caFile") {
            guard ca.hasPrefix("/") else { throw n.error("caFile", "expected an absolute path to a PEM file, got \"\(ca)\"") }
            guard access(ca, R_OK) == 0 else { throw n.error("caFile", "\(ca) cannot be read (\(String(cString: strerror(errno))))") }
            network.caFile = ca
        }
        return network
    }

    private static func readDroidModel(_ m: inout ConfigReader) throws(ConfigError) -> DroidModel {
        guard let model = try m.optionalString("model"), isModelName(model) else { throw m.error("model", "every Droid model needs a \"model\" name") }
        let provider = try m.string("provider", default: "generic-chat-completion-api")
        guard DroidModel.providers.contains(provider) else {
            throw m.error("provider", "expected one of \(DroidModel.providers.joined(separator: ", ")), got \"\(provider)\"")
        }
        let efforts = try m.stringArray("reasoningEfforts", default: [])
        let def = try m.optionalString("defaultReasoningEffort")
        if let def, !efforts.contains(def) { throw m.error("defaultReasoningEffort", "\"\(def)\" is not in reasoningEfforts") }
        return DroidModel(model: model, displayName: try m.string("displayName", default: model), provider: provider,
                          maxOutputTokens: try m.int("maxOutputTokens", default: 32000, range: 1...10_000_000),
                          reasoningEfforts: efforts, defaultReasoningEffort: def ?? efforts.first,
                          noImageSupport: try m.bool("noImageSupport", default: false))
    }

    private static func readModel(_ m: inout ConfigReader) throws(ConfigError) -> ModelEntry {
        guard let id = try m.optionalString("id"), isModelName(id) else { throw m.error("id", "every model needs an \"id\" (its name)") }
        let upstreamName = try m.string("upstream", default: "backend")
        guard let upstream = ModelEntry.Upstream(rawValue: upstreamName) else {
            throw m.error("upstream", "expected \"factory\" or \"backend\", got \"\(upstreamName)\"")
        }
        let type = try m.string("type", default: upstream == .factory ? "" : "common")
        guard ModelEntry.types.contains(type) else {
            throw m.error("type", "expected one of \(ModelEntry.types.joined(separator: ", ")), got \"\(type)\"")
        }
        let defaultProvider = type == "anthropic" ? "anthropic" : (type == "google" ? "google" : "openai")
        let provider = try m.string("provider", default: defaultProvider)
        let reasoningName = try m.string("reasoning", default: "auto")
        guard let reasoning = ReasoningLevel(rawValue: reasoningName) else {
            throw m.error("reasoning", "expected one of \(ReasoningLevel.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(reasoningName)\"")
        }
        let fast = try m.bool("fast", default: false)
        let upstreamModel = try m.string("upstreamModel", default: id)
        return ModelEntry(id: id, upstream: upstream, type: type, provider: provider, reasoning: reasoning, fast: fast, upstreamModel: upstreamModel)
    }

    private static func readRewrites(_ w: inout ConfigReader) throws(ConfigError) -> RewritesConfig {
        var rw = RewritesConfig()
        rw.modelAliases = try w.stringMap("modelAliases", default: rw.modelAliases)
        for (from, to) in rw.modelAliases where from.isEmpty || to.isEmpty || !isModelName(from) || !isModelName(to) {
            throw w.error("modelAliases", "alias \"\(from)\" -> \"\(to)\": model names must be non-empty, without control characters or quotes")
        }
        rw.fastModeModels = try w.stringArray("fastModeModels", default: rw.fastModeModels)
        for m in rw.fastModeModels where !isModelName(m) {
            throw w.error("fastModeModels", "\"\(m)\" is not a model name")
        }
        rw.visibleThinkingBetas = try w.stringArray("visibleThinkingBetas", default: rw.visibleThinkingBetas)
        rw.stripBetaPrefixes = try w.stringArray("stripBetaPrefixes", default: rw.stripBetaPrefixes)
        for b in rw.visibleThinkingBetas + rw.stripBetaPrefixes where !isBetaToken(b) {
            throw w.error(rw.visibleThinkingBetas.contains(b) ? "visibleThinkingBetas" : "stripBetaPrefixes",
                          "\"\(b)\" is not a beta name (letters, digits, '-', '_', '.'; no commas or spaces)")
        }
        rw.thinkingDisplay = try w.string("thinkingDisplay", default: rw.thinkingDisplay)
        if !rw.thinkingDisplay.isEmpty && !isBetaToken(rw.thinkingDisplay) {
            throw w.error("thinkingDisplay", "expected a display mode such as \"summarized\" or \"\" (off), got \"\(rw.thinkingDisplay)\"")
        }
        return rw
    }

    static func isModelName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x22 && $0 != 0x5c && $0 != 0x7f }
    }

    static func isBetaToken(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x5f || c == 0x2e
        }
    }

    private static func absolutePath(_ r: inout ConfigReader, _ key: String, default d: String, file: String) throws(ConfigError) -> String {
        let v = try r.string(key, default: d)
        if v.isEmpty { throw r.error(key, "must not be empty") }
        // Relative paths are relative to the config file's folder.
        return Files.absolute(v, relativeTo: Files.absolute(Files.directoryName(file)))
    }

    static func isDigest(_ s: String) -> Bool {
        guard s.hasPrefix("sha256:") else { return false }
        let hex = s.dropFirst(7)
        return hex.count == 64 && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// FACTORY_API_KEY, DROID_REFRESH_KEY, DROIDGATE_LISTEN, DROIDGATE_BACKEND_COMMAND
    /// (`droidgate up --demo`), and the dev root / runtime dir the launcher or systemd sets.
    static func applyEnvironment(_ config: inout Config, _ env: [String: String]) throws(ConfigError) {
        if let v = env["DROIDGATE_LISTEN"], !v.isEmpty {
            guard let a = SocketAddress(parsing: v) else {
                throw ConfigError(file: "environment", key: "DROIDGATE_LISTEN",
                                  problem: "expected \"host:port\" with a numeric IPv4 or [IPv6] address, got \"\(v)\"")
            }
            config.listen = a
        }
        if let v = env["DROIDGATE_BACKEND_COMMAND"], !v.isEmpty { config.backend.command = v }
        if let v = env["FACTORY_API_KEY"], !v.isEmpty { config.auth.factoryAPIKey = v }
        if let v = env["DROID_REFRESH_KEY"], !v.isEmpty { config.auth.refreshTokenSeed = v }
        if let root = env["DROIDGATE_ROOT"], !root.isEmpty {
            let r = Files.absolute(root)
            config.paths.runtimeDir = r + "/run"
            config.paths.stateDir = r + "/state"
        } else if let run = env["DROIDGATE_RUNTIME_DIR"], !run.isEmpty {
            config.paths.runtimeDir = Files.absolute(run)
        }
    }

    /// Why `url` cannot be factory.baseURL (Factory's paths are appended to it), or nil.
    static func baseURLProblem(_ url: String) -> String? {
        let rest: Substring
        if url.hasPrefix("https://") { rest = url.dropFirst(8) } else if url.hasPrefix("http://") { rest = url.dropFirst(7) } else {
            return "expected an http:// or https:// URL, got \"\(url)\""
        }
        if url.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7f || $0 == 0x3f || $0 == 0x23 }) {
            return "expected a URL without spaces, control characters, non-ASCII, a query or a fragment, got \"\(url)\""
        }
        if rest.isEmpty || rest.hasPrefix("/") || rest.hasPrefix(":") { return "expected a host after the scheme, got \"\(url)\"" }
        return nil
    }
}
