import Shared

/// What `<backend command> -help` says about the cli-proxy-api build. The
/// real program prints `CLIProxyAPI Version: V, Commit: C, BuiltAt: D` on
/// stdout before it parses its flags (cmd/server/main.go), then Go's flag
/// package answers `-help` with the usage (one `  -name` line per flag, on
/// stderr) and exit status 0. Builds from before 2026-03-18 have no
/// `-local-model` line.
struct BackendProbe {
    var version: String?
    var commit: String?
    var builtAt: String?
    var localModel = false

    static let versionPrefix = "CLIProxyAPI Version: "

    static func parse(_ output: String) -> BackendProbe {
        var p = BackendProbe()
        for raw in output.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = raw.trimming(" \t\r")
            if p.version == nil, let r = line.range(of: versionPrefix) {
                for field in line[r.upperBound...].split(separator: ",") {
                    let f = field.trimming(" ")
                    if p.version == nil { p.version = f; continue }
                    if f.hasPrefix("Commit: ") { p.commit = String(f.dropFirst(8)) }
                    if f.hasPrefix("BuiltAt: ") { p.builtAt = String(f.dropFirst(9)) }
                }
            }
            // The usage's line for the flag is exactly "-local-model" (a bool flag; its text follows on the next line).
            if line == "-local-model" { p.localModel = true }
        }
        return p
    }

    struct Failed: Error, CustomStringConvertible { let description: String }

    /// Runs `executable -help` and reads its answer.
    static func probe(_ executable: String, timeout: Double = 10) -> Result<BackendProbe, Failed> {
        let out = CommandRunner.run(executable, ["-help"], timeout: timeout)
        if let e = out.startError { return .failure(Failed(description: "cannot run \(executable): \(e)")) }
        guard out.status != nil else { return .failure(Failed(description: "\(executable) -help did not finish within \(Int(timeout)) s")) }
        let p = parse(out.output)
        guard p.version != nil else {
            let first = out.output.split(separator: "\n").first.map { String($0.prefix(120)) } ?? "nothing"
            return .failure(Failed(description: "\(executable) -help does not print a CLIProxyAPI version (it printed: \(first)); is it cli-proxy-api?"))
        }
        return .success(p)
    }
}
