import XCTest

@testable import Shared

final class JSONValueTests: XCTestCase {

    // MARK: - Helpers

    private func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> JSONValue? {
        do {
            return try JSONValue(parsing: text)
        } catch {
            XCTFail("unexpected parse error for \(text.debugDescription): \(error)", file: file, line: line)
            return nil
        }
    }

    private func parseError(
        _ bytes: some Collection<UInt8>, maxDepth: Int = 512, file: StaticString = #filePath, line: UInt = #line
    ) -> JSONParseError? {
        do {
            let value = try JSONValue(parsing: bytes, maxDepth: maxDepth)
            XCTFail("expected a parse error, got \(value)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    /// Asserts the exact error (message, position and key path) for `text`.
    private func assertError(
        _ text: String, _ message: String, line errorLine: Int = 1, column: Int, keyPath: String = "",
        file: StaticString = #filePath, line: UInt = #line
    ) {
        assertError(Array(text.utf8), message, line: errorLine, column: column, keyPath: keyPath, file: file, line: line)
    }

    private func assertError(
        _ bytes: [UInt8], _ message: String, line errorLine: Int = 1, column: Int, keyPath: String = "",
        file: StaticString = #filePath, line: UInt = #line
    ) {
        guard let error = parseError(bytes, file: file, line: line) else { return }
        XCTAssertEqual(error.message, message, file: file, line: line)
        XCTAssertEqual(error.line, errorLine, "line", file: file, line: line)
        XCTAssertEqual(error.column, column, "column", file: file, line: line)
        XCTAssertEqual(error.keyPath, keyPath, "keyPath", file: file, line: line)
        if errorLine == 1 {
            XCTAssertEqual(error.offset, column - 1, "offset", file: file, line: line)
        }
    }

    private func number(_ literal: String, file: StaticString = #filePath, line: UInt = #line) -> JSONNumber? {
        let result = JSONNumber(literal: literal)
        XCTAssertNotNil(result, "\(literal) should be a valid number", file: file, line: line)
        return result
    }

    // MARK: - Parsing and round trips

    func testParsesEveryKindOfValue() throws {
        let value = try JSONValue(parsing: #" {"n":null,"t":true,"f":false,"i":-12,"d":0.5,"s":"x","a":[],"o":{}} "#)
        XCTAssertEqual(
            value,
            .object(
                JSONObject([
                    (key: "n", value: .null), (key: "t", value: .bool(true)), (key: "f", value: .bool(false)),
                    (key: "i", value: .int(-12)), (key: "d", value: .number(JSONNumber(literal: "0.5")!)),
                    (key: "s", value: .string("x")), (key: "a", value: .array([])), (key: "o", value: .object(JSONObject())),
                ])))
    }

    func testTopLevelScalarsAndWhitespace() throws {
        XCTAssertEqual(try JSONValue(parsing: "null"), .null)
        XCTAssertEqual(try JSONValue(parsing: " \t\r\ntrue\n"), .bool(true))
        XCTAssertEqual(try JSONValue(parsing: "\"hi\""), .string("hi"))
        XCTAssertEqual(try JSONValue(parsing: "42"), .int(42))
        XCTAssertEqual(try JSONValue(parsing: "-0.5e3").doubleValue, -500)
    }

    func testCompactRoundTripIsByteIdentical() throws {
        let documents = [
            #"{"a":1,"b":[true,null]}"#,
            #"{"z":{"y":[1,2,{"x":"é😀/€"}]},"a":-0,"m":1E+400,"e":[[],{}],"s":"\"\\\n\t\u0001"}"#,
            #"[0.000,-1.5e-10,123456789012345678901234567890,"",{"":""}]"#,
        ]
        for document in documents {
            let value = try JSONValue(parsing: document)
            XCTAssertEqual(value.serializedString(), document)
            XCTAssertEqual(value.serialized(), Array(document.utf8))
            XCTAssertEqual(try JSONValue(parsing: value.serialized()), value)
        }
    }

    func testWhitespaceIsNormalizedAwayInCompactOutput() throws {
        let value = try JSONValue(parsing: "{ \"a\" : [ 1 , 2 ] ,\r\n\t\"b\" : { } }")
        XCTAssertEqual(value.serializedString(), #"{"a":[1,2],"b":{}}"#)
    }

    func testSerializationIsDeterministic() throws {
        let value: JSONValue = ["model": "m", "messages": [["role": "user", "content": "hi"]], "temperature": 0.5]
        let first = value.serialized()
        XCTAssertEqual(value.serialized(), first)
        XCTAssertEqual(try JSONValue(parsing: first).serialized(), first)
        XCTAssertEqual(value.prettyPrinted(), value.prettyPrinted())
    }

    func testPrettyPrintedParsesBackToEqualValue() throws {
        let value = try JSONValue(parsing: #"{"a":[1,{"b":null,"c":[]}],"d":{},"e":"x\ny","a":2}"#)
        XCTAssertEqual(try JSONValue(parsing: value.prettyPrinted()), value)
        XCTAssertEqual(try JSONValue(parsing: value.prettyPrinted(indent: 0)), value)
    }

    func testParsesFromNonContiguousAndSlicedCollections() throws {
        let bytes = Array(#"xx[1,"a"]yy"#.utf8)
        XCTAssertEqual(try JSONValue(parsing: bytes[2..<9]), [1, "a"])
        // A lazy map has no contiguous storage, exercising the copying path.
        XCTAssertEqual(try JSONValue(parsing: bytes[2..<9].lazy.map { $0 }), [1, "a"])
        XCTAssertEqual(parseError(bytes.lazy.map { $0 })?.message, "expected a value, found 'x'")
    }

    // MARK: - Objects: order and duplicates

    func testObjectOrderIsPreserved() throws {
        let value = try JSONValue(parsing: #"{"z":1,"a":2,"m":3,"b":4}"#)
        XCTAssertEqual(value.objectValue?.keys, ["z", "a", "m", "b"])
        XCTAssertEqual(value.objectValue?.map(\.key), ["z", "a", "m", "b"])
        XCTAssertEqual(value.serializedString(), #"{"z":1,"a":2,"m":3,"b":4}"#)
    }

    func testObjectEqualityIsOrderSensitive() throws {
        XCTAssertNotEqual(try JSONValue(parsing: #"{"a":1,"b":2}"#), try JSONValue(parsing: #"{"b":2,"a":1}"#))
        XCTAssertEqual(try JSONValue(parsing: #"{"a":1,"b":2}"#), ["a": 1, "b": 2])
    }

    func testDuplicateKeysFirstWinsAndAllAreKept() throws {
        let value = try JSONValue(parsing: #"{"a":1,"b":2,"a":3}"#)
        XCTAssertEqual(value["a"], .int(1))
        XCTAssertEqual(value.objectValue?.count, 3)
        XCTAssertEqual(value.objectValue?.keys, ["a", "b", "a"])
        XCTAssertEqual(value.serializedString(), #"{"a":1,"b":2,"a":3}"#)
    }

    func testObjectSubscriptSetter() {
        var object: JSONObject = ["a": 1, "b": 2, "a": 3]
        object["a"] = "x"  // replaces the first occurrence in place
        XCTAssertEqual(JSONValue.object(object).serializedString(), #"{"a":"x","b":2,"a":3}"#)
        object["c"] = true  // appends
        XCTAssertEqual(object.keys, ["a", "b", "a", "c"])
        object["a"] = nil  // removes every occurrence
        XCTAssertEqual(JSONValue.object(object).serializedString(), #"{"b":2,"c":true}"#)
        XCTAssertNil(object["a"])
        object["missing"] = nil
        XCTAssertEqual(object.count, 2)
    }

    // MARK: - Accessors and literals

    func testAccessorsAndTypeNames() throws {
        let value = try JSONValue(parsing: #"{"s":"x","i":7,"d":2.5,"b":false,"a":[1],"o":{"k":null},"n":null}"#)
        XCTAssertEqual(value["s"]?.stringValue, "x")
        XCTAssertEqual(value["i"]?.intValue, 7)
        XCTAssertEqual(value["i"]?.doubleValue, 7)
        XCTAssertEqual(value["d"]?.doubleValue, 2.5)
        XCTAssertNil(value["d"]?.intValue)
        XCTAssertEqual(value["b"]?.boolValue, false)
        XCTAssertEqual(value["a"]?.arrayValue, [1])
        XCTAssertEqual(value["o"]?.objectValue?["k"], .null)
        XCTAssertEqual(value["n"]?.isNull, true)
        XCTAssertEqual(value["s"]?.isNull, false)
        XCTAssertNil(value["missing"])
        XCTAssertNil(value["s"]?["k"], "subscript on a non-object is nil")
        XCTAssertNil(value["s"]?.intValue)
        XCTAssertNil(value["i"]?.stringValue)
        XCTAssertNil(value["n"]?.boolValue)
        XCTAssertNil(value["o"]?.arrayValue)
        XCTAssertNil(value["a"]?.objectValue)
        let names = ["n", "b", "i", "s", "a", "o"].compactMap { value[$0]?.typeName }
        XCTAssertEqual(names, ["null", "boolean", "number", "string", "array", "object"])
    }

    func testLiterals() {
        let value: JSONValue = [
            "s": "text", "i": 3, "neg": -4, "f": 2.5, "whole": 3.0, "t": true, "n": nil,
            "a": [1, "two", [nil]], "o": ["k": "v"],
        ]
        XCTAssertEqual(
            value.serializedString(),
            #"{"s":"text","i":3,"neg":-4,"f":2.5,"whole":3.0,"t":true,"n":null,"a":[1,"two",[null]],"o":{"k":"v"}}"#)
        XCTAssertEqual(JSONValue.int(5), .number(JSONNumber(5)))
        let object: JSONObject = ["x": 1]
        XCTAssertEqual(object.entries.first?.key, "x")
        XCTAssertEqual(JSONObject().count, 0)
    }

    // MARK: - Numbers

    func testValidNumberLiteralsArePreservedExactly() throws {
        let literals = ["0", "-0", "1", "-1", "0.5", "-0.0e-0", "1e400", "1E+2", "1e-2", "10.25E5", "123456789012345678901234567890"]
        for literal in literals {
            XCTAssertEqual(number(literal)?.literal, literal)
            XCTAssertEqual(try JSONValue(parsing: literal), .number(JSONNumber(literal: literal)!))
            XCTAssertEqual(try JSONValue(parsing: "[\(literal)]").serializedString(), "[\(literal)]")
        }
    }

    func testInvalidNumberLiterals() {
        let cases: [(String, String, Int)] = [  // literal, message, 1-based column
            ("01", "invalid number, leading zeros are not allowed", 1),
            ("-01", "invalid number, leading zeros are not allowed", 2),
            ("-", "invalid number, expected a digit after '-'", 2),
            ("-a", "invalid number, expected a digit after '-'", 2),
            ("1.", "invalid number, expected a digit after '.'", 3),
            ("1.e3", "invalid number, expected a digit after '.'", 3),
            ("1e", "invalid number, expected a digit in the exponent", 3),
            ("1e+", "invalid number, expected a digit in the exponent", 4),
            ("-Infinity", "invalid number, expected a digit after '-'", 2),
            (".5", "expected a value, found '.'", 1),
            ("+1", "expected a value, found '+'", 1),
            ("NaN", "expected a value, found 'N'", 1),
            ("0x1", "trailing data after the JSON value", 2),
        ]
        for (literal, message, column) in cases {
            XCTAssertNil(JSONNumber(literal: literal), literal)
            assertError(literal, message, column: column)
        }
        for literal in ["", " 1", "1 ", "1,", "Infinity", "nan"] {
            XCTAssertNil(JSONNumber(literal: literal), literal.debugDescription)
        }
    }

    /// intValue is exact: fractions and exponents count if the result is integral.
    func testIntValueIsExact() {
        let integral: [(String, Int)] = [
            ("1", 1), ("-0", 0), ("1.0", 1), ("1e2", 100), ("1E+2", 100), ("1.5e1", 15), ("10e-1", 1),
            ("100e-2", 1), ("-2.50e1", -25), ("0.000", 0), ("0e400", 0), ("-0.0e-5", 0),
            ("9223372036854775807", Int.max), ("-9223372036854775808", Int.min),
            ("9.223372036854775807e18", Int.max), ("-92233720368547758.08e2", Int.min),
        ]
        for (literal, expected) in integral {
            XCTAssertEqual(number(literal)?.intValue, expected, literal)
        }
        let notIntegral = [
            "1.5", "1e-1", "0.1", "-0.5", "1e400", "1e19", "9223372036854775808", "-9223372036854775809",
            "9.2233720368547758071e18", "123456789012345678901234567890", "1e-400",
        ]
        for literal in notIntegral {
            XCTAssertNil(number(literal)?.intValue, literal)
        }
    }

    func testDoubleValue() {
        XCTAssertEqual(number("0.1")?.doubleValue, 0.1)
        XCTAssertEqual(number("-1.5e3")?.doubleValue, -1500)
        XCTAssertEqual(number("1e400")?.doubleValue, .infinity)
        XCTAssertEqual(number("-1e400")?.doubleValue, -.infinity)
        XCTAssertEqual(number("-0")?.doubleValue.sign, .minus)
        XCTAssertEqual(number("-0")?.doubleValue, 0)
    }

    func testNumberInitializers() {
        XCTAssertEqual(JSONNumber(42).literal, "42")
        XCTAssertEqual(JSONNumber(Int.min).literal, "-9223372036854775808")
        XCTAssertEqual(JSONNumber(3.0).literal, "3.0")
        XCTAssertEqual(JSONNumber(0.1).literal, "0.1")
        XCTAssertEqual(JSONNumber(1e300).literal, "1e+300")
        for double in [3.0, 0.1, -0.0, 1e-5, 1e16, 1.7976931348623157e308, .leastNonzeroMagnitude, -123.456] {
            let literal = JSONNumber(double).literal
            XCTAssertNotNil(JSONNumber(literal: literal), "\(literal) must be valid JSON")
            XCTAssertEqual(JSONNumber(double).doubleValue, double, "\(literal) must round-trip")
        }
        XCTAssertEqual(JSONNumber(3.0).intValue, 3)
    }

    // MARK: - Strings, escapes and UTF-8

    func testEscapesAreDecoded() throws {
        let value = try JSONValue(parsing: #""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\uD83D\uDE00\u0000""#)
        XCTAssertEqual(value.stringValue, "\"\\/\u{8}\u{C}\n\r\t" + "Aé€😀\u{0}")
    }

    func testEscapesInKeysAndMixedRuns() throws {
        let value = try JSONValue(parsing: #"{"a\u0062c":"x\ty\u00e9z","plain":"é"}"#)
        XCTAssertEqual(value["abc"]?.stringValue, "x\tyéz")
        XCTAssertEqual(value["plain"]?.stringValue, "é")
    }

    func testSurrogatePairs() throws {
        XCTAssertEqual(try JSONValue(parsing: #""\ud834\udd1e""#).stringValue, "𝄞")
        XCTAssertEqual(try JSONValue(parsing: #""\uDBFF\uDFFF""#).stringValue, "\u{10FFFF}")
    }

    func testLoneSurrogatesAreRejected() {
        assertError(#""\uD800""#, "lone surrogate \\uD800", column: 2)
        assertError(#""ab\udc00""#, "lone surrogate \\uDC00", column: 4)
        assertError(#""\uD800\u0041""#, "lone surrogate \\uD800", column: 2)
        assertError(#""\uD800\uD800""#, "lone surrogate \\uD800", column: 2)
        assertError(#""\uD800x""#, "lone surrogate \\uD800", column: 2)
        assertError(#"{"k":"\uDFFF"}"#, "lone surrogate \\uDFFF", column: 7, keyPath: "k")
    }

    func testInvalidEscapes() {
        assertError(#""\q""#, "invalid escape \\q", column: 2)
        assertError(#"{"a":"ok\x"}"#, "invalid escape \\x", column: 9, keyPath: "a")
        assertError(#""\u12G4""#, "invalid \\u escape, expected 4 hex digits", column: 2)
        assertError(#""\u12"#, "invalid \\u escape, expected 4 hex digits", column: 2)
        assertError(#""\uD800\u12""#, "invalid \\u escape, expected 4 hex digits", column: 8)
        assertError([0x22, 0x5C, 0x0A, 0x22], "invalid escape: backslash followed by byte 0x0A", column: 2)
    }

    func testValidMultiByteUTF8IsAccepted() throws {
        let text = "é€😀\u{10FFFF}\u{FFFD}"
        XCTAssertEqual(try JSONValue(parsing: Array("\"\(text)\"".utf8)).stringValue, text)
    }

    func testInvalidUTF8IsRejected() {
        let badSequences: [[UInt8]] = [
            [0x80],  // lone continuation byte
            [0xC3],  // truncated 2-byte sequence (followed by the closing quote)
            [0xC3, 0x28],  // bad continuation byte
            [0xC0, 0xAF],  // overlong '/'
            [0xC1, 0xBF],  // overlong
            [0xE0, 0x80, 0xAF],  // overlong 3-byte
            [0xF0, 0x80, 0x80, 0xAF],  // overlong 4-byte
            [0xED, 0xA0, 0x80],  // UTF-8 encoded surrogate U+D800
            [0xED, 0xBF, 0xBF],  // UTF-8 encoded surrogate U+DFFF
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0xF5, 0x80, 0x80, 0x80],
            [0xFE], [0xFF],
        ]
        for sequence in badSequences {
            // The bad sequence starts at byte 3 (after `"ab`).
            let input: [UInt8] = [0x22, 0x61, 0x62] + sequence + [0x22]
            assertError(input, "invalid UTF-8", column: 4)
        }
        assertError([0x22, 0xE2, 0x82], "invalid UTF-8", column: 2)  // truncated by end of input
    }

    func testControlCharactersInStringsAreRejected() {
        assertError("\"a\nb\"", "control character U+000A in string", column: 3)
        assertError("[\"\u{1F}\"]", "control character U+001F in string", column: 3, keyPath: "[0]")
        assertError("\"tab\there\"", "control character U+0009 in string", column: 5)
        XCTAssertEqual(try JSONValue(parsing: "\"\u{7F}\"").stringValue, "\u{7F}", "DEL is not a control character in JSON")
    }

    func testUnterminatedStringPointsAtOpeningQuote() {
        assertError(#"{"a":"abc"#, "unterminated string", column: 6, keyPath: "a")
        assertError(#"""#, "unterminated string", column: 1)
        assertError(#""abc\"#, "unterminated string", column: 1)
        assertError("[\n  \"x", "unterminated string", line: 2, column: 3, keyPath: "[0]")
    }

    // MARK: - Structural errors, positions and key paths

    func testMissingValueReportsKeyPathAndPosition() {
        assertError(#"{"backend":{"port":}}"#, "expected a value, found '}'", column: 20, keyPath: "backend.port")
    }

    func testMultiLineErrorPosition() throws {
        let text = """
            {
              "backend": {
                "host": "localhost",
                "port": ,
                "tls": true
              }
            }
            """
        assertError(text, "expected a value, found ','", line: 4, column: 13, keyPath: "backend.port")
        let error = try XCTUnwrap(parseError(Array(text.utf8)))
        let firstThreeLines = "{\n" + "  \"backend\": {\n" + "    \"host\": \"localhost\",\n"
        XCTAssertEqual(error.offset, firstThreeLines.utf8.count + 12)
        XCTAssertEqual(error.description, #"line 4, column 13 (at key "backend.port"): expected a value, found ','"#)
    }

    func testCRLFLineCounting() {
        assertError("{\r\n\"a\":\r\n}", "expected a value, found '}'", line: 3, column: 1, keyPath: "a")
    }

    func testArrayIndicesInKeyPath() {
        assertError(#"{"models":[{"id":"a"},{"id":}]}"#, "expected a value, found '}'", column: 29, keyPath: "models[1].id")
        assertError(#"[1,2,{"a":[true, nul]}]"#, "invalid literal, expected 'null'", column: 18, keyPath: "[2].a[1]")
        assertError(#"[[[], [x]]]"#, "expected a value, found 'x'", column: 8, keyPath: "[0][1][0]")
    }

    func testOddKeysAreBracketedInKeyPath() {
        assertError(#"{"a.b":{"c d":[x]}}"#, "expected a value, found 'x'", column: 16, keyPath: #"["a.b"]["c d"][0]"#)
        assertError(#"{"a.b":{"ok_key-2":x}}"#, "expected a value, found 'x'", column: 20, keyPath: #"["a.b"].ok_key-2"#)
        assertError(#"{"q\"":{"":x}}"#, "expected a value, found 'x'", column: 12, keyPath: #"["q\""][""]"#)
    }

    func testMissingCommaOrColon() {
        assertError(#"{"a":1 "b":2}"#, "expected ',' or '}' after object member", column: 8, keyPath: "a")
        assertError(#"[1 2]"#, "expected ',' or ']' after array element", column: 4, keyPath: "[0]")
        assertError(#"{"a" 1}"#, "expected ':' after object key", column: 6, keyPath: "a")
        assertError(#"{"a":{"b":[1]}"#, "unexpected end of input", column: 15, keyPath: "a")
    }

    func testNonStringKeys() {
        assertError(#"{1:2}"#, "expected a string key, found '1'", column: 2)
        assertError(#"{"a":1,b:2}"#, "expected a string key, found 'b'", column: 8)
        assertError(#"{'a':1}"#, "expected a string key, found '''", column: 2)
    }

    func testTrailingCommasAreRejected() {
        assertError(#"[1,]"#, "trailing comma in array", column: 3, keyPath: "[0]")
        assertError(#"{"a":1 , }"#, "trailing comma in object", column: 8, keyPath: "a")
        assertError(#"[,1]"#, "expected a value, found ','", column: 2, keyPath: "[0]")
    }

    func testTrailingDataIsRejected() {
        assertError("{} x", "trailing data after the JSON value", column: 4)
        assertError("1 2", "trailing data after the JSON value", column: 3)
        assertError("[]]", "trailing data after the JSON value", column: 3)
        assertError("truex", "trailing data after the JSON value", column: 5)
    }

    func testUnexpectedEndOfInput() {
        assertError("", "unexpected end of input", column: 1)
        assertError("  \n ", "unexpected end of input", line: 2, column: 2)
        assertError("[1,", "unexpected end of input", column: 4, keyPath: "[1]")
        assertError(#"{"a":"#, "unexpected end of input", column: 6, keyPath: "a")
        assertError(#"{"a""#, "unexpected end of input", column: 5, keyPath: "a")
        assertError("{", "unexpected end of input", column: 2)
    }

    func testInvalidLiteralsAndNonJSONSyntax() {
        assertError("tru", "invalid literal, expected 'true'", column: 1)
        assertError("[fals]", "invalid literal, expected 'false'", column: 2, keyPath: "[0]")
        assertError("nul", "invalid literal, expected 'null'", column: 1)
        assertError("True", "expected a value, found 'T'", column: 1)
        assertError("// c\n1", "expected a value, found '/'", column: 1)
        assertError("[1 /* c */]", "expected ',' or ']' after array element", column: 4, keyPath: "[0]")
        assertError("'a'", "expected a value, found '''", column: 1)
        assertError([0xEF, 0xBB, 0xBF, 0x31], "expected a value, found byte 0xEF", column: 1)  // BOM
        assertError("\u{0C}1", "expected a value, found byte 0x0C", column: 1)  // form feed is not JSON whitespace
    }

    // MARK: - Depth limit

    func testDeepNestingFailsCleanly() {
        let deep = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        let error = parseError(deep)
        XCTAssertEqual(error?.message, "nesting deeper than 512")
        XCTAssertEqual(error?.offset, 512)
        XCTAssertEqual(error?.column, 513)
    }

    func testDeepNestingWithHugeLimitDoesNotRecurse() {
        // With the limit out of the way, the iterative parser reaches the end of input.
        let deepArrays = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        XCTAssertEqual(parseError(deepArrays, maxDepth: 1_000_000)?.message, "unexpected end of input")
        let deepObjects = Array(String(repeating: #"{"a":"#, count: 100_000).utf8)
        XCTAssertEqual(parseError(deepObjects, maxDepth: 1_000_000)?.offset, deepObjects.count)
        XCTAssertEqual(parseError(deepObjects)?.message, "nesting deeper than 512")
    }

    func testCustomMaxDepth() throws {
        XCTAssertEqual(try JSONValue(parsing: "[[[1]]]", maxDepth: 3), [[[1]]])
        XCTAssertEqual(try JSONValue(parsing: #"{"a":{"b":{}}}"#, maxDepth: 3), ["a": ["b": [:]]])
        assertErrorWithDepth("[[[[1]]]]", maxDepth: 3, message: "nesting deeper than 3", column: 4, keyPath: "[0][0][0]")
        assertErrorWithDepth(#"{"a":{"b":{"c":{}}}}"#, maxDepth: 3, message: "nesting deeper than 3", column: 16, keyPath: "a.b.c")
        XCTAssertEqual(try JSONValue(parsing: "7", maxDepth: 0), 7)
        assertErrorWithDepth("[]", maxDepth: 0, message: "nesting deeper than 0", column: 1, keyPath: "")
    }

    private func assertErrorWithDepth(
        _ text: String, maxDepth: Int, message: String, column: Int, keyPath: String, line: UInt = #line
    ) {
        let error = parseError(Array(text.utf8), maxDepth: maxDepth, line: line)
        XCTAssertEqual(error?.message, message, line: line)
        XCTAssertEqual(error?.column, column, line: line)
        XCTAssertEqual(error?.keyPath, keyPath, line: line)
    }

    // MARK: - Error description

    func testErrorDescription() {
        XCTAssertEqual(
            parseError(Array("[1,\n 2 x]".utf8))?.description,
            #"line 2, column 4 (at key "[1]"): expected ',' or ']' after array element"#)
        XCTAssertEqual(parseError(Array("".utf8))?.description, "line 1, column 1: unexpected end of input")
        let made = JSONParseError(offset: 5, line: 1, column: 6, keyPath: "", message: "m")
        XCTAssertEqual(made.description, "line 1, column 6: m")
    }

    // MARK: - Serializer

    func testSerializerEscaping() {
        let text = "q\"b\\s/\u{0}\u{1}\u{8}\u{9}\u{A}\u{B}\u{C}\u{D}\u{1B}\u{1F} \u{7F}é😀"
        XCTAssertEqual(
            JSONValue.string(text).serializedString(),
            #""q\"b\\s/\u0000\u0001\b\t\n\u000b\f\r\u001b\u001f "# + "\u{7F}é😀\"")
        // Non-ASCII is emitted as raw UTF-8 bytes.
        XCTAssertEqual(JSONValue.string("é").serialized(), [0x22, 0xC3, 0xA9, 0x22])
        // Keys are escaped the same way.
        XCTAssertEqual(JSONValue.object(["a\nb": 1]).serializedString(), #"{"a\nb":1}"#)
    }

    func testSerializerEscapingRoundTripsEveryControlCharacter() throws {
        let text = String((0..<0x20).map { Character(UnicodeScalar(UInt8($0))) })
        let serialized = JSONValue.string(text).serialized()
        XCTAssertFalse(serialized.contains { $0 < 0x20 }, "no raw control bytes in output")
        XCTAssertEqual(try JSONValue(parsing: serialized).stringValue, text)
    }

    func testPrettyPrinting() {
        let value: JSONValue = ["a": 1, "b": [true, nil, [:], []], "c": ["d": "x"], "e": [:]]
        XCTAssertEqual(
            value.prettyPrinted(),
            """
            {
              "a": 1,
              "b": [
                true,
                null,
                {},
                []
              ],
              "c": {
                "d": "x"
              },
              "e": {}
            }
            """)
        XCTAssertEqual(
            JSONValue.array([1, ["k": "v"]]).prettyPrinted(indent: 4),
            """
            [
                1,
                {
                    "k": "v"
                }
            ]
            """)
        XCTAssertEqual(JSONValue.array([1, 2]).prettyPrinted(indent: 0), "[\n1,\n2\n]")
        XCTAssertEqual(JSONValue.string("x").prettyPrinted(), #""x""#)
        XCTAssertEqual(JSONValue.array([]).prettyPrinted(), "[]")
        XCTAssertFalse(value.prettyPrinted().hasSuffix("\n"))
    }
}
