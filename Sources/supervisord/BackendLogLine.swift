import Shared

/// One line of the backend's output (backend.log), read for two things: the
/// priority it goes to the journal with, and whether it is only supervisord's
/// own health probe being logged.
///
/// cli-proxy-api formats its log lines itself (internal/logging/global_logger.go):
///   `[2026-12-07 06:06:52] [b4ef4aae] [warn ] [gin_logger.go:95] 400 | 1ms | 127.0.0.1 | POST    "/v1/chat/completions"`
/// — time, request id, logrus's level name padded to 5 ("warning" written
/// "warn"), caller, message; its gin access log (internal/logging/gin_logger.go)
/// writes 5xx at error, 4xx at warn, the rest at info. Lines it prints without
/// the logger (the banner, "API server started successfully") have no level:
/// info. The demo backend (fakes/cli-proxy-api) writes `<ISO time> <level>: …`.
enum BackendLogLine {
    static func level(of line: String) -> Log.Level {
        if let name = bracketedLevel(line) ?? fakeLevel(line) {
            switch name {
            case "trace", "debug": return .debug
            case "warn", "warning": return .warning
            case "error", "fatal", "panic": return .error
            case "notice": return .notice
            default: return .info
            }
        }
        return .info
    }

    /// supervisord's probe (`GET /healthz` from 127.0.0.1, every few seconds)
    /// answered 200, as the real backend's gin access log and the fake's write it.
    /// A probe that failed is kept.
    static func isHealthProbe(_ line: String) -> Bool {
        if line.contains("[gin_logger.go:") {
            return line.contains("] 200 |") && line.hasSuffix("| GET     \"/healthz\"")
        }
        return line.hasSuffix("ms") && line.contains(" GET /healthz 200 ")
    }

    /// The third `[…]` field: "[time] [id] [level]".
    private static func bracketedLevel(_ line: String) -> String? {
        guard line.hasPrefix("[") else { return nil }
        var fields: [Substring] = []
        var rest = Substring(line)
        while fields.count < 3, rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            fields.append(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...].drop(while: { $0 == " " })
        }
        return fields.count == 3 ? fields[2].trimming(" ") : nil
    }

    /// "2026-12-07T05:10:31.969Z warning: …"
    private static func fakeLevel(_ line: String) -> String? {
        let parts = line.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasSuffix("Z"), parts[1].hasSuffix(":") else { return nil }
        return String(parts[1].dropLast())
    }
}
