import IPC
import Shared
import XCTest

/// Each payload's wire form, as an older or newer peer reads and writes it:
/// the member names and state names are fixed, and what one end encodes the
/// other decodes to the same value.
final class PayloadTests: XCTestCase {
    func testTheBackendReportRoundTripsAndKeepsItsWireNames() throws {
        var r = BackendReport(phase: .portTaken)
        r.url = "http://127.0.0.1:8318"
        r.message = "taken"
        r.restarts = 2
        r.pid = 41
        r.port = 8318
        r.listener = .init(pid: 41, port: 8318)
        r.squatterPid = 7
        r.seq = 9
        r.apiKey = "dg-secret"
        XCTAssertEqual(BackendReport(r.json), r)
        XCTAssertEqual(r.json.serializedString(),
                       #"{"state":"port-taken","url":"http://127.0.0.1:8318","message":"taken","restarts":2,"pid":41,"lastExit":null,"retryInSeconds":null,"command":null,"port":8318,"listener":{"pid":41,"port":8318},"squatterPid":7,"seq":9,"apiKey":"dg-secret"}"#)
        XCTAssertNil(r.withoutKey.json["apiKey"], "the key never reaches /healthz or status")
        XCTAssertEqual(r.withoutKey.apiKey, nil)
        // A state this build does not know is kept as sent; no state at all is no report.
        XCTAssertEqual(BackendReport(["state": "hibernating"])?.state, "hibernating")
        XCTAssertNil(BackendReport(["state": "hibernating"])?.phase)
        XCTAssertNil(BackendReport(["pid": 1]))
        XCTAssertNil(BackendReport(nil))
        XCTAssertEqual(BackendSeen(BackendSeen(seq: 4).json), BackendSeen(seq: 4))
        XCTAssertNil(BackendSeen([:]))
        XCTAssertEqual(SubscribeArgs(SubscribeArgs(acks: true).json).acks, true)
        XCTAssertEqual(SubscribeArgs([:]).acks, false)
    }

    func testTokenMessagesRoundTrip() {
        for m in [TokenMessage.token("fk-1", tier: .apiKey, expiresAt: nil),
                  .token("at-2", tier: .refreshToken, expiresAt: 1_900_000_000),
                  .dropped(reason: .logout, tier: .refreshToken),
                  .dropped(reason: .noCredentials, tier: nil),
                  .none] {
            XCTAssertEqual(TokenMessage(m.json), m, "\(m)")
        }
        XCTAssertEqual(TokenMessage.dropped(reason: .noCredentials, tier: nil).json.serializedString(),
                       #"{"dropped":true,"reason":"no_credentials"}"#)
        // A reason this build does not know still drops the token.
        guard case .dropped = TokenMessage(["dropped": true, "reason": "revoked"]) else { return XCTFail("not dropped") }
        XCTAssertEqual(TokenRefreshArgs(TokenRefreshArgs(rejected: "ab12").json).rejected, "ab12")
        XCTAssertNil(TokenRefreshArgs(TokenRefreshArgs(rejected: nil).json).rejected)
    }

    func testAccountPayloadsRoundTripAndRefuseUnknownActions() throws {
        var a = AccountEntry(account: "claude-a@example.com")
        a.provider = "claude"
        a.email = "a@example.com"
        a.expires = "2026-12-31T00:00:00Z"
        a.disabled = true
        var broken = AccountEntry(account: "bad")
        broken.problem = "not readable as JSON"
        let list = AccountList([a, broken])
        XCTAssertEqual(AccountList(list.json), list)
        let action = AccountAction(account: "bad", action: .remove)
        XCTAssertEqual(try AccountAction.parse(action.json).get(), action)
        XCTAssertThrowsError(try AccountAction.parse(["account": "x", "action": "explode"]).get()) { e in
            XCTAssertTrue("\(e)".contains("unknown action \"explode\" (enable, disable, remove)"), "\(e)")
        }
        XCTAssertThrowsError(try AccountAction.parse(["account": "x"]).get())
        let change = ProvidersChange(disable: ["kimi"], enable: ["xai"])
        XCTAssertEqual(ProvidersChange(change.json), change)
        XCTAssertEqual(DisabledProviders(DisabledProviders(["kimi"]).json).disabled, ["kimi"])
    }

    func testDeviceLoginImportAndBackendLogPayloadsRoundTrip() {
        let started = DeviceLoginStarted(loginId: "ab", userCode: "WXYZ", verificationUri: "https://w/device",
                                         verificationUriComplete: nil, interval: 5, expiresIn: 300)
        XCTAssertEqual(DeviceLoginStarted(started.json), started)
        XCTAssertNil(DeviceLoginStarted(["userCode": "x"]))
        XCTAssertEqual(DeviceLoginPollArgs(DeviceLoginPollArgs(loginId: "ab").json), DeviceLoginPollArgs(loginId: "ab"))
        let done = DeviceLoginPoll(status: .ok, report: CredentialsReport(tier: .apiKey, state: .ok))
        XCTAssertEqual(DeviceLoginPoll(done.json), done)
        XCTAssertEqual(DeviceLoginPoll(DeviceLoginPoll(status: .pending, warning: "WorkOS did not answer").json)?.warning, "WorkOS did not answer")
        XCTAssertEqual(DeviceLoginPoll(DeviceLoginPoll(status: .slowDown).json)?.status, .slowDown)
        XCTAssertEqual(DeviceLoginPoll(.object(["status": "slow_down"]))?.status, .slowDown, "the wire name")
        XCTAssertNil(DeviceLoginPoll(["status": "dancing"]))
        for i in [CredentialsImport.refreshToken("rt"), .authJSON("{}")] { XCTAssertEqual(CredentialsImport(i.json), i) }
        XCTAssertNil(CredentialsImport([:]))
        XCTAssertEqual(BackendLogArgs(BackendLogArgs(lines: 7).json, fallback: 100).lines, 7)
        XCTAssertEqual(BackendLogArgs([:], fallback: 100).lines, 100)
        XCTAssertEqual(BackendLogLines(BackendLogLines(["a", "b"]).json).lines, ["a", "b"])
        let line = BackendLoginEvent.line("Open https://…")
        XCTAssertEqual(BackendLoginEvent(line.json), line)
        let end = BackendLoginEvent.done(ok: true, account: "claude-a", updated: true, message: nil)
        XCTAssertEqual(BackendLoginEvent(end.json), end)
        let started2 = BackendLoginStarted(provider: "claude", login: 3, pastesCallback: true)
        XCTAssertEqual(BackendLoginStarted(started2.json), started2)
        XCTAssertEqual(try BackendLoginArgs.parse(BackendLoginArgs(provider: "codex", callbackPort: 1455).json, providers: ["codex"]).get(),
                       BackendLoginArgs(provider: "codex", callbackPort: 1455))
        XCTAssertThrowsError(try BackendLoginArgs.parse(["provider": "codex", "callbackPort": 0], providers: ["codex"]).get())
        XCTAssertThrowsError(try BackendLoginArgs.parse(["provider": "myspace"], providers: ["codex"]).get())
        XCTAssertEqual(BackendLoginInput(BackendLoginInput(login: 3, line: "http://localhost/cb").json), BackendLoginInput(login: 3, line: "http://localhost/cb"))
        let status = DaemonStatus(daemon: "edged", version: "0.1.0", state: DaemonStatus.running, pid: 9, uptimeSeconds: 4, waitingFor: nil)
        XCTAssertEqual(DaemonStatus(.object(status.members)), status)
    }
}
