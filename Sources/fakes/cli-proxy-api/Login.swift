import FakeKit
import Glibc
import Shared

/// The `-<provider>-login` flows, faked: print where a person would go and
/// the code to type, wait a moment as if they did, then write the credential
/// file cli-proxy-api would write into its auth-dir.
enum Login {
    static let email = "fake@example.com"

    static func run(provider: String, authDir: String, noBrowser: Bool) -> Int32 {
        let state = IDs.hex(32)
        printOut("Starting \(provider) authentication (fake)...")
        if !noBrowser { printOut("(fake) a browser would open now; open the URL below instead") }
        printOut("Please visit the following URL to authenticate:")
        printOut("https://example.invalid/oauth/\(provider)?state=\(state)")
        printOut("code: ABCD-1234")
        printOut("Waiting for authentication callback...")
        sleepSeconds(1)

        let expiry = WallClock.iso8601(WallClock.now() + 30 * 86_400, milliseconds: false)
        let credential: JSONValue = [
            "type": .string(provider), "email": .string(email), "expired": .string(expiry),
            "access_token": "fake-access", "refresh_token": "fake-refresh", "disabled": false,
        ]
        let path = "\(authDir)/\(provider)-\(email).json"
        do {
            if !Files.exists(authDir) { try Files.makeDirectory(authDir, mode: 0o700) }
            try Files.writeAtomically(path, Array(credential.prettyPrinted().utf8) + [10], mode: 0o600)
        } catch {
            printError("\(provider) authentication failed: could not save credentials: \(error)")
            return 1
        }
        printOut("Authentication saved to \(path)")
        printOut("login successful")
        return 0
    }
}
