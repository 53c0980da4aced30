import Shared

/// `backend.log`: the last lines of the backend's output that supervisord keeps.
public struct BackendLogArgs: Sendable, Equatable {
    public var lines: Int
    public init(lines: Int) { self.lines = lines }
    public var json: JSONObject { ["lines": .int(lines)] }
    /// `fallback` when the arguments do not say.
    public init(_ args: JSONObject, fallback: Int) { lines = args["lines"]?.intValue ?? fallback }
}

public struct BackendLogLines: Sendable, Equatable {
    public var lines: [String]
    public init(_ lines: [String]) { self.lines = lines }
    public var json: JSONValue { ["lines": .array(lines.map { .string($0) })] }
    public init(_ v: JSONValue) { lines = v["lines"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
}
