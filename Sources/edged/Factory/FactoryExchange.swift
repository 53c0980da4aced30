import EdgeCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Shared
import Translate

/// Where an exchange delivers the client's response (always called on the client's loop).
protocol FactoryResponder: AnyObject {
    /// A complete response with a known body.
    func factoryComplete(status: Int, contentType: String, body: [UInt8], upstreamLatency: Double?)
    /// The start of a streamed response (chunked to the client).
    func factoryBegin(status: Int, contentType: String, upstreamLatency: Double)
    func factoryChunk(_ bytes: [UInt8])
    /// `complete` false: the upstream failed mid-stream; the client must see the response cut off.
    func factoryEnd(complete: Bool)
}

/// One client request on the Factory route: resolves the credential (authd's
/// token, or the client's own on tier 3), sends the request over HTTPS,
/// retries once after a refresh on 401, and turns the reply into what the
/// client asked for (passed through, or translated to chat completions).
/// Runs on URLSession's queue; results are posted to the client's loop.
final class FactoryExchange: @unchecked Sendable {
    // @unchecked: mutable state is touched only on the session's serial delegate
    // queue (after `start`, which runs before the task exists).

    struct Plan: Sendable {
        let url: URL
        let body: [UInt8]
        let headers: [(String, String)]
        /// Client's own credential for tier 3 ("Bearer …"), if it sent one.
        let clientAuthorization: String?
        /// The client's credential was a droidgate client key, withheld from Factory.
        let clientKeyWithheld: Bool
        let translation: Translation
        let context: TranslationContext
    }

    enum Translation: Sendable {
        case none                       // pass through (same format both sides)
        case anthropic(stream: Bool)
        case responses(stream: Bool)
        case google(stream: Bool)
    }

    private let request: FactoryRequest
    private var plan: Plan!
    private let tokens: TokenSource
    private let session: FactorySession
    private let deliver: @Sendable (@escaping @Sendable (FactoryResponder) -> Void) -> Void
    private var task: URLSessionDataTask?
    private var status = 0
    private var contentType = "application/json"
    private var errorBody: [UInt8] = []
    private var collected: [UInt8] = []
    private var sse = SSEParser()
    private var translator: (any ChatStreamTranslator)?
    private var began = false
    private var retried = false
    private var usedAuthd = false
    /// The authd token sent, so that a 401 names which one Factory refused.
    private var usedToken: String?
    private var cancelled = false
    private let startedAt = Monotonic.seconds()

    init(request: FactoryRequest, tokens: TokenSource, session: FactorySession,
         deliver: @escaping @Sendable (@escaping @Sendable (FactoryResponder) -> Void) -> Void) {
        self.request = request
        self.tokens = tokens
        self.session = session
        self.deliver = deliver
    }

    /// Plans and starts on a background queue: translation and the credential
    /// (an IPC round trip at worst) stay off the event loops.
    func start() {
        DispatchQueue.global().async { [self] in
            switch FactoryPlanner.plan(request) {
            case .failure(let e): fail(e.status, e.type, e.message)
            case .success(let p):
                plan = p
                send(credential: tokens.current())
            }
        }
    }

    func cancel() {
        session.session.delegateQueue.addOperation { [self] in
            cancelled = true
            task?.cancel()
        }
    }

    private func send(credential: TokenSource.Credential) {
        var authorization: String
        switch credential {
        case .token(let t):
            authorization = "Bearer " + t
            usedAuthd = true
            usedToken = t
        case .passthrough:
            guard let own = plan.clientAuthorization else {
                let withheld = plan.clientKeyWithheld
                    ? " (the key this request sent is a droidgate client key from clients.apiKeys, which is never sent to Factory)" : ""
                return fail(401, "authentication_error",
                            "no Factory credentials are configured\(withheld): set FACTORY_API_KEY for authd, run `droidgate login`, or send your own Factory key as \"Authorization: Bearer …\"")
            }
            authorization = own
            usedAuthd = false
        case .unavailable(let status, let message):
            return fail(status, status == 401 ? "authentication_error" : "service_unavailable", message)
        }
        var request = URLRequest(url: plan.url)
        request.httpMethod = "POST"
        request.httpBody = Data(plan.body)
        for (k, v) in plan.headers { request.setValue(v, forHTTPHeaderField: k) }
        request.setValue(authorization, forHTTPHeaderField: "authorization")
        let ready = request
        session.session.delegateQueue.addOperation { [self] in
            if cancelled { return }
            reset()
            task = session.start(ready, for: self)
        }
    }

    private func reset() {
        status = 0
        errorBody.removeAll()
        collected.removeAll()
        sse = SSEParser()
        translator = nil
    }

    private func fail(_ status: Int, _ type: String, _ message: String) {
        let body = JSONValue.object(["error": ["type": .string(type), "message": .string(message)]]).serialized()
        deliver { $0.factoryComplete(status: status, contentType: "application/json", body: body, upstreamLatency: nil) }
    }

    // MARK: Delegate callbacks (session queue)

    func received(response: HTTPURLResponse?) {
        status = response?.statusCode ?? 502
        contentType = response?.value(forHTTPHeaderField: "Content-Type") ?? "application/json"
        guard (200..<300).contains(status) else { return }
        let latency = Monotonic.seconds() - startedAt
        switch plan.translation {
        case .none:
            began = true
            let ct = contentType, st = status
            deliver { $0.factoryBegin(status: st, contentType: ct, upstreamLatency: latency) }
        case .anthropic(true), .responses(true), .google(true):
            translator = makeTranslator()
            began = true
            deliver { $0.factoryBegin(status: 200, contentType: "text/event-stream", upstreamLatency: latency) }
        default:
            break   // non-streamed translation: collect, translate at the end
        }
    }

    func received(data: Data) {
        guard (200..<300).contains(status) else {
            if errorBody.count < 1 << 20 { errorBody.append(contentsOf: data) }
            return
        }
        switch plan.translation {
        case .none:
            let bytes = Array(data)
            deliver { $0.factoryChunk(bytes) }
        case .anthropic(true), .responses(true), .google(true):
            var out: [UInt8] = []
            let events = data.withUnsafeBytes { sse.feed($0) }
            for e in events { out += translator!.feed(e) }
            let bytes = out
            if !bytes.isEmpty { deliver { $0.factoryChunk(bytes) } }
        default:
            collected.append(contentsOf: data)
        }
    }

    func completed(error: Error?) {
        if cancelled { return }
        if status == 401 && usedAuthd && !retried {
            // One reactive refresh and retry.
            retried = true
            Log.info("edged: Factory answered 401; asking authd for a fresh token and retrying once")
            let rejected = usedToken
            DispatchQueue.global().async { [self] in send(credential: tokens.refreshAfter401(rejected: rejected)) }
            return
        }
        if let error, !began {
            let why = (error as? URLError)?.code == .timedOut ? "no answer within \(Int(session.session.configuration.timeoutIntervalForRequest)) s" : error.localizedDescription
            return fail(502, "bad_gateway", "Factory (\(plan.url.host ?? "?")) failed: \(why)\(OutboundProxyEnvironment.viaProxiesNote)")
        }
        if (300..<400).contains(status) {
            return fail(502, "bad_gateway",
                        "Factory (\(plan.url.host ?? "?")) answered \(status), a redirect; edged never follows redirects (one would carry the Factory credential elsewhere): check factory.baseURL")
        }
        guard (200..<300).contains(status) else {
            let body = FactoryError.body(status: status, upstream: errorBody)
            let s = status
            deliver { $0.factoryComplete(status: s, contentType: "application/json", body: body, upstreamLatency: nil) }
            return
        }
        let complete = error == nil
        switch plan.translation {
        case .none:
            deliver { $0.factoryEnd(complete: complete) }
        case .anthropic(true), .responses(true), .google(true):
            var out = sse.finish().flatMap { translator!.feed($0) }
            out += translator!.finish(complete: complete)
            let bytes = out
            // A stream that stopped early or reported an error is cut, even if Factory closed cleanly.
            let whole = complete && translator!.finished
            deliver {
                if !bytes.isEmpty { $0.factoryChunk(bytes) }
                $0.factoryEnd(complete: whole)
            }
        case .anthropic(false), .responses(false), .google(false):
            let parsed: JSONValue?
            if case .google = plan.translation, (try? JSONValue(parsing: collected)) == nil {
                parsed = GoogleStreamMerge.merge(collected)
            } else {
                parsed = try? JSONValue(parsing: collected)
            }
            guard complete, let native = parsed else {
                return fail(502, "bad_gateway", "Factory's reply was cut off or is not JSON")
            }
            let chat: JSONValue
            switch plan.translation {
            case .anthropic: chat = ChatResponse.fromAnthropic(native, plan.context)
            case .responses: chat = ChatResponse.fromResponses(native, plan.context)
            default: chat = ChatResponse.fromGoogle(native, plan.context)
            }
            let body = chat.serialized()
            let latency = Monotonic.seconds() - startedAt
            deliver { $0.factoryComplete(status: 200, contentType: "application/json", body: body, upstreamLatency: latency) }
        }
    }

    private func makeTranslator() -> any ChatStreamTranslator {
        switch plan.translation {
        case .anthropic: AnthropicToChatStream(plan.context)
        case .responses: ResponsesToChatStream(plan.context)
        default: GoogleToChatStream(plan.context)
        }
    }
}
