import XCTest
@testable import IPC
import Shared

/// The names in Schema.swift are the wire protocol: an older CLI or daemon
/// sends exactly these strings, so each is pinned here.
final class SchemaTests: XCTestCase {
    func testOpNamesOnTheWire() {
        let ops: [(OpName, String)] = [
            (.status, "status"),
            (.tokenGet, "token.get"), (.tokenSubscribe, "token.subscribe"), (.tokenRefresh, "token.refresh"),
            (.loginStart, "login.start"), (.loginPoll, "login.poll"), (.importCredentials, "import"), (.logout, "logout"),
            (.backendGet, "backend.get"), (.backendSubscribe, "backend.subscribe"), (.backendSeen, "backend.seen"),
            (.backendRestart, "backend.restart"), (.backendLog, "backend.log"), (.backendAccounts, "backend.accounts"),
            (.backendAccount, "backend.account"), (.backendProviders, "backend.providers"), (.backendLogin, "backend.login"),
            (.backendLoginInput, "backend.login.input"), (.reload, "reload"),
        ]
        for (name, wire) in ops { XCTAssertEqual(name.rawValue, wire) }
        XCTAssertEqual(Set(ops.map(\.0)).count, ops.count, "no two ops share a name")
        XCTAssertEqual(Messages.request(id: 1, op: .tokenRefresh, args: [:]), ["id": 1, "op": "token.refresh", "args": [:]])
    }

    func testEventNamesAndErrorCodesOnTheWire() {
        XCTAssertEqual([EventName.token, .backendState, .backendLogin].map(\.rawValue), ["token", "backend.state", "backend.login"])
        let codes: [IPCError.Code] = [.unknownOp, .forbidden, .badRequest, .badHello, .unavailable, .failed,
                                      .noCredentials, .reloginRequired, .expired, .refreshLimited, .denied]
        XCTAssertEqual(codes.map(\.rawValue), ["unknown_op", "forbidden", "bad_request", "bad_hello", "unavailable", "failed",
                                               "no_credentials", "relogin_required", "expired", "refresh_limited", "denied"])
        XCTAssertEqual(Messages.event(.backendState, sub: 3, data: .null), ["event": "backend.state", "sub": 3, "data": .null])
        XCTAssertEqual(Messages.error(id: 2, code: .reloginRequired, message: "m"),
                       ["id": 2, "error": ["code": "relogin_required", "message": "m"]])
        XCTAssertEqual(IPCError.remote(code: .expired, message: "gone").description, "gone [expired]")
        XCTAssertEqual([LoginPollStatus.pending, .slowDown, .ok].map(\.rawValue), ["pending", "slow_down", "ok"])
        XCTAssertEqual(IPCRole.cli, PeerSurprise.lenientRole)
        XCTAssertEqual(BackendPhase.allCases.map(\.rawValue), ["missing", "starting", "ready", "unhealthy", "backoff", "stopped", "port-taken"])
    }

    func testAccess() {
        XCTAssertTrue(OpAccess.anyPeer.allows(.edge))
        XCTAssertTrue(OpAccess.anyPeer.allows(.admin))
        XCTAssertTrue(OpAccess.edge.allows([.edge, .admin]))
        XCTAssertFalse(OpAccess.edge.allows(.admin))
        XCTAssertFalse(OpAccess.admin.allows(.edge))
    }
}
