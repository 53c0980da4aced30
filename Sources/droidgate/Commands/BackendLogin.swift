import Glibc
import IPC
import Shared

/// `droidgate backend login <provider>`: supervisord runs cli-proxy-api's own
/// login as the backend's user and relays what it prints; for the browser
/// logins (Claude, Antigravity) this command also reads the callback address
/// the user pastes and hands it to that login over IPC. The CLI never sees a
/// token: only the login's output and the user's pasted line cross it.
enum BackendLogin {
    static let help = """
    Usage: droidgate backend login <claude|codex|antigravity|kimi|xai> [--callback-port N]
                                   [--config PATH] [--root DIR]

    Signs in to a provider account with cli-proxy-api's own login flow, run on
    the droidgate host by supervisord. Open the printed URL in a browser on any
    machine.

    codex, kimi, xai: device flows — enter the printed code on the page; the
    login finishes by itself.

    claude, antigravity: after you sign in, the browser is sent to a localhost
    address (http://localhost:54545/callback?code=… for Claude,
    http://localhost:51121/oauth-callback?code=… for Antigravity) meant for the
    droidgate host. Unless the browser runs on that host, the page does not
    load — that is expected. Copy the whole address from the browser's address
    bar and paste it here, then press Enter. A wrong line is refused and you
    can paste again.

      --callback-port N   the port the login listens on for that redirect on
                          the droidgate host (cli-proxy-api's -oauth-callback-port;
                          for an SSH tunnel). Claude's redirect address stays
                          http://localhost:54545/callback whatever the port.

    Ctrl-C cancels the login. Logging in to an account you already have
    updates it.
    """

    /// cli-proxy-api's callback defaults (sdk/auth/claude.go, internal/auth/antigravity/constants.go).
    static let callbacks: [String: (port: Int, path: String)] = [
        "claude": (54545, "/callback"),
        "antigravity": (51121, "/oauth-callback"),
    ]
    static let timeoutSeconds = 660.0

    static func run(_ args: [String]) -> Never {
        // The provider is the one argument that is neither a flag nor a flag's value.
        var positional: [String] = [], flags: [String] = []
        var i = 0
        while i < args.count {
            if ["--config", "--root", "--callback-port"].contains(args[i]) {
                flags += args[i..<min(i + 2, args.count)]
                i += 2
            } else {
                if args[i].hasPrefix("-") { flags.append(args[i]) } else { positional.append(args[i]) }
                i += 1
            }
        }
        let o = CommandOptions.parse(flags, command: "backend login", help: help, valued: ["--callback-port"])
        guard positional.count == 1, let provider = positional.first else {
            fail("name one provider: claude, codex, antigravity, kimi or xai", status: 2)
        }
        var callbackPort: Int? = nil
        if let p = o.values["--callback-port"] {
            guard let n = Int(p), (1...65535).contains(n) else { fail("--callback-port needs a port number (1-65535), got \"\(p)\"", status: 2) }
            callbackPort = n
        }
        let loginArgs = BackendLoginArgs(provider: provider, callbackPort: callbackPort).json
        let config = o.loadConfig(command: "backend login")
        let client = o.connect(.supervisord, config, command: "backend login")
        // Ctrl-C: our exit closes the connection, and supervisord stops the login process.
        let signals = SignalHandlers { event in
            guard case .terminate = event else { return }
            printError("droidgate backend login: cancelled; no account was changed by this login")
            exitProcess(130)
        }
        do {
            let id = try client.send(.backendLogin, loginArgs)
            let deadline = Monotonic.seconds() + timeoutSeconds
            while true {
                let m = try client.nextMessage(timeout: max(0.01, deadline - Monotonic.seconds()))
                if let mid = m["id"]?.intValue, mid != id {
                    answer(toPaste: m)   // the only other requests on this connection
                    continue
                }
                if m["id"]?.intValue == id {
                    if case .remote(_, let message)? = IPCClient.error(in: m) { fail(message) }
                    if let started = BackendLoginStarted(m["result"] ?? .null), started.pastesCallback {
                        explainPaste(provider: provider, port: callbackPort)
                        readPastes(client: client, login: started.login)
                    }
                    continue
                }
                guard m["sub"]?.intValue == id, let event = m["data"].flatMap(BackendLoginEvent.init) else { continue }
                switch event {
                case .line(let line):
                    printOut(line)
                case .done(let ok, let account, let updated, let message):
                    guard ok else { fail(message ?? "failed") }
                    let account = account ?? "?"
                    if updated {
                        printOut("Signed in: updated account \(account) (it was already there). `droidgate backend accounts` lists it.")
                    } else {
                        printOut("Signed in: account \(account) added. `droidgate backend accounts` lists it.")
                    }
                    withExtendedLifetime(signals) {}
                    exitProcess(0)
                }
            }
        } catch {
            fail("\(error)")
        }
    }

    static func explainPaste(provider: String, port: Int?) {
        guard let cb = callbacks[provider] else { return }
        // cli-proxy-api's Claude redirect URI is fixed (internal/auth/claude/anthropic_auth.go):
        // -oauth-callback-port moves only its listener. Antigravity redirects to the port it listens on.
        let shown = provider == "claude" ? cb.port : (port ?? cb.port)
        printOut("""
        After you sign in, the browser goes to an address starting http://localhost:\(shown)\(cb.path)
        meant for this host. If the browser runs on another machine that page does not load — that is expected.
        Copy the whole address from the browser's address bar, paste it here and press Enter.
        """)
    }

    /// Each line typed or pasted goes to the login; supervisord checks it and
    /// answers (an error leaves the login running, so the user can paste again).
    static func readPastes(client: IPCClient, login: Int) {
        startThread("login-stdin") {
            while let line = readLine(strippingNewline: true) {
                guard !line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) else { continue }
                do { _ = try client.send(.backendLoginInput, BackendLoginInput(login: login, line: line).json) } catch { return }
            }
        }
    }

    static func answer(toPaste m: JSONObject) {
        if case .remote(_, let message)? = IPCClient.error(in: m) {
            printError("droidgate backend login: \(message). Paste it again:")
        } else {
            printOut("Callback address handed to the login; finishing…")
        }
    }

    static func fail(_ message: String, status: Int32 = 1) -> Never {
        printError("droidgate backend login: \(message)")
        exitProcess(status)
    }
}
