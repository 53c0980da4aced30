import Shared

/// One line of `droidgate doctor`: what was checked, whether it holds, what
/// was found and, when it does not hold, what to do about it.
struct DoctorCheck {
    let name: String
    let ok: Bool
    let detail: String
    let fix: String?
    /// Not checked here (no systemd, no journal): reported, and does not fail.
    var skipped = false

    static func pass(_ name: String, _ detail: String) -> DoctorCheck {
        DoctorCheck(name: name, ok: true, detail: detail, fix: nil)
    }

    static func fail(_ name: String, _ detail: String, fix: String) -> DoctorCheck {
        DoctorCheck(name: name, ok: false, detail: detail, fix: fix)
    }

    static func skip(_ name: String, _ detail: String) -> DoctorCheck {
        DoctorCheck(name: name, ok: true, detail: detail, fix: nil, skipped: true)
    }

    /// `✓ name: detail` or `✗ name: detail — fix: what to do`.
    var line: String {
        ok ? "✓ \(name): \(detail)" : "✗ \(name): \(detail) — fix: \(fix ?? "?")"
    }

    var json: JSONValue {
        var o: JSONObject = ["check": .string(name), "ok": .bool(ok), "detail": .string(detail)]
        o["fix"] = fix.map { .string($0) } ?? .null
        if skipped { o["skipped"] = true }
        return .object(o)
    }
}
