import FakeKit
import Shared

/// `-claude-login`, `-antigravity-login`, `-codex-login` (`sdk/auth/claude.go`,
/// `sdk/auth/antigravity.go`, `sdk/auth/codex.go`, and their `internal/cmd/*_login.go`):
/// print the auth URL (a fresh random `state`), wait up to 5 minutes for the
/// browser's redirect to the local callback server, and after 15 s
/// (`--paste-after-ms`) also ask once — "Paste the … callback URL (or press
/// Enter to keep waiting): " — for the callback URL on stdin. An empty line
/// (or end of input) keeps waiting for the callback without asking again; a
/// line that is not a callback URL, an `error=` in it, or a wrong `state` ends
/// the login with the real error. A code with the right state signs in.
struct BrowserLogin {
    let kind: LoginKind
    let options: Options
    let authDir: String

    private var name: String {
        switch kind {
        case .antigravity: "antigravity"
        case .codex: "Codex"
        default: "Claude"
        }
    }

    private var defaultPort: Int {
        switch kind {
        case .antigravity: 51121   // internal/auth/antigravity/constants.go
        case .codex: 1455          // sdk/auth/codex.go
        default: 54545             // sdk/auth/claude.go
        }
    }

    private var callbackPath: String {
        switch kind {
        case .antigravity: "/oauth-callback"
        case .codex: "/auth/callback"
        default: "/callback"
        }
    }

    private enum Failure: Error {
        /// A claude/codex `AuthenticationError`: its user-friendly message is logged.
        case authentication(String)
        /// Anything else (the cmd prints "… authentication failed: <message>").
        case other(String)
        case portInUse
    }

    func run() -> Int32 {
        let port = options.oauthCallbackPort ?? defaultPort
        let state = IDs.hex(32)   // misc.GenerateRandomState: 16 random bytes, hex
        guard let listener = CallbackService.start(port: port, path: callbackPath,
                                                   antigravityStyle: kind == .antigravity) else {
            return report(kind == .antigravity
                ? .other("antigravity: failed to start callback server: listen tcp :\(port): bind: address already in use")
                : .portInUse)
        }
        let bound = listener.port
        let url = authURL(state: state, port: Int(bound))
        if !options.noBrowser {
            printOut("Opening browser for \(name) authentication")
            Log.warning("No browser available; please open the URL manually")
        }
        Login.printTunnelInstructions(port: kind == .antigravity ? Int(bound) : port)
        printOut("Visit the following URL to continue authentication:\n\(url)")
        printOut("Waiting for \(name) authentication callback...")

        let waited = waitForCallback(listener.service)
        listener.shutdown()   // the real Login's deferred Stop/Shutdown, before the command prints
        let result: CallbackResult
        switch waited {
        case .success(let r): result = r
        case .failure(let f): return report(f)
        }
        if let failure = check(result, state: state) { return report(failure) }
        return succeed()
    }

    private func authURL(state: String, port: Int) -> String {
        let challenge = IDs.random(43)
        switch kind {
        case .antigravity:   // antigravity/auth.go BuildAuthURL
            return "https://accounts.google.com/o/oauth2/v2/auth?" + Login.encodeQuery([
                ("access_type", "offline"), ("client_id", "fake-client-id.apps.googleusercontent.com"), ("prompt", "consent"),
                ("redirect_uri", "http://localhost:\(port)/oauth-callback"), ("response_type", "code"),
                ("scope", "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email"),
                ("state", state),
            ])
        case .codex:   // codex/openai_auth.go GenerateAuthURL (redirect_uri is fixed at 1455)
            return "https://auth.openai.com/oauth/authorize?" + Login.encodeQuery([
                ("client_id", "fake-client-id"), ("response_type", "code"), ("redirect_uri", "http://localhost:1455/auth/callback"),
                ("scope", "openid email profile offline_access"), ("state", state), ("code_challenge", challenge),
                ("code_challenge_method", "S256"), ("prompt", "login"), ("id_token_add_organizations", "true"),
                ("codex_cli_simplified_flow", "true"),
            ])
        default:   // claude/anthropic_auth.go GenerateAuthURL (redirect_uri is fixed at 54545)
            return "https://claude.ai/oauth/authorize?" + Login.encodeQuery([
                ("code", "true"), ("client_id", "fake-client-id"), ("response_type", "code"),
                ("redirect_uri", "http://localhost:54545/callback"),
                ("scope", "user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload"),
                ("code_challenge", challenge), ("code_challenge_method", "S256"), ("state", state),
            ])
        }
    }

    /// The callback, or a pasted URL once asked; 5 minutes at most.
    private func waitForCallback(_ server: CallbackService) -> Result<CallbackResult, Failure> {
        let start = Monotonic.nanoseconds()
        let deadline = start + 300_000_000_000
        let askAt = start + UInt64(options.pasteAfterMs) * 1_000_000
        var asked = false
        var pasted: Locked<String?>?
        while true {
            if let r = server.received { return .success(r) }
            let now = Monotonic.nanoseconds()
            if !asked && now >= askAt {
                asked = true
                let prompt = "Paste the \(name) callback URL (or press Enter to keep waiting): "
                try? FileDescriptor.standardOutput.writeAll(Array(prompt.utf8))   // no newline, as fmt.Print
                pasted = Self.readLineAsync()
            }
            if let box = pasted, let line = box.withLock({ v -> String? in defer { v = nil }; return v }) {
                pasted = nil
                switch PastedCallback.parse(line) {
                case .empty: break   // keep waiting for the callback; no second prompt
                case .invalid(let message): return .failure(.other(message))
                case .parsed(let r): return .success(r)
                }
            }
            if now >= deadline {
                return .failure(kind == .antigravity
                    ? .other("antigravity: authentication timed out")
                    : .authentication("Authentication timed out. Please try again."))
            }
            sleepSeconds(0.01)
        }
    }

    /// `defaultProjectPrompt`: one line from stdin, trimmed (end of input gives what was read).
    private static func readLineAsync() -> Locked<String?> {
        let box = Locked<String?>(nil)
        startThread("paste-prompt") {
            var line: [UInt8] = []
            var byte: [UInt8] = [0]
            while true {
                let n = (try? byte.withMutableBytes { (b) throws(SystemError) in try FileDescriptor.standardInput.read(into: b) }) ?? 0
                if n <= 0 || byte[0] == 0x0a { break }
                line.append(byte[0])
            }
            box.value = String(decoding: line, as: UTF8.self).trimming(" \t\r\n")
        }
        return box
    }

    /// The checks after the wait, in the real order.
    private func check(_ r: CallbackResult, state: String) -> Failure? {
        if kind == .antigravity {
            if !r.error.isEmpty { return .other("antigravity: authentication failed: \(r.error)") }
            if r.state != state { return .other("antigravity: invalid state") }
            if r.code.isEmpty { return .other("antigravity: missing authorization code") }
            return nil
        }
        if !r.error.isEmpty {
            // claude.NewOAuthError: not an AuthenticationError, so the cmd prints it.
            return .other(r.errorDescription.isEmpty ? "OAuth error: \(r.error)" : "OAuth error \(r.error): \(r.errorDescription)")
        }
        if r.state != state {
            if kind == .claude { Log.error("State mismatch: expected \(state), got \(r.state)") }
            return .authentication("Authentication failed. Please try again.")
        }
        return nil
    }

    private func succeed() -> Int32 {
        let email = options.loginEmail
        switch kind {
        case .antigravity:
            Log.info("antigravity: obtained project ID \(Login.hide("fake-project-0001"))")
            printOut("Antigravity authentication successful")
            printOut("Using GCP project: \(Login.hide("fake-project-0001"))")
        default:
            printOut("\(name) authentication successful")
        }
        let path: String
        do {
            path = try Login.save(kind, email: email, authDir: authDir)
        } catch {
            return report(.other("\(error)"))
        }
        printOut("Authentication saved to \(path)")
        if kind == .antigravity { printOut("Authenticated as \(email)") }
        printOut(kind == .antigravity ? "Antigravity authentication successful!" : "\(name) authentication successful!")
        return 0
    }

    private func report(_ failure: Failure) -> Int32 {
        switch failure {
        case .portInUse:
            Log.error("The required port is already in use. Please close any applications using port 3000 and try again.")
            return 13   // ErrPortInUse.Code: os.Exit(13)
        case .authentication(let message):
            Log.error(message)
        case .other(let message):
            if kind == .antigravity {
                Log.error("Antigravity authentication failed: \(message)")
            } else {
                printOut("\(name) authentication failed: \(message)")
            }
        }
        return 0
    }
}
