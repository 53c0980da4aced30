import Foundation
import Shared

/// Reads the `exp` claim of a JWT-shaped access token (no signature check:
/// authd only needs to know when to refresh; Factory validates the token).
enum JWT {
    static func expiry(of token: String) -> Double? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var b64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let payload = try? JSONValue(parsing: Array(data)),
              let exp = payload["exp"]?.doubleValue else { return nil }
        return exp
    }
}
