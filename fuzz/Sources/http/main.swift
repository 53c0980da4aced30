// Fuzzes the HTTP/1.1 request parser, the chunked decoder, the request plan
// and the forward-head writer: everything edged does to a request before a
// byte goes to the backend. Invariants: no crash; ranges stay inside the
// buffer; the forwarded head parses again to the same method and the planned
// target, carries no hop-by-hop header, exactly one Host and (when planned) one
// Content-Length equal to the forwarded body's length, and with a backend key
// no client credential survives.
import EdgeCore
import FuzzSupport
import Shared

/// Settings that let every rule fire on some input: an alias, fast mode, betas.
let settings: PlanSettings = {
    var rewrites = RewriteSettings()
    rewrites.modelAliases = [(Array("a".utf8), Array("claude-sonnet-4-6".utf8))]
    rewrites.fastModeModels = [Array("gpt-5".utf8)]
    rewrites.visibleThinkingBetas = ["interleaved-thinking-2025-05-14"]
    rewrites.stripBetaPrefixes = ["context-"]
    return PlanSettings(rewrites: rewrites, clientKeys: ClientKeyCheck(digests: []),
                        isFactoryRequest: { _, model in model.count == 7 && model.first == UInt8(ascii: "F") })
}()
let backendKey = Array("BACKEND-KEY".utf8)

runFuzzer { buf in
    switch RequestParser.parse(buf, maxBody: 1 << 20) {
    case .incomplete, .failed:
        break
    case .complete(let head):
        fuzzCheck(head.headLength <= buf.count, "head longer than the input")
        for h in head.headers {
            fuzzCheck(h.name.end <= head.headLength && h.value.end <= head.headLength && h.value.start >= h.name.end, "header range out of place")
            fuzzCheck(h.kind == HeaderKind.of(buf, h.name), "header kind differs from a fresh classification")
        }
        // The body as edged would have it: Content-Length bytes, or decoded chunks.
        var decoded: [UInt8] = []
        let rest = UnsafeRawBufferPointer(rebasing: buf[head.headLength...])
        switch head.framing {
        case .none: break
        case .length(let n): decoded = Array(rest.prefix(n))
        case .chunked:
            var decoder = ChunkedDecoder(maxBody: 1 << 20)
            if let used = try? decoder.decode(rest, into: &decoded) { fuzzCheck(used <= rest.count, "decoder used more than it got") }
        }
        // Forwarding adds Host/Content-Length/credentials/Anthropic-Beta: a head already at the limits may not parse again.
        guard head.headers.count < RequestParser.maxHeaderCount - 4, head.headLength < RequestParser.maxHeadBytes - 1024 else { break }
        // Admission reads only the head: any head must get an answer, never a crash.
        _ = RequestPlanner.admit(buf, head, settings, peerIsLoopback: buf.count % 3 == 0)
        let withKey = buf.count % 2 == 0
        let plan = decoded.withUnsafeBytes { RequestPlanner.plan(buf, head, body: $0, settings, hasBackendKey: withKey) }
        guard plan.route == .backend else { break }
        let forwardedBody = plan.rewrite.body ?? decoded
        if let n = plan.bodyLength { fuzzCheck(n == forwardedBody.count, "planned Content-Length \(n) but the body has \(forwardedBody.count)") }
        var out: [UInt8] = []
        ForwardHeadWriter.write(buf, head, plan, host: Array("127.0.0.1:8317".utf8), backendKey: withKey ? backendKey : nil, into: &out)
        out.withUnsafeBytes { o in
            guard case .complete(let again) = RequestParser.parse(o, maxBody: 1 << 21) else {
                return fuzzCheck(false, "forwarded head does not parse: \(String(decoding: o, as: UTF8.self))")
            }
            fuzzCheck(again.headLength == o.count, "forwarded head has bytes after its end")
            fuzzCheck(o.string(again.method) == buf.string(head.method), "method changed")
            let target = plan.rewrite.target.map { String(decoding: $0, as: UTF8.self) } ?? buf.string(head.target)
            fuzzCheck(o.string(again.target) == target, "target is not the planned one")
            var hosts = 0, lengths = 0
            for h in again.headers {
                switch h.kind {
                case .host: hosts += 1
                case .contentLength:
                    lengths += 1
                    fuzzCheck(o.string(h.value) == String(plan.bodyLength ?? -1), "Content-Length is not the planned one")
                case .transferEncoding, .connection, .keepAlive, .te, .trailer, .upgrade, .proxyConnection, .expect:
                    fuzzCheck(false, "hop-by-hop header forwarded: \(o.string(h.name))")
                case .authorization, .apiKey, .googApiKey:
                    if withKey {
                        let v = o.string(h.value)
                        fuzzCheck(v == "BACKEND-KEY" || v == "Bearer BACKEND-KEY", "a client credential reached the backend")
                    }
                default: break
                }
            }
            fuzzCheck(hosts == 1, "\(hosts) Host headers forwarded")
            fuzzCheck(lengths == (plan.bodyLength == nil ? 0 : 1), "\(lengths) Content-Length headers forwarded")
        }
    }
}
