/// A readable name for a model id, the way cli-proxy-api's catalog names
/// them: "claude-opus-4-7" → "Claude Opus 4.7", "gpt-5.6-sol" → "GPT-5.6 Sol",
/// "kimi-k3-256k" → "Kimi K3 256K", "claude-sonnet-4-5-20250929" → "Claude Sonnet 4.5".
enum ModelNames {
    static let suffix = " (droidgate)"

    /// The name Droid shows for a droidgate model.
    static func displayName(_ model: String, family: ModelFamily) -> String {
        (family.name ?? readable(model)) + suffix
    }

    static func readable(_ model: String) -> String {
        var parts = model.split(separator: "-", omittingEmptySubsequences: true).map(String.init)
        // A trailing snapshot date says nothing a person picks by.
        if parts.count > 1, let last = parts.last, last.count == 8, last.allSatisfy(\.isNumber) { parts.removeLast() }
        var words: [String] = []
        for p in parts {
            // Claude writes versions with dashes: "4-7" is 4.7.
            if let prev = words.last, isShortNumber(p), isShortNumber(prev), !prev.contains(".") {
                words[words.count - 1] = prev + "." + p
            } else if words.last == "GPT" {
                words[words.count - 1] = "GPT-" + word(p)
            } else {
                words.append(word(p))
            }
        }
        return words.joined(separator: " ")
    }

    static func isShortNumber(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 2 && s.allSatisfy(\.isNumber)
    }

    static func word(_ p: String) -> String {
        switch p.lowercased() {
        case "gpt": return "GPT"
        case "oss": return "OSS"
        default:
            if p.first?.isNumber == true { return p.uppercased() }     // 120b, 256k
            if p.count > 1, p.first == "k", p.dropFirst().first?.isNumber == true { return p.uppercased() }   // k2.6
            return p.prefix(1).uppercased() + p.dropFirst()
        }
    }
}
