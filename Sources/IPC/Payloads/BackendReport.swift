import Shared

/// supervisord's report on the backend: the reply to `backend.get` and
/// `backend.subscribe` and each `backend.state` event. One definition,
/// encoded by supervisord and decoded by every reader (edged's gate and
/// 503s, `droidgate status` and `doctor`). The wire names never change.
public struct BackendReport: Sendable, Equatable {
    /// The listener edged may send to: the backend's own, just verified.
    public struct Listener: Sendable, Equatable {
        public var pid: Int
        public var port: Int
        public init(pid: Int, port: Int) {
            self.pid = pid
            self.port = port
        }
    }

    /// The state as sent: a newer supervisord may send one this build does not know.
    public var state: String
    public var phase: BackendPhase? { BackendPhase(rawValue: state) }
    public var url: String? = nil
    public var message: String? = nil
    public var restarts: Int? = nil
    public var pid: Int? = nil
    public var lastExit: String? = nil
    public var retryInSeconds: Int? = nil
    public var command: String? = nil
    public var port: Int? = nil
    public var listener: Listener? = nil
    /// Who holds the port when the state is `port-taken` (when it can be seen).
    public var squatterPid: Int? = nil
    /// Increases with every report; edged acknowledges the one it applied (`BackendSeen`).
    public var seq: Int? = nil
    /// The backend's own API key: only for edged and admins.
    public var apiKey: String? = nil

    public init(phase: BackendPhase) { state = phase.rawValue }

    /// The member that carries the report in supervisord's and edged's `status`
    /// replies and in edged's /healthz.
    public static let statusKey = "backend"

    /// The report without its key: for /healthz and `status`, which anyone may read.
    public var withoutKey: BackendReport {
        var r = self
        r.apiKey = nil
        return r
    }

    public var json: JSONValue {
        var o: JSONObject = ["state": .string(state)]
        o["url"] = url.map { .string($0) } ?? .null
        o["message"] = message.map { .string($0) } ?? .null
        o["restarts"] = restarts.map { .int($0) } ?? .null
        o["pid"] = pid.map { .int($0) } ?? .null
        o["lastExit"] = lastExit.map { .string($0) } ?? .null
        o["retryInSeconds"] = retryInSeconds.map { .int($0) } ?? .null
        o["command"] = command.map { .string($0) } ?? .null
        o["port"] = port.map { .int($0) } ?? .null
        o["listener"] = listener.map { ["pid": .int($0.pid), "port": .int($0.port)] } ?? .null
        o["squatterPid"] = squatterPid.map { .int($0) } ?? .null
        o["seq"] = seq.map { .int($0) } ?? .null
        if let apiKey { o["apiKey"] = .string(apiKey) }
        return .object(o)
    }

    /// Read from a reply or event; nil when it carries no state.
    public init?(_ v: JSONValue?) {
        guard let v, let s = v["state"]?.stringValue else { return nil }
        state = s
        url = v["url"]?.stringValue
        message = v["message"]?.stringValue
        restarts = v["restarts"]?.intValue
        pid = v["pid"]?.intValue
        lastExit = v["lastExit"]?.stringValue
        retryInSeconds = v["retryInSeconds"]?.intValue
        command = v["command"]?.stringValue
        port = v["port"]?.intValue
        if let l = v["listener"], let p = l["pid"]?.intValue, let q = l["port"]?.intValue { listener = Listener(pid: p, port: q) }
        squatterPid = v["squatterPid"]?.intValue
        seq = v["seq"]?.intValue
        apiKey = v["apiKey"]?.stringValue
    }
}

/// `backend.seen`'s arguments: the `seq` of the report a subscriber applied.
public struct BackendSeen: Sendable, Equatable {
    public var seq: Int
    public init(seq: Int) { self.seq = seq }
    public var json: JSONObject { ["seq": .int(seq)] }
    public init?(_ args: JSONObject) {
        guard let s = args["seq"]?.intValue else { return nil }
        seq = s
    }
}
