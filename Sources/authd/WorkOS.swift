import Foundation
import Outbound
import Shared

/// The two WorkOS calls authd makes: the refresh grant and the device
/// authorization flow (spec: factory.md, "Credentials"). Blocking; used from
/// the refresh worker and from IPC handler threads, never an event loop.
struct WorkOS: Sendable {
    let baseURL: String
    let clientID: String
    /// Proxies and CAs (`network.*`).
    let network: OutboundNetwork
    var timeout: Double = AuthLimits.workosTimeout

    init(baseURL: String, clientID: String, network: OutboundNetwork, timeout: Double = AuthLimits.workosTimeout) {
        self.baseURL = baseURL
        self.clientID = clientID
        self.network = network
        self.timeout = timeout
    }

    enum Outcome: Sendable {
        case tokens(access: String, refresh: String)
        /// The refresh token is dead (used, revoked or unknown): only a new login helps.
        case invalidGrant(String)
        case pending
        case slowDown
        case expired
        case denied
        /// Network error, timeout, a redirect, 5xx or any 4xx but invalid_grant: worth retrying later.
        case failed(String)
    }

    struct DeviceStart: Sendable {
        let deviceCode: String
        let userCode: String
        let verificationURI: String
        let verificationURIComplete: String?
        let interval: Int
        let expiresIn: Int
    }

    func refresh(_ refreshToken: String) -> Outcome {
        authenticate(["grant_type": "refresh_token", "refresh_token": refreshToken, "client_id": clientID])
    }

    func pollDevice(_ deviceCode: String) -> Outcome {
        authenticate(["grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": deviceCode, "client_id": clientID])
    }

    func startDevice() -> Result<DeviceStart, WorkOSError> {
        switch post("/user_management/authorize/device", ["client_id": clientID]) {
        case .failure(let e): return .failure(e)
        case .success(let (status, body)):
            guard status == 200, let v = try? JSONValue(parsing: body),
                  let device = v["device_code"]?.stringValue, let user = v["user_code"]?.stringValue,
                  let uri = v["verification_uri"]?.stringValue else {
                return .failure(WorkOSError(message: "WorkOS answered \(status) to the device authorization request\(Self.errorSuffix(body))"))
            }
            return .success(DeviceStart(deviceCode: device, userCode: user, verificationURI: uri,
                                        verificationURIComplete: v["verification_uri_complete"]?.stringValue,
                                        interval: v["interval"]?.intValue ?? 5, expiresIn: v["expires_in"]?.intValue ?? 300))
        }
    }

    struct WorkOSError: Error, Sendable, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    private func authenticate(_ form: [String: String]) -> Outcome {
        switch post("/user_management/authenticate", form) {
        case .failure(let e): return .failed(e.message)
        case .success(let (status, body)):
            let v = try? JSONValue(parsing: body)
            if status == 200 {
                guard let access = v?["access_token"]?.stringValue, let refresh = v?["refresh_token"]?.stringValue else {
                    return .failed("WorkOS answered 200 without access_token and refresh_token")
                }
                return .tokens(access: access, refresh: refresh)
            }
            let code = v?["error"]?.stringValue ?? v?["code"]?.stringValue ?? ""
            switch code {
            // Only this means the refresh token is dead (RFC 6749 §5.2: 400, or 401 from some
            // servers). Any other 4xx — a 403 from a proxy or WAF, a 404 from a wrong base URL,
            // invalid_client — says nothing about the token: retry later, keep serving.
            case "invalid_grant" where status == 400 || status == 401:
                return .invalidGrant((v?["error_description"]?.stringValue ?? "refresh token rejected").bounded(Self.maxErrorText))
            case "authorization_pending": return .pending
            case "slow_down": return .slowDown
            case "expired_token": return .expired
            case "access_denied": return .denied
            default: return .failed("WorkOS answered \(status)\(Self.errorSuffix(body))")
            }
        }
    }

    /// The error code from a WorkOS error body (never echoing anything else it sent).
    static func errorSuffix(_ body: [UInt8]) -> String {
        guard let v = try? JSONValue(parsing: body), let e = v["error"]?.stringValue ?? v["code"]?.stringValue else { return "" }
        return " (\(e.bounded(maxErrorText)))"
    }

    /// WorkOS's error texts end up in authd's status and log: bounded here,
    /// where they enter (an IPC reply has a 1 MiB limit; a log line should
    /// be one screen).
    static let maxErrorText = 256

    /// One form POST; a 3xx is never followed (the form holds the refresh token or device code).
    private func post(_ path: String, _ form: [String: String]) -> Result<(Int, [UInt8]), WorkOSError> {
        let url = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) + path : baseURL + path
        let body = Array(form.sorted { $0.key < $1.key }.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }.joined(separator: "&").utf8)
        let request = network.request(method: "POST", url: url,
                                      headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
                                      body: body, idleTimeout: timeout, totalTimeout: timeout)
        switch BlockingHTTPS.perform(request) {
        case .failure(let error):
            return .failure(WorkOSError(message: "WorkOS: \(error.message)"))
        case .success(let a) where (300..<400).contains(a.status):
            return .failure(WorkOSError(message: Self.redirectRefused(a.status, location: a.location, path: path)))
        case .success(let a):
            return .success((a.status, a.body))
        }
    }

    /// A 3xx is never followed: the form it would repeat holds the refresh token or device code.
    static func redirectRefused(_ status: Int, location: String?, path: String) -> String {
        "WorkOS answered \(status) to POST \(path), redirecting to \(RedirectTarget.describe(location)); not followed (it would carry the token elsewhere): check auth.workosBaseURL and any proxy in between"
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
