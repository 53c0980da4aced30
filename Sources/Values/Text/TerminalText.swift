/// Text about to reach an operator's terminal. What the CLI prints often
/// comes from elsewhere — the backend's log lines and login prompts, a
/// daemon's error message, WorkOS's error string — and an escape sequence in
/// it would be interpreted by the terminal (retitle it, rewrite earlier
/// lines, answer back into the input). Every C0 control but newline and tab,
/// DEL, and every C1 control (U+0080–U+009F, which some terminals read as
/// ESC-prefixed sequences) is written as a visible `\xNN` / `\u{NN}`.
public enum TerminalText {
    public static func safe(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isControl) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 16)
        for u in s.unicodeScalars {
            guard isControl(u) else { out.unicodeScalars.append(u); continue }
            let hex = String(u.value, radix: 16)
            out += u.value < 0x80 ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{\(hex)}"
        }
        return out
    }

    static func isControl(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        return (v < 0x20 && v != 0x0a && v != 0x09) || v == 0x7f || (0x80...0x9f).contains(v)
    }
}
