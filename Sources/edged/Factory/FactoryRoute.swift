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
                                     id: "chatcmpl-" + server.ids.hex(12), clientKeyWithheld: clientKeyWithheld,
                                     userAgent: context.factoryUserAgent.value)
        guard let curl = server.curl else {
            return fail(502, type: "bad_gateway", message: "edged cannot make HTTPS calls: libcurl did not start (see edged's log)")
        }
        beginFactory(FactoryExchange(request: request, context: context, curl: curl, ids: server.ids, responder: self))
    }

    // MARK: FactoryResponder

    func factoryComplete(status: Int, contentType: String, body: [UInt8], upstreamLatency: Double?) {
        responseBegan(status: status, upstreamLatency: upstreamLatency)
        sink.complete(status: status, contentType: contentType, body: body, close: closesAfterResponse)
        responseFinished(closeAfter: clientIsHTTP10)
    }

    func factoryBegin(status: Int, contentType: String, contentLength: Int?, upstreamLatency: Double) {
        responseBegan(status: status, upstreamLatency: upstreamLatency)
        sink.begin(status: status, contentType: contentType, clientIsHTTP10: clientIsHTTP10, closeAfter: closesAfterResponse,
                   contentLength: contentLength)
    }

    func factoryChunk(_ bytes: UnsafeRawBufferPointer) -> Bool {
        sink.body(bytes)
    }

    func factoryEnd(complete: Bool) {
        if sink.end(complete: complete) {
            responseFinished(closeAfter: false)
        } else {
            // Cut off, or close-delimited (HTTP/1.0): the close ends it.
            activeRoute = nil
            abortResponse(note: complete ? nil : "aborted")
        }
    }
}
