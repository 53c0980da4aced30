import Foundation
import Glibc
import IPC
import Shared
import XCTest

/// Issue 25's findings around the request path, played as the attacker:
/// what the admin tools are told, what a second local user can plant, what
/// a backend's output can do to supervisord and to the operator's terminal,
/// where the secrets end up, and a low file limit. Each of these failed on
/// the main before the fix (named in each test).
final class TrustBoundaryTests: XCTestCase {
    typealias UpStack = DoctorTests.UpStack

    // MARK: the doctor

    /// Before: `doctor` ran `backend.command` as supervisord reported it, and
    /// supervisord took that path from a file the backend's user can write;
    /// root running the doctor ran the attacker's file. Here a stand-in
    /// supervisord reports a script; the doctor must not run it.
    func testDoctorNeverRunsTheCommandSupervisordReports() throws {
        let dir = TempDir()
        let root = dir.path + "/.droidgate"
        try Files.makeDirectory(root + "/run", mode: 0o755)
        let marker = dir.path + "/ran"
        let evil = dir.write("evil-backend", "#!/bin/sh\ntouch \(marker)\necho 'CLIProxyAPI Version: 9.9.9, Commit: x, BuiltAt: y'\n")
        chmod(evil, 0o755)
        let config = dir.write("droidgate.json", #"{"backend": {"command": "/nonexistent/cli-proxy-api"}}"#)
        let listener = try Socket.listenUnix(path: root + "/run/supervisord.sock")
        let server = IPCServer(name: "supervisord", listener: listener, policy: .standard(), ops: [
            Op(OpName.status, .anyPeer) { _ in
                IPCReply(result: ["state": "running", "pid": 4242, "version": .string(Droidgate.version),
                                  "backend": ["state": "ready", "pid": 4243, "port": 8318, "command": .string(evil)]])
            },
        ])
        server.start()
        defer { server.stop() }

        let (_, out) = try runToEnd(Binaries.path("droidgate"), ["doctor", "--json", "--config", config, "--root", root],
                                    environment: ["HOME": dir.path], timeout: 60)
        XCTAssertFalse(Files.exists(marker), "the doctor ran the executable supervisord reported:\n\(out)")
        let report = try JSONValue(parsing: Array(out.utf8))
        let check = report.arrayValue?.first { $0["check"] == "backend command" }
        let detail = check?["detail"]?.stringValue ?? ""
        XCTAssertEqual(check?["ok"], false, out)
        XCTAssertTrue(detail.contains("/nonexistent/cli-proxy-api"), detail)
        XCTAssertTrue(detail.contains("supervisord reports it runs \(evil)"), "shown as text: \(detail)")
    }

    // MARK: re-adoption

    /// Before, with the real binary behind a wrapper script: after a
    /// supervisord restart its own backend was reported as a squatter, and
    /// stopping `droidgate up` left it running for good.
    func testAWrapperScriptBackendSurvivesASupervisordCrashAndStopsWithTheStack() throws {
        let dir = TempDir()
        let wrapper = dir.write("backend.sh", "#!/bin/sh\nexport BACKEND_WRAPPED=1\nexec \(Binaries.path("fake-cli-proxy-api")) \"$@\"\n")
        chmod(wrapper, 0o755)
        let s = try UpStack(backend: wrapper)
        try s.waitUntilReady()
        let first = try status(s.config)
        let backendPid = try XCTUnwrap(first["supervisord"]?["backend"]?["pid"]?.intValue, "\(first)")
        let supervisordPid = try XCTUnwrap(first["supervisord"]?["pid"]?.intValue)
        kill(pid_t(supervisordPid), SIGKILL)
        var now: JSONValue = .null
        XCTAssertTrue(eventually(timeout: 30) {
            now = (try? status(s.config)) ?? .null
            return now["supervisord"]?["pid"]?.intValue != supervisordPid && now["supervisord"]?["backend"]?["state"] == "ready"
        }, "not ready again after the crash: \(now)\n\(s.up.text.suffix(3000))")
        XCTAssertEqual(now["supervisord"]?["backend"]?["pid"]?.intValue, backendPid, "re-adopted, not replaced: \(now)")
        s.up.signal(SIGTERM)
        XCTAssertEqual(s.up.waitForExit(timeout: 30), 0, s.up.text)
        XCTAssertTrue(eventually(timeout: 10) { ProcFS.stat(of: pid_t(backendPid)) == nil }, "the backend outlived `droidgate up`")
    }

    // MARK: sockets another user serves

    /// A stand-in for a daemon, run as another user (nobody): it speaks the
    /// IPC hello and answers every request, and records everything it got.
    final class Impostor {
        let process: RunningProcess
        let record: String
        init(socket: String, record: String) throws {
            self.record = record
            let script = """
            import json, os, socket, struct, sys
            path, record = sys.argv[1], sys.argv[2]
            s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(8)
            open(record, "ab").close()
            print("impostor listening", flush=True)
            def frame(o):
                b = json.dumps(o).encode(); return struct.pack(">I", len(b)) + b
            while True:
                c, _ = s.accept(); c.settimeout(5); first = True; buf = b""
                try:
                    while True:
                        d = c.recv(65536)
                        if not d: break
                        with open(record, "ab") as f: f.write(d)
                        buf += d
                        while len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">I", buf[:4])[0]:
                            n = struct.unpack(">I", buf[:4])[0]; m = json.loads(buf[4:4 + n]); buf = buf[4 + n:]
                            if first:
                                c.sendall(frame({"hello": "droidgate-ipc", "version": 1, "role": "authd", "pid": os.getpid()})); first = False
                            else:
                                c.sendall(frame({"id": m.get("id"), "result": {"tier": "workos", "state": "fresh"}}))
                except Exception:
                    pass
                c.close()
            """
            let dir = Files.directoryName(record)
            let py = dir + "/impostor.py"
            try script.write(toFile: py, atomically: true, encoding: .utf8)
            chmod(py, 0o644)
            process = try RunningProcess("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", py, socket, record])
            guard process.waitFor("impostor listening") else { throw TimedOut(what: "the impostor to listen: \(process.text)", seconds: 10) }
        }
        var received: [UInt8] { (try? Files.read(record, maxBytes: 1 << 20)) ?? [] }
        deinit { process.signal(SIGKILL) }
    }

    func loginWithRefreshToken(cwd: String, _ args: [String]) throws -> (Int32, String) {
        let p = try RunningProcess(Binaries.path("droidgate"), ["login", "--refresh-token", "-"] + args, cwd: cwd, input: true)
        p.type("rt-secret-of-the-operator")
        p.closeInput()
        guard let status = p.waitForExit(timeout: 30) else { p.signal(SIGKILL); throw TimedOut(what: "droidgate login", seconds: 30) }
        p.waitForOutputEnd(timeout: 5)
        return (status, p.text)
    }

    /// Before: with `./.droidgate/run/` in the working directory, the CLI sent
    /// the refresh token to whoever served `authd.sock` there, and said
    /// "Logged in". Here another user made that folder in a shared (sticky,
    /// world-writable) directory.
    func testTheCLIRefusesADevRootAnotherUserCouldHaveMade() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to play a second user") }
        let dir = TempDir()
        let shared = dir.path + "/shared"
        try Files.makeDirectory(shared, mode: 0o755)
        chmod(shared, 0o1777)
        let run = shared + "/.droidgate/run"
        try Files.makeDirectory(run, mode: 0o755)
        chown(shared + "/.droidgate", 65534, 65534)
        chown(run, 65534, 65534)
        let impostor = try Impostor(socket: run + "/authd.sock", record: run + "/got")

        let (status, out) = try loginWithRefreshToken(cwd: shared, [])
        XCTAssertNotEqual(status, 0, out)
        XCTAssertFalse(out.contains("Logged in"), out)
        XCTAssertTrue(out.contains("uid 65534"), "the refusal names the folder's owner: \(out)")
        XCTAssertEqual(impostor.received.count, 0, "the CLI talked to another user's socket: \(String(decoding: impostor.received, as: UTF8.self))")
    }

    /// Before: a system socket (paths.runtimeDir) was used whoever served it.
    /// Here its folder is another user's, who serves authd.sock there.
    func testTheCLIRefusesASystemSocketServedByAnotherUser() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to play a second user") }
        let dir = TempDir()
        let rt = dir.path + "/rt"
        try Files.makeDirectory(rt, mode: 0o755)
        chown(rt, 65534, 65534)
        let etc = dir.path + "/etc"
        try Files.makeDirectory(etc, mode: 0o755)
        let config = etc + "/droidgate.json"
        try #"{"paths": {"runtimeDir": "\#(rt)", "stateDir": "\#(dir.path)/state"}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let impostor = try Impostor(socket: rt + "/authd.sock", record: rt + "/got")

        let (status, out) = try loginWithRefreshToken(cwd: etc, ["--config", config])
        XCTAssertNotEqual(status, 0, out)
        XCTAssertFalse(out.contains("Logged in"), out)
        XCTAssertTrue(out.contains("served by") && out.contains("uid 65534"), out)
        XCTAssertEqual(impostor.received.count, 0, "the CLI talked to another user's socket: \(String(decoding: impostor.received, as: UTF8.self))")
    }

    // MARK: what the backend prints

    /// Before: one 1.1 MB line in backend.log, then `droidgate backend log`,
    /// killed supervisord (the reply trapped in Frame.encode); and escape
    /// sequences in the backend's output reached the operator's terminal.
    func testAHugeOrHostileBackendLogLineNeitherKillsSupervisordNorReachesTheTerminal() throws {
        let s = try UpStack()
        try s.waitUntilReady()
        let before = try status(s.config)["supervisord"]?["pid"]?.intValue
        let log = s.root + "/state/backend/backend.log"
        let fd = try FileDescriptor.open(log, O_WRONLY | O_APPEND)
        try fd.writeAll(Array(("\u{1b}]0;owned\u{07}\u{1b}[2Jtitle-and-clear\n").utf8))
        try fd.writeAll([UInt8](repeating: 0x41, count: 3 << 20) + [0x0a])
        try fd.writeAll(Array("after-the-long-line\n".utf8))
        fd.close()

        var out = ""
        XCTAssertTrue(eventually(timeout: 20) {
            guard let (status, o) = try? runToEnd(Binaries.path("droidgate"), ["backend", "log", "--config", s.config]), status == 0 else { return false }
            out = o
            return o.contains("after-the-long-line")
        }, "backend log never showed the line after the long one:\n\(out.prefix(2000))\n\(s.up.text.suffix(3000))")
        XCTAssertTrue(out.contains("more bytes cut"), "the long line is cut and says so")
        XCTAssertLessThan(out.utf8.count, 64 << 10, "the reply holds a bounded line, not 3 MiB")
        XCTAssertFalse(out.utf8.contains(0x1b), "an escape byte reached the terminal")
        XCTAssertTrue(out.contains("\\x1b]0;owned\\x07"), out.prefix(500).description)
        XCTAssertEqual(try status(s.config)["supervisord"]?["pid"]?.intValue, before, "supervisord was restarted:\n\(s.up.text.suffix(3000))")
    }

    // MARK: secrets

    /// Before: `droidgate up` gave its whole environment to all three daemons,
    /// so FACTORY_API_KEY was in edged's and supervisord's /proc/PID/environ
    /// (and stayed in authd's after it was read).
    func testTheSecretsReachOnlyAuthdAndLeaveItsEnvironment() throws {
        let key = "fk-only-for-authd-\(UInt32.random(in: 0...UInt32.max))"
        let seed = "rt-only-for-authd-\(UInt32.random(in: 0...UInt32.max))"
        let s = try UpStack(environment: ["FACTORY_API_KEY": key, "DROID_REFRESH_KEY": seed])
        try s.waitUntilReady()
        let st = try status(s.config)
        XCTAssertEqual(st["authd"]?["tier"], "api-key", "authd read the key: \(st)")
        for d in ["authd", "edged", "supervisord"] {
            guard let pid = st[d]?["pid"]?.intValue else { XCTFail("no pid for \(d): \(st)"); continue }
            let environ = try Files.read("/proc/\(pid)/environ", maxBytes: 1 << 20)
            let text = String(decoding: environ, as: UTF8.self)
            XCTAssertFalse(text.contains(key), "\(d) (pid \(pid)) has FACTORY_API_KEY's value in /proc/PID/environ")
            XCTAssertFalse(text.contains(seed), "\(d) (pid \(pid)) has DROID_REFRESH_KEY's value in /proc/PID/environ")
        }
    }

    // MARK: process limits

    /// Before: Spawn moved descriptors through numbers from 1000 up, so under a
    /// file limit of 1003 or less no daemon (nor the backend) could start.
    func testTheStackStartsUnderASmallFileLimit() throws {
        let s = try UpStack(prefix: ["/usr/bin/prlimit", "--nofile=200"])
        try s.waitUntilReady()
        let (code, out) = try runToEnd(Binaries.path("droidgate"), ["status", "--config", s.config])
        XCTAssertEqual(code, 0, out)
    }

    func status(_ config: String) throws -> JSONValue {
        let (_, out) = try runToEnd(Binaries.path("droidgate"), ["status", "--json", "--config", config])
        return try JSONValue(parsing: Array(out.utf8))
    }
}

/// clients.allowedUsers (issue 25, section 4): on a shared host, only the
/// listed users' processes may use the edge; the kernel says who owns each
/// loopback connection.
final class AllowedUsersTests: XCTestCase {
    /// `GET /healthz` from a process of `uid` (through setpriv), its raw answer:
    /// over loopback TCP to `port`, or over the Unix socket at `unixPath`.
    func healthz(port: UInt16 = 0, unixPath: String? = nil, asUID uid: uid_t) throws -> String {
        let script = """
        import socket,sys
        if len(sys.argv) > 1:
            s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
        else:
            s = socket.create_connection(('127.0.0.1', \(port)), timeout=5)
        s.sendall(b'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n')
        out = b''
        while True:
            d = s.recv(65536)
            if not d: break
            out += d
        sys.stdout.write(out.decode('utf-8', 'replace'))
        """
        let (_, out) = try runToEnd("/usr/bin/setpriv", ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "/usr/bin/python3", "-c", script]
                                    + (unixPath.map { [$0] } ?? []))
        return out
    }

    func testOnlyListedUsersMayUseTheEdge() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to connect as two users") }
        let s = try ProxyStack(config: #""clients": {"allowedUsers": ["root"]}"#)
        let mine = try XCTUnwrap(try request(s.edgePort, "GET", "/healthz"))
        XCTAssertEqual(mine.status, 200, "root is listed")
        let theirs = try healthz(port: s.edgePort, asUID: 65534)
        XCTAssertTrue(theirs.hasPrefix("HTTP/1.1 403 Forbidden"), theirs)
        XCTAssertTrue(theirs.contains("clients.allowedUsers"), theirs)
        XCTAssertTrue(s.edged.waitFor("refused a connection from uid 65534"), s.edged.text)
        // Listed by uid, the other user is served.
        let t = try ProxyStack(config: #""clients": {"allowedUsers": ["0", "65534"]}"#)
        XCTAssertTrue(try healthz(port: t.edgePort, asUID: 65534).hasPrefix("HTTP/1.1 200"))
    }

    func testWithoutTheListEveryLocalUserIsServed() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to connect as another user") }
        let s = try ProxyStack()
        XCTAssertTrue(try healthz(port: s.edgePort, asUID: 65534).hasPrefix("HTTP/1.1 200"))
    }

    /// The optional Unix-socket listener: the same service, peers checked by
    /// SO_PEERCRED, and kept across a reload (the new generation inherits it).
    func testTheUnixSocketListenerChecksItsPeersAndSurvivesAReload() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to connect as two users") }
        let probe = TempDir()
        let path = probe.path + "/http.sock"
        let s = try ProxyStack(config: #""clients": {"allowedUsers": ["root"], "unixSocket": "\#(path)"}"#)
        defer { killProcesses(mentioning: s.dir.path) }   // the generation the reload starts
        // ProxyStack is up once the TCP port answers; edged binds the Unix socket
        // just after it, and says it is ready once both listen (a CI run stat'ed
        // the socket in between).
        XCTAssertTrue(s.edged.waitFor("ready: listening on"), s.edged.text)
        XCTAssertEqual(try Files.status(path).mode & 0o777, 0o666)
        XCTAssertTrue(try healthz(unixPath: path, asUID: 0).hasPrefix("HTTP/1.1 200"))
        let theirs = try healthz(unixPath: path, asUID: 65534)
        XCTAssertTrue(theirs.hasPrefix("HTTP/1.1 403"), theirs)
        XCTAssertTrue(s.edged.waitFor("refused a connection from uid 65534"), s.edged.text)
        let inode = try Files.status(path).inode
        s.edged.signal(SIGHUP)
        XCTAssertTrue(s.edged.waitFor("handed to pid"), s.edged.text)
        XCTAssertEqual(try Files.status(path).inode, inode, "the same socket, not a new bind")
        XCTAssertTrue(try healthz(unixPath: path, asUID: 0).hasPrefix("HTTP/1.1 200"), s.edged.text)
    }

    func testTheListNeedsALoopbackListenerAndKnownUsers() throws {
        let dir = TempDir()
        for (json, want) in [(#"{"listen": "0.0.0.0:8317", "clients": {"apiKeys": ["sha256:\#(String(repeating: "a", count: 64))"], "allowedUsers": ["root"]}}"#, "needs a loopback"),
                             (#"{"clients": {"allowedUsers": ["no-such-user-here"]}}"#, "no user named")] {
            let path = dir.write("c.json", json)
            XCTAssertThrowsError(try ConfigLoader.load(path: path, environment: [:])) { XCTAssertTrue("\($0)".contains(want), "\($0)") }
        }
    }
}
