import XCTest
@testable import IPC
import Shared

final class FrameTests: XCTestCase {
    func testEncodeIsBigEndianLengthPlusCompactJSON() throws {
        let bytes = try Frame.encode(["op": "status"])
        XCTAssertEqual(Array(bytes.prefix(4)), [0, 0, 0, 15])
        XCTAssertEqual(String(decoding: bytes.dropFirst(4), as: UTF8.self), #"{"op":"status"}"#)
    }

    func testFrameSplitAcrossReads() throws {
        let bytes = try Frame.encode(["id": 1, "op": "status"])
        var d = FrameDecoder()
        for (i, b) in bytes.enumerated() {
            XCTAssertNil(try d.next(), "no frame before byte \(i)")
            d.append([b])
        }
        XCTAssertEqual(try d.next()?["op"], "status")
        XCTAssertNil(try d.next())
        XCTAssertEqual(d.pendingByteCount, 0)
    }

    func testTwoFramesInOneRead() throws {
        var d = FrameDecoder()
        d.append(try Frame.encode(["id": 1]) + Frame.encode(["id": 2]) + Array(Frame.encode(["id": 3]).prefix(3)))
        XCTAssertEqual(try d.next()?["id"]?.intValue, 1)
        XCTAssertEqual(try d.next()?["id"]?.intValue, 2)
        XCTAssertNil(try d.next())
        XCTAssertEqual(d.pendingByteCount, 3)
    }

    func testZeroLengthIsRejected() {
        var d = FrameDecoder()
        d.append([0, 0, 0, 0])
        XCTAssertThrowsError(try d.next()) { XCTAssertEqual($0 as? IPCError, .emptyFrame) }
    }

    func testLengthOverMaximumIsRejectedBeforeThePayloadArrives() {
        var d = FrameDecoder()
        let n = Frame.maxPayload + 1
        d.append([UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)])
        XCTAssertThrowsError(try d.next()) { XCTAssertEqual($0 as? IPCError, .frameTooLarge(n)) }
        var huge = FrameDecoder()
        huge.append([0xff, 0xff, 0xff, 0xff])
        XCTAssertThrowsError(try huge.next()) { XCTAssertEqual($0 as? IPCError, .frameTooLarge(0xffff_ffff)) }
    }

    func testMaximumSizedFrameIsAccepted() throws {
        let filler = String(repeating: "x", count: Frame.maxPayload - 8)
        let bytes = try Frame.encode(["a": .string(filler)])
        XCTAssertEqual(bytes.count, Frame.maxPayload + 4)
        var d = FrameDecoder()
        d.append(bytes)
        XCTAssertEqual(try d.next()?["a"]?.stringValue?.count, filler.count)
    }

    func testInvalidJSONAndNonObjectsAreRejected() {
        for payload in ["{\"a\":", "not json", "[1,2]", "\"str\""] {
            var d = FrameDecoder()
            let p = Array(payload.utf8)
            d.append([0, 0, 0, UInt8(p.count)] + p)
            XCTAssertThrowsError(try d.next(), payload) { error in
                switch error as? IPCError {
                case .invalidJSON?, .notAnObject?: break
                default: XCTFail("\(payload): unexpected \(error)")
                }
            }
        }
    }

    func testHelloValidation() throws {
        XCTAssertEqual(try Hello.parse(Hello(role: "edged", pid: 7).message.objectValue!), Hello(role: "edged", pid: 7))
        let cases: [(JSONObject, String)] = [
            (["hello": "other-ipc", "version": 1, "role": "x"], "protocol"),
            (["hello": "droidgate-ipc", "version": 2, "role": "x"], "version 2"),
            (["hello": "droidgate-ipc", "role": "x"], "no version"),
            (["hello": "droidgate-ipc", "version": 1], "no role"),
            (["id": 1, "op": "status"], "not a hello"),
        ]
        for (message, expected) in cases {
            XCTAssertThrowsError(try Hello.parse(message)) { error in
                guard case .badHello(let why)? = error as? IPCError else { return XCTFail("\(error)") }
                XCTAssertTrue(why.contains(expected), "\(why) should mention \(expected)")
            }
        }
    }
}
