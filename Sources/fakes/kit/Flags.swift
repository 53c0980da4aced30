/// Command-line flags for the fakes: `--name value`, `--name=value`, `-name`
/// alike; booleans as `--name` (or `--name=false`); `-h`/`--help` and
/// `--version` are answered before anything else is checked.
public enum Flags {
    public enum Outcome {
        case help
        case version
        case failure(String)
        /// Every flag in order, with its value (nil for booleans).
        case parsed([(name: String, value: String?)])
    }

    public static func scan(_ args: [String], valueFlags: Set<String>, boolFlags: Set<String>) -> Outcome {
        if args.contains(where: { ["-h", "--help", "-help"].contains($0) }) { return .help }
        if args.contains(where: { ["--version", "-version"].contains($0) }) { return .version }
        var out: [(name: String, value: String?)] = []
        var i = 0
        while i < args.count {
            let arg = args[i]
            i += 1
            guard arg.hasPrefix("-"), arg != "-", arg != "--" else { return .failure("unexpected argument \(arg)") }
            var name = String(arg.dropFirst(arg.hasPrefix("--") ? 2 : 1))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if boolFlags.contains(name) {
                switch inline?.lowercased() {
                case nil, "1", "t", "true": out.append((name, nil))
                case "0", "f", "false": break
                default: return .failure("invalid boolean value \"\(inline!)\" for --\(name)")
                }
                continue
            }
            guard valueFlags.contains(name) else { return .failure("unknown flag --\(name)") }
            if let inline {
                out.append((name, inline))
            } else {
                guard i < args.count else { return .failure("flag needs an argument: --\(name)") }
                out.append((name, args[i]))
                i += 1
            }
        }
        return .parsed(out)
    }

    /// An integer flag value within `range`, else nil.
    public static func int(_ value: String?, _ range: ClosedRange<Int>) -> Int? {
        guard let value, let n = Int(value), range.contains(n) else { return nil }
        return n
    }
}
