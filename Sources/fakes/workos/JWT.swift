import FakeKit
import Foundation
import Shared

/// HS256 JSON Web Tokens shaped like WorkOS access tokens (the real ones are
/// RS256 with a JWKS; a fake only needs the shape and a checkable signature).
enum JWT {
    static func sign(claims: JSONValue, secret: [UInt8]) -> String {
        let header: JSONValue = ["alg": "HS256", "typ": "JWT"]
        let input = base64URL(header.serialized()) + "." + base64URL(claims.serialized())
        return input + "." + base64URL(hmacSHA256(key: secret, message: Array(input.utf8)))
    }

    /// The claims of a token this fake signed with `secret`; nil when the signature does not match.
    static func verify(_ token: String, secret: [UInt8]) -> JSONValue? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        let expected = base64URL(hmacSHA256(key: secret, message: Array("\(parts[0]).\(parts[1])".utf8)))
        guard constantTimeEquals(Array(expected.utf8), Array(parts[2].utf8)),
              let payload = base64URLDecode(String(parts[1]))
        else { return nil }
        return try? JSONValue(parsing: payload)
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        var s = Data(bytes).base64EncodedString()
        s = s.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }

    static func base64URLDecode(_ text: String) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map { Array($0) }
    }
}

/// WorkOS-looking identifiers: a prefix and a ULID (26 Crockford base-32 characters).
enum WorkOSID {
    private static let crockford = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    static func ulid() -> String {
        "01" + String((0..<24).map { _ in crockford.randomElement()! })
    }

    static func make(_ prefix: String) -> String { prefix + "_" + ulid() }

    /// A user code like "BCDF-GHJK" (consonants only, as RFC 8628 §6.1 suggests).
    static func userCode() -> String {
        let letters = Array("BCDFGHJKLMNPQRSTVWXZ")
        let s = String((0..<8).map { _ in letters.randomElement()! })
        return String(s.prefix(4)) + "-" + String(s.suffix(4))
    }

    static func secret() -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) }
    }
}

extension Array where Element == UInt8 {
    var hexString: String {
        let digits = [Character]("0123456789abcdef")
        return String(flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    init?(hex: String) {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            guard let h = hexValue(chars[i]), let l = hexValue(chars[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        self = out
    }
}
