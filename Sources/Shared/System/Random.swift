import CSystem
import Glibc

/// Cryptographically secure random bytes (getrandom(2)).
public enum Random {
    public static func fill(_ bytes: inout [UInt8]) throws(SystemError) {
        try bytes.withMutableBytes { (b) throws(SystemError) in try fill(b) }
    }

    public static func fill(_ b: UnsafeMutableRawBufferPointer) throws(SystemError) {
        var filled = 0
        while filled < b.count {
            filled += try syscall("getrandom") { csys_getrandom(b.baseAddress! + filled, b.count - filled) }
        }
    }

    /// A random (version 4) UUID in lowercase, from one getrandom(2) call —
    /// Foundation's `UUID()` opens, reads and closes /dev/urandom each time.
    public static func uuid() -> String {
        var b = [UInt8](repeating: 0, count: 16)
        if (try? fill(&b)) == nil { fallbackFill(&b) }
        return RandomText.uuid(b)
    }

    /// `count` random bytes as lowercase hex.
    public static func hex(_ count: Int) throws(SystemError) -> String {
        var b = [UInt8](repeating: 0, count: count)
        try fill(&b)
        return RandomText.hex(b)
    }

    /// getrandom cannot fail for a few bytes once the kernel's pool is ready;
    /// if it ever does, never a fixed id all the same.
    static func fallbackFill(_ b: inout [UInt8]) {
        for i in b.indices { b[i] = UInt8.random(in: 0...255) }
    }
}

/// Random bytes spelled as ids.
enum RandomText {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// 16 bytes as a version 4 UUID, lowercase.
    static func uuid(_ bytes: [UInt8]) -> String {
        var b = bytes
        b[6] = (b[6] & 0x0f) | 0x40
        b[8] = (b[8] & 0x3f) | 0x80
        return String(unsafeUninitializedCapacity: 36) { out in
            var o = 0
            for (i, x) in b.enumerated() {
                if i == 4 || i == 6 || i == 8 || i == 10 { out[o] = 0x2d; o += 1 }
                out[o] = digits[Int(x >> 4)]
                out[o + 1] = digits[Int(x & 15)]
                o += 2
            }
            return o
        }
    }

    static func hex(_ b: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: b.count * 2) { out in
            for (i, x) in b.enumerated() {
                out[2 * i] = digits[Int(x >> 4)]
                out[2 * i + 1] = digits[Int(x & 15)]
            }
            return b.count * 2
        }
    }
}

/// Ids made per request on an event loop (a request id, Factory's session and
/// message ids) from a buffer that one getrandom(2) call fills for about a
/// hundred of them, as Node's `crypto.randomUUID` does, instead of a system
/// call each. Each byte is handed out once. One per thread: not shared.
public final class RandomPool {
    private var buffer: [UInt8]
    private var next: Int

    public init(bytes: Int = 4096) {
        buffer = [UInt8](repeating: 0, count: max(64, bytes))
        next = buffer.count
    }

    private func take(_ count: Int) -> [UInt8] {
        precondition(count <= buffer.count)
        if next + count > buffer.count {
            if (try? Random.fill(&buffer)) == nil { Random.fallbackFill(&buffer) }
            next = 0
        }
        defer { next += count }
        return Array(buffer[next..<next + count])
    }

    public func uuid() -> String { RandomText.uuid(take(16)) }
    public func hex(_ count: Int) -> String { RandomText.hex(take(count)) }
}
