import Foundation
import EdgeCore
import XCTest
@testable import edged
import Shared

/// Client keys on the Factory route: a droidgate client key, in whichever
/// credential header it comes, is withheld from Factory; the client's own
/// Factory credential (tier 3) and the spec's headers pass.
final class FactoryHeadersTests: XCTestCase {
    let keys = ClientKeyCheck(digests: ["dg-key-1", "dg-key-2"].map { SHA256.hash(Array($0.utf8)) })

    func forwarded(_ lines: [String], keys: ClientKeyCheck? = nil) -> (headers: [(String, String)], clientKeyWithheld: Bool) {
        let bytes = Array((["POST /v1/messages HTTP/1.1", "Host: localhost"] + lines).joined(separator: "\r\n").utf8 + Array("\r\n\r\n".utf8))
        return bytes.withUnsafeBytes { buf in
            guard case .complete(let head) = RequestParser.parse(buf, maxBody: 1 << 20) else { fatalError("bad request in test") }
            return FactoryHeaders.forwarded(buf, head, clientKeys: keys ?? self.keys)
        }
    }

    func names(_ h: [(String, String)]) -> [String] { h.map(\.0) }

    func testAClientKeyIsWithheldInAnyCredentialHeader() {
        for line in ["x-api-key: dg-key-1", "Authorization: Bearer dg-key-2", "authorization: bearer   dg-key-1", "x-goog-api-key: dg-key-2"] {
            let f = forwarded([line, "anthropic-version: 2023-06-01"])
            XCTAssertTrue(f.clientKeyWithheld, line)
            XCTAssertEqual(names(f.headers), ["anthropic-version"], line)
        }
    }

    func testTheClientsOwnCredentialPassesBesideAClientKey() {
        let f = forwarded(["Authorization: Bearer fk-factory", "x-api-key: dg-key-1"])
        XCTAssertTrue(f.clientKeyWithheld)
        XCTAssertEqual(f.headers.map { "\($0.0)=\($0.1)" }, ["authorization=Bearer fk-factory"])
    }

    func testWithoutConfiguredKeysNothingIsWithheld() {
        let f = forwarded(["x-api-key: dg-key-1"], keys: ClientKeyCheck(digests: []))
        XCTAssertFalse(f.clientKeyWithheld)
        XCTAssertEqual(f.headers.map { "\($0.0)=\($0.1)" }, ["x-api-key=dg-key-1"])
    }

    func testOnlyTheSpecsHeadersPassLowercased() {
        let f = forwarded(["Anthropic-Beta: b1", "X-Session-Id: s", "X-Assistant-Message-Id: m", "Cookie: c", "User-Agent: u",
                           "Content-Type: application/json", "Authorization: Basic dg-key-1"])
        XCTAssertFalse(f.clientKeyWithheld, "only a Bearer token is a key")
        XCTAssertEqual(names(f.headers), ["anthropic-beta", "x-session-id", "x-assistant-message-id", "authorization"])
    }

    func testClientKeyDigestsFromTheConfig() {
        let hex = SHA256.hash(Array("dg-key-1".utf8)).map { String(format: "%02x", $0) }.joined()
        let configured = ClientKeyCheck(configured: ["sha256:" + hex, "sha256:" + hex.uppercased(), "sha256:zz", "md5:" + hex])
        XCTAssertEqual(configured.digests.count, 2, "malformed entries are skipped")
        XCTAssertTrue(Array("dg-key-1".utf8).withUnsafeBytes { configured.isClientKey($0) })
        XCTAssertFalse(Array("dg-key-2".utf8).withUnsafeBytes { configured.isClientKey($0) })
        XCTAssertFalse([UInt8]().withUnsafeBytes { configured.isClientKey($0) })
        XCTAssertTrue(ClientKeyCheck(configured: []).isOpen)
    }
}
