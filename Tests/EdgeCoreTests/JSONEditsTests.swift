import EdgeCore
import XCTest

/// The one module of byte-range JSON edits: every other byte stays.
final class JSONEditsTests: XCTestCase {
    func edit(_ json: String, _ body: (UnsafeRawBufferPointer, inout Splice) -> Void) -> String { spliced(json, body) }

    /// Overlapping edits (or one past the body) are a rule's bug: `apply`
    /// says so, and edged answers that one request 500. It used to trap, which
    /// took down every connection of edged for one bad request (#28).
    func testConflictingEditsThrowInsteadOfTrapping() {
        let body = Array(#"{"a":1,"b":2}"#.utf8)
        var overlapping = Splice()
        overlapping.replace(ByteRange(1, 6), with: Array("x".utf8))
        overlapping.delete(ByteRange(4, 8))
        var past = Splice()
        past.insert(Array("y".utf8), at: body.count + 1)
        for splice in [overlapping, past] {
            XCTAssertThrowsError(try body.withUnsafeBytes { (b) throws(Splice.Conflict) in try splice.apply(to: b) })
        }
        var fine = Splice()
        fine.replace(ByteRange(5, 6), with: Array("9".utf8))
        XCTAssertEqual(try body.withUnsafeBytes { (b) throws(Splice.Conflict) in try fine.apply(to: b) }, Array(#"{"a":9,"b":2}"#.utf8))
    }

    func testMembers() {
        XCTAssertEqual(edit(#"{ "a" :1 ,"b":2}"#) { JSONEdits.setMember($0, objectAt: 0, "a", Array("9".utf8), into: &$1) }, #"{ "a" :9 ,"b":2}"#)
        XCTAssertEqual(edit(#"{ }"#) { JSONEdits.setMember($0, objectAt: 0, "a", Array("1".utf8), into: &$1) }, #"{"a":1 }"#)
        XCTAssertEqual(edit(#"{"b":2}"#) { JSONEdits.setMember($0, objectAt: 0, "a", Array("1".utf8), into: &$1) }, #"{"a":1,"b":2}"#)
        XCTAssertEqual(edit(#"{"a":1, "b":2, "c":3}"#) { JSONEdits.removeMember($0, objectAt: 0, "b", into: &$1) }, #"{"a":1, "c":3}"#)
        XCTAssertEqual(edit(#"{"a":1, "b":2}"#) { JSONEdits.removeMember($0, objectAt: 0, "b", into: &$1) }, #"{"a":1}"#)
        XCTAssertEqual(edit(#"{"b":2}"#) { JSONEdits.removeMember($0, objectAt: 0, "b", into: &$1) }, #"{}"#)
        XCTAssertEqual(edit(#"{"a":1}"#) { JSONEdits.removeMember($0, objectAt: 0, "z", into: &$1) }, #"{"a":1}"#)
        XCTAssertEqual(edit("{\n  \"a\": 1\n}") {
            JSONEdits.appendMember($0, objectAt: 0, Array(#""z": 2"#.utf8), separator: Array(",\n  ".utf8), emptyReplacement: [], into: &$1)
        }, "{\n  \"a\": 1,\n  \"z\": 2\n}")
        XCTAssertEqual(edit(" {} ") {
            JSONEdits.appendMember($0, objectAt: 1, Array(#""z":2"#.utf8), separator: [], emptyReplacement: Array(#"{"z":2}"#.utf8), into: &$1)
        }, #" {"z":2} "#)
        XCTAssertEqual(edit(#"[1]"#) { JSONEdits.insertFirstMember($0, Array(#""a":1"#.utf8), into: &$1) }, "[1]", "not an object: no edit")
    }

    func testElementsAndTokens() {
        XCTAssertEqual(edit("[ ]") { JSONEdits.insertFirstElement($0, arrayAt: 0, Array("0".utf8), into: &$1) }, "[0 ]")
        XCTAssertEqual(edit("[1,2]") { JSONEdits.insertFirstElement($0, arrayAt: 0, Array("0".utf8), into: &$1) }, "[0,1,2]")
        let body = "[1, 2, 3, 4]"
        let ranges = [ByteRange(1, 2), ByteRange(4, 5), ByteRange(7, 8), ByteRange(10, 11)]
        XCTAssertEqual(edit(body) { JSONEdits.removeElements(ranges, [false, true, true, false], into: &$1) }, "[1, 4]")
        XCTAssertEqual(edit(body) { JSONEdits.removeElements(ranges, [false, false, true, true], into: &$1) }, "[1, 2]")
        XCTAssertEqual(edit(body) { JSONEdits.removeElements(ranges, [true, false, false, true], into: &$1) }, "[2, 3]")
        XCTAssertEqual(String(decoding: JSONEdits.jsonString("a\"b\\c\n"), as: UTF8.self), #""a\"b\\c\u000a""#)
        XCTAssertEqual(String(decoding: JSONEdits.escaped("x\"y"), as: UTF8.self), #"x\"y"#)
    }
}
