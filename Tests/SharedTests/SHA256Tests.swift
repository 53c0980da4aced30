import XCTest
@testable import Shared

final class SHA256Tests: XCTestCase {
    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }

    private func bytes(hex: String) -> [UInt8] {
        let chars = Array(hex.utf8)
        precondition(chars.count % 2 == 0)
        return stride(from: 0, to: chars.count, by: 2).map { i in
            UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16)!
        }
    }

    // MARK: - NIST (FIPS 180-4 examples)

    func testEmpty() {
        XCTAssertEqual(SHA256.hexDigest([UInt8]()),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var h = SHA256()
        XCTAssertEqual(hex(h.finalize()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testABC() {
        XCTAssertEqual(SHA256.hexDigest("abc".utf8),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func test448Bit() {
        XCTAssertEqual(SHA256.hexDigest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func test896Bit() {
        let msg = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        XCTAssertEqual(SHA256.hexDigest(msg.utf8),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    func testOneMillionA() {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        XCTAssertEqual(SHA256.hexDigest([UInt8](repeating: 0x61, count: 1_000_000)), expected)

        // The same, fed in uneven pieces.
        var h = SHA256()
        let piece = [UInt8](repeating: 0x61, count: 997)
        var left = 1_000_000
        while left > 0 {
            let n = min(left, piece.count)
            h.update(piece[0..<n])
            left -= n
        }
        XCTAssertEqual(hex(h.finalize()), expected)
    }

    // MARK: - Incremental

    func testIncrementalSplitAtEveryOffset() {
        let input: [UInt8] = (0..<130).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let expected = "4d5e47a2e8510a314576c238f6ff19d389d3ef3aaaca8b2e530263a5d15741da"  // sha256sum
        XCTAssertEqual(SHA256.hexDigest(input), expected)
        let oneShot = SHA256.hash(input)

        for split in 0...130 {
            var h = SHA256()
            h.update(input[0..<split])
            h.update(input[split...])
            XCTAssertEqual(h.finalize(), oneShot, "split at \(split)")

            // Same split through the raw-pointer entry point.
            var r = SHA256()
            input.withUnsafeBytes { buf in
                r.update(UnsafeRawBufferPointer(rebasing: buf[0..<split]))
                r.update(UnsafeRawBufferPointer(rebasing: buf[split...]))
            }
            XCTAssertEqual(r.finalize(), oneShot, "raw split at \(split)")
        }

        // Byte at a time, and through a non-contiguous sequence.
        var single = SHA256()
        for b in input { single.update(CollectionOfOne(b)) }
        XCTAssertEqual(single.finalize(), oneShot)
        XCTAssertEqual(SHA256.hash(input.lazy.map { $0 }), oneShot)
        XCTAssertEqual(SHA256.hash(AnySequence(input)), oneShot)
    }

    func testFinalizeResets() {
        var h = SHA256()
        h.update("abc".utf8)
        _ = h.finalize()
        h.update("abc".utf8)
        XCTAssertEqual(hex(h.finalize()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    // MARK: - Padding edges

    func testPaddingBoundaryLengths() {
        // Expected values from `printf 'a%.0s' $(seq N) | sha256sum`.
        let cases: [(Int, String)] = [
            (55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
            (56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
            (63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
            (64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
            (65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"),
        ]
        for (n, expected) in cases {
            let msg = [UInt8](repeating: 0x61, count: n)
            XCTAssertEqual(SHA256.hexDigest(msg), expected, "length \(n)")
            var h = SHA256()
            for b in msg { h.update([b]) }
            XCTAssertEqual(hex(h.finalize()), expected, "length \(n), byte at a time")
        }
    }

    func testDigestShape() {
        XCTAssertEqual(SHA256.hash("x".utf8).count, 32)
        let d = SHA256.hexDigest("x".utf8)
        XCTAssertEqual(d.utf8.count, 64)
        XCTAssertTrue(d.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }, d)
    }

    // MARK: - HMAC (RFC 4231)

    func testHMACCase1() {
        XCTAssertEqual(hex(hmacSHA256(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8))),
                       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    func testHMACCase2() {
        XCTAssertEqual(hex(hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))),
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    func testHMACCase6() {
        let key = [UInt8](repeating: 0xaa, count: 131)
        let msg = Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)
        XCTAssertEqual(hex(hmacSHA256(key: key, message: msg)),
                       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    func testHMACCase7() {
        let key = [UInt8](repeating: 0xaa, count: 131)
        let msg = Array(("This is a test using a larger than block-size key and a larger than block-size data. "
            + "The key needs to be hashed before being used by the HMAC algorithm.").utf8)
        XCTAssertEqual(hex(hmacSHA256(key: key, message: msg)),
                       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")
    }

    func testHMACEdgeKeys() {
        // Empty key and message; key of exactly one block (not hashed). From Python's hmac module.
        XCTAssertEqual(hex(hmacSHA256(key: [], message: [])),
                       "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
        XCTAssertEqual(hex(hmacSHA256(key: [UInt8](repeating: 0x6b, count: 64), message: [])),
                       "83026a325aaee70e36cfe607536aa1054104ad1077c36134810d4ccded1ccd3b")
    }

    // MARK: - constantTimeEquals

    func testConstantTimeEquals() {
        XCTAssertTrue(constantTimeEquals([], []))
        XCTAssertTrue(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(constantTimeEquals([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(constantTimeEquals([0, 2, 3], [1, 2, 3]))
        XCTAssertFalse(constantTimeEquals([1, 2, 3], [1, 2]))
        XCTAssertFalse(constantTimeEquals([], [0]))
        let d = SHA256.hash("key".utf8)
        XCTAssertTrue(constantTimeEquals(d, SHA256.hash("key".utf8)))
        XCTAssertFalse(constantTimeEquals(d, SHA256.hash("kex".utf8)))
        var flipped = d
        flipped[31] ^= 0x01
        XCTAssertFalse(constantTimeEquals(d, flipped))
    }
}
