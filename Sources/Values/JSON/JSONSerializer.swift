// Deterministic JSON serialization: the same value always produces the same
// bytes. Object members are written in stored order (duplicates included),
// numbers as their literal text, and strings with a minimal fixed escaping:
// '"', '\\' and control characters only; '/' and non-ASCII are written raw.

extension JSONValue {
    /// Compact UTF-8, no whitespace: `{"a":1,"b":[true,null]}`.
    public func serialized() -> [UInt8] {
        var writer = JSONWriter(indentWidth: nil)
        writer.write(self, depth: 0)
        return writer.output
    }

    public func serializedString() -> String {
        String(decoding: serialized(), as: UTF8.self)
    }

    /// One element or member per line, `"key": value`, nested levels indented
    /// by `indent` spaces, empty containers as `{}` / `[]`, no trailing newline.
    public func prettyPrinted(indent: Int = 2) -> String {
        precondition(indent >= 0, "indent must not be negative")
        var writer = JSONWriter(indentWidth: indent)
        writer.write(self, depth: 0)
        return String(decoding: writer.output, as: UTF8.self)
    }
}

struct JSONWriter {
    /// nil: compact output; otherwise spaces per nesting level.
    let indentWidth: Int?
    private(set) var output: [UInt8] = []

    init(indentWidth: Int?) {
        self.indentWidth = indentWidth
        // Most documents written here (requests, replies) are a KiB or two:
        // one allocation up front instead of a doubling every few members.
        output.reserveCapacity(1024)
    }

    mutating func write(_ value: JSONValue, depth: Int) {
        switch value {
        case .null: append("null")
        case .bool(let flag): append(flag ? "true" : "false")
        case .number(let number): output.append(contentsOf: number.literal.utf8)
        case .string(let text): writeString(text)
        case .array(let elements): writeArray(elements, depth: depth)
        case .object(let object): writeObject(object, depth: depth)
        }
    }

    private mutating func writeArray(_ elements: [JSONValue], depth: Int) {
        guard !elements.isEmpty else { return append("[]") }
        append("[")
        for (index, element) in elements.enumerated() {
            if index > 0 { append(",") }
            newline(depth: depth + 1)
            write(element, depth: depth + 1)
        }
        newline(depth: depth)
        append("]")
    }

    private mutating func writeObject(_ object: JSONObject, depth: Int) {
        guard object.count > 0 else { return append("{}") }
        append("{")
        for (index, entry) in object.entries.enumerated() {
            if index > 0 { append(",") }
            newline(depth: depth + 1)
            writeString(entry.key)
            append(indentWidth == nil ? ":" : ": ")
            write(entry.value, depth: depth + 1)
        }
        newline(depth: depth)
        append("}")
    }

    /// Pretty mode only: a line break plus indentation for `depth`.
    private mutating func newline(depth: Int) {
        guard let indentWidth else { return }
        output.append(UInt8(ascii: "\n"))
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indentWidth * depth))
    }

    /// Runs of bytes that need no escape are copied whole (most strings are one run).
    private mutating func writeString(_ text: String) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var run = 0
            for i in 0..<bytes.count {
                let b = bytes[i]
                guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
                if run < i { output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<i])) }
                appendEscaped(b)
                run = i + 1
            }
            if run < bytes.count { output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...])) }
        }
        output.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): append("\\\"")
        case UInt8(ascii: "\\"): append("\\\\")
        case 0x08: append("\\b")
        case 0x0C: append("\\f")
        case 0x0A: append("\\n")
        case 0x0D: append("\\r")
        case 0x09: append("\\t")
        case 0..<0x20:
            // Remaining control characters as \u00XX with lowercase hex.
            let hexDigits: StaticString = "0123456789abcdef"
            append("\\u00")
            hexDigits.withUTF8Buffer { digits in
                output.append(digits[Int(byte >> 4)])
                output.append(digits[Int(byte & 0x0F)])
            }
        default:
            output.append(byte)
        }
    }

    private mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { output.append(contentsOf: $0) }
    }
}
