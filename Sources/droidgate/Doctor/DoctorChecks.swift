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
        checks.append(backendCommand(config, supervisord?["backend"]))
        if supervisord == nil && !config.backend.supervised {
            checks.append(unsupervisedBackend(config))
            checks.append(.skip("backend accounts", "not listed: supervisord, which reads them, does not run (backend.supervised is false)"))
        } else {
            checks.append(backendState(supervisord?["backend"], up: supervisord != nil))
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
            let version = s["version"]?.stringValue ?? "?"
            var detail = "\(s["state"]?.stringValue ?? "?"), pid \(s["pid"]?.intValue.map(String.init) ?? "?")"
            if let up = s["uptimeSeconds"]?.intValue { detail += ", up \(StatusCommand.duration(up))" }
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
            let state = (try? JSONValue(parsing: body))?["backend"]?["state"]?.stringValue ?? "unknown"
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

    func backendCommand(_ config: Config, _ backend: JSONValue?) -> DoctorCheck {
        let name = "backend command"
        let configured = config.backend.command
        guard let executable = backend?["command"]?.stringValue ?? Files.which(configured) else {
            return .fail(name, "\(configured) (backend.command) is not found\(configured.contains("/") ? "" : " on PATH")",
                         fix: "install cli-proxy-api (github.com/router-for-me/CLIProxyAPI), or set backend.command to its path, then `droidgate reload supervisord`")
        }
        switch BackendProbe.probe(executable) {
        case .failure(let why):
            return .fail(name, why.description, fix: "set backend.command to the cli-proxy-api executable, then `droidgate reload supervisord`")
        case .success(let p):
            var detail = "\(executable): CLIProxyAPI \(p.version ?? "?")"
            if let c = p.commit, c != "none" { detail += ", commit \(c)" }
            if let b = p.builtAt, b != "unknown" { detail += ", built \(b)" }
            guard p.localModel else {
                return .fail(name, detail + "; no -local-model (a build older than 2026-03-18: its model list is updated from the network)",
                             fix: "upgrade cli-proxy-api, then `droidgate backend restart`")
            }
            return .pass(name, detail + ", supports -local-model")
        }
    }

    /// A backend run by the user (backend.supervised false): its own /healthz.
    func unsupervisedBackend(_ config: Config) -> DoctorCheck {
        let name = "backend state", port = config.backend.port
        switch LoopbackHTTP.get(port: port, path: "/healthz", timeout: 5) {
        case .response(200, _): return .pass(name, "unsupervised backend on 127.0.0.1:\(port) answers /healthz")
        case .response(let status, _):
            return .fail(name, "the unsupervised backend on 127.0.0.1:\(port) answers /healthz with HTTP \(status)", fix: "check the backend you run on port \(port)")
        default:
            return .fail(name, "nothing answers on 127.0.0.1:\(port) (backend.supervised is false: droidgate does not start the backend)",
                         fix: "start your cli-proxy-api on port \(port), or set backend.supervised to true")
        }
    }

    func backendState(_ b: JSONValue?, up: Bool) -> DoctorCheck {
        let name = "backend state"
        guard up, let b else {
            return .fail(name, "unknown: supervisord does not answer", fix: "see supervisord above")
        }
        let stateName = b["state"]?.stringValue ?? "?"
        let state = BackendPhase(rawValue: stateName)
        var detail = stateName
        if let pid = b["pid"]?.intValue { detail += ", pid \(pid)" }
        if let port = b["port"]?.intValue { detail += ", port \(port)" }
        if let r = b["restarts"]?.intValue, r > 0 { detail += ", \(r) restarts" }
        if let e = b["lastExit"]?.stringValue { detail += ", last exit: \(e)" }
        if state == .ready { return .pass(name, detail) }
        if let m = b["message"]?.stringValue, !m.isEmpty { detail += " (\(m))" }
        let fix: String
        switch state {
        case .missing: fix = "install cli-proxy-api or set backend.command, then `droidgate reload supervisord`"
        case .portTaken:
            let who = b["squatterPid"]?.intValue.map { "pid \($0)" } ?? "another process"
            fix = "stop \(who), which holds port \(b["port"]?.intValue.map(String.init) ?? "?"), or set backend.port to a free port"
        case .starting: fix = "wait a few seconds and run `droidgate doctor` again; if it stays, `droidgate backend log`"
        default: fix = "read `droidgate backend log`, then `droidgate backend restart`"
        }
        return .fail(name, detail, fix: fix)
    }

    func accounts(_ config: Config, up: Bool) -> DoctorCheck {
        let name = "backend accounts"
        guard up else { return .fail(name, "unknown: supervisord does not answer", fix: "see supervisord above") }
        let list: [JSONValue]
        switch options.request(.supervisord, config, op: .backendAccounts) {
        case .failure(let e): return .fail(name, "cannot list them: \(e)", fix: "run as root or as a member of the droidgate-admin group")
        case .success(let r): list = r["accounts"]?.arrayValue ?? []
        }
        let now = WallClock.now()
        var perProvider: [(String, [String])] = []
        var usable = 0
        var expired: [String] = [], broken: [String] = []
        for a in list {
            let provider = a["provider"]?.stringValue ?? "unknown"
            let account = a["account"]?.stringValue ?? "?"
            var note: String? = nil
            if let problem = a["problem"]?.stringValue {
                note = "\(account) \(problem)"
                broken.append(account)
            } else if a["disabled"]?.boolValue == true {
                note = "\(account) disabled"
            } else if let e = a["expires"]?.stringValue, let t = Self.parseTime(e), t <= now {
                note = "\(account) expired \(e)"
                expired.append(account)
            } else {
                usable += 1
            }
            if let i = perProvider.firstIndex(where: { $0.0 == provider }) {
                perProvider[i].1.append(note ?? "")
            } else {
                perProvider.append((provider, [note ?? ""]))
            }
        }
        guard !list.isEmpty else {
            return .fail(name, "none", fix: "sign in to a provider: droidgate backend login claude|codex|antigravity|kimi|xai")
        }
        let detail = perProvider.map { p, notes in
            let flagged = notes.filter { !$0.isEmpty }
            return "\(p) \(notes.count)" + (flagged.isEmpty ? "" : " (\(flagged.joined(separator: "; ")))")
        }.joined(separator: ", ")
        if usable == 0 {
            return .fail(name, detail + "; none usable",
                         fix: "enable one (droidgate backend accounts --enable ACCOUNT) or sign in again (droidgate backend login PROVIDER)")
        }
        if !broken.isEmpty {
            return .fail(name, detail, fix: "remove the unreadable account files (droidgate backend accounts --remove ACCOUNT) and sign in again")
        }
        if !expired.isEmpty {
            return .fail(name, detail, fix: "sign in again to the expired accounts (droidgate backend login PROVIDER), or remove them (droidgate backend accounts --remove ACCOUNT)")
        }
        return .pass(name, detail)
    }

    func credentials(_ config: Config, _ s: JSONValue?) -> DoctorCheck {
        let name = "factory credentials"
        guard let s else { return .fail(name, "unknown: authd does not answer", fix: "see authd above") }
        let tier = s["tier"]?.stringValue ?? "?"
        let state = s["credentials"]?.stringValue ?? "?"
        var detail = "tier \(tier), \(state)"
        if let e = s["expiresAt"]?.stringValue { detail += ", access token until \(e)" }
        if let l = s["lastRefresh"]?.stringValue { detail += ", last refresh \(l)" }
        let factoryModels = config.models.filter { $0.upstream == .factory }.map(\.id)
        switch (tier, state) {
        case ("api-key", _):
            return .pass(name, "tier api-key (FACTORY_API_KEY)")
        case ("passthrough", _):
            if factoryModels.isEmpty {
                return .pass(name, "none stored (no Factory model is configured; clients' own Factory keys pass through)")
            }
            return .fail(name, "none stored: requests for \(factoryModels.joined(separator: ", ")) carry only the clients' own keys",
                         fix: "droidgate login (or FACTORY_API_KEY in authd's environment)")
        case (_, "relogin_required"):
            return .fail(name, detail + ": WorkOS refused the refresh token", fix: "droidgate login")
        case (_, "ok"), (_, "fresh"), (_, "refreshing"):
            return .pass(name, detail)
        default:
            if let e = s["lastError"]?.stringValue { detail += "; last error: \(e)" }
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

    func units(_ mode: Mode) -> [DoctorCheck] {
        guard mode == .systemd else {
            let why = mode == .plain ? "not running under systemd (or droidgate's units are not installed)"
                                     : "skipped: the stack runs under `droidgate up`, not systemd"
            return [.skip("units", why)]
        }
        guard let systemctl = Files.which("systemctl") else {
            return [.fail("units", "systemctl not found", fix: "install systemd's systemctl, or run droidgate under `droidgate up`")]
        }
        // One unit per call: systemctl says nothing on stdout for a unit it does not know.
        func states(_ verb: String) -> [String] {
            Self.units.map { unit in
                let out = CommandRunner.run(systemctl, [verb, unit], timeout: 10, stderr: false)
                let state = out.output.split(separator: "\n").first.map { $0.doctorTrimmed(" \t\r") } ?? ""
                return state.isEmpty ? "not-found" : state
            }
        }
        let enabled = states("is-enabled"), active = states("is-active")
        let okEnabled: Set = ["enabled", "enabled-runtime", "static", "indirect", "alias", "generated", "linked", "linked-runtime"]
        let notEnabled = Self.units.indices.filter { !okEnabled.contains(enabled[$0]) }.map { "\(Self.units[$0]) \(enabled[$0])" }
        let notActive = Self.units.indices.filter { active[$0] != "active" && active[$0] != "reloading" }.map { "\(Self.units[$0]) \(active[$0])" }
        let missing = (enabled + active).contains("not-found")
            ? "reinstall droidgate's units (make install, or the package), systemctl daemon-reload, then " : ""
        let enabledCheck: DoctorCheck = notEnabled.isEmpty
            ? .pass("units enabled", "all \(Self.units.count) droidgate units")
            : .fail("units enabled", notEnabled.joined(separator: ", "), fix: missing + "systemctl enable --now droidgate.target")
        // The unit to ask about first: one that is there but stopped.
        let stopped = Self.units.indices.first { active[$0] != "active" && active[$0] != "reloading" && active[$0] != "not-found" }
        let activeCheck: DoctorCheck = notActive.isEmpty
            ? .pass("units active", "all \(Self.units.count) droidgate units")
            : .fail("units active", notActive.joined(separator: ", "),
                    fix: missing + "systemctl start droidgate.target" + (stopped.map { "; why \(Self.units[$0]) stopped: systemctl status \(Self.units[$0])" } ?? ""))
        return [enabledCheck, activeCheck]
    }

    func stateDirs(_ config: Config, _ mode: Mode) -> [DoctorCheck] {
        let stateDir: String
        if case .launcher(let root) = mode { stateDir = root + "/state" } else { stateDir = config.paths.stateDir }
        return [("auth", "droidgate-auth"), ("backend", "droidgate-backend")].map { sub, user in
            let name = "state dir \(sub)"
            let path = "\(stateDir)/\(sub)"
            guard let st = try? Files.status(path) else {
                let fix = mode == .systemd ? "systemd-tmpfiles --create droidgate.conf (or start the unit: its StateDirectory= makes it)"
                                           : "start the stack (`droidgate up` makes it)"
                return .fail(name, "\(path) does not exist", fix: fix)
            }
            // The owner: the daemon's user under systemd, else the dev root's (or the state dir's) owner.
            var expectedUID: uid_t? = nil
            if case .launcher = mode {
                expectedUID = (try? Files.status(stateDir))?.uid
            } else {
                expectedUID = Users.uid(named: user)
            }
            let owner = Users.name(of: st.uid)
            let mode8 = String(st.mode, radix: 8)
            var problems: [String] = [], fixes: [String] = []
            if !st.isDirectory { problems.append("not a directory") }
            if st.mode != 0o700 {
                problems.append("mode \(mode8), not 700")
                fixes.append("chmod 700 \(path)")
            }
            if let expectedUID, st.uid != expectedUID {
                let want = Users.name(of: expectedUID)
                problems.append("owned by \(owner), not \(want)")
                fixes.append("chown -R \(want): \(path)")
            }
            guard problems.isEmpty else {
                return .fail(name, "\(path): \(problems.joined(separator: ", "))",
                             fix: fixes.isEmpty ? "remove \(path) and start the stack again" : fixes.joined(separator: "; "))
            }
            return .pass(name, "\(path): owner \(owner), mode \(mode8)")
        }
    }

    func journal(_ mode: Mode) -> DoctorCheck {
        let name = "journal"
        switch mode {
        case .launcher:
            return .skip(name, "not available: `droidgate up` writes no log file; the daemons' warnings are on its terminal")
        case .plain:
            return .skip(name, "not available: droidgate does not run under systemd here")
        case .systemd:
            break
        }
        guard let journalctl = Files.which("journalctl") else { return .skip(name, "not available: no journalctl") }
        let out = CommandRunner.run(journalctl, ["-p", "warning", "--since", "-1h", "-u", "droidgate-*", "-o", "cat", "--no-pager"], timeout: 20)
        let text = out.output
        if text.contains("insufficient permissions") || text.contains("not seeing messages from other users") {
            return .skip(name, "not available: this user may not read the system journal (root, or the adm or systemd-journal group, may)")
        }
        guard out.status == 0 else {
            return .skip(name, "not available: journalctl failed (\(text.split(separator: "\n").first.map(String.init) ?? "status \(out.status.map(String.init) ?? "timeout")"))")
        }
        let lines = text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("-- ") && !$0.hasPrefix("Hint:") && !$0.isEmpty }
        guard let last = lines.last else { return .pass(name, "no warnings or errors from droidgate's units in the last hour") }
        return .fail(name, "\(lines.count) warning\(lines.count == 1 ? "" : "s") or errors in the last hour; the last: \(last.prefix(200))",
                     fix: "read them: journalctl -p warning --since -1h -u 'droidgate-*'")
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
