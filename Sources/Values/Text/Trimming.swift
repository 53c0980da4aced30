extension StringProtocol {
    /// Drops the given characters from both ends (`"\t x \r".trimming(" \t\r")` is `"x"`).
    public func trimming(_ set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
