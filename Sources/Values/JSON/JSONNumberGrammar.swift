// MARK: - Number grammar

/// RFC 8259 number syntax: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
enum JSONNumberGrammar {
    struct SyntaxError: Error {
        let offset: Int
        let message: String
    }

    /// Scans one number starting at `start` and returns the offset just past
    /// it. Stops at the first byte that cannot continue the number.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) throws(SyntaxError) -> Int {
        var index = start
        let hasMinus = index < bytes.count && bytes[index] == UInt8(ascii: "-")
        if hasMinus { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else {
            let expected = hasMinus ? "a digit after '-'" : "a digit"
            throw SyntaxError(offset: index, message: "invalid number, expected \(expected)")
        }
        if bytes[index] == UInt8(ascii: "0") {
            if index + 1 < bytes.count, isDigit(bytes[index + 1]) {
                throw SyntaxError(offset: index, message: "invalid number, leading zeros are not allowed")
            }
            index += 1
        } else {
            index = skipDigits(bytes, from: index)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw SyntaxError(offset: index, message: "invalid number, expected a digit after '.'")
            }
            index = skipDigits(bytes, from: index)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw SyntaxError(offset: index, message: "invalid number, expected a digit in the exponent")
            }
            index = skipDigits(bytes, from: index)
        }
        return index
    }

    static func isValidLiteral(_ literal: String) -> Bool {
        var text = literal
        return text.withUTF8 { buffer in
            guard let end = try? scan(buffer, from: 0) else { return false }
            return end == buffer.count
        }
    }

    /// The exact integer value of a valid literal with a fraction and/or
    /// exponent, or nil if it is not integral or does not fit in `Int`.
    static func exactInteger(_ literal: String) -> Int? {
        let bytes = Array(literal.utf8)
        var index = 0
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { index += 1 }

        // value = digits × 10^scale, digits taken from the integer and fraction parts.
        var digits: [UInt8] = []
        var scale = 0
        while index < bytes.count, isDigit(bytes[index]) {
            digits.append(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, isDigit(bytes[index]) {
                digits.append(bytes[index] - UInt8(ascii: "0"))
                scale -= 1
                index += 1
            }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            scale += exponentValue(bytes[(index + 1)...])
        }

        guard let first = digits.firstIndex(where: { $0 != 0 }) else { return 0 }  // 0, -0.0, 0e999
        var last = digits.count - 1
        while digits[last] == 0 {  // trailing zeros move into the scale: 1500e-2 -> 15
            last -= 1
            scale += 1
        }
        let significant = digits[first...last]
        // Int.max has 19 digits; anything longer, or with a fraction left over, is out.
        guard scale >= 0, significant.count + scale <= 19 else { return nil }
        return accumulate(significant, scale: scale, negative: negative)
    }

    /// The signed exponent; magnitudes saturate at 10^9, far beyond any Int.
    private static func exponentValue(_ bytes: ArraySlice<UInt8>) -> Int {
        var sign = 1
        var magnitude = 0
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "-"): sign = -1
            case UInt8(ascii: "+"): break
            default: if magnitude < 1_000_000_000 { magnitude = magnitude * 10 + Int(byte - UInt8(ascii: "0")) }
            }
        }
        return sign * magnitude
    }

    /// digits × 10^scale with overflow checks. Accumulates negatively so that
    /// Int.min is representable.
    private static func accumulate(_ digits: ArraySlice<UInt8>, scale: Int, negative: Bool) -> Int? {
        var value = 0
        func step(_ digit: UInt8) -> Bool {
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(Int(digit))
            value = next
            return !overflow1 && !overflow2
        }
        for digit in digits {
            guard step(digit) else { return nil }
        }
        for _ in 0..<scale {
            guard step(0) else { return nil }
        }
        if negative { return value }
        let (positive, overflow) = (0).subtractingReportingOverflow(value)
        return overflow ? nil : positive
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func skipDigits(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        return index
    }
}
