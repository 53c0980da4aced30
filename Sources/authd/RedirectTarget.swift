import Shared
import Foundation

/// Where a refused redirect pointed, for error messages: scheme, host and port of
/// its `Location` only (a path or query could carry anything).
public enum RedirectTarget {
    public static func describe(_ location: String?) -> String {
        guard let location, let u = URL(string: location), let host = u.host else { return "no usable Location" }
        return "\(u.scheme ?? "?")://\(host)\(u.port.map { ":\($0)" } ?? "")"
    }
}
