import Foundation
import Shared

/// `droidgate login --import`: what importing Droid CLI's login costs, said
/// before anything is sent to authd, and the operator's consent.
///
/// Droid CLI and droidgate would hold the same WorkOS refresh token. WorkOS
/// rotates it on every refresh and the old one dies at once ("Refresh token
/// already exchanged"), so whichever refreshes first signs the other out.
///
/// Where Droid CLI keeps its login (checked 2026-11): older versions, and the
/// tools built on them (droid2api reads it), a plain JSON `~/.factory/auth.json`
/// with `access_token` and `refresh_token` — importable. Current versions
/// `~/.factory/auth.v2.keyring` (AES-256-GCM, the key in the system keyring:
/// Secret Service on Linux) or, without a keyring, `~/.factory/auth.v2.file`
/// encrypted the same way with the key in `auth.v2.key` beside it. droidgate
/// does not decrypt either: it says so and points at the device flow.
enum ImportConsent {
    static let warning = """
    Importing Droid CLI's login makes Droid and droidgate share one WorkOS refresh token.
    WorkOS rotates the refresh token on every refresh and the old one stops working at once,
    so the first refresh by either side signs the other out (Droid asks you to log in again,
    or droidgate reports relogin_required). Recommended instead: `droidgate login` (the WorkOS
    device flow), a session of droidgate's own that Droid's refreshes do not touch.
    """

    /// Droid CLI's encrypted stores, by name or by their one `iv:tag:ciphertext` line.
    static func encryptedStore(path: String, text: String) -> String? {
        let name = Files.baseName(path)
        let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = line.split(separator: ":", omittingEmptySubsequences: false)
        let base64 = parts.count == 3 && parts.allSatisfy { p in
            !p.isEmpty && p.allSatisfy { $0.isLetter || $0.isNumber || "+/=".contains($0) }
        }
        guard name.hasPrefix("auth.v2.") || base64 else { return nil }
        return """
        \(path) is Droid CLI's encrypted login store (auth.v2.*: AES-256-GCM; the key is in the \
        system keyring, or in auth.v2.key beside auth.v2.file). droidgate does not decrypt it: \
        run `droidgate login` (device flow) instead; a plain ~/.factory/auth.json from an older \
        Droid CLI can be imported
        """
    }

    /// Returns when the import may go ahead; else exits 1 having said why.
    static func obtain(assumeYes: Bool) {
        printError(warning)
        if assumeYes { return }
        guard FileDescriptor.standardInput.isTerminal else {
            printError("droidgate login: nothing imported: standard input is not a terminal, so no one can confirm; pass --yes to import anyway")
            exitProcess(1)
        }
        try? FileDescriptor.standardError.writeAll(Array("Import anyway? [y/N] ".utf8))
        let answer = (readLine() ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        guard answer == "y" || answer == "yes" else {
            printError("droidgate login: nothing imported")
            exitProcess(1)
        }
    }
}
