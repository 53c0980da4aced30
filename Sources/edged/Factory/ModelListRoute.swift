import Dispatch
import EdgeCore
import Shared

/// `GET /v1/models` when Factory models are configured: Factory's models plus
/// the backend's own list, in the shape the caller asked for
/// (`ModelListMerge`). The backend is asked — off the loop, a blocking
/// loopback call of 5 s at most — with the caller's query string,
/// `Anthropic-Version` and `User-Agent`, and only once `BackendGate` has
/// verified who listens on its port (the backend key goes with the call).
/// When the backend's list cannot be had, Factory's models alone are
/// answered, and the reply (`X-Droidgate-Warning`) and the log say so.
final class ModelListRoute: RequestRoute {
    var label: Route { .models }
    private var aborted = false

    /// Starts the fetch for the request `connection` is answering.
    init(for connection: ClientConnection) {
        let c = connection
        let context = c.context
        let loop = c.loop
        let me = LoopBound(object: self)
        let client = LoopBound(object: c)
        let factory = context.factoryModels.all.map { ModelListMerge.Factory(id: $0.id, provider: $0.provider) }
        let port = context.config.backend.port
        let key = context.peers.backendKey.map { String(decoding: $0, as: UTF8.self) }
        let buf = c.inBuf.readable
        let target = buf.string(c.head.target)
        let forwarded: [(String, String)] = c.head.headers.compactMap { h in
            ModelListMerge.forwardedHeaders.contains(buf.string(h.name).lowercased()) ? (buf.string(h.name), buf.string(h.value)) : nil
        }
        let anthropicCaller = forwarded.contains { $0.0.lowercased() == "anthropic-version" }
        let gate = context.peers.gate
        let ticket = gate.admit()
        let created = Int(WallClock.now())
        DispatchQueue.global().async {
            let headers = (key.map { [("Authorization", "Bearer " + $0)] } ?? []) + forwarded
            var backend: [UInt8]? = nil
            var problem: String? = nil
            if let ticket, gate.confirm(ticket) {
                switch LoopbackHTTP.get(port: port, path: target, headers: headers, timeout: 5, beforeSending: { gate.confirm(ticket) }) {
                case .response(200, let body): backend = body
                case .response(let status, _): problem = "the backend answered \(status)"
                default: problem = "the backend did not answer"
                }
            } else {
                problem = "the backend is not ready"
            }
            if let problem { Log.warning("edged: GET /v1/models: \(problem); answering with the Factory models only") }
            let extra = problem.map { "X-Droidgate-Warning: backend model list unavailable (\($0)); Factory models only\r\n" } ?? ""
            let body: [UInt8]
            switch ModelListMerge.merge(factory: factory, backend: backend, anthropicCaller: anthropicCaller, created: created) {
            case .merged(let v): body = v.serialized()
            case .relayed(let b): body = b
            }
            loop.execute {
                guard let route = me.object, !route.aborted, let c = client.object, c.state != .closed else { return }
                c.answer(status: 200, contentType: "application/json", body: body, route: .models, extraHeaders: extra)
            }
        }
    }

    /// The backend call has its own 5 s limit.
    func tick(now: UInt64) {}
    func abort() { aborted = true }
}

extension ClientConnection {
    /// The merged model list (see `ModelListRoute`): the client is not read meanwhile.
    func serveModelList() {
        exchange.route = .models
        state = .forwarding
        setInterestForWaiting()
        activeRoute = ModelListRoute(for: self)
    }
}
