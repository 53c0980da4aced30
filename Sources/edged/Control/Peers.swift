import IPC
import Shared

/// edged's long-lived IPC links to authd and supervisord. Both reconnect on
/// their own; the latest backend state pushed by supervisord is kept here.
final class Peers: Sendable {
    let authd: ReconnectingClient
    let tokens: TokenSource
    let supervisord: ReconnectingClient
    private let backendState = Locked<BackendReport?>(nil)
    /// The backend's own API key (from supervisord), as header value bytes.
    private let backendKeyBytes = Locked<[UInt8]?>(nil)
    /// Whether anything may be sent to the backend's port (supervisord's word).
    let gate: BackendGate

    init(paths: PathsConfig, backend: BackendConfig) {
        let gate = BackendGate(port: backend.port, supervised: backend.supervised)
        self.gate = gate
        let tokenBox = Locked<TokenSource?>(nil)
        authd = ReconnectingClient(path: paths.socket(.authd), role: IPCRole.edged, target: "authd",
                                   subscriptions: [.init(op: .tokenSubscribe) { v in tokenBox.value?.update(v) }])
        tokens = TokenSource(client: authd)
        tokenBox.value = tokens
        let state = backendState
        let key = backendKeyBytes
        let clientBox = Locked<ReconnectingClient?>(nil)
        supervisord = ReconnectingClient(
            path: paths.socket(.supervisord), role: IPCRole.edged, target: "supervisord",
            subscriptions: [.init(op: .backendSubscribe, args: SubscribeArgs(acks: true).json) { info in
                let report = BackendReport(info)
                state.value = report
                if let k = report?.apiKey { key.value = Array(k.utf8) }
                gate.apply(report)
                // Applied: supervisord may now let the backend go of its port (Supervisor.fence).
                if let seq = report?.seq { clientBox.value?.post(.backendSeen, BackendSeen(seq: seq).json) }
            }])
        clientBox.value = supervisord
    }

    func start() {
        authd.start()
        // Unsupervised, edged neither takes supervisord's word nor its key.
        if gate.supervised { supervisord.start() }
    }

    func stop() {
        authd.stop()
        supervisord.stop()
    }

    /// supervisord's latest report (nil: none yet).
    var backend: BackendReport? { backendState.value }

    /// The backend state without its key: for /healthz and `status`, which anyone may read.
    var backendPublic: JSONValue { backendState.value?.withoutKey.json ?? .null }
    var backendKey: [UInt8]? { backendKeyBytes.value }

    /// Waits (up to `timeout`) for supervisord's first backend info, if its
    /// socket exists or appears within half a second; standalone edged does not wait.
    func awaitBackendInfo(socket: String, timeout: Double) {
        guard gate.supervised else { return }
        let start = Monotonic.seconds()
        while !Files.exists(socket) {
            if Monotonic.seconds() - start > 0.5 { return }
            sleepSeconds(0.02)
        }
        while backendState.value == nil && Monotonic.seconds() - start < timeout { sleepSeconds(0.01) }
        if backendState.value == nil { Log.warning("edged: supervisord has not reported the backend yet; serving anyway") }
    }

    static func describe(_ s: ReconnectingClient.Status) -> JSONValue {
        var o: JSONObject = ["connected": .bool(s.connected), "connects": .int(s.connects)]
        o["peerPid"] = s.peerPID.map { .int(Int($0)) } ?? .null
        o["lastError"] = s.lastError.map { .string($0) } ?? .null
        return .object(o)
    }

    /// What edged is still waiting for, in words.
    var waitingFor: String? {
        var missing: [String] = []
        if !authd.status.connected { missing.append("authd") }
        if gate.supervised && !supervisord.status.connected { missing.append("supervisord") }
        return missing.isEmpty ? nil : "IPC connection to \(missing.joined(separator: " and "))"
    }
}
