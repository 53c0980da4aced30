@testable import Outbound
import XCTest

/// The header list edged hands libcurl is a `struct curl_slist` it builds in
/// its own reused buffers: the lines and the links must read as libcurl reads
/// them, after growing past the first buffers and after a shorter reuse.
final class CurlHeaderListTests: XCTestCase {
    /// The lines as libcurl walks them: `data` then `next`, until NULL.
    static func lines(_ list: UnsafeRawPointer?) -> [String] {
        var out: [String] = []
        var node = list
        while let n = node {
            let data = n.load(as: UnsafePointer<CChar>?.self)
            out.append(data.map { String(cString: $0) } ?? "<null>")
            node = n.load(fromByteOffset: MemoryLayout<UnsafeRawPointer?>.stride, as: UnsafeRawPointer?.self)
        }
        return out
    }

    func testLinesAndLinksSurviveGrowthAndReuse() {
        let list = CurlHeaderList()
        XCTAssertNil(list.list(), "an empty list is NULL")
        // 40 lines of ~200 bytes: past the first 16 nodes and 2 KiB of text.
        let many = (0..<40).map { ("x-h\($0)", String(repeating: Character(UnicodeScalar(97 + $0 % 26)!), count: 200)) }
        for (n, v) in many { list.append(n, v) }
        list.append("Expect", "")
        XCTAssertEqual(Self.lines(list.list()), many.map { "\($0.0): \($0.1)" } + ["Expect:"])

        list.removeAll()
        list.append("authorization", "Bearer t")
        list.append("Accept", "")
        XCTAssertEqual(Self.lines(list.list()), ["authorization: Bearer t", "Accept:"])
    }

    /// One request's huge header (a client may send up to the head limit) does
    /// not stay allocated in a spare handle for every request after it.
    func testTextGrownForOneRequestIsNotKept() {
        let list = CurlHeaderList()
        list.append("x-big", String(repeating: "v", count: 200_000))
        XCTAssertEqual(Self.lines(list.list()).first?.count, "x-big: ".count + 200_000)
        XCTAssertGreaterThan(list.textCapacity, CurlHeaderList.keptTextBytes)
        list.removeAll()
        XCTAssertEqual(list.textCapacity, CurlHeaderList.initialTextBytes)
        list.append("a", "b")
        XCTAssertEqual(Self.lines(list.list()), ["a: b"])
    }
}
