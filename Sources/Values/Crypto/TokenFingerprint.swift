/// How a token is named where the token itself must not go: in IPC args
/// between edged and authd, and in logs. 16 hex digits of its SHA-256 (enough
/// to tell tokens apart, useless to anyone holding it).
public enum TokenFingerprint {
    public static func of(_ token: String) -> String {
        String(SHA256.hexDigest(Array(token.utf8)).prefix(16))
    }
}
