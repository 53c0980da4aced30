import CCurl
import EdgeCore
import Foundation
import Outbound
import Shared
import Translate

/// Where an exchange delivers the client's response (on the client's loop).
protocol FactoryResponder: AnyObject {
    /// A complete response with a known body.
    func factoryComplete(status: Int, contentType: String, body: [UInt8], upstreamLatency: Double?)
    /// The start of a streamed response (chunked to the client).
    /// `contentLength`: the body's length when Factory said (a pass-through reply), else nil (chunked).
    func factoryBegin(status: Int, contentType: String, contentLength: Int?, upstreamLatency: Double)
    /// Body bytes; false: the client is slow, the exchange is paused (`ResponseProducer`).
    func factoryChunk(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// `complete` false: the upstream failed mid-stream; the client must see the response cut off.
    func factoryEnd(complete: Bool)
}

/// One client request on the Factory route, on the client's own event loop:
/// plans it (pure), resolves the credential (authd's token, or the client's own
/// on tier 3), sends it over HTTPS through the loop's `CurlLoop`, retries once
/// after a refresh on 401, and turns the reply into what the client asked for
/// (passed through, or translated to chat completions) as its bytes arrive.
///
/// The same discipline as the backend route: the response goes to the client
/// with backpressure (a full client pauses the transfer, a drained one resumes
/// it), and every buffer Factory fills has a bound (the head, an event-stream
/// line and event, a body collected for translation); past one, the client
/// gets a 502 naming it and the operator one log line.
final class FactoryExchange: CurlTransfer, CurlReceiver {
    struct Plan: Sendable {
        let url: String
        /// The URL's host (and port), for routing and messages.
        let host: String
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

        var streamed: Bool {
            switch self {
            case .anthropic(let s), .responses(let s), .google(let s): s
            case .none: false
            }
        }
    }

    /// What a body collected for translation may hold (a non-streamed reply:
    /// a model's whole answer, well under a MiB even at its token limit).
    static let maxCollectedBytes = 16 << 20
    /// What an error answer's body is kept to (it is summarised for the client).
    static let maxErrorBytes = 1 << 20

    private let request: FactoryRequest
    private let context: EdgeContext
    // unowned(unsafe): never freed while the process runs (see EdgeServer.loops).
    private unowned(unsafe) let curl: CurlLoop
    private unowned(unsafe) let ids: RandomPool
    /// Weak: the connection owns this exchange; once it is gone, nothing is delivered.
    private weak var responder: FactoryResponder?
    private var plan: Plan!
    private var head = UpstreamResponseHead()
    private var errorBody: [UInt8] = []
    private var collected: [UInt8] = []
    private var sse = SSEParser()
    private var translator: (any ChatStreamTranslator)?
    private var out: [UInt8] = []
    private var began = false
    private var retried = false
    private var usedAuthd = false
    /// The authd token sent, so that a 401 names which one Factory refused.
    private var usedToken: String?
    private var cancelled = false
    private var inFlight = false
    private var paused = false
    /// Why the response was refused (a bound or a malformed head), once known.
    private var refusal: String? = nil
    private let startedAt = Monotonic.seconds()
    /// Seconds to Factory's response head, for the client's head sent later.
    private var upstreamLatency = 0.0

    init(request: FactoryRequest, context: EdgeContext, curl: CurlLoop, ids: RandomPool, responder: FactoryResponder) {
        self.request = request
        self.context = context
        self.curl = curl
        self.ids = ids
        self.responder = responder
    }

    /// Plans (on the loop: pure and fast) and sends once the credential is known;
    /// only a credential that needs authd is looked up off the loop.
    func start() {
        switch FactoryPlanner.plan(request, ids: ids) {
        case .failure(let e): return fail(e.status, e.type, e.message)
        case .success(let p): plan = p
        }
        if let cached = context.peers.tokens.cachedCredential() { return send(credential: cached) }
        lookUpCredential { $0.current() }
    }

    /// Runs `lookup` on the credential worker and comes back to this loop with the answer.
    private func lookUpCredential(_ lookup: @escaping @Sendable (TokenSource) -> TokenSource.Credential) {
        let tokens = context.peers.tokens
        let me = LoopBound(object: self)
        let loop = curl.loop
        context.credentialQueue.async {
            let credential = lookup(tokens)
            loop.execute {
                guard let e = me.object, !e.cancelled else { return }
                e.send(credential: credential)
            }
        }
    }

    func cancel() {
        cancelled = true
        if inFlight {
            inFlight = false
            curl.cancel(self)
        }
    }

    private func send(credential: TokenSource.Credential) {
        let authorization: String
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
        let timeout = context.config.factory.timeoutSeconds
        let outbound = context.outbound.request(method: "POST", url: plan.url, host: plan.host,
                                                headers: plan.headers + [("authorization", authorization)], body: plan.body,
                                                connectTimeout: min(10, timeout), idleTimeout: timeout)
        let easy: CurlEasy
        do { easy = try curl.easy(for: outbound) } catch {
            return fail(502, "bad_gateway", "Factory could not be called: \(error.message)")
        }
        reset()
        easy.deliver(to: self)
        inFlight = true
        curl.add(self, easy: easy)
    }

    private func reset() {
        head = UpstreamResponseHead()
        errorBody.removeAll()
        collected.removeAll()
        sse = SSEParser()
        translator = nil
        refusal = nil
        paused = false
    }

    private func fail(_ status: Int, _ type: String, _ message: String) {
        guard !cancelled else { return }
        let body = JSONValue.object(["error": ["type": .string(type), "message": .string(message)]]).serialized()
        responder?.factoryComplete(status: status, contentType: "application/json", body: body, upstreamLatency: nil)
    }

    private var host: String { plan.host }

    // MARK: CurlReceiver (on the loop, inside libcurl's calls)

    func curlHeaderLine(_ line: UnsafeRawBufferPointer) -> Bool {
        // After the final head only trailers come: nothing edged uses.
        guard !head.complete else { return true }
        do { try head.feed(line) } catch {
            refusal = "Factory (\(host)) sent a response head edged refuses: \(error.message)"
            return false
        }
        if head.complete && (200..<300).contains(head.status) { beginResponse() }
        return true
    }

    private func beginResponse() {
        guard !cancelled else { return }
        let latency = Monotonic.seconds() - startedAt
        switch plan.translation {
        case .none:
            began = true
            responder?.factoryBegin(status: head.status, contentType: head.contentType ?? "application/json",
                                    contentLength: head.contentLength, upstreamLatency: latency)
        case .anthropic(true), .responses(true), .google(true):
            // The client's head waits for the first translated bytes: a stream whose
            // first event never ends (past the bounds) is then still a clean 502.
            translator = makeTranslator()
            upstreamLatency = latency
        default:
            break   // non-streamed translation: collect, translate at the end
        }
    }

    func curlBody(_ bytes: UnsafeRawBufferPointer) -> CurlBodyVerdict {
        if cancelled { return .abort }
        guard (200..<300).contains(head.status) else {
            // An error answer: summarised for the client at the end, kept to a bound.
            let room = Self.maxErrorBytes - errorBody.count
            if room > 0 { errorBody.append(contentsOf: bytes.prefix(room)) }
            return .taken
        }
        if paused { return .pause }
        switch plan.translation {
        case .none:
            if responder?.factoryChunk(bytes) == false { paused = true }
        case .anthropic(true), .responses(true), .google(true):
            let events = sse.feed(bytes)
            if let overflow = sse.overflow {
                refusal = "Factory (\(host)) sent \(overflow)"
                return .abort
            }
            out.removeAll(keepingCapacity: true)
            for e in events { out += translator!.feed(e) }
            if !out.isEmpty && !sendTranslated() { paused = true }
        default:
            guard collected.count + bytes.count <= Self.maxCollectedBytes else {
                refusal = "Factory (\(host)) sent a reply larger than \(Self.maxCollectedBytes >> 20) MiB to translate"
                return .abort
            }
            collected.append(contentsOf: bytes)
        }
        return cancelled ? .abort : .taken
    }

    // MARK: The end (on the loop)

    func curlFinished(failure: OutboundError?) {
        inFlight = false
        if cancelled { return }
        let status = head.status
        if status == 401 && usedAuthd && !retried && refusal == nil {
            // One reactive refresh and retry.
            retried = true
            Log.info("edged: Factory answered 401; asking authd for a fresh token and retrying once")
            let rejected = usedToken
            return lookUpCredential { $0.refreshAfter401(rejected: rejected) }
        }
        if let refusal {
            Log.warning("edged: \(refusal)")
            return began ? end(complete: false) : fail(502, "bad_gateway", refusal)
        }
        if let failure, !began {
            Log.warning("edged: Factory: \(failure.message)")
            return fail(502, "bad_gateway", "Factory: \(failure.message)")
        }
        if (300..<400).contains(status) {
            return fail(502, "bad_gateway",
                        "Factory (\(host)) answered \(status), a redirect; edged never follows redirects (one would carry the Factory credential elsewhere): check factory.baseURL")
        }
        guard (200..<300).contains(status) else {
            return responder?.factoryComplete(status: status, contentType: "application/json",
                                              body: FactoryError.body(status: status, upstream: errorBody), upstreamLatency: nil) ?? ()
        }
        let complete = failure == nil
        if let failure { Log.warning("edged: Factory response cut off: \(failure.message)") }
        switch plan.translation {
        case .none:
            end(complete: complete)
        case .anthropic(true), .responses(true), .google(true):
            out.removeAll(keepingCapacity: true)
            for e in sse.finish() { out += translator!.feed(e) }
            out += translator!.finish(complete: complete)
            // A stream that stopped early or reported an error is cut, even if Factory closed cleanly.
            let whole = complete && translator!.finished
            if translator!.skippedEvents > 0 {
                Log.warning("edged: Factory (\(host)) sent \(translator!.skippedEvents) event(s) whose data is not JSON in a \(request.model.id) stream; skipped")
            }
            if !out.isEmpty || !began { _ = sendTranslated() }
            end(complete: whole)
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
            responder?.factoryComplete(status: 200, contentType: "application/json", body: chat.serialized(),
                                       upstreamLatency: Monotonic.seconds() - startedAt)
        }
    }

    /// `out` to the client, its head first if this is the first of it; false: pause.
    private func sendTranslated() -> Bool {
        guard !cancelled, let responder else { return false }
        if !began {
            began = true
            responder.factoryBegin(status: 200, contentType: "text/event-stream", contentLength: nil, upstreamLatency: upstreamLatency)
        }
        guard !cancelled, !out.isEmpty else { return true }
        return out.withUnsafeBytes { responder.factoryChunk($0) }
    }

    private func end(complete: Bool) {
        guard !cancelled else { return }
        responder?.factoryEnd(complete: complete)
    }

    private func makeTranslator() -> any ChatStreamTranslator {
        switch plan.translation {
        case .anthropic: AnthropicToChatStream(plan.context)
        case .responses: ResponsesToChatStream(plan.context)
        default: GoogleToChatStream(plan.context)
        }
    }
}

/// The exchange as the sink's producer: a full client pauses the transfer
/// (libcurl keeps what it read and stops reading the socket), a drained one
/// lets it go on.
extension FactoryExchange: ResponseProducer {
    func pause() { paused = true }
    func resume() {
        guard paused, inFlight else { return }
        paused = false
        curl.unpause(self)
    }
}
