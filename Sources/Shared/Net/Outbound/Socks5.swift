/// The part of SOCKS5 (RFC 1928) the outbound relay speaks: no authentication
/// (the relay checks the peer's pid instead), CONNECT only, replies with the
/// RFC's codes. Pure parsing of the two client messages, so it is unit-tested
/// and fuzzable apart from any socket.
public enum Socks5 {
    public static let version: UInt8 = 5

    public enum Reply: UInt8, Sendable {
        case succeeded = 0, generalFailure = 1, notAllowed = 2, networkUnreachable = 3, hostUnreachable = 4,
             connectionRefused = 5, ttlExpired = 6, commandNotSupported = 7, addressTypeNotSupported = 8
    }

    public enum Parse<T: Sendable>: Sendable {
        case needMore(Int)      // total bytes needed so far
        case done(T, length: Int)
        case invalid(String)
    }

    /// The greeting: VER NMETHODS METHODS… → whether "no authentication" (0) is offered.
    public static func parseGreeting(_ b: [UInt8]) -> Parse<Bool> {
        guard b.count >= 2 else { return .needMore(2) }
        guard b[0] == version else { return .invalid("not SOCKS5 (version byte \(b[0]))") }
        let n = Int(b[1])
        guard n > 0 else { return .invalid("no authentication methods offered") }
        guard b.count >= 2 + n else { return .needMore(2 + n) }
        return .done(b[2..<(2 + n)].contains(0), length: 2 + n)
    }

    public struct Target: Sendable, Equatable {
        public let host: String
        public let port: UInt16
        public init(host: String, port: UInt16) {
            self.host = host
            self.port = port
        }
    }

    public enum RequestError: Error, Sendable, Equatable {
        case commandNotSupported(UInt8)
        case addressTypeNotSupported(UInt8)
    }

    /// The request: VER CMD RSV ATYP DST.ADDR DST.PORT.
    public static func parseRequest(_ b: [UInt8]) -> Parse<Result<Target, RequestError>> {
        guard b.count >= 5 else { return .needMore(5) }
        guard b[0] == version else { return .invalid("not SOCKS5 (version byte \(b[0]))") }
        let addressLength: Int
        switch b[3] {
        case 1: addressLength = 4
        case 3: addressLength = 1 + Int(b[4])
        case 4: addressLength = 16
        default: return .done(.failure(.addressTypeNotSupported(b[3])), length: b.count)
        }
        let total = 4 + addressLength + 2
        guard b.count >= total else { return .needMore(total) }
        if b[1] != 1 { return .done(.failure(.commandNotSupported(b[1])), length: total) }
        let port = UInt16(b[total - 2]) << 8 | UInt16(b[total - 1])
        let host: String
        switch b[3] {
        case 1: host = b[4..<8].map(String.init).joined(separator: ".")
        case 4:
            host = stride(from: 4, to: 20, by: 2).map { String(UInt16(b[$0]) << 8 | UInt16(b[$0 + 1]), radix: 16) }
                .joined(separator: ":")
        default:
            let name = b[5..<(5 + Int(b[4]))]
            guard !name.isEmpty, name.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return .invalid("bad host name") }
            host = String(decoding: name, as: UTF8.self)
        }
        return .done(.success(Target(host: host, port: port)), length: total)
    }

    /// A reply with the unspecified bound address 0.0.0.0:0.
    public static func reply(_ code: Reply) -> [UInt8] { [version, code.rawValue, 0, 1, 0, 0, 0, 0, 0, 0] }
}
