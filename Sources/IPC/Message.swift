import Shared

/// The protocol's messages. Every connection starts with a hello each way:
///   client → {"hello":"droidgate-ipc","version":1,"role":"edged"}
///   server → {"hello":"droidgate-ipc","version":1,"role":"authd","pid":123}
/// then requests and replies (replies echo the request's id), and pushed events:
///   {"id":7,"op":"status","args":{}}
///   {"id":7,"result":{...}}    or    {"id":7,"error":{"code":"unknown_op","message":"..."}}
///   {"event":"backend.state","sub":7,"data":{...}}   (sub = id of the subscribe request)
/// A reply may carry descriptors (SCM_RIGHTS) announced by "fds":N.
public enum IPCProtocol {
    public static let name = "droidgate-ipc"
    public static let version = 1
}

public struct Hello: Sendable, Equatable {
    public let role: String
    public let pid: Int32?

    public init(role: String, pid: Int32? = nil) {
        self.role = role
        self.pid = pid
    }

    public var message: JSONValue {
        var o: JSONObject = ["hello": .string(IPCProtocol.name), "version": .int(IPCProtocol.version), "role": .string(role)]
        if let pid { o["pid"] = .int(Int(pid)) }
        return .object(o)
    }

    /// Validates a received hello: protocol name, version, a role.
    public static func parse(_ o: JSONObject) throws(IPCError) -> Hello {
        if let err = o["error"]?.objectValue {
            throw .badHello(err["message"]?.stringValue ?? "peer refused the connection")
        }
        guard let name = o["hello"]?.stringValue else { throw .badHello("first frame is not a hello") }
        guard name == IPCProtocol.name else { throw .badHello("protocol \"\(name)\" is not \(IPCProtocol.name)") }
        guard let v = o["version"]?.intValue else { throw .badHello("hello has no version") }
        guard v == IPCProtocol.version else {
            throw .badHello("protocol version \(v) is not supported (this side speaks \(IPCProtocol.version))")
        }
        guard let role = o["role"]?.stringValue, !role.isEmpty, role.utf8.count <= 64 else {
            throw .badHello("hello has no role")
        }
        return Hello(role: role, pid: o["pid"]?.intValue.map { Int32(truncatingIfNeeded: $0) })
    }
}

/// A reply's payload as the caller sees it.
public struct IPCReply: Sendable {
    public let result: JSONValue
    public let fds: [FileDescriptor]

    public init(result: JSONValue, fds: [FileDescriptor] = []) {
        self.result = result
        self.fds = fds
    }
}

public enum Messages {
    public static func request(id: Int, op: OpName, args: JSONObject) -> JSONValue {
        .object(["id": .int(id), "op": .string(op.rawValue), "args": .object(args)])
    }

    public static func result(id: Int, _ result: JSONValue, fdCount: Int = 0) -> JSONValue {
        var o: JSONObject = ["id": .int(id), "result": result]
        if fdCount > 0 { o["fds"] = .int(fdCount) }
        return .object(o)
    }

    public static func error(id: Int?, code: IPCError.Code, message: String) -> JSONValue {
        var o = JSONObject()
        if let id { o["id"] = .int(id) }
        o["error"] = .object(["code": .string(code.rawValue), "message": .string(message)])
        return .object(o)
    }

    public static func event(_ name: EventName, sub: Int, data: JSONValue) -> JSONValue {
        .object(["event": .string(name.rawValue), "sub": .int(sub), "data": data])
    }
}
