/// The real program's command-line flags (`cmd/server/main.go`, commit
/// a7e3596) and the usage text its custom `flag.CommandLine.Usage` prints
/// after a flag error: "Usage of <argv0>", then every flag in name order
/// (`VisitAll`) but `-password`, as "  -name type" + newline + 4 spaces +
/// the help text, with " (default X)" unless the default is "", false or 0.
enum RealFlags {
    enum Kind { case bool, string, int }

    struct Flag {
        let name: String
        let kind: Kind
        let usage: String
    }

    static let all: [Flag] = [
        Flag(name: "codex-login", kind: .bool, usage: "Login to Codex using OAuth"),
        Flag(name: "codex-device-login", kind: .bool, usage: "Login to Codex using device code flow"),
        Flag(name: "claude-login", kind: .bool, usage: "Login to Claude using OAuth"),
        Flag(name: "no-browser", kind: .bool, usage: "Don't open browser automatically for OAuth"),
        Flag(name: "oauth-callback-port", kind: .int, usage: "Override OAuth callback port (defaults to provider-specific port)"),
        Flag(name: "antigravity-login", kind: .bool, usage: "Login to Antigravity using OAuth"),
        Flag(name: "kimi-login", kind: .bool, usage: "Login to Kimi using OAuth"),
        Flag(name: "xai-login", kind: .bool, usage: "Login to xAI using OAuth"),
        Flag(name: "config", kind: .string, usage: "Configure File Path"),
        Flag(name: "vertex-import", kind: .string, usage: "Import Vertex service account key JSON file"),
        Flag(name: "vertex-import-prefix", kind: .string, usage: "Prefix for Vertex model namespacing (use with -vertex-import)"),
        Flag(name: "password", kind: .string, usage: ""),
        Flag(name: "home-jwt", kind: .string, usage: "Home control plane JWT for mTLS certificate bootstrap and connection"),
        Flag(name: "home-disable-cluster-discovery", kind: .bool,
             usage: "Disable Home CLUSTER NODES discovery and keep using the configured -home-jwt address"),
        Flag(name: "tui", kind: .bool, usage: "Start with terminal management UI"),
        Flag(name: "standalone", kind: .bool, usage: "In TUI mode, start an embedded local server"),
        Flag(name: "local-model", kind: .bool,
             usage: "Use embedded models.json and codex_client_models.json only, skip remote model catalog fetching"),
    ]

    /// `-local-model` exists since 2026-03-18; `--old-build` fakes a build from before.
    static func defined(oldBuild: Bool) -> [Flag] {
        oldBuild ? all.filter { $0.name != "local-model" } : all
    }

    static func kind(of name: String, oldBuild: Bool) -> Kind? {
        defined(oldBuild: oldBuild).first { $0.name == name }?.kind
    }

    static func usage(argv0: String, oldBuild: Bool) -> String {
        var out = "Usage of \(argv0)\n"
        for f in defined(oldBuild: oldBuild).sorted(by: { $0.name < $1.name }) where f.name != "password" {
            var s = "  -\(f.name)"
            switch f.kind {
            case .bool: break
            case .string: s += " string"
            case .int: s += " int"
            }
            s += s.count <= 4 ? "\t" : "\n    "
            s += f.usage
            out += s + "\n"
        }
        return out
    }
}
