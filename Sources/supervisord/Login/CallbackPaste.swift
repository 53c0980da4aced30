/// A line the user pasted for a browser login (Claude, Antigravity): the
/// address the browser landed on after sign-in, e.g.
/// `http://localhost:54545/callback?code=…&state=…`. cli-proxy-api reads it
/// from stdin (sdk/auth/claude.go, sdk/auth/antigravity.go) and *ends the
/// login* on anything it cannot use: a line without a code fails with
/// "callback URL missing code", a state from another attempt with "state
/// mismatch", and an empty line silently stops it from ever reading stdin
/// again. So the line is checked here first and only a usable one reaches
/// the process; a wrong one is refused with a message and the login goes on.
enum CallbackPaste {
    static let maxBytes = 8192

    enum Verdict: Equatable {
        case forward(String)
        case refuse(String)
    }

    /// - expectedState: the `state` of the authorization URL this login printed, if seen.
    static func check(_ raw: String, expectedState: String?) -> Verdict {
        let line = raw.trimmingSpaces
        let example = "paste the whole address from the browser's address bar after signing in (it starts http://localhost: and holds code=…)"
        guard !line.isEmpty else { return .refuse("nothing was pasted; \(example)") }
        guard line.utf8.count <= maxBytes else { return .refuse("that line is too long to be a callback address; \(example)") }
        guard line.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f }) else {
            return .refuse("the pasted line holds control characters; \(example)")
        }
        let parameters = Self.parameters(line)
        let code = parameters["code"] ?? ""
        if code.isEmpty && (parameters["error"] ?? "").isEmpty {
            return .refuse("that is not the callback address (no code= in it); \(example)")
        }
        let state = parameters["state"] ?? ""
        if !code.isEmpty && state.isEmpty {
            return .refuse("that address has no state= in it, so the login would fail; \(example)")
        }
        if let expectedState, !code.isEmpty, state != expectedState {
            return .refuse("that address belongs to another sign-in attempt (its state does not match this login's); paste the address from the sign-in you started now")
        }
        return .forward(line)
    }

    /// The query's parameters, then the fragment's for keys the query lacks
    /// (as url.Parse + Query() and the fragment fallback do in
    /// internal/misc/oauth.go). Values stay percent-encoded: only presence and
    /// equality matter here.
    static func parameters(_ line: String) -> [String: String] {
        let hash = line.firstIndex(of: "#")
        let main = hash.map { line[..<$0] } ?? Substring(line)
        let fragment = hash.map { line[line.index(after: $0)...] } ?? ""
        var query: Substring = ""
        if let q = main.firstIndex(of: "?") { query = main[main.index(after: q)...] }
        else if !main.contains("://"), !main.contains("/"), main.contains("=") { query = main }
        var out = pairs(query)
        for (k, v) in pairs(fragment) where out[k] == nil { out[k] = v }
        return out
    }

    private static func pairs(_ text: Substring) -> [String: String] {
        var out: [String: String] = [:]
        for part in text.split(separator: "&") {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2, out[String(kv[0])] == nil else { continue }
            out[String(kv[0])] = String(kv[1])
        }
        return out
    }

    /// The `state` parameter of an authorization URL in a line the login printed.
    static func authorizationState(in outputLine: String) -> String? {
        guard outputLine.contains("://"), outputLine.contains("state=") else { return nil }
        let url = outputLine.split(separator: " ").first { $0.contains("://") && $0.contains("state=") }.map(String.init) ?? outputLine
        guard let s = parameters(url)["state"], !s.isEmpty else { return nil }
        return s
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" || f == "\n" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" || l == "\n" { s = s.dropLast() }
        return String(s)
    }
}
