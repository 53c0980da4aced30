import Glibc
import IPC
import Shared

/// The host's checks: units under systemd, state directories, the journal.
extension Doctor {
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
                let state = out.output.split(separator: "\n").first.map { $0.trimming(" \t\r") } ?? ""
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
}
