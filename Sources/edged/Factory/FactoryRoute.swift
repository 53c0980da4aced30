import EdgeCore
import Foundation
import Shared
import Translate

extension ClientConnection: FactoryResponder {
    /// A request the planner routed to Factory (its model is a configured
    /// Factory model): answers the wrong-endpoint case, else starts the exchange.
    func routeToFactory() {
        let buf = inBuf.readable
        let pathString = buf.string(head.path(in: buf))
        let name = withOriginalBody { body in plan.modelRange.map { body.string($0) } ?? "" }
        guard let endpoint = ClientEndpoint(path: pathString), let model = context.factoryModels.lookup(name) else {
            // The planner checked both (EdgeContext.planSettings): unreachable unless they disagree.
            return fail(500, type: "internal_error", message: "edged routed \(pathString) to Factory but has no Factory model \(name) there")
        }
        if let native = endpoint.nativeType, native != model.type {
            answer(status: 400, contentType: "application/json",
                   body: LocalReply.errorBody(type: "invalid_request_error",
                                              message: "model \(name) is a Factory \(model.type.rawValue) model: send it to \(ClientEndpoint.endpoint(for: model.type)) or /v1/chat/completions, not \(pathString)"),
                   route: .factory)
            return
        }
        let (headers, clientKeyWithheld) = FactoryHeaders.forwarded(buf, head, clientKeys: context.planSettings.clientKeys)
        let request = FactoryRequest(endpoint: endpoint, model: model, body: withOriginalBody { Array($0) }, headers: headers,
                                     factory: context.config.factory, created: Int(WallClock.now()),
                                     id: "chatcmpl-" + ((try? Random.hex(12)) ?? "droidgate"), clientKeyWithheld: clientKeyWithheld,
                                     userAgent: context.factoryUserAgent.value)
        guard let curl = server.curl else {
            return fail(502, type: "bad_gateway", message: "edged cannot make HTTPS calls: libcurl did not start (see edged's log)")
        }
        beginFactory(FactoryExchange(request: request, context: context, curl: curl, responder: self))
    }

    // MARK: FactoryResponder

    func factoryComplete(status: Int, contentType: String, body: [UInt8], upstreamLatency: Double?) {
        responseBegan(status: status, upstreamLatency: upstreamLatency)
        sink.complete(status: status, contentType: contentType, body: body, close: closesAfterResponse)
        responseFinished(closeAfter: clientIsHTTP10)
    }

    func factoryBegin(status: Int, contentType: String, upstreamLatency: Double) {
        responseBegan(status: status, upstreamLatency: upstreamLatency)
        sink.begin(status: status, contentType: contentType, clientIsHTTP10: clientIsHTTP10, closeAfter: closesAfterResponse)
    }

    func factoryChunk(_ bytes: UnsafeRawBufferPointer) -> Bool {
        sink.body(bytes)
    }

    func factoryEnd(complete: Bool) {
        if sink.end(complete: complete) {
            responseFinished(closeAfter: false)
        } else {
            // Cut off, or close-delimited (HTTP/1.0): the close ends it.
            factoryExchange = nil
            abortResponse(note: complete ? nil : "aborted")
        }
    }

    // MARK: /v1/models

    /// Factory's configured models plus the backend's own list (fetched off
    /// the loop), in the shape the caller asked for (`ModelListMerge`): the
    /// backend is asked with the caller's query string, `Anthropic-Version` and
    /// `User-Agent`. When the backend's list cannot be had, Factory's models
    /// alone are answered, and the reply and the log say so.
    func serveModelList() {
        let loop = self.loop
        let me = LoopBound(object: self)
        let factory = context.factoryModels.all.map { ModelListMerge.Factory(id: $0.id, provider: $0.provider) }
        let port = context.config.backend.port
        let key = context.peers.backendKey.map { String(decoding: $0, as: UTF8.self) }
        let buf = inBuf.readable
        let target = buf.string(head.target)
        let forwarded: [(String, String)] = head.headers.compactMap { h in
            ModelListMerge.forwardedHeaders.contains(buf.string(h.name).lowercased()) ? (buf.string(h.name), buf.string(h.value)) : nil
        }
        let anthropicCaller = forwarded.contains { $0.0.lowercased() == "anthropic-version" }
        // The backend's list only from the verified backend (BackendGate): the key goes with it.
        let gate = context.peers.gate
        let ticket = gate.admit()
        let created = Int(WallClock.now())
        state = .forwarding
        setInterestForWaiting()
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
                guard let c = me.object, c.state != .closed else { return }
                c.answer(status: 200, contentType: "application/json", body: body, route: .factory, extraHeaders: extra)
            }
        }
    }
}
