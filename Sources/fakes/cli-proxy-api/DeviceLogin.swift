import FakeKit
import Shared

/// The device-code logins: `-kimi-login` (`sdk/auth/kimi.go`, `internal/cmd/kimi_login.go`),
/// `-xai-login` (`sdk/auth/xai.go`, `internal/cmd/xai_login.go`) and
/// `-codex-device-login` (`sdk/auth/codex_device.go`, `internal/cmd/openai_device_login.go`):
/// a URL and a code to enter there, nothing to paste. The fake "authorizes"
/// after 1 s and prints the real program's lines around it.
struct DeviceLogin {
    let kind: LoginKind
    let options: Options
    let authDir: String

    static let userCode = "ABCD-1234"

    func run() -> Int32 {
        let email = options.loginEmail
        switch kind {
        case .kimi:
            printOut("Starting Kimi authentication...")
            printOut("\nTo authenticate, please visit:\nhttps://auth.kimi.com/device?user_code=\(Self.userCode)\n\n")
            printOut("User code: \(Self.userCode)\n\n")
            printOut("Waiting for authorization...")
            printOut("(This will timeout in 600 seconds if not authorized)")
        case .xai:
            printOut("Starting xAI authentication...")
            printOut("\nTo authenticate, please visit:\nhttps://auth.x.ai/device?user_code=\(Self.userCode)\n\n")
            printOut("Then enter this code: \(Self.userCode)\n\n")
            if !options.noBrowser { Log.warning("No browser available; please open the URL manually") }
            printOut("Waiting for authorization...")
            printOut("(This will timeout in 600 seconds if not authorized)")
        default:
            printOut("Starting Codex device authentication...")
            printOut("Codex device URL: https://auth.openai.com/codex/device")
            printOut("Codex device code: \(Self.userCode)")
            if !options.noBrowser { Log.warning("No browser available; please open the device URL manually") }
        }
        sleepSeconds(1)

        switch kind {
        case .kimi: printOut("\nKimi authentication successful!")
        case .xai: printOut("xAI authentication successful")
        default: printOut("Codex authentication successful")
        }
        let path: String
        do {
            path = try Login.save(kind, email: email, authDir: authDir)
        } catch {
            switch kind {
            case .kimi: Log.error("Kimi authentication failed: \(error)")
            case .xai: Log.error("xAI authentication failed: \(error)")
            default: printOut("Codex device authentication failed: \(error)")
            }
            return 0
        }
        printOut("Authentication saved to \(path)")
        switch kind {
        case .kimi:
            printOut("Authenticated as Kimi User")
            printOut("Kimi authentication successful!")
        case .xai:
            printOut("Authenticated as \(email.isEmpty ? "xAI" : email)")
            printOut("xAI authentication successful!")
        default:
            printOut("Codex device authentication successful!")
        }
        return 0
    }
}
