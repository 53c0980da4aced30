import CFastScan

/// Byte-level JSON navigation for forwarded bodies: find where things are,
/// never decode or re-serialise. Every function takes the buffer and a start
/// offset and returns an end offset, or nil when the JSON is malformed there.
///
/// Strings are tokens from `"` to the next `"` not escaped by a backslash;
/// escapes are not decoded (a key written `"mod\u0065l"` is not `model`).
/// Containers are skipped by depth counting that ignores brackets in strings.
public enum JSONScan {
    /// Offset of the first non-whitespace byte at or after `i` (may be `buf.count`).
    @inline(__always)
    public static func skipWhitespace(_ buf: UnsafeRawBufferPointer, _ i: Int) -> Int {
        var i = i
        while i < buf.count {
            let c = buf[i]
            if c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09 { return i }
            i += 1
        }
        return i
    }

    /// `i` is at an opening quote; returns the offset just past the closing quote.
    /// The closing quote is found with memchr (vectorised in glibc); a quote
    /// preceded by an odd number of backslashes is escaped and skipped.
    @inline(__always)
    public static func endOfString(_ buf: UnsafeRawBufferPointer, _ i: Int) -> Int? {
        guard let base = buf.baseAddress else { return nil }
        let contentStart = i + 1
        var from = contentStart
        let end = buf.count
        while from < end {
            let hit = fastscan_find_byte(base + from, end - from, 0x22)
            guard hit >= 0 else { return nil }
            let q = from + Int(hit)
            var backslashes = 0
            var k = q - 1
            while k >= contentStart && buf[k] == 0x5c {
                backslashes += 1
                k -= 1
            }
            if backslashes & 1 == 0 { return q + 1 }
            from = q + 1
        }
        return nil
    }

    /// Skips one JSON value starting at `i` (no leading whitespace); returns its end.
    public static func endOfValue(_ buf: UnsafeRawBufferPointer, _ i: Int) -> Int? {
        guard i < buf.count else { return nil }
        switch buf[i] {
        case 0x22: return endOfString(buf, i)
        case 0x7b, 0x5b: return endOfContainer(buf, i)
        case 0x74: return literal(buf, i, "true")
        case 0x66: return literal(buf, i, "false")
        case 0x6e: return literal(buf, i, "null")
        case 0x2d, 0x30...0x39: return endOfNumber(buf, i)
        default: return nil
        }
    }

    @inline(__always)
    static func literal(_ buf: UnsafeRawBufferPointer, _ i: Int, _ word: StaticString) -> Int? {
        let n = word.utf8CodeUnitCount
        guard i + n <= buf.count, buf.equals(ByteRange(i, i + n), word) else { return nil }
        return i + n
    }

    static func endOfNumber(_ buf: UnsafeRawBufferPointer, _ i: Int) -> Int? {
        var j = i
        while j < buf.count {
            switch buf[j] {
            case 0x30...0x39, 0x2d, 0x2b, 0x2e, 0x65, 0x45: j += 1
            default: return j > i ? j : nil
            }
        }
        return j > i ? j : nil
    }

    /// Bytes that matter outside strings while skipping a container.
    private static let structural: [Bool] = (0..<256).map { c in
        c == 0x22 || c == 0x5b || c == 0x5d || c == 0x7b || c == 0x7d
    }

    /// Skips an object or array at `i` by depth counting; brackets inside
    /// strings are skipped with the strings. Large containers go through the
    /// vectorised skipper (64 bytes per step); small ones are walked here.
    public static func endOfContainer(_ buf: UnsafeRawBufferPointer, _ i: Int) -> Int? {
        if buf.count - i >= 4096 { return endOfContainerVectorised(buf, i) }
        return endOfContainerBytewise(buf, i)
    }

    /// The vectorised skipper (depth counting only; bracket kinds not matched).
    public static func endOfContainerVectorised(_ buf: UnsafeRawBufferPointer, _ i: Int) -> Int? {
        guard let base = buf.baseAddress else { return nil }
        let r = fastscan_skip_container(base.assumingMemoryBound(to: UInt8.self), buf.count, i)
        return r < 0 ? nil : Int(r)
    }

    /// The byte-at-a-time walk (memchr inside strings), which also checks that
    /// bracket kinds match.
    public static func endOfContainerBytewise(_ buf: UnsafeRawBufferPointer, _ i: Int) -> Int? {
        var stack: UInt64 = 0          // bit per level: 1 = object, 0 = array (first 64 levels)
        var depth = 0
        var deepStack: [Bool] = []     // levels beyond 64
        var j = i
        let n = buf.count
        return structural.withUnsafeBufferPointer { table -> Int? in
            while j < n {
                let c = buf[j]
                if !table[Int(c)] { j += 1; continue }
                switch c {
                case 0x22:
                    guard let e = endOfString(buf, j) else { return nil }
                    j = e
                    continue
                case 0x7b, 0x5b:
                    let isObject = c == 0x7b
                    if depth < 64 { stack = isObject ? stack | (1 << UInt64(depth)) : stack & ~(1 << UInt64(depth)) }
                    else { deepStack.append(isObject) }
                    depth += 1
                default: // ] or }
                    guard depth > 0 else { return nil }
                    depth -= 1
                    let wasObject = depth < 64 ? (stack >> UInt64(depth)) & 1 == 1 : deepStack.removeLast()
                    guard wasObject == (c == 0x7d) else { return nil }
                    if depth == 0 { return j + 1 }
                }
                j += 1
            }
            return nil
        }
    }

    /// One member of an object, as ranges: the key token (with quotes) and the value.
    public struct Member: Sendable {
        public var key: ByteRange
        public var value: ByteRange
    }

    /// Walks the members of the object at `i`, calling `visit` for each until it
    /// returns false. Returns the object's end, or nil if it is malformed (or
    /// the walk was stopped early: then `stopped` is true).
    public static func forEachMember(_ buf: UnsafeRawBufferPointer, objectAt i: Int,
                                     _ visit: (Member) -> Bool) -> (end: Int?, stopped: Bool) {
        guard i < buf.count, buf[i] == 0x7b else { return (nil, false) }
        var j = skipWhitespace(buf, i + 1)
        if j < buf.count && buf[j] == 0x7d { return (j + 1, false) }
        while j < buf.count {
            guard buf[j] == 0x22, let keyEnd = endOfString(buf, j) else { return (nil, false) }
            var k = skipWhitespace(buf, keyEnd)
            guard k < buf.count, buf[k] == 0x3a else { return (nil, false) }
            k = skipWhitespace(buf, k + 1)
            guard let valueEnd = endOfValue(buf, k) else { return (nil, false) }
            if !visit(Member(key: ByteRange(j, keyEnd), value: ByteRange(k, valueEnd))) { return (nil, true) }
            j = skipWhitespace(buf, valueEnd)
            guard j < buf.count else { return (nil, false) }
            if buf[j] == 0x7d { return (j + 1, false) }
            guard buf[j] == 0x2c else { return (nil, false) }
            j = skipWhitespace(buf, j + 1)
        }
        return (nil, false)
    }

    /// The elements of the array at `i` as ranges, or nil if malformed.
    public static func elements(_ buf: UnsafeRawBufferPointer, arrayAt i: Int) -> (elements: [ByteRange], end: Int)? {
        guard i < buf.count, buf[i] == 0x5b else { return nil }
        var out: [ByteRange] = []
        var j = skipWhitespace(buf, i + 1)
        if j < buf.count && buf[j] == 0x5d { return (out, j + 1) }
        while j < buf.count {
            guard let e = endOfValue(buf, j) else { return nil }
            out.append(ByteRange(j, e))
            j = skipWhitespace(buf, e)
            guard j < buf.count else { return nil }
            if buf[j] == 0x5d { return (out, j + 1) }
            guard buf[j] == 0x2c else { return nil }
            j = skipWhitespace(buf, j + 1)
        }
        return nil
    }

    /// The value of the first member named `key` (exact bytes, quotes excluded) of the object at `i`.
    public static func member(_ buf: UnsafeRawBufferPointer, objectAt i: Int, named key: StaticString) -> ByteRange? {
        var found: ByteRange? = nil
        _ = forEachMember(buf, objectAt: i) { m in
            if isKey(buf, m.key, key) { found = m.value; return false }
            return true
        }
        return found
    }

    /// True when the key token (with quotes) is exactly `"name"`.
    @inline(__always)
    public static func isKey(_ buf: UnsafeRawBufferPointer, _ token: ByteRange, _ name: StaticString) -> Bool {
        token.count == name.utf8CodeUnitCount + 2 && buf.equals(ByteRange(token.start + 1, token.end - 1), name)
    }

    /// The contents of a string token (without quotes), if `r` is a string.
    @inline(__always)
    public static func stringContents(_ buf: UnsafeRawBufferPointer, _ r: ByteRange) -> ByteRange? {
        guard r.count >= 2, buf[r.start] == 0x22 else { return nil }
        return ByteRange(r.start + 1, r.end - 1)
    }
}
