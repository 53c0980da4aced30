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

    /// A random (version 4) UUID in lowercase, from one getrandom(2) call —
    /// Foundation's `UUID()` opens, reads and closes /dev/urandom each time.
    public static func uuid() -> String {
        var b = [UInt8](repeating: 0, count: 16)
        if (try? fill(&b)) == nil {
            // getrandom cannot fail for 16 bytes once the pool is ready; never a fixed id all the same.
            for i in b.indices { b[i] = UInt8.random(in: 0...255) }
        }
        b[6] = (b[6] & 0x0f) | 0x40
        b[8] = (b[8] & 0x3f) | 0x80
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, x) in b.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(0x2d) }
            out.append(digits[Int(x >> 4)])
            out.append(digits[Int(x & 15)])
        }
        return String(decoding: out, as: UTF8.self)
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
