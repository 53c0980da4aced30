import Shared

/// `login.start`'s reply: a WorkOS device login authd began, for the operator
/// to confirm in a browser, then `login.poll`ed by its id.
public struct DeviceLoginStarted: Sendable, Equatable {
    public var loginId: String
    public var userCode: String
    public var verificationUri: String
    /// The URI with the code filled in, when WorkOS gives one.
    public var verificationUriComplete: String?
    /// Seconds between polls, and until the code expires.
    public var interval: Int
    public var expiresIn: Int

    public init(loginId: String, userCode: String, verificationUri: String, verificationUriComplete: String?, interval: Int, expiresIn: Int) {
        self.loginId = loginId
        self.userCode = userCode
        self.verificationUri = verificationUri
        self.verificationUriComplete = verificationUriComplete
        self.interval = interval
        self.expiresIn = expiresIn
    }

    public var json: JSONValue {
        var o: JSONObject = ["loginId": .string(loginId), "userCode": .string(userCode), "verificationUri": .string(verificationUri),
                             "interval": .int(interval), "expiresIn": .int(expiresIn)]
        o["verificationUriComplete"] = verificationUriComplete.map { .string($0) } ?? .null
        return .object(o)
    }

    public init?(_ v: JSONValue) {
        guard let id = v["loginId"]?.stringValue else { return nil }
        loginId = id
        userCode = v["userCode"]?.stringValue ?? "?"
        verificationUri = v["verificationUri"]?.stringValue ?? "?"
        verificationUriComplete = v["verificationUriComplete"]?.stringValue
        interval = v["interval"]?.intValue ?? 5
        expiresIn = v["expiresIn"]?.intValue ?? 300
    }
}

/// `login.poll`'s arguments.
public struct DeviceLoginPollArgs: Sendable, Equatable {
    public var loginId: String
    public init(loginId: String) { self.loginId = loginId }
    public var json: JSONObject { ["loginId": .string(loginId)] }
    public init?(_ args: JSONObject) {
        guard let id = args["loginId"]?.stringValue else { return nil }
        loginId = id
    }
}

/// `login.poll`'s reply: still pending (slower, when WorkOS asks), or done
/// with authd's credentials as they now are.
public struct DeviceLoginPoll: Sendable, Equatable {
    public var status: LoginPollStatus
    /// authd's credentials once `status` is `ok`.
    public var report: CredentialsReport?
    /// Why a poll did not get an answer from WorkOS (it is tried again).
    public var warning: String?

    public init(status: LoginPollStatus, report: CredentialsReport? = nil, warning: String? = nil) {
        self.status = status
        self.report = report
        self.warning = warning
    }

    public var json: JSONValue {
        var o: JSONObject = ["status": .string(status.rawValue)]
        if let report { o["report"] = .object(report.members(.standalone)) }
        if let warning { o["warning"] = .string(warning) }
        return .object(o)
    }

    /// nil when the status is not one this build knows.
    public init?(_ v: JSONValue) {
        guard let s = v["status"]?.stringValue.flatMap(LoginPollStatus.init(rawValue:)) else { return nil }
        status = s
        report = v["report"].flatMap { CredentialsReport($0, .standalone) }
        warning = v["warning"]?.stringValue
    }
}

/// `import`'s arguments: a bare refresh token, or the text of Factory CLI's
/// ~/.factory/auth.json (authd reads `refresh_token` and `access_token` from it).
public enum CredentialsImport: Sendable, Equatable {
    case refreshToken(String)
    case authJSON(String)

    public var json: JSONObject {
        switch self {
        case .refreshToken(let t): ["refreshToken": .string(t)]
        case .authJSON(let text): ["authJSON": .string(text)]
        }
    }

    /// nil when the arguments carry neither.
    public init?(_ args: JSONObject) {
        if let t = args["refreshToken"]?.stringValue {
            self = .refreshToken(t)
        } else if let text = args["authJSON"]?.stringValue {
            self = .authJSON(text)
        } else {
            return nil
        }
    }
}
