import Shared

/// Behaviour switches set at run time by `POST /_fake/knobs`.
struct WorkOSKnobs: Sendable {
    /// Wait before answering each WorkOS request.
    var latencyMs = 0
    /// Answer the next `statusCount` authenticate requests with this status.
    var status: Int?
    var statusCount = 0
    /// With `status`: the OAuth error code of the injected answer, `{"error", "error_description"}`
    /// as WorkOS answers grant errors (e.g. 400 `invalid_grant`, 401 `invalid_client`). Without
    /// it the body is `{"message", "code"}`, the shape of WorkOS's other API errors; a 403 or 404
    /// from something in between (a proxy, a WAF, a wrong base URL) carries no OAuth code either.
    var errorCode: String?
    /// Answer the next `redirectCount` authenticate requests with `redirectStatus` and
    /// `Location: redirectTo` (what a proxy, a captive portal or an http→https rewrite answers;
    /// a 307/308 asks the client to repeat the POST, form and token included, over there).
    var redirectTo: String?
    var redirectStatus = 307
    var redirectCount = 0
    /// Read the next `hangCount` WorkOS requests and never answer them.
    var hangCount = 0
    /// Exit right after the next successful refresh reply is on the wire.
    var dieAfterAnswer = false
    /// Lifetime of access tokens issued from now on.
    var accessTTL: Int
    /// Answer the next device-code polls with `slow_down`.
    var slowDownCount = 0

    var json: JSONValue {
        [
            "latency_ms": .int(latencyMs),
            "status": status.map(JSONValue.int) ?? nil,
            "status_remaining": .int(statusCount),
            "error": errorCode.map(JSONValue.string) ?? nil,
            "redirect": redirectTo.map(JSONValue.string) ?? nil,
            "redirect_status": .int(redirectStatus),
            "redirect_remaining": .int(redirectCount),
            "hang_remaining": .int(hangCount),
            "die_after_answer": .bool(dieAfterAnswer),
            "access_ttl": .int(accessTTL),
            "slow_down_remaining": .int(slowDownCount),
        ]
    }

    struct Invalid: Error {
        let message: String
    }

    /// Applies a `/_fake/knobs` body. `count` (default 1) goes with `status`, `redirect` and `hang`;
    /// `status_count` / `hang_count` set them one by one. Null or false clears a knob.
    mutating func apply(_ body: JSONValue, defaultTTL: Int) throws(Invalid) {
        guard body.objectValue != nil else { throw Invalid(message: "knobs: body must be a JSON object") }
        func int(_ key: String, _ range: ClosedRange<Int>) throws(Invalid) -> Int? {
            guard let v = body[key], !v.isNull else { return nil }
            guard let n = v.intValue, range.contains(n) else {
                throw Invalid(message: "knobs: \(key) must be an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return n
        }
        func flag(_ key: String) throws(Invalid) -> Bool? {
            guard let v = body[key] else { return nil }
            if v.isNull { return false }
            if let b = v.boolValue { return b }
            if let n = v.intValue { return n != 0 }
            throw Invalid(message: "knobs: \(key) must be a boolean")
        }
        let count = try int("count", 0...1_000_000)
        if let n = try int("latency_ms", 0...3_600_000) { latencyMs = n } else if body["latency_ms"]?.isNull == true { latencyMs = 0 }
        if body["status"] != nil {
            if let s = try int("status", 100...599), s != 200 {
                status = s
                statusCount = try int("status_count", 0...1_000_000) ?? count ?? 1
            } else {
                status = nil
                statusCount = 0
            }
        } else if let n = try int("status_count", 0...1_000_000) {
            statusCount = n
        }
        if let v = body["error"] {
            if v.isNull { errorCode = nil } else if let e = v.stringValue, !e.isEmpty { errorCode = e } else {
                throw Invalid(message: "knobs: error must be a non-empty string (an OAuth error code) or null")
            }
        }
        if let n = try int("redirect_status", 300...399) { redirectStatus = n }
        if let v = body["redirect"] {
            if v.isNull || v.boolValue == false {
                redirectTo = nil
                redirectCount = 0
            } else if let url = v.stringValue, url.hasPrefix("http://") || url.hasPrefix("https://") {
                redirectTo = url
                redirectCount = count ?? 1
            } else {
                throw Invalid(message: "knobs: redirect must be an http(s) URL or null")
            }
        }
        if let h = try flag("hang") {
            hangCount = h ? (try int("hang_count", 0...1_000_000) ?? count ?? 1) : 0
        } else if let n = try int("hang_count", 0...1_000_000) {
            hangCount = n
        }
        if let d = try flag("die_after_answer") { dieAfterAnswer = d }
        if body["access_ttl"] != nil { accessTTL = try int("access_ttl", 0...Int(Int32.max)) ?? defaultTTL }
        if let v = body["slow_down"] {
            if let b = v.boolValue { slowDownCount = b ? 1 : 0 } else { slowDownCount = try int("slow_down", 0...1_000_000) ?? 0 }
        }
    }
}
