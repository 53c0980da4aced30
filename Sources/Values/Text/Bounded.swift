extension String {
    /// At most `maxBytes` of UTF-8 (a scalar cut in two is dropped), with a
    /// note of how much was cut. For text another party controls — a backend
    /// log line, an error string from WorkOS — bounded where it enters, so
    /// that no reply, log line or status built from it can grow without limit.
    public func bounded(_ maxBytes: Int) -> String {
        let total = utf8.count
        guard total > maxBytes else { return self }
        let kept = String(decodingWholeScalars: utf8.prefix(maxBytes))
        return kept + "… (\(total - kept.utf8.count) more bytes cut)"
    }
}

extension Array where Element == UInt8 {
    /// Bytes as text, at most `maxBytes` of them (see `String.bounded`).
    public func boundedText(_ maxBytes: Int) -> String {
        guard count > maxBytes else { return String(decoding: self, as: UTF8.self) }
        let kept = String(decodingWholeScalars: self[..<maxBytes])
        return kept + "… (\(count - kept.utf8.count) more bytes cut)"
    }
}

extension String {
    /// `bytes` as UTF-8 text, without the replacement characters a scalar cut
    /// off at the end would decode to.
    public init<C: Collection>(decodingWholeScalars bytes: C) where C.Element == UInt8 {
        var s = String(decoding: bytes, as: UTF8.self)
        while s.unicodeScalars.last == "\u{FFFD}" { s.unicodeScalars.removeLast() }
        self = s
    }
}
