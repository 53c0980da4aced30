import Shared

/// `backend.login`: a provider sign-in that supervisord runs with the
/// backend's own `-login` flags, its output and result pushed to the CLI that
/// started it (`EventName.backendLogin`).
public struct BackendLoginArgs: Sendable, Equatable {
    public var provider: String
    /// Where the provider's OAuth redirect is received (browser providers), when not its default.
    public var callbackPort: Int?

    public init(provider: String, callbackPort: Int?) {
        self.provider = provider
        self.callbackPort = callbackPort
    }

    public var json: JSONObject {
        var o: JSONObject = ["provider": .string(provider)]
        if let callbackPort { o["callbackPort"] = .int(callbackPort) }
        return o
    }

    /// Read from a request's arguments (`providers`: the names supervisord knows).
    public static func parse(_ args: JSONObject, providers: [String]) -> Result<BackendLoginArgs, IPCError> {
        guard let provider = args["provider"]?.stringValue, providers.contains(provider) else {
            return .failure(.remote(code: .badRequest, message: "need \"provider\": one of \(providers.joined(separator: ", "))"))
        }
        var port: Int? = nil
        if let p = args["callbackPort"] {
            guard let n = p.intValue, (1...65535).contains(n) else {
                return .failure(.remote(code: .badRequest, message: "\"callbackPort\" must be a port number (1-65535)"))
            }
            port = n
        }
        return .success(BackendLoginArgs(provider: provider, callbackPort: port))
    }
}

/// The reply to `backend.login`: the login's number (for `backend.login.input`),
/// and whether the user is to paste the browser's callback address.
public struct BackendLoginStarted: Sendable, Equatable {
    public var provider: String
    public var login: Int
    public var pastesCallback: Bool

    public init(provider: String, login: Int, pastesCallback: Bool) {
        self.provider = provider
        self.login = login
        self.pastesCallback = pastesCallback
    }

    public var json: JSONValue { ["started": .string(provider), "login": .int(login), "pastesCallback": .bool(pastesCallback)] }

    public init?(_ v: JSONValue) {
        guard let n = v["login"]?.intValue else { return nil }
        provider = v["started"]?.stringValue ?? "?"
        login = n
        pastesCallback = v["pastesCallback"]?.boolValue ?? false
    }
}

/// `backend.login.input`'s arguments: a line the user typed for a login.
public struct BackendLoginInput: Sendable, Equatable {
    public var login: Int
    public var line: String

    public init(login: Int, line: String) {
        self.login = login
        self.line = line
    }

    public var json: JSONObject { ["login": .int(login), "line": .string(line)] }

    public init?(_ args: JSONObject) {
        guard let n = args["login"]?.intValue, let l = args["line"]?.stringValue else { return nil }
        login = n
        line = l
    }
}

/// A `backend.login` event: a line of the login's output, or its end.
public enum BackendLoginEvent: Sendable, Equatable {
    case line(String)
    /// `ok`: an account file was written (`account`, `updated` when it was there
    /// before); otherwise `message` says why not.
    case done(ok: Bool, account: String?, updated: Bool, message: String?)

    public var json: JSONValue {
        switch self {
        case .line(let l):
            return ["line": .string(l)]
        case .done(let ok, let account, let updated, let message):
            var o: JSONObject = ["done": true, "ok": .bool(ok)]
            if let account {
                o["account"] = .string(account)
                o["updated"] = .bool(updated)
            }
            if let message { o["message"] = .string(message) }
            return .object(o)
        }
    }

    public init?(_ v: JSONValue) {
        if v["done"]?.boolValue == true {
            self = .done(ok: v["ok"]?.boolValue ?? false, account: v["account"]?.stringValue,
                         updated: v["updated"]?.boolValue ?? false, message: v["message"]?.stringValue)
        } else if let l = v["line"]?.stringValue {
            self = .line(l)
        } else {
            return nil
        }
    }
}
