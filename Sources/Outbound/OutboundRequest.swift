import CCurl
import Shared

/// One HTTPS request droidgate makes itself (to Factory, to WorkOS), with
/// everything that is decided per request: the proxy (`network.proxies`,
/// round-robin per request, `network.noProxy`), the CA bundle
/// (`network.caFile`), the timeouts. Never set, by design: a cookie engine
/// (nothing one server sets travels with another request) and redirect
/// following (a redirect would carry the credential to wherever it points).
public struct OutboundRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]?
    public var route: OutboundRoutes.Route
    public var caFile: String?
    public var connectTimeout: Double
    /// Give up when no byte moves for this long (a stream may run for hours).
    public var idleTimeout: Double
    /// The whole request's limit; nil: none (streams).
    public var totalTimeout: Double?

    public init(method: String, url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
                route: OutboundRoutes.Route = .direct, caFile: String? = nil,
                connectTimeout: Double = 10, idleTimeout: Double, totalTimeout: Double? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.route = route
        self.caFile = caFile
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.totalTimeout = totalTimeout
    }

    /// The URL's host (and port), for messages.
    public var host: String { Self.host(of: url) }

    /// `scheme://host[:port]/…` → `host[:port]`.
    public static func host(of url: String) -> String {
        var u = url.utf8[...]
        if let colon = u.firstIndex(of: 0x3a), u[colon...].starts(with: "://".utf8) {
            u = u[u.index(colon, offsetBy: 3)...]
        }
        let end = u.firstIndex { $0 == 0x2f || $0 == 0x3f || $0 == 0x23 } ?? u.endIndex
        return String(Substring(u[..<end]))
    }
}

/// Receives what libcurl reads for one transfer (on the thread that drives it).
public protocol CurlReceiver: AnyObject {
    /// One line of the response head; false refuses the response (the transfer ends).
    func curlHeaderLine(_ line: UnsafeRawBufferPointer) -> Bool
    /// Body bytes.
    func curlBody(_ bytes: UnsafeRawBufferPointer) -> CurlBodyVerdict
}

public enum CurlBodyVerdict {
    /// All of it was used.
    case taken
    /// None of it was used: libcurl keeps it and pauses the transfer until `resume`.
    case pause
    /// Stop the transfer (it ends with a write error).
    case abort
}

/// One libcurl easy handle set up for an `OutboundRequest`. Owns what libcurl
/// only points at (the body, the header list, the error buffer) until it is freed.
public final class CurlEasy {
    public let handle: OpaquePointer
    public private(set) var request: OutboundRequest
    private let headerList = CurlHeaderList()
    /// The request body as libcurl reads it (CURLOPT_POSTFIELDS does not copy):
    /// kept, and grown when a body needs more, from one request to the next.
    private var bodyStorage = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
    /// What `bodyStorage` may stay at between requests.
    static let keptBodyBytes = 64 << 10
    /// The body buffer's size now (tests).
    var bodyCapacity: Int { bodyStorage.count }
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: 256)
    /// The options that are the same for every request are set (until a reset).
    private var constantsSet = false
    /// What the handle's URL and route options say now (nil: not set since a reset).
    private var currentURL: String? = nil
    private var currentRoute: OutboundRoutes.Route? = nil

    public init(_ request: OutboundRequest) throws(OutboundError) {
        guard Curl.ready, let h = ccurl_easy_init() else {
            throw OutboundError(.other, "libcurl could not be initialised (is libcurl4 installed?)")
        }
        handle = h
        self.request = request
        errorBuffer.initialize(repeating: 0, count: 256)
        configure()
    }

    /// The same handle for another request (libcurl keeps its buffers; the
    /// connections are the multi handle's). Not `curl_easy_reset`, which frees
    /// and rebuilds every setting: `configure` sets or clears every option it
    /// ever sets (or, for one whose value is unchanged, leaves it), so nothing
    /// of the previous request remains.
    public func reuse(for request: OutboundRequest) {
        // The CA options' default is libcurl's built-in bundle, which only a
        // reset brings back once one was set.
        if request.caFile != self.request.caFile { resetAll() }
        receiverBox = nil
        errorBuffer[0] = 0
        self.request = request
        configure()
    }

    private func resetAll() {
        ccurl_easy_reset(handle)
        constantsSet = false
        currentURL = nil
        currentRoute = nil
    }

    deinit {
        ccurl_easy_cleanup(handle)
        // Not `receiverBox = nil`: property observers do not run in a deinit, and
        // the box (with the receiver it names) would leak, once per request.
        if let box = receiverBox { Unmanaged<ReceiverBox>.fromOpaque(box).release() }
        bodyStorage.deallocate()
        errorBuffer.deallocate()
    }

    private func set(_ option: Int32, _ value: Int) { _ = ccurl_setopt_long(handle, option, value) }
    /// A string option (libcurl copies it); nil clears it.
    private func set(_ option: Int32, _ value: String?) {
        guard let value else { _ = ccurl_setopt_pointer(handle, option, nil); return }
        _ = value.withCString { ccurl_setopt_pointer(handle, option, $0) }
    }

    private func configure() {
        let r = request
        if !constantsSet {
            constantsSet = true
            set(CCURLOPT_NOSIGNAL, 1)
            _ = ccurl_setopt_pointer(handle, CCURLOPT_ERRORBUFFER, errorBuffer)
            set(CCURLOPT_PROTOCOLS_STR, "http,https")
            set(CCURLOPT_FOLLOWLOCATION, 0)
            set(CCURLOPT_HTTP_VERSION, Int(CCURL_HTTP_VERSION_2TLS))
            set(CCURLOPT_PIPEWAIT, 1)
            // An empty exclusion list: libcurl would otherwise read no_proxy /
            // NO_PROXY from the environment on every transfer and go around
            // the proxy OutboundRoutes chose (network.noProxy decides).
            set(CCURLOPT_NOPROXY, "")
            // Under 1 byte/s for idleTimeout seconds: the peer went silent.
            set(CCURLOPT_LOW_SPEED_LIMIT, 1)
        }
        // Every option below is set or cleared on each request (a reused
        // handle keeps whatever the previous one set), or left when it already
        // says what this request needs.
        if currentURL != r.url {
            set(CCURLOPT_URL, r.url)
            currentURL = r.url
        }
        set(CCURLOPT_CONNECTTIMEOUT_MS, Int(r.connectTimeout * 1000))
        set(CCURLOPT_LOW_SPEED_TIME, max(1, Int(r.idleTimeout.rounded(.up))))
        set(CCURLOPT_TIMEOUT_MS, r.totalTimeout.map { Int($0 * 1000) } ?? 0)
        if let ca = r.caFile {
            set(CCURLOPT_CAINFO, ca)
            set(CCURLOPT_PROXY_CAINFO, ca)
        }
        if currentRoute != r.route {
            currentRoute = r.route
            switch r.route {
            case .direct:
                // An empty proxy: none, whatever the environment says.
                set(CCURLOPT_PROXY, "")
                set(CCURLOPT_HTTPPROXYTUNNEL, 0)
                set(CCURLOPT_PROXYUSERNAME, nil)
                set(CCURLOPT_PROXYPASSWORD, nil)
            case .proxy(let p):
                set(CCURLOPT_PROXY, p.endpoint)
                set(CCURLOPT_HTTPPROXYTUNNEL, 1)   // CONNECT, for http:// targets too
                set(CCURLOPT_SUPPRESS_CONNECT_HEADERS, 1)
                set(CCURLOPT_PROXYUSERNAME, p.username)
                set(CCURLOPT_PROXYPASSWORD, p.password)
            }
        }
        // Always some (empty without a body): a POST without fields would read stdin.
        let body = r.body ?? []
        // A buffer grown for a large body is not kept for the small ones after
        // it: a loop keeps up to 64 spare handles, each with its buffer.
        let wanted = body.count > bodyStorage.count ? max(body.count, bodyStorage.count * 2)
            : (bodyStorage.count > Self.keptBodyBytes && body.count <= Self.keptBodyBytes ? Self.keptBodyBytes : nil)
        if let wanted {
            bodyStorage.deallocate()
            bodyStorage = .allocate(byteCount: wanted, alignment: 1)
        }
        body.withUnsafeBytes { bodyStorage.copyMemory(from: $0) }
        // The fields first: setting them makes the request a POST, which the
        // method's own option then corrects (a GET sends none of them).
        _ = ccurl_setopt_pointer(handle, CCURLOPT_POSTFIELDS, UnsafeRawPointer(bodyStorage.baseAddress))
        _ = ccurl_setopt_offset(handle, CCURLOPT_POSTFIELDSIZE_LARGE, Int64(body.count))
        set(CCURLOPT_CUSTOMREQUEST, nil)
        switch r.method {
        case "GET": set(CCURLOPT_HTTPGET, 1)
        case "POST": set(CCURLOPT_POST, 1)
        default:
            set(CCURLOPT_POST, 1)
            set(CCURLOPT_CUSTOMREQUEST, r.method)
        }
        headerList.removeAll()
        var saidExpect = false, saidAccept = false
        for (name, value) in r.headers {
            headerList.append(name, value)
            saidExpect = saidExpect || Self.sameName(name, "expect")
            saidAccept = saidAccept || Self.sameName(name, "accept")
        }
        // libcurl adds these on its own unless told not to ("Name:" with no
        // value): the request carries what we say.
        if !saidExpect { headerList.append("Expect", "") }
        if !saidAccept { headerList.append("Accept", "") }
        _ = ccurl_setopt_pointer(handle, CCURLOPT_HTTPHEADER, headerList.list())
    }

    /// Header names compared as HTTP does (ASCII, any case); `lower` is lowercase.
    static func sameName(_ name: String, _ lower: StaticString) -> Bool {
        let l = UnsafeRawBufferPointer(start: lower.utf8Start, count: lower.utf8CodeUnitCount)
        return name.utf8.count == l.count && zip(name.utf8, l).allSatisfy { a, b in a | (a &- 0x41 < 26 ? 0x20 : 0) == b }
    }

    /// Where the response goes. `receiver` must outlive the transfer (libcurl keeps a plain pointer).
    public func deliver(to receiver: CurlReceiver) {
        let box = Unmanaged.passRetained(ReceiverBox(receiver)).toOpaque()
        receiverBox = box
        _ = ccurl_setopt_pointer(handle, CCURLOPT_HEADERDATA, box)
        _ = ccurl_setopt_pointer(handle, CCURLOPT_WRITEDATA, box)
        _ = ccurl_setopt_data_callback(handle, CCURLOPT_HEADERFUNCTION, curlHeaderTrampoline)
        _ = ccurl_setopt_data_callback(handle, CCURLOPT_WRITEFUNCTION, curlBodyTrampoline)
    }
    private var receiverBox: UnsafeMutableRawPointer? = nil {
        didSet { if let old = oldValue { Unmanaged<ReceiverBox>.fromOpaque(old).release() } }
    }

    /// libcurl's detail for the last failure (empty when it gave none).
    public var errorDetail: String { String(cString: errorBuffer) }

    /// The outcome of a finished transfer as an error, or nil when it succeeded.
    public func failure(code: Int32) -> OutboundError? {
        guard code != CCURLE_OK else { return nil }
        return OutboundError.from(code: code, detail: errorDetail, host: request.host, route: request.route, idleTimeout: request.idleTimeout)
    }
}

/// What the C callbacks reach through libcurl's user pointer (retained by the
/// easy handle): the receiver, unowned — whoever owns the transfer keeps it alive.
final class ReceiverBox {
    unowned let receiver: CurlReceiver
    init(_ r: CurlReceiver) { receiver = r }
}

private let curlHeaderTrampoline: ccurl_data_callback = { data, size, count, user in
    let n = size * count
    guard let user, let data else { return 0 }
    let box = Unmanaged<ReceiverBox>.fromOpaque(user).takeUnretainedValue()
    return box.receiver.curlHeaderLine(UnsafeRawBufferPointer(start: data, count: n)) ? n : 0
}

private let curlBodyTrampoline: ccurl_data_callback = { data, size, count, user in
    let n = size * count
    guard let user, let data else { return 0 }
    let box = Unmanaged<ReceiverBox>.fromOpaque(user).takeUnretainedValue()
    switch box.receiver.curlBody(UnsafeRawBufferPointer(start: data, count: n)) {
    case .taken: return n
    case .pause: return Int(CCURL_WRITEFUNC_PAUSE)
    case .abort: return 0
    }
}
