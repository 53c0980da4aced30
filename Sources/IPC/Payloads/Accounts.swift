import Shared

/// One provider account of the backend as supervisord lists it (never a
/// secret: who, which provider, until when, whether it is switched off).
public struct AccountEntry: Sendable, Equatable {
    /// The credential file's name without `.json`.
    public var account: String
    public var provider: String? = nil
    public var email: String? = nil
    /// As the file says (RFC 3339).
    public var expires: String? = nil
    public var disabled = false
    /// Why the file could not be read, when it could not.
    public var problem: String? = nil

    public init(account: String) { self.account = account }

    public var json: JSONValue {
        var o: JSONObject = ["account": .string(account)]
        o["provider"] = provider.map { .string($0) } ?? .null
        o["email"] = email.map { .string($0) } ?? .null
        o["expires"] = expires.map { .string($0) } ?? .null
        o["disabled"] = .bool(disabled)
        if let problem { o["problem"] = .string(problem) }
        return .object(o)
    }

    public init?(_ v: JSONValue) {
        guard let a = v["account"]?.stringValue else { return nil }
        account = a
        provider = v["provider"]?.stringValue
        email = v["email"]?.stringValue
        expires = v["expires"]?.stringValue
        disabled = v["disabled"]?.boolValue ?? false
        problem = v["problem"]?.stringValue
    }
}

/// The reply to `backend.accounts` and `backend.account`: every account.
public struct AccountList: Sendable, Equatable {
    public var accounts: [AccountEntry]
    public init(_ accounts: [AccountEntry]) { self.accounts = accounts }
    public var json: JSONValue { ["accounts": .array(accounts.map(\.json))] }
    public init(_ v: JSONValue) { accounts = v["accounts"]?.arrayValue?.compactMap(AccountEntry.init) ?? [] }
}

/// `backend.account`'s arguments: what to do to one account.
public struct AccountAction: Sendable, Equatable {
    public enum Action: String, Sendable, CaseIterable {
        case enable, disable, remove
    }
    public var account: String
    public var action: Action

    public init(account: String, action: Action) {
        self.account = account
        self.action = action
    }

    public var json: JSONObject { ["account": .string(account), "action": .string(action.rawValue)] }

    /// Read from a request's arguments; the error says what is wrong.
    public static func parse(_ args: JSONObject) -> Result<AccountAction, IPCError> {
        let names = Action.allCases.map(\.rawValue).joined(separator: ", ")
        guard let account = args["account"]?.stringValue, let name = args["action"]?.stringValue else {
            return .failure(.remote(code: .badRequest, message: "need \"account\" and \"action\" (\(names))"))
        }
        guard let action = Action(rawValue: name) else {
            return .failure(.remote(code: .badRequest, message: "unknown action \"\(name)\" (\(names))"))
        }
        return .success(AccountAction(account: account, action: action))
    }
}

/// `backend.providers`: providers to switch off and on (arguments), and the
/// ones switched off afterwards (reply).
public struct ProvidersChange: Sendable, Equatable {
    public var disable: [String]
    public var enable: [String]
    public init(disable: [String], enable: [String]) {
        self.disable = disable
        self.enable = enable
    }
    public var json: JSONObject { ["disable": .array(disable.map { .string($0) }), "enable": .array(enable.map { .string($0) })] }
    public init(_ args: JSONObject) {
        disable = args["disable"]?.arrayValue?.compactMap(\.stringValue) ?? []
        enable = args["enable"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }
}

public struct DisabledProviders: Sendable, Equatable {
    public var disabled: [String]
    public init(_ disabled: [String]) { self.disabled = disabled }
    public var json: JSONValue { ["disabled": .array(disabled.map { .string($0) })] }
    public init(_ v: JSONValue) { disabled = v["disabled"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
}
