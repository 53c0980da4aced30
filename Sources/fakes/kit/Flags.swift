import Shared

/// Command-line flags for the fakes, as Go's flag package takes them (the
/// real cli-proxy-api is a Go program): `--name value`, `--name=value`,
/// `-name` alike. Scanning is `ArgumentScanner`'s; this adds the fakes'
/// common result type.
public enum Flags {
    /// What a fake's `Options.parse` returns.
    public enum ParseResult<Options> {
        case run(Options)
        case help
        case version
        case failure(String)
    }

    /// Every flag in order with its value (nil for booleans), or the result to return at once.
    public static func scan<O>(_ args: [String], valueFlags: Set<String>, boolFlags: Set<String>)
        -> Result<[(name: String, value: String?)], EarlyExit<O>> {
        switch ArgumentScanner.scan(args, valued: valueFlags, switches: boolFlags, goStyle: true) {
        case .help: return .failure(EarlyExit(result: .help))
        case .version: return .failure(EarlyExit(result: .version))
        case .failure(let m): return .failure(EarlyExit(result: .failure(m)))
        case .parsed(let f): return .success(f.map { ($0.name, $0.value) })
        }
    }

    /// Help, version or a bad flag: the parse ends with `result`. `@unchecked`:
    /// it never carries `.parsed`, the one case holding an `O`.
    public struct EarlyExit<O>: Error, @unchecked Sendable {
        public let result: ParseResult<O>
    }

    /// Scans `args` and hands each flag to `apply` in order (nil value for a
    /// boolean); `apply` returns an error message for a bad value, else nil.
    public static func parse<O>(_ args: [String], valueFlags: Set<String>, boolFlags: Set<String>, into options: O,
                                _ apply: (inout O, String, String) -> String?) -> ParseResult<O> {
        let flags: [(name: String, value: String?)]
        switch scan(args, valueFlags: valueFlags, boolFlags: boolFlags) as Result<[(name: String, value: String?)], EarlyExit<O>> {
        case .success(let f): flags = f
        case .failure(let exit): return exit.result
        }
        var o = options
        for (name, value) in flags {
            if let problem = apply(&o, name, value ?? "") { return .failure(problem) }
        }
        return .run(o)
    }

    /// An integer flag value within `range`, else nil.
    public static func int(_ value: String?, _ range: ClosedRange<Int>) -> Int? { ArgumentScanner.int(value, range) }
}
