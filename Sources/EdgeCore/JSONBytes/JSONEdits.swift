/// Edits to a JSON document as byte splices: find a member or element with
/// `JSONScan`, add the change to a `Splice`. The one place that knows how to
/// add, set or remove an object member or array element without touching any
/// other byte (key order and whitespace are a prompt-cache key; a user's
/// settings file keeps its formatting). Used by the backend rules, the
/// Factory body policies and `droidgate droid`.
public enum JSONEdits {
    // MARK: Tokens

    /// `s` as a JSON string token (quotes included, `"`, `\` and controls escaped).
    public static func jsonString(_ s: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count + 8)
        out.append(0x22)
        for c in s {
            switch c {
            case 0x22, 0x5c:
                out.append(0x5c)
                out.append(c)
            case 0..<0x20:
                out.append(0x5c)
                out.append(0x75)
                out.append(0x30)
                out.append(0x30)
                out.append(hexDigit(c >> 4))
                out.append(hexDigit(c & 0xf))
            default: out.append(c)
            }
        }
        out.append(0x22)
        return out
    }

    private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x61 + v - 10 }

    public static func jsonString(_ s: String) -> [UInt8] { jsonString(Array(s.utf8)) }

    /// The bytes of `s` escaped for use inside a JSON string (no quotes).
    public static func escaped(_ s: String) -> [UInt8] {
        let q = jsonString(s)
        return Array(q[1..<(q.count - 1)])
    }

    /// `"key":` for a static key name.
    static func keyPrefix(_ key: StaticString) -> [UInt8] {
        [0x22] + Array(UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)) + [0x22, 0x3a]
    }

    // MARK: Finding

    /// Offset of the top-level object's `{`, or nil if the document is not an object.
    public static func objectStart(_ body: UnsafeRawBufferPointer) -> Int? {
        let i = JSONScan.skipWhitespace(body, 0)
        guard i < body.count, body[i] == 0x7b else { return nil }
        return i
    }

    /// The first top-level member named `key`.
    public static func topLevel(_ body: UnsafeRawBufferPointer, _ key: StaticString) -> JSONScan.Member? {
        guard let open = objectStart(body) else { return nil }
        var found: JSONScan.Member? = nil
        _ = JSONScan.forEachMember(body, objectAt: open) { m in
            if JSONScan.isKey(body, m.key, key) { found = m; return false }
            return true
        }
        return found
    }

    /// Every member of the object at `open`, in order.
    public static func members(_ body: UnsafeRawBufferPointer, objectAt open: Int) -> [JSONScan.Member] {
        var all: [JSONScan.Member] = []
        _ = JSONScan.forEachMember(body, objectAt: open) { all.append($0); return true }
        return all
    }

    /// Whether the container (object or array) at `open` has nothing in it.
    static func isEmpty(_ body: UnsafeRawBufferPointer, containerAt open: Int) -> Bool {
        let next = JSONScan.skipWhitespace(body, open + 1)
        return next < body.count && (body[next] == 0x7d || body[next] == 0x5d)
    }

    // MARK: Objects

    /// Inserts `member` (`"key":value`) as the first member of the object at `open`.
    public static func insertFirstMember(_ body: UnsafeRawBufferPointer, objectAt open: Int, _ member: [UInt8], into splice: inout Splice) {
        splice.insert(member + (isEmpty(body, containerAt: open) ? [] : [0x2c]), at: open + 1)
    }

    /// Inserts `member` as the top-level object's first member; false if the document is not an object.
    @discardableResult
    public static func insertFirstMember(_ body: UnsafeRawBufferPointer, _ member: [UInt8], into splice: inout Splice) -> Bool {
        guard let open = objectStart(body) else { return false }
        insertFirstMember(body, objectAt: open, member, into: &splice)
        return true
    }

    /// Sets `key` to `value` in the object at `open`: replaces the first such member's value, or adds it first.
    public static func setMember(_ body: UnsafeRawBufferPointer, objectAt open: Int, _ key: StaticString, _ value: [UInt8], into splice: inout Splice) {
        if let v = JSONScan.member(body, objectAt: open, named: key) {
            splice.replace(v, with: value)
        } else {
            insertFirstMember(body, objectAt: open, keyPrefix(key) + value, into: &splice)
        }
    }

    /// Adds `text` (`"key": value`, formatted by the caller) after the object's
    /// last member, `separator` before it; an empty object is replaced by `emptyReplacement`.
    public static func appendMember(_ body: UnsafeRawBufferPointer, objectAt open: Int, _ text: [UInt8], separator: [UInt8],
                                    emptyReplacement: [UInt8], into splice: inout Splice) {
        if let last = members(body, objectAt: open).last {
            splice.insert(separator + text, at: last.value.end)
        } else if let end = JSONScan.endOfValue(body, open) {
            splice.replace(ByteRange(open, end), with: emptyReplacement)
        }
    }

    /// Removes the first member named `key` of the object at `open`, with one
    /// separating comma (and the whitespace up to the next member).
    @discardableResult
    public static func removeMember(_ body: UnsafeRawBufferPointer, objectAt open: Int, _ key: StaticString, into splice: inout Splice) -> Bool {
        let all = members(body, objectAt: open)
        guard let i = all.firstIndex(where: { JSONScan.isKey(body, $0.key, key) }) else { return false }
        if i + 1 < all.count {
            splice.delete(ByteRange(all[i].key.start, all[i + 1].key.start))
        } else if i > 0 {
            splice.delete(ByteRange(all[i - 1].value.end, all[i].value.end))
        } else {
            splice.delete(ByteRange(all[i].key.start, all[i].value.end))
        }
        return true
    }

    // MARK: Arrays

    /// Inserts `element` first in the array at `open`.
    public static func insertFirstElement(_ body: UnsafeRawBufferPointer, arrayAt open: Int, _ element: [UInt8], into splice: inout Splice) {
        splice.insert(element + (isEmpty(body, containerAt: open) ? [] : [0x2c]), at: open + 1)
    }

    /// Removes the marked elements of an array with one separating comma each
    /// (and the whitespace around it), leaving the other elements' bytes
    /// untouched. A run of removed elements followed by a kept one is cut up to
    /// that element; a run that reaches the end is cut from the previous kept
    /// element's end. At least one element must be kept (else replace the array).
    public static func removeElements(_ elements: [ByteRange], _ remove: [Bool], into splice: inout Splice) {
        var i = 0
        while i < elements.count {
            guard remove[i] else { i += 1; continue }
            var j = i
            while j + 1 < elements.count && remove[j + 1] { j += 1 }
            if j + 1 < elements.count {
                splice.delete(ByteRange(elements[i].start, elements[j + 1].start))
            } else {
                splice.delete(ByteRange(elements[i - 1].end, elements[j].end))
            }
            i = j + 1
        }
    }
}
