import CSystem
import Glibc

/// Cryptographically secure random bytes (getrandom(2)).
public enum Random {
    public static func fill(_ bytes: inout [UInt8]) throws(SystemError) {
        var filled = 0
        while filled < bytes.count {
            let n = try bytes.withMutableBytes { (b) throws(SystemError) in
                try syscall("getrandom") { csys_getrandom(b.baseAddress! + filled, b.count - filled) }
            }
            filled += n
        }
    }

    /// `count` random bytes as lowercase hex.
    public static func hex(_ count: Int) throws(SystemError) -> String {
        var b = [UInt8](repeating: 0, count: count)
        try fill(&b)
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count * 2)
        for x in b { out.append(digits[Int(x >> 4)]); out.append(digits[Int(x & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
