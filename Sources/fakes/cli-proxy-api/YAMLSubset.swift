/// The part of YAML that a cli-proxy-api config.yaml written by droidgate uses:
/// block maps and lists by indentation, `- item` lists (items may be maps),
/// plain, single- and double-quoted scalars (with escapes), `[a, "b"]` flow
/// lists, `#` comments and `|`/`>` block scalars (kept as text). Anything
/// else degrades to a scalar string; the parser never fails.
indirect enum YAMLNode: Sendable, Equatable {
    case scalar(String)
    case list([YAMLNode])
    case map([(String, YAMLNode)])
    case null

    static func == (a: YAMLNode, b: YAMLNode) -> Bool {
        switch (a, b) {
        case (.scalar(let x), .scalar(let y)): x == y
        case (.list(let x), .list(let y)): x == y
        case (.map(let x), .map(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.null, .null): true
        default: false
        }
    }

    subscript(key: String) -> YAMLNode? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.0 == key }?.1
    }

    var string: String? {
        if case .scalar(let s) = self { return s }
        return nil
    }

    var items: [YAMLNode] {
        if case .list(let l) = self { return l }
        return []
    }

    static func parse(_ text: String) -> YAMLNode {
        var parser = YAMLSubsetParser(text: text)
        return parser.parseDocument()
    }
}

private struct YAMLSubsetParser {
    struct Line {
        let indent: Int
        let text: String   // without indentation and trailing comment
        let raw: String    // the original line (for block scalars)
    }

    var lines: [Line] = []
    var index = 0

    init(text: String) {
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var raw = String(rawLine)
            if raw.hasSuffix("\r") { raw.removeLast() }
            let indent = raw.prefix { $0 == " " }.count
            let body = Self.stripComment(String(raw.dropFirst(indent)))
            if raw.hasPrefix("---") || raw.hasPrefix("...") { continue }
            lines.append(Line(indent: indent, text: body.trimming(" \t"), raw: raw))
        }
    }

    mutating func parseDocument() -> YAMLNode {
        skipBlank()
        guard index < lines.count else { return .null }
        return parseBlock(indent: lines[index].indent)
    }

    mutating func skipBlank() {
        while index < lines.count && lines[index].text.isEmpty { index += 1 }
    }

    /// A map or list whose lines start at exactly `indent`.
    mutating func parseBlock(indent: Int) -> YAMLNode {
        skipBlank()
        guard index < lines.count else { return .null }
        if isListItem(lines[index].text) { return parseList(indent: indent) }
        return parseMap(indent: indent)
    }

    func isListItem(_ text: String) -> Bool { text == "-" || text.hasPrefix("- ") }

    mutating func parseList(indent: Int) -> YAMLNode {
        var items: [YAMLNode] = []
        while true {
            skipBlank()
            if index < lines.count, lines[index].indent > indent { index += 1; continue }
            guard index < lines.count, lines[index].indent == indent, isListItem(lines[index].text) else { break }
            let line = lines[index]
            let rest = String(line.text.dropFirst(1)).trimming(" \t")
            index += 1
            if rest.isEmpty {
                items.append(parseNested(parentIndent: indent))
            } else if isListItem(rest) || splitKey(rest) != nil {
                // "- key: value" starts a map (or a nested list) whose further
                // lines sit where the text after "- " began.
                let innerIndent = indent + (line.text.count - rest.count)
                index -= 1
                lines[index] = Line(indent: innerIndent, text: rest, raw: line.raw)
                items.append(parseBlock(indent: innerIndent))
            } else {
                items.append(scalarOrFlow(rest, parentIndent: indent))
            }
        }
        return .list(items)
    }

    mutating func parseMap(indent: Int) -> YAMLNode {
        var entries: [(String, YAMLNode)] = []
        while true {
            skipBlank()
            // A line indented deeper than its map with nothing to attach to: skip it.
            if index < lines.count, lines[index].indent > indent { index += 1; continue }
            guard index < lines.count, lines[index].indent == indent, !isListItem(lines[index].text) else { break }
            let line = lines[index]
            index += 1
            guard let (key, value) = splitKey(line.text) else {
                continue   // not "key: value": ignore the line
            }
            if value.isEmpty {
                // A nested block, or a list at the same indentation (YAML allows it).
                skipBlank()
                if index < lines.count, lines[index].indent == indent, isListItem(lines[index].text) {
                    entries.append((key, parseList(indent: indent)))
                } else {
                    entries.append((key, parseNested(parentIndent: indent)))
                }
            } else {
                entries.append((key, scalarOrFlow(value, parentIndent: indent)))
            }
        }
        return .map(entries)
    }

    mutating func parseNested(parentIndent: Int) -> YAMLNode {
        skipBlank()
        guard index < lines.count, lines[index].indent > parentIndent else { return .null }
        return parseBlock(indent: lines[index].indent)
    }

    /// `key: value` → (key, value); keys may be quoted.
    func splitKey(_ text: String) -> (String, String)? {
        var chars = Array(text)
        var i = 0
        var key = ""
        if let q = chars.first, q == "\"" || q == "'" {
            guard let (k, end) = Self.quoted(chars, from: 0) else { return nil }
            key = k
            i = end
            guard i < chars.count, chars[i] == ":" else { return nil }
        } else {
            while i < chars.count {
                if chars[i] == ":" && (i + 1 == chars.count || chars[i + 1] == " " || chars[i + 1] == "\t") { break }
                i += 1
            }
            guard i < chars.count else { return nil }
            key = String(chars[0..<i]).trimming(" \t")
            guard !key.isEmpty, !key.hasPrefix("[") , !key.hasPrefix("{") else { return nil }
        }
        chars.removeFirst(i + 1)
        return (key, String(chars).trimming(" \t"))
    }

    mutating func scalarOrFlow(_ text: String, parentIndent: Int) -> YAMLNode {
        if text == "|" || text == ">" || text.hasPrefix("|-") || text.hasPrefix("|+") || text.hasPrefix(">-") || text.hasPrefix(">+") {
            return .scalar(blockScalar(parentIndent: parentIndent, folded: text.hasPrefix(">")))
        }
        if text.hasPrefix("[") && text.hasSuffix("]") {
            return .list(Self.flowItems(String(text.dropFirst().dropLast())).map { Self.scalar($0) })
        }
        if text == "{}" { return .map([]) }
        return Self.scalar(text)
    }

    mutating func blockScalar(parentIndent: Int, folded: Bool) -> String {
        var parts: [String] = []
        var blockIndent: Int?
        while index < lines.count {
            let line = lines[index]
            let lineIndent = line.raw.prefix { $0 == " " }.count
            let blank = line.raw.allSatisfy { $0 == " " || $0 == "\t" }
            if !blank && lineIndent <= parentIndent { break }
            if !blank && blockIndent == nil { blockIndent = lineIndent }
            parts.append(blank ? "" : String(line.raw.dropFirst(min(blockIndent ?? 0, lineIndent))))
            index += 1
        }
        while parts.last == "" { parts.removeLast() }
        return parts.joined(separator: folded ? " " : "\n")
    }

    static func scalar(_ text: String) -> YAMLNode {
        let t = text.trimming(" \t")
        if t.isEmpty || t == "~" || t == "null" { return t.isEmpty ? .scalar("") : .null }
        let chars = Array(t)
        if chars[0] == "\"" || chars[0] == "'", let (s, _) = quoted(chars, from: 0) { return .scalar(s) }
        return .scalar(t)
    }

    /// Parses a quoted scalar starting at `from`; returns it and the index after the closing quote.
    static func quoted(_ chars: [Character], from: Int) -> (String, Int)? {
        let q = chars[from]
        var out = ""
        var i = from + 1
        while i < chars.count {
            let c = chars[i]
            if q == "'" {
                if c == "'" {
                    if i + 1 < chars.count && chars[i + 1] == "'" { out.append("'"); i += 2; continue }
                    return (out, i + 1)
                }
                out.append(c)
                i += 1
                continue
            }
            if c == "\"" { return (out, i + 1) }
            if c == "\\" && i + 1 < chars.count {
                let e = chars[i + 1]
                i += 2
                switch e {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "0": out.append("\0")
                case "\"": out.append("\"")
                case "\\": out.append("\\")
                case "/": out.append("/")
                case " ": out.append(" ")
                case "x", "u", "U":
                    let width = e == "x" ? 2 : (e == "u" ? 4 : 8)
                    guard i + width <= chars.count, let v = UInt32(String(chars[i..<i + width]), radix: 16),
                          let scalar = Unicode.Scalar(v)
                    else { return nil }
                    out.unicodeScalars.append(scalar)
                    i += width
                default: out.append("\\"); out.append(e)
                }
                continue
            }
            out.append(c)
            i += 1
        }
        return nil
    }

    /// Splits the inside of a flow list on commas outside quotes.
    static func flowItems(_ text: String) -> [String] {
        var items: [String] = []
        var current = ""
        var quote: Character?
        var escaped = false
        for c in text {
            if let q = quote {
                current.append(c)
                if q == "\"" && c == "\\" && !escaped { escaped = true; continue }
                if c == q && !escaped { quote = nil }
                escaped = false
            } else if c == "\"" || c == "'" {
                quote = c
                current.append(c)
            } else if c == "," {
                items.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        items.append(current)
        return items.map { $0.trimming(" \t") }.filter { !$0.isEmpty }
    }

    /// Drops a `#` comment that starts the line or follows whitespace, outside quotes.
    static func stripComment(_ line: String) -> String {
        var quote: Character?
        var previous: Character = " "
        var escaped = false
        var out = ""
        for c in line {
            if let q = quote {
                if q == "\"" && c == "\\" && !escaped { escaped = true; out.append(c); previous = c; continue }
                if c == q && !escaped { quote = nil }
                escaped = false
            } else if c == "\"" || c == "'" {
                if previous == " " || previous == "\t" || previous == ":" || previous == "-" || previous == "[" || previous == "," || out.isEmpty {
                    quote = c
                }
            } else if c == "#" && (previous == " " || previous == "\t") {
                break
            }
            out.append(c)
            previous = c
        }
        return out
    }
}
