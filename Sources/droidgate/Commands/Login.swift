import Foundation
import IPC
import Shared

/// `droidgate login` / `droidgate logout`: Factory credentials, kept by authd.
enum LoginCommand {
    static let help = """
    Usage:
      droidgate login                       sign in with WorkOS (device flow): open the URL
                                            shown, enter the code, and wait for confirmation
      droidgate login --import PATH [--yes] import Droid CLI's plain ~/.factory/auth.json (older
                                            versions; current ones keep an encrypted
                                            ~/.factory/auth.v2.*, which cannot be imported).
                                            Droid and droidgate then share one refresh token that
                                            WorkOS rotates on every refresh: the first to refresh
                                            signs the other out. Asks first; --yes for scripts.
                                            Prefer the device flow (plain `droidgate login`).
      droidgate login --refresh-token -     read a WorkOS refresh token from standard input
      droidgate logout                      remove the stored tokens

    Every form takes --config PATH and --root DIR like `droidgate status`. The
    tokens are stored by authd only (0600, in its state dir); a token is never
    taken from the command line. On a systemd install run as root or as a member
    of the droidgate-admin group.
    """

    static func run(_ args: [String]) -> Never {
        let o = CommandOptions.parse(args, command: "login", help: help, switches: ["--yes"], valued: ["--import", "--refresh-token"])
        let config = o.loadConfig(command: "login")
        if let path = o.values["--import"] {
            let text: String
            do { text = String(decoding: try Files.read(path, maxBytes: 1 << 20), as: UTF8.self) } catch {
                fail("cannot read \(path): \(error)")
            }
            if let why = ImportConsent.encryptedStore(path: path, text: text) { fail(why) }
            ImportConsent.obtain(assumeYes: o.switches.contains("--yes"))
            report(o.call(.authd, config, command: "login", op: .importCredentials, CredentialsImport.authJSON(text).json))
        }
        if let source = o.values["--refresh-token"] {
            guard source == "-" else {
                fail("--refresh-token takes \"-\" and reads the token from standard input (a token in argv would be visible to every user)")
            }
            let data = FileHandle.standardInput.readDataToEndOfFile()
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { fail("no token on standard input") }
            report(o.call(.authd, config, command: "login", op: .importCredentials, CredentialsImport.refreshToken(token).json))
        }
        deviceFlow(o, config)
    }

    static func deviceFlow(_ o: CommandOptions, _ config: Config) -> Never {
        guard let start = DeviceLoginStarted(o.call(.authd, config, command: "login", op: .loginStart)) else {
            fail("authd did not start a login")
        }
        let url = start.verificationUriComplete ?? start.verificationUri
        printOut("Open this URL in a browser and confirm the code:\n\n  \(url)\n\n  code: \(start.userCode)\n\nWaiting for confirmation…")
        var interval = Double(start.interval)
        let deadline = Date().addingTimeInterval(Double(start.expiresIn) + 5)
        while Date() < deadline {
            sleepSeconds(interval)
            let r = DeviceLoginPoll(o.call(.authd, config, command: "login", op: .loginPoll, DeviceLoginPollArgs(loginId: start.loginId).json))
            switch r?.status {
            case .ok?: report(r?.report)
            case .slowDown?: interval += 5
            case .pending?, nil: break
            }
        }
        fail("the code expired before it was confirmed; run `droidgate login` again")
    }

    static func report(_ r: JSONValue) -> Never { report(CredentialsReport(r, .standalone)) }

    static func report(_ report: CredentialsReport?) -> Never {
        let expiry = report?.expiresAt.map { ", access token valid until \($0)" } ?? ""
        printOut("Logged in: tier \(report?.tier.rawValue ?? "?"), state \(report?.state.rawValue ?? "?")\(expiry).")
        exitProcess(0)
    }

    static func logout(_ args: [String]) -> Never {
        let o = CommandOptions.parse(args, command: "logout", help: help)
        let config = o.loadConfig(command: "logout")
        let r = o.call(.authd, config, command: "logout", op: .logout)
        printOut("Logged out: stored tokens removed (tier now \(CredentialsReport(r, .standalone)?.tier.rawValue ?? "?")).")
        exitProcess(0)
    }

    static func fail(_ m: String) -> Never {
        printError("droidgate login: \(m)")
        exitProcess(1)
    }
}
