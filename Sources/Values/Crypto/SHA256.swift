// SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104) and a constant-time comparison.
//
// Self-contained on purpose: the package takes no dependencies and Foundation on
// Linux has no CryptoKit. Used to check the API keys clients present against the
// "sha256:<hex>" digests in the config, so it favours plain, checkable code; whole
// 64-byte blocks are still hashed straight from the caller's memory, with the
// message schedule on the stack and no per-byte heap allocation.

/// An incremental SHA-256 hasher.
///
/// `update` any number of times, then `finalize` once for the 32-byte digest.
/// `finalize` also resets the value to a fresh hasher, so it can be reused.
public struct SHA256: Sendable {
    /// Digest length in bytes.
    public static let digestCount = 32
    /// Block length in bytes (also the HMAC block size).
    public static let blockCount = 64

    // Chaining value H0...H7.
    private var h0: UInt32 = 0x6a09_e667
    private var h1: UInt32 = 0xbb67_ae85
    private var h2: UInt32 = 0x3c6e_f372
    private var h3: UInt32 = 0xa54f_f53a
    private var h4: UInt32 = 0x510e_527f
    private var h5: UInt32 = 0x9b05_688c
    private var h6: UInt32 = 0x1f83_d9ab
    private var h7: UInt32 = 0x5be0_cd19

    /// Total message length so far, in bytes (the padding uses it mod 2^64 bits).
    private var byteCount: UInt64 = 0
    /// A partial block waiting for more input: 64 bytes held inline, no heap.
    private var pending: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0)
    /// How many bytes of `pending` are in use (always < 64 between calls).
    private var pendingCount: Int = 0

    public init() {}

    /// Feeds bytes from raw memory into the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty, let base = bytes.baseAddress else { return }
        let total = bytes.count
        byteCount &+= UInt64(truncatingIfNeeded: total)
        var offset = 0

        // Top up a partial block first.
        if pendingCount > 0 {
            let take = min(SHA256.blockCount - pendingCount, total)
            let filled = pendingCount
            withUnsafeMutableBytes(of: &pending) { buf in
                buf.baseAddress!.advanced(by: filled).copyMemory(from: base, byteCount: take)
            }
            pendingCount += take
            offset = take
            guard pendingCount == SHA256.blockCount else { return }
            var block = pending
            withUnsafeBytes(of: &block) { compress($0.baseAddress!) }
            pendingCount = 0
        }

        // Whole blocks straight from the input.
        while total - offset >= SHA256.blockCount {
            compress(base.advanced(by: offset))
            offset += SHA256.blockCount
        }

        // Keep the tail.
        let rest = total - offset
        if rest > 0 {
            withUnsafeMutableBytes(of: &pending) { buf in
                buf.baseAddress!.copyMemory(from: base.advanced(by: offset), byteCount: rest)
            }
            pendingCount = rest
        }
    }

    /// Feeds a byte sequence into the hash. Contiguous collections (`[UInt8]`,
    /// `ArraySlice`, `String.UTF8View` of a native string...) are read in place;
    /// other sequences are copied through a small buffer.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buf in
            self.update(UnsafeRawBufferPointer(buf))
        }
        if done != nil { return }
        var chunk: [UInt8] = []
        chunk.reserveCapacity(4096)
        for byte in bytes {
            chunk.append(byte)
            if chunk.count == 4096 {
                chunk.withUnsafeBytes { self.update($0) }
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty {
            chunk.withUnsafeBytes { self.update($0) }
        }
    }

    /// Pads the message, returns the 32-byte digest and resets to a fresh hasher.
    public mutating func finalize() -> [UInt8] {
        let bitLength = byteCount &* 8
        // 0x80, then zeros up to 56 mod 64, then the 64-bit big-endian bit length.
        let padZeros = (SHA256.blockCount + 55 - pendingCount) % SHA256.blockCount
        var tail: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                   UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let tailCount = 1 + padZeros + 8  // 9...72, always <= 128
        withUnsafeMutableBytes(of: &tail) { buf in
            buf[0] = 0x80
            var be = bitLength.bigEndian
            withUnsafeBytes(of: &be) { lenBytes in
                buf.baseAddress!.advanced(by: 1 + padZeros)
                    .copyMemory(from: lenBytes.baseAddress!, byteCount: 8)
            }
            let countBefore = byteCount
            update(UnsafeRawBufferPointer(rebasing: buf[0..<tailCount]))
            byteCount = countBefore
        }
        precondition(pendingCount == 0, "SHA256: padding did not end on a block boundary")

        let words = [h0, h1, h2, h3, h4, h5, h6, h7]
        var digest = [UInt8]()
        digest.reserveCapacity(SHA256.digestCount)
        for w in words {
            digest.append(UInt8(truncatingIfNeeded: w >> 24))
            digest.append(UInt8(truncatingIfNeeded: w >> 16))
            digest.append(UInt8(truncatingIfNeeded: w >> 8))
            digest.append(UInt8(truncatingIfNeeded: w))
        }
        self = SHA256()
        return digest
    }

    /// The SHA-256 digest (32 bytes) of `bytes`.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The SHA-256 digest of `bytes` as 64 lowercase hex digits.
    public static func hexDigest(_ bytes: some Sequence<UInt8>) -> String {
        hexString(hash(bytes))
    }

    /// Lowercase hex of `bytes`.
    static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Compression

    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    @inline(__always)
    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x >> n) | (x << (32 &- n))
    }

    /// Runs the compression function on the 64 bytes at `block`.
    private mutating func compress(_ block: UnsafeRawPointer) {
        SHA256.k.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                for t in 0..<16 {
                    w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self))
                }
                for t in 16..<64 {
                    let x = w[t - 15], y = w[t - 2]
                    let s0 = SHA256.rotr(x, 7) ^ SHA256.rotr(x, 18) ^ (x >> 3)
                    let s1 = SHA256.rotr(y, 17) ^ SHA256.rotr(y, 19) ^ (y >> 10)
                    w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                }

                var a = h0, b = h1, c = h2, d = h3
                var e = h4, f = h5, g = h6, h = h7
                for t in 0..<64 {
                    let bigS1 = SHA256.rotr(e, 6) ^ SHA256.rotr(e, 11) ^ SHA256.rotr(e, 25)
                    let ch = (e & f) ^ (~e & g)
                    let t1 = h &+ bigS1 &+ ch &+ k[t] &+ w[t]
                    let bigS0 = SHA256.rotr(a, 2) ^ SHA256.rotr(a, 13) ^ SHA256.rotr(a, 22)
                    let maj = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = bigS0 &+ maj
                    h = g
                    g = f
                    f = e
                    e = d &+ t1
                    d = c
                    c = b
                    b = a
                    a = t1 &+ t2
                }

                h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
                h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
            }
        }
    }
}

/// Compares two byte sequences in time that depends only on their lengths (for API key digests).
///
/// Different lengths compare unequal at once; equal lengths are always read to the end,
/// with the differences folded together rather than tested byte by byte.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<a.count {
        diff |= a[i] ^ b[i]
    }
    return diff == 0
}

/// HMAC-SHA256 (RFC 2104), for signing/verifying small tokens.
public func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
    let blockCount = SHA256.blockCount
    // Keys longer than a block are hashed first; then the key is zero-padded to a block.
    var block = key.count > blockCount ? SHA256.hash(key) : key
    block.append(contentsOf: repeatElement(0, count: blockCount - block.count))

    var inner = SHA256()
    inner.update(block.map { $0 ^ 0x36 })
    inner.update(message)
    let innerDigest = inner.finalize()

    var outer = SHA256()
    outer.update(block.map { $0 ^ 0x5c })
    outer.update(innerDigest)
    return outer.finalize()
}
