// Strict RFC 8259 parser working on UTF-8 bytes.
//
// The parser is iterative: open containers live on an explicit stack, so
// nesting depth is bounded only by `maxDepth`, never by the thread's stack.
// The same stack provides the key path reported in errors.

struct JSONParser {
    /// An array or object whose closing bracket has not been seen yet. Its
    /// values so far sit on the parser's shared `values` stack (and an object's
    /// keys on `keys`) from these offsets: a container's array is allocated
    /// once, at its exact size, when it closes, instead of growing member by member.
    private struct Frame {
        let isObject: Bool
        let valueStart: Int
        let keyStart: Int
        /// Object: the key being parsed or just parsed (nil before the first key).
        var key: String? = nil
        /// Array: index of the element being parsed or just parsed.
        var index = 0
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private var position = 0
    private var stack: [Frame] = []
    /// The completed values and keys of every open container, innermost last.
    private var values: [JSONValue] = []
    private var keys: [String] = []
    /// Reused buffer for strings containing escapes.
    private var scratch: [UInt8] = []

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        // Room for a typical request or reply's open containers at once: a few
        // allocations per document rather than a doubling every few members.
        stack.reserveCapacity(16)
        values.reserveCapacity(64)
        keys.reserveCapacity(64)
    }

    /// Drives the state machine: start a value; when a value completes, attach
    /// it to the innermost open container, which may in turn complete.
    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        var completed = try startValue()
        while true {
            if let value = completed {
                if stack.isEmpty { return try finishDocument(value) }
                completed = try attachToInnermost(value)
            } else {
                completed = try startValue()
            }
        }
    }

    private mutating func finishDocument(_ value: JSONValue) throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard position == bytes.count else { throw failure("trailing data after the JSON value") }
        return value
    }

    /// Parses a scalar, or opens a container. Returns nil when a non-empty
    /// container was opened and the parser now sits at its first value.
    private mutating func startValue() throws(JSONParseError) -> JSONValue? {
        switch try peekByte() {
        case UInt8(ascii: "{"): return try openObject()
        case UInt8(ascii: "["): return try openArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "t"): return try parseKeyword("true", value: .bool(true))
        case UInt8(ascii: "f"): return try parseKeyword("false", value: .bool(false))
        case UInt8(ascii: "n"): return try parseKeyword("null", value: .null)
        case let byte: throw failure("expected a value, found \(describe(byte))")
        }
    }

    // MARK: Containers

    private mutating func push(isObject: Bool) throws(JSONParseError) {
        guard stack.count < maxDepth else { throw failure("nesting deeper than \(maxDepth)") }
        stack.append(Frame(isObject: isObject, valueStart: values.count, keyStart: keys.count))
        position += 1  // the opening bracket
    }

    private mutating func openArray() throws(JSONParseError) -> JSONValue? {
        try push(isObject: false)
        guard try peekByte() == UInt8(ascii: "]") else { return nil }
        position += 1
        stack.removeLast()
        return .array([])
    }

    private mutating func openObject() throws(JSONParseError) -> JSONValue? {
        try push(isObject: true)
        guard try peekByte() == UInt8(ascii: "}") else {
            try parseMemberKey()
            return nil
        }
        position += 1
        stack.removeLast()
        return .object(JSONObject())
    }

    /// Parses `"key" :` and records the key in the innermost frame.
    private mutating func parseMemberKey() throws(JSONParseError) {
        let top = stack.count - 1
        stack[top].key = nil  // errors inside the key refer to the enclosing object
        let byte = try peekByte()
        guard byte == UInt8(ascii: "\"") else { throw failure("expected a string key, found \(describe(byte))") }
        stack[top].key = try parseString()
        guard try peekByte() == UInt8(ascii: ":") else { throw failure("expected ':' after object key") }
        position += 1
    }

    /// Adds a completed value to the innermost container, then consumes the
    /// following ',' (returns nil: another value follows) or closing bracket
    /// (returns the now-complete container).
    private mutating func attachToInnermost(_ value: JSONValue) throws(JSONParseError) -> JSONValue? {
        let top = stack.count - 1
        values.append(value)
        if stack[top].isObject {
            guard let key = stack[top].key else { preconditionFailure("object member without a key") }
            keys.append(key)
            switch try peekByte() {
            case UInt8(ascii: ","):
                try consumeComma(closing: UInt8(ascii: "}"), container: "object")
                try parseMemberKey()
                return nil
            case UInt8(ascii: "}"):
                position += 1
                let frame = stack.removeLast()
                var entries: [(key: String, value: JSONValue)] = []
                entries.reserveCapacity(values.count - frame.valueStart)
                for i in 0..<(values.count - frame.valueStart) {
                    entries.append((key: keys[frame.keyStart + i], value: values[frame.valueStart + i]))
                }
                keys.removeSubrange(frame.keyStart...)
                values.removeSubrange(frame.valueStart...)
                return .object(JSONObject(entries))
            default:
                throw failure("expected ',' or '}' after object member")
            }
        } else {
            switch try peekByte() {
            case UInt8(ascii: ","):
                try consumeComma(closing: UInt8(ascii: "]"), container: "array")
                stack[top].index += 1
                return nil
            case UInt8(ascii: "]"):
                position += 1
                let frame = stack.removeLast()
                let elements = Array(values[frame.valueStart...])
                values.removeSubrange(frame.valueStart...)
                return .array(elements)
            default:
                throw failure("expected ',' or ']' after array element")
            }
        }
    }

    /// Consumes a ',' and rejects a closing bracket right after it.
    private mutating func consumeComma(closing: UInt8, container: String) throws(JSONParseError) {
        let commaOffset = position
        position += 1
        skipWhitespace()
        if position < bytes.count, bytes[position] == closing {
            throw failure("trailing comma in \(container)", at: commaOffset)
        }
    }

    // MARK: Scalars

    private mutating func parseKeyword(_ word: StaticString, value: JSONValue) throws(JSONParseError) -> JSONValue {
        let end = position + word.utf8CodeUnitCount
        let matches =
            end <= bytes.count
            && word.withUTF8Buffer { bytes[position..<end].elementsEqual($0) }
        guard matches else { throw failure("invalid literal, expected '\(word)'") }
        position = end
        return value
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = position
        do {
            position = try JSONNumberGrammar.scan(bytes, from: start)
        } catch {
            throw failure(error.message, at: error.offset)
        }
        return JSONNumber(validatedLiteral: String(decoding: bytes[start..<position], as: UTF8.self))
    }

    /// Parses a string starting at its opening quote. Runs of plain bytes are
    /// validated in place; only strings with escapes are copied to `scratch`.
    private mutating func parseString() throws(JSONParseError) -> String {
        let quoteOffset = position
        position += 1
        var runStart = position
        var usesScratch = false
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                let run = bytes[runStart..<position]
                position += 1
                if !usesScratch { return String(decoding: run, as: UTF8.self) }
                scratch.append(contentsOf: run)
                return String(decoding: scratch, as: UTF8.self)
            case UInt8(ascii: "\\"):
                if !usesScratch {
                    scratch.removeAll(keepingCapacity: true)
                    usesScratch = true
                }
                scratch.append(contentsOf: bytes[runStart..<position])
                try decodeEscape(quoteOffset: quoteOffset)
                runStart = position
            case 0..<0x20:
                throw failure("control character U+\(Self.hex(UInt32(byte), digits: 4)) in string")
            case 0..<0x80:
                position += 1
            default:
                position = try endOfUTF8Sequence(startingAt: position)
            }
        }
        throw failure("unterminated string", at: quoteOffset)
    }

    /// Decodes the escape at `position` (a backslash) into `scratch`.
    private mutating func decodeEscape(quoteOffset: Int) throws(JSONParseError) {
        guard position + 1 < bytes.count else { throw failure("unterminated string", at: quoteOffset) }
        let decoded: UInt8
        switch bytes[position + 1] {
        case UInt8(ascii: "\""): decoded = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): decoded = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): decoded = UInt8(ascii: "/")
        case UInt8(ascii: "b"): decoded = 0x08
        case UInt8(ascii: "f"): decoded = 0x0C
        case UInt8(ascii: "n"): decoded = 0x0A
        case UInt8(ascii: "r"): decoded = 0x0D
        case UInt8(ascii: "t"): decoded = 0x09
        case UInt8(ascii: "u"):
            appendUTF8(try decodeUnicodeEscape())
            return
        case let other where Self.isPrintableASCII(other):
            throw failure("invalid escape \\\(UnicodeScalar(other))")
        case let other:
            throw failure("invalid escape: backslash followed by \(describe(other))")
        }
        scratch.append(decoded)
        position += 2
    }

    /// Decodes `\uXXXX` (or a `\uXXXX\uXXXX` surrogate pair) at `position`
    /// and returns the Unicode scalar value.
    private mutating func decodeUnicodeEscape() throws(JSONParseError) -> UInt32 {
        let escapeOffset = position
        let unit = try readUnicodeEscapeUnit()
        switch unit {
        case 0xD800...0xDBFF:
            // A high surrogate must be immediately followed by an escaped low one.
            let isEscapeNext =
                position + 1 < bytes.count
                && bytes[position] == UInt8(ascii: "\\") && bytes[position + 1] == UInt8(ascii: "u")
            guard isEscapeNext else { throw loneSurrogate(unit, at: escapeOffset) }
            let low = try readUnicodeEscapeUnit()
            guard (0xDC00...0xDFFF).contains(low) else { throw loneSurrogate(unit, at: escapeOffset) }
            return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
        case 0xDC00...0xDFFF:
            throw loneSurrogate(unit, at: escapeOffset)
        default:
            return unit
        }
    }

    /// Reads the four hex digits of the `\u` escape at `position` and moves past it.
    private mutating func readUnicodeEscapeUnit() throws(JSONParseError) -> UInt32 {
        let digitsStart = position + 2
        guard digitsStart + 4 <= bytes.count else { throw failure("invalid \\u escape, expected 4 hex digits") }
        var unit: UInt32 = 0
        for byte in bytes[digitsStart..<digitsStart + 4] {
            guard let digit = Self.hexDigitValue(byte) else {
                throw failure("invalid \\u escape, expected 4 hex digits")
            }
            unit = unit << 4 | digit
        }
        position = digitsStart + 4
        return unit
    }

    private func loneSurrogate(_ unit: UInt32, at offset: Int) -> JSONParseError {
        failure("lone surrogate \\u\(Self.hex(unit, digits: 4))", at: offset)
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case ..<0x80:
            scratch.append(UInt8(scalar))
        case ..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x1_0000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Validates the multi-byte UTF-8 sequence whose lead byte is at `start`
    /// and returns the offset just past it. Rejects overlong forms, UTF-16
    /// surrogates (U+D800...U+DFFF) and values above U+10FFFF (RFC 3629 table).
    private func endOfUTF8Sequence(startingAt start: Int) throws(JSONParseError) -> Int {
        let length: Int
        let second: ClosedRange<UInt8>
        switch bytes[start] {
        case 0xC2...0xDF: (length, second) = (2, 0x80...0xBF)
        case 0xE0: (length, second) = (3, 0xA0...0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (length, second) = (3, 0x80...0xBF)
        case 0xED: (length, second) = (3, 0x80...0x9F)
        case 0xF0: (length, second) = (4, 0x90...0xBF)
        case 0xF1...0xF3: (length, second) = (4, 0x80...0xBF)
        case 0xF4: (length, second) = (4, 0x80...0x8F)
        default: throw failure("invalid UTF-8", at: start)
        }
        guard start + length <= bytes.count, second.contains(bytes[start + 1]) else {
            throw failure("invalid UTF-8", at: start)
        }
        for index in start + 2..<start + length {
            guard (0x80...0xBF).contains(bytes[index]) else { throw failure("invalid UTF-8", at: start) }
        }
        return start + length
    }

    // MARK: Low-level helpers

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): position += 1
            default: return
            }
        }
    }

    /// Skips whitespace and returns the next byte without consuming it.
    private mutating func peekByte() throws(JSONParseError) -> UInt8 {
        skipWhitespace()
        guard position < bytes.count else { throw failure("unexpected end of input") }
        return bytes[position]
    }

    private func describe(_ byte: UInt8) -> String {
        Self.isPrintableASCII(byte) ? "'\(UnicodeScalar(byte))'" : "byte 0x\(Self.hex(UInt32(byte), digits: 2))"
    }

    /// Builds an error at `offset` (default: the current position), with line,
    /// column and key path derived from the input and the container stack.
    private func failure(_ message: String, at offset: Int? = nil) -> JSONParseError {
        let offset = offset ?? position
        var line = 1
        var lineStart = 0
        for index in 0..<offset where bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        return JSONParseError(
            offset: offset, line: line, column: offset - lineStart + 1, keyPath: keyPath(), message: message)
    }

    private func keyPath() -> String {
        var path = ""
        for frame in stack {
            if !frame.isObject {
                path += "[\(frame.index)]"
            } else if let key = frame.key {
                JSONKeyPath.append(key, to: &path)
            }
        }
        return path
    }
}

// MARK: - Byte helpers

extension JSONParser {
    static func isPrintableASCII(_ byte: UInt8) -> Bool {
        byte >= 0x21 && byte <= 0x7E
    }

    static func hexDigitValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// Uppercase hex, zero-padded to `digits`.
    static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
