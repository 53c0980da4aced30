import EdgeCore
import Foundation
import Shared
import Translate

/// A weak reference to a loop-owned object, carried across threads only to
/// be dereferenced back on that loop (inside `loop.execute`).
struct LoopBound<T: AnyObject>: @unchecked Sendable {
    weak var object: T?
}

extension ClientConnection: FactoryResponder {
    /// Routes the request to Factory when its model is a configured Factory
    /// model; answers the wrong-endpoint case. False: not ours (backend route).
    func routeToFactory(_ buf: UnsafeRawBufferPointer, path: ByteRange, scan: RoutingScan?) -> Bool {
        let pathString = buf.string(path)
        if buf.equals(head.method, "GET") && pathString == "/v1/models" {
            serveModelList()
            return true
        }
        guard buf.equals(head.method, "POST"), let endpoint = ClientEndpoint(path: pathString),
              let modelRange = scan?.modelContents else { return false }
        let name = withBody { String(decoding: UnsafeRawBufferPointer(rebasing: $0[modelRange.start..<modelRange.end]), as: UTF8.self) }
        guard let model = context.factoryModels.lookup(name) else { return false }
        if let native = endpoint.nativeType, native != model.type {
            answer(status: 400, contentType: "application/json",
                   body: Responses.errorBody(type: "invalid_request_error",
                                             message: "model \(name) is a Factory \(model.type.rawValue) model: send it to \(ClientEndpoint.endpoint(for: model.type)) or /v1/chat/completions, not \(pathString)"),
                   route: .factory)
            return true
        }
        var headers: [(String, String)] = []
        for h in head.headers {
            let n = buf.string(h.name).lowercased()
            if ["authorization", "x-api-key", "anthropic-version", "anthropic-beta", "x-session-id", "x-assistant-message-id"].contains(n) {
                headers.append((n, buf.string(h.value)))
            }
        }
        let request = FactoryRequest(endpoint: endpoint, model: model, body: withBody { Array($0) }, headers: headers,
                                     factory: context.config.factory, created: Int(WallClock.now()),
                                     id: "chatcmpl-" + ((try? Random.hex(12)) ?? "droidgate"))
        let loop = self.loop
        let me = LoopBound(object: self)
        let exchange = FactoryExchange(request: request, tokens: context.peers.tokens, session: context.factorySession) { body in
            loop.execute {
                guard let c = me.object, c.state != .closed else { return }
                body(c)
            }
        }
        beginFactory(exchange, model: name)
        return true
    }

    // MARK: FactoryResponder

    func factoryComplete(status: Int, contentType: String, body: [UInt8], upstreamLatency: Double?) {
        setResponseStatus(status)
        recordUpstreamLatency(upstreamLatency)
        sendFactory(Responses.make(status: status, contentType: contentType, body: body, close: clientIsHTTP10 || closesAfterResponse))
        finishFactory(complete: true)
    }

    func factoryBegin(status: Int, contentType: String, upstreamLatency: Double) {
        setResponseStatus(status)
        recordUpstreamLatency(upstreamLatency)
        factoryChunked = !clientIsHTTP10
        var head = "HTTP/1.1 \(status) \(Responses.reason(status))\r\nContent-Type: \(contentType)\r\nCache-Control: no-cache\r\n"
        head += factoryChunked ? "Transfer-Encoding: chunked\r\n" + (closesAfterResponse ? "Connection: close\r\n" : "") + "\r\n"
            : "Connection: close\r\n\r\n"
        sendFactory(Array(head.utf8))
    }

    func factoryChunk(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        if factoryChunked {
            sendFactory(Array((String(bytes.count, radix: 16) + "\r\n").utf8) + bytes + [0x0d, 0x0a])
        } else {
            sendFactory(bytes)
        }
    }

    func factoryEnd(complete: Bool) {
        if complete && factoryChunked { sendFactory(Array("0\r\n\r\n".utf8)) }
        finishFactory(complete: complete && factoryChunked)
    }

    // MARK: /v1/models

    /// Factory's configured models plus the backend's own list (fetched off the loop).
    func serveModelList() {
        let loop = self.loop
        let me = LoopBound(object: self)
        let factory = context.factoryModels.all
        let port = context.config.backend.port
        let key = context.peers.backendKey.map { String(decoding: $0, as: UTF8.self) }
        let created = Int(WallClock.now())
        state = .forwarding
        setInterestForWaiting()
        DispatchQueue.global().async {
            var data: [JSONValue] = factory.map {
                ["id": .string($0.id), "object": "model", "created": .int(created), "owned_by": .string($0.provider)]
            }
            let ids = Set(factory.map(\.id))
            let headers = key.map { [("Authorization", "Bearer " + $0)] } ?? []
            if case .response(200, let body) = LoopbackHTTP.get(port: port, path: "/v1/models", headers: headers, timeout: 5),
               let backend = try? JSONValue(parsing: body), let list = backend["data"]?.arrayValue {
                data += list.filter { !ids.contains($0["id"]?.stringValue ?? "") }
            }
            let body = JSONValue.object(["object": "list", "data": .array(data)]).serialized()
            loop.execute {
                guard let c = me.object, c.state != .closed else { return }
                c.answer(status: 200, contentType: "application/json", body: body, route: .factory)
            }
        }
    }
}
