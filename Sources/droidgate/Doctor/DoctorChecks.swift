import Glibc
import IPC
import Shared

/// The checks of `droidgate doctor`, in the order they are printed. Each asks
/// what the other commands ask (the daemons' `status` ops, `backend.accounts`,
/// the listener's /healthz and /v1/models, Droid CLI's settings) and never
/// changes anything.
struct Doctor {
    let options: CommandOptions

    /// How the stack is run, which decides where to look and what to advise.
    enum Mode: Equatable {
        /// `droidgate up` with this dev root.
        case launcher(String)
        /// droidgate's units installed under a running systemd.
        case systemd
        /// Neither: daemons started by hand (or not at all).
        case plain
    }

    static let units = [
        "droidgate.target",
        "droidgate-authd.socket", "droidgate-supervisord.socket", "droidgate-edged.socket", "droidgate-edged-ipc.socket",
        "droidgate-authd.service", "droidgate-supervisord.service", "droidgate-edged.service",
    ]
    static let unitDirs = ["/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
                           "/usr/lib/systemd/system", "/lib/systemd/system"]

    func run() -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        let (config, configCheck) = loadConfig()
        checks.append(configCheck)
        let mode = Self.mode(options, config)

        var statuses: [DaemonName: JSONValue] = [:]
        for d in DaemonName.allCases {
            var (check, status) = daemon(d, config, mode)
            // backend.supervised false: edged runs without supervisord, which need not run at all.
            if d == .supervisord && status == nil && !config.backend.supervised {
                check = .skip(d.rawValue, "not running, and not needed: backend.supervised is false")
            }
            checks.append(check)
            statuses[d] = status
        }
        checks.append(listener(config, mode))
        let supervisord = statuses[.supervisord]
        checks.append(backendCommand(config, BackendReport(supervisord?[BackendReport.statusKey])))
        if supervisord == nil && !config.backend.supervised {
            checks.append(unsupervisedBackend(config))
            checks.append(.skip("backend accounts", "not listed: supervisord, which reads them, does not run (backend.supervised is false)"))
        } else {
            checks.append(backendState(BackendReport(supervisord?[BackendReport.statusKey]), up: supervisord != nil))
            checks.append(accounts(config, up: supervisord != nil))
        }
        checks.append(credentials(config, statuses[.authd]))
        checks.append(droidSettings(config))
        checks += units(mode)
        checks += stateDirs(config, mode)
        checks.append(journal(mode))
        return checks
    }

    // MARK: Where and how

    static func mode(_ o: CommandOptions, _ config: Config) -> Mode {
        // DROIDGATE_DOCTOR_SYSTEMD=1|0 decides instead of /run/systemd/system (for tests).
        switch Environment.get("DROIDGATE_DOCTOR_SYSTEMD") {
        case "1": return .systemd
        case "0": return o.runtimeDir(config) == config.paths.runtimeDir ? .plain : .launcher(o.devRoot)
        default: break
        }
        if o.runtimeDir(config) != config.paths.runtimeDir { return .launcher(o.devRoot) }
        let installed = unitDirs.contains { Files.exists("\($0)/droidgate.target") }
        return Files.exists("/run/systemd/system") && installed ? .systemd : .plain
    }

    /// What to run to start (or restart) one daemon, by mode.
    func startAdvice(_ d: DaemonName, _ mode: Mode) -> String {
        switch mode {
        case .systemd:
            return "systemctl start droidgate-\(d.rawValue).service (why it stopped: journalctl -u droidgate-\(d.rawValue))"
        case .launcher(let root):
            return "start the stack: droidgate up --root \(root)\(configFlag) (a running launcher restarts a dead daemon by itself: read its terminal)"
        case .plain:
            return "start droidgate: `droidgate up` (development) or `systemctl start droidgate.target` (installed)"
        }
    }

    var configFlag: String { options.configPath.map { " --config \($0)" } ?? "" }

    // MARK: Checks

    func loadConfig() -> (Config, DoctorCheck) {
        do {
            let c = try ConfigLoader.load(path: options.configPath, environment: Environment.all())
            Log.setLevel(c.logLevel)
            let what = c.file.map { "\($0) parses" } ?? "no config file: built-in defaults"
            return (c, .pass("config", what))
        } catch {
            // Go on with the defaults, so the other checks still say something.
            // (Without the environment when it is what fails, e.g. a bad DROIDGATE_LISTEN.)
            let defaults = (try? ConfigLoader.load(path: nil, environment: Environment.all()))
                ?? (try! ConfigLoader.load(path: nil, environment: [:]))
            return (defaults, .fail("config", error.description + " (the checks below use the built-in defaults)",
                                    fix: "correct that key (every key, its type and default: man 5 droidgate.json), then `droidgate reload`"))
        }
    }

    func daemon(_ d: DaemonName, _ config: Config, _ mode: Mode) -> (DoctorCheck, JSONValue?) {
        var paths = config.paths
        paths.runtimeDir = options.runtimeDir(config)
        let socket = paths.socket(d)
        switch options.request(d, config, op: .status) {
        case .failure(let error):
            var fix = startAdvice(d, mode)
            if case .system(let e) = error, e.errno == EACCES { fix = "run as root or as a member of the droidgate-admin group" }
            if case .badHello(let why) = error, why.contains("may not connect") { fix = "run as root or as a member of the droidgate-admin group" }
            return (.fail(d.rawValue, "does not answer at \(socket): \(error)", fix: fix), nil)
        case .success(let s):
            let common = DaemonStatus(s)
            let version = common?.version ?? "?"
            var detail = "\(common?.state ?? "?"), pid \(common.map { String($0.pid) } ?? "?")"
            if let up = common?.uptimeSeconds { detail += ", up \(StatusCommand.duration(up))" }
            detail += ", version \(version)"
            guard version == Droidgate.version else {
                let fix: String
                switch mode {
                case .systemd: fix = "systemctl restart droidgate-\(d.rawValue).service, so it runs the installed \(Droidgate.version)"
                case .launcher: fix = "stop `droidgate up` (Ctrl-C) and start it again with this build"
                case .plain: fix = "restart \(d.rawValue) with the executables of this droidgate \(Droidgate.version)"
                }
                return (.fail(d.rawValue, detail + "; this droidgate is \(Droidgate.version)", fix: fix), s)
            }
            return (.pass(d.rawValue, detail), s)
        }
    }

    func listener(_ config: Config, _ mode: Mode) -> DoctorCheck {
        let url = StackModels.baseURL(config.listen) + "/healthz"
        switch LoopbackHTTP.get(port: Int(config.listen.port), path: "/healthz", timeout: 5) {
        case .response(200, let body):
            let state = BackendReport((try? JSONValue(parsing: body))?[BackendReport.statusKey])?.state ?? "unknown"
            return .pass("listener", "\(url) answers 200 (backend \(state))")
        case .response(let status, _):
            return .fail("listener", "\(url) answers HTTP \(status), not 200",
                         fix: "is another program on port \(config.listen.port)? (ss -ltnp 'sport = :\(config.listen.port)'); droidgate's listen is \(config.listen)")
        case .refused, .withheld:
            return .fail("listener", "nothing listens at \(url)", fix: listenerFix(config, mode))
        case .failed(let why):
            return .fail("listener", "\(url): \(why)", fix: listenerFix(config, mode))
        }
    }

    func listenerFix(_ config: Config, _ mode: Mode) -> String {
        switch mode {
        case .systemd: return "systemctl start droidgate-edged.socket droidgate-edged.service (journalctl -u droidgate-edged says why it stopped)"
        default: return startAdvice(.edged, mode)
        }
    }

    func credentials(_ config: Config, _ s: JSONValue?) -> DoctorCheck {
        let name = "factory credentials"
        guard let s else { return .fail(name, "unknown: authd does not answer", fix: "see authd above") }
        guard let r = CredentialsReport(s, .status) else {
            return .fail(name, "authd's status carries no credentials report this droidgate knows", fix: "run the same droidgate version as authd")
        }
        var detail = "tier \(r.tier.rawValue), \(r.state.rawValue)"
        if let e = r.expiresAt { detail += ", access token until \(e)" }
        if let l = r.lastRefresh { detail += ", last refresh \(l)" }
        let factoryModels = config.models.filter { $0.upstream == .factory }.map(\.id)
        switch (r.tier, r.state) {
        case (.apiKey, _):
            return .pass(name, "tier api-key (FACTORY_API_KEY)")
        case (.passthrough, _):
            if factoryModels.isEmpty {
                return .pass(name, "none stored (no Factory model is configured; clients' own Factory keys pass through)")
            }
            return .fail(name, "none stored: requests for \(factoryModels.joined(separator: ", ")) carry only the clients' own keys",
                         fix: "droidgate login (or FACTORY_API_KEY in authd's environment)")
        case (_, .reloginRequired):
            return .fail(name, detail + ": WorkOS refused the refresh token", fix: "droidgate login")
        case (_, .ok), (_, .refreshing):
            return .pass(name, detail)
        case (_, .starting), (_, .degraded), (_, .noCredentials), (_, .expired):
            if let e = r.lastError { detail += "; last error: \(e)" }
            return .fail(name, detail, fix: "authd retries by itself; if it stays, check that this host reaches \(config.auth.workosBaseURL) (see the journal), or droidgate login")
        }
    }

    func droidSettings(_ config: Config) -> DoctorCheck {
        let name = "droid settings"
        let path = settingsPath
        let base = "http://\(config.listen.description)"
        guard Files.exists(path) else {
            return .fail(name, "\(path) does not exist: Droid CLI has no droidgate models",
                         fix: "droidgate droid install" + (options.values["--settings"] == nil ? " (as the user who runs Droid; or pass that user's file with --settings PATH)" : ""))
        }
        guard let bytes = try? Files.read(path, maxBytes: 16 << 20) else {
            return .fail(name, "cannot read \(path)", fix: "run as the user whose Droid CLI uses droidgate, or pass --settings PATH")
        }
        let ours = DroidSettings.installed(bytes)
        guard !ours.isEmpty else {
            return .fail(name, "no droidgate models in \(path)", fix: "droidgate droid install")
        }
        let elsewhere = ours.filter { e in
            let url = e["baseUrl"]?.stringValue ?? ""
            return url != base && url != base + "/v1"
        }
        if !elsewhere.isEmpty {
            let urls = Set(elsewhere.compactMap { $0["baseUrl"]?.stringValue }).sorted()
            return .fail(name, "\(elsewhere.count) of \(ours.count) droidgate models in \(path) point at \(urls.joined(separator: ", ")), not this listener (\(base))",
                         fix: "droidgate droid install (rewrites droidgate's entries for this listener)")
        }
        switch DroidCommand.servedAsDroidAsks(options, config, ours, "doctor") {
        case .failure(let u):
            return .fail(name, "\(ours.count) models registered in \(path), but \(u)",
                         fix: u.noListener ? "see listener above" : "pass the key Droid uses with --api-key-file PATH, or `droidgate droid install` again")
        case .success(let served):
            let servedSet = Set(served)
            let stale = ours.compactMap { $0["model"]?.stringValue }.filter { !servedSet.contains($0) }
            if !stale.isEmpty {
                return .fail(name, "registered in \(path) but no longer served: \(stale.joined(separator: ", "))",
                             fix: "droidgate droid install (registers what the stack serves now), or sign in again to their provider")
            }
            return .pass(name, "\(ours.count) models in \(path), pointing at \(base), all served")
        }
    }

    /// Droid CLI's settings: --settings; under sudo, the invoking user's (root
    /// rarely runs Droid); else $HOME's.
    var settingsPath: String {
        if options.values["--settings"] == nil, Users.currentUID == 0, let user = Environment.get("SUDO_USER"),
           !user.isEmpty, user != "root", let pw = getpwnam(user) {
            return String(cString: pw.pointee.pw_dir) + "/.factory/settings.json"
        }
        return DroidCommand.settingsPath(options)
    }

    // MARK: Helpers

    /// An RFC 3339 time as cli-proxy-api writes it ("2026-01-02T15:04:05Z",
    /// with fractions or a "+08:00" offset), as seconds since the epoch.
    static func parseTime(_ s: String) -> Double? {
        let u = Array(s.utf8)
        guard u.count >= 19, u[4] == 0x2d, u[7] == 0x2d, u[10] == 0x54 || u[10] == 0x20, u[13] == 0x3a, u[16] == 0x3a else { return nil }
        func num(_ a: Int, _ b: Int) -> Int? { Int(String(decoding: u[a..<b], as: UTF8.self)) }
        guard let y = num(0, 4), let mo = num(5, 7), let d = num(8, 10), let h = num(11, 13), let mi = num(14, 16), let se = num(17, 19) else { return nil }
        var i = 19
        if i < u.count && u[i] == 0x2e { i += 1; while i < u.count && u[i] >= 0x30 && u[i] <= 0x39 { i += 1 } }
        var offset = 0
        if i < u.count {
            if u[i] == 0x5a || u[i] == 0x7a {
                offset = 0
            } else if (u[i] == 0x2b || u[i] == 0x2d) && u.count >= i + 6, let oh = num(i + 1, i + 3), let om = num(i + 4, i + 6) {
                offset = (oh * 3600 + om * 60) * (u[i] == 0x2d ? -1 : 1)
            } else {
                return nil
            }
        }
        var t = tm()
        t.tm_year = Int32(y - 1900)
        t.tm_mon = Int32(mo - 1)
        t.tm_mday = Int32(d)
        t.tm_hour = Int32(h)
        t.tm_min = Int32(mi)
        t.tm_sec = Int32(se)
        return Double(timegm(&t) - offset)
    }
}
