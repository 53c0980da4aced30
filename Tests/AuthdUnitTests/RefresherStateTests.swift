import Foundation
import XCTest
@testable import authd
import IPC
import Shared

/// A JWT-shaped token whose payload carries `exp`.
func jwt(exp: Int) -> String {
    let payload = Data(#"{"exp":\#(exp)}"#.utf8).base64EncodedString()
        .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    return "eyJhbGciOiJub25lIn0.\(payload).sig"
}

/// The refresher's pure state machine: what a worker's verdict does to the
/// state, what `status` reports, what edged is handed.
final class RefresherStateTests: XCTestCase {
    let now = 1_800_000_000.0

    func tokens(access: String? = "at", expiresIn: Double? = 3600, lastRefresh: Double? = nil) -> TokenStore.Tokens {
        TokenStore.Tokens(refreshToken: "rt", accessToken: access, accessExpiresAt: expiresIn.map { now + $0 },
                          lastRefresh: lastRefresh ?? now, source: "test")
    }

    func state(_ tokens: TokenStore.Tokens?, status: AuthStatus = .ok, apiKey: String? = nil) -> Refresher.State {
        var s = Refresher.State()
        s.apiKey = apiKey
        s.tokens = tokens
        s.status = status
        return s
    }

    func code(_ r: Result<JSONValue, IPCError>) -> IPCError.Code? {
        if case .failure(.remote(let c, _)) = r { return c }
        return nil
    }

    // MARK: Verdicts

    func testEveryVerdictSurvivesTheWorkersLineWithItsWireName() throws {
        let all: [RefreshVerdict] = [.ok, .fresh, .noCredentials, .persistFailed("disk full"),
                                     .persistFailedAfterRotation(message: "EIO", refresh: "r2", access: "a2"),
                                     .invalidGrant("revoked"), .error("timeout")]
        XCTAssertEqual(Set(all.map(\.kind)).count, RefreshVerdict.Kind.allCases.count, "one test value per kind")
        for v in all {
            let line = JSONValue.object(v.json).serializedString()
            let back = try XCTUnwrap(JSONValue(parsing: line).objectValue)
            XCTAssertEqual(RefreshVerdict(json: back), v, line)
        }
        XCTAssertEqual(RefreshVerdict.persistFailedAfterRotation(message: "m", refresh: "r", access: "a").json,
                       ["result": "persist_failed_after_rotation", "message": "m", "refresh_token": "r", "access_token": "a"])
        XCTAssertEqual(RefreshVerdict.noCredentials.json, ["result": "no_credentials"])
        XCTAssertEqual(RefreshVerdict.invalidGrant("x").json, ["result": "invalid_grant", "message": "x"])
    }

    func testAnUnexpectedLineIsAnError() {
        XCTAssertEqual(RefreshVerdict(json: [:]), .error("refresh failed"))
        XCTAssertEqual(RefreshVerdict(json: ["result": "weird", "message": "m"]), .error("m"))
        XCTAssertEqual(RefreshVerdict(json: ["result": "persist_failed"]), .persistFailed("refresh failed"))
        guard case .error = RefreshVerdict(json: ["result": "persist_failed_after_rotation", "message": "m"]) else {
            return XCTFail("a rotated pair without its tokens is an error")
        }
    }

    // MARK: Applying a verdict

    func testOkAdoptsTheLoadedPairAndSchedulesTheNextRefresh() {
        var s = state(tokens(expiresIn: -10), status: .refreshing)
        s.failures = 3
        s.lastError = "old"
        s.unsaved = true
        let loaded = tokens(access: "new", expiresIn: 8 * 3600)
        XCTAssertTrue(s.apply(.ok, loaded: loaded, storeFile: "/x", now: now).publish)
        XCTAssertEqual(s.tokens, loaded)
        XCTAssertEqual(s.status, .ok)
        XCTAssertEqual(s.failures, 0)
        XCTAssertNil(s.lastError)
        XCTAssertFalse(s.unsaved)
        let next = try! XCTUnwrap(s.nextRefreshAt)
        XCTAssertLessThanOrEqual(next, now + AuthLimits.refreshEvery)
        XCTAssertGreaterThan(next, now + AuthLimits.refreshEvery - AuthLimits.scheduleJitter - 1)
    }

    func testFreshKeepsTheHeldPairWhenNothingCouldBeLoaded() {
        let held = tokens()
        var s = state(held, status: .refreshing)
        XCTAssertTrue(s.apply(.fresh, loaded: nil, storeFile: "/x", now: now).publish)
        XCTAssertEqual(s.tokens, held)
        XCTAssertEqual(s.status, .ok)
    }

    func testInvalidGrantStopsRefreshingUntilANewLogin() {
        var s = state(tokens(), status: .refreshing)
        XCTAssertFalse(s.apply(.invalidGrant("revoked"), loaded: nil, storeFile: "/x", now: now).publish)
        XCTAssertEqual(s.status, .reloginRequired)
        XCTAssertNil(s.nextRefreshAt)
        XCTAssertTrue(s.lastError?.contains("revoked") == true)
        XCTAssertEqual(code(s.credential(now: now)), .reloginRequired, "a token still valid is not served after invalid_grant")
        XCTAssertEqual(s.credentialsState(now: now), .status(.reloginRequired))
    }

    func testARotatedPairThatCouldNotBeWrittenIsServedFromMemory() {
        var s = state(tokens(), status: .refreshing)
        XCTAssertTrue(s.apply(.persistFailedAfterRotation(message: "ENOSPC", refresh: "r2", access: "not-a-jwt"),
                              loaded: nil, storeFile: "/x/tokens.json", now: now).publish)
        XCTAssertEqual(s.tokens?.refreshToken, "r2")
        XCTAssertEqual(s.tokens?.accessToken, "not-a-jwt")
        XCTAssertEqual(s.tokens?.accessExpiresAt, now + AuthLimits.fallbackAccessLifetime, "no exp claim: the fallback lifetime")
        XCTAssertEqual(s.tokens?.lastRefresh, now)
        XCTAssertTrue(s.unsaved)
        XCTAssertEqual(s.status, .degraded)
        XCTAssertTrue(s.lastError?.contains("ENOSPC") == true)
        XCTAssertNotNil(s.nextRefreshAt)
    }

    func testFailuresBackOffAndKeepServingTheValidToken() {
        var s = state(tokens(), status: .refreshing)
        var waits: [Double] = []
        for v in [RefreshVerdict.error("timeout"), .persistFailed("ro fs"), .noCredentials, .error("5xx"), .error("5xx"),
                  .error("5xx"), .error("5xx"), .error("5xx")] {
            XCTAssertFalse(s.apply(v, loaded: nil, storeFile: "/x", now: now, jitter: 1).publish)
            waits.append(s.nextRefreshAt! - now)
            XCTAssertEqual(s.status, .degraded)
        }
        XCTAssertEqual(waits, [15, 30, 60, 120, 240, 480, 900, 900])
        XCTAssertEqual(s.failures, 8)
        XCTAssertEqual(s.lastError, "5xx")
        guard case .success(let v) = s.credential(now: now) else { return XCTFail("the valid token is still served") }
        XCTAssertEqual(v["token"], "at")
    }

    func testNoCredentialsFromTheWorkerIsAFailureLikeAnyOther() {
        var s = state(tokens(), status: .refreshing)
        _ = s.apply(.noCredentials, loaded: nil, storeFile: "/x", now: now, jitter: 1).publish
        XCTAssertEqual(s.lastError, "refresh failed")
        XCTAssertEqual(s.nextRefreshAt, now + 15)
    }

    func testBackoff() {
        XCTAssertEqual((0...8).map { AuthLimits.backoff(afterFailures: $0) }, [15, 15, 30, 60, 120, 240, 480, 900, 900])
    }

    // MARK: What status reports and edged gets

    func testTiersAndTheirStates() {
        let key = state(nil, apiKey: "fk")
        XCTAssertEqual(key.tier, .apiKey)
        XCTAssertEqual(key.credentialsState(now: now), .status(.ok))
        XCTAssertNil(key.waitingFor(now: now))
        guard case .success(let v) = key.credential(now: now) else { return XCTFail() }
        XCTAssertEqual(v, ["token": "fk", "tier": "api-key", "expiresAt": nil])

        let none = state(nil, status: .noCredentials)
        XCTAssertEqual(none.tier, .passthrough)
        XCTAssertEqual(none.credentialsState(now: now).reported, .noCredentials)
        XCTAssertTrue(none.waitingFor(now: now)?.hasPrefix("credentials:") == true)
        XCTAssertEqual(code(none.credential(now: now)), .noCredentials)

        let ok = state(tokens())
        XCTAssertEqual(ok.tier, .refreshToken)
        XCTAssertEqual(ok.credentialsState(now: now), .status(.ok))
        XCTAssertNil(ok.waitingFor(now: now))
        guard case .success(let t) = ok.credential(now: now) else { return XCTFail() }
        XCTAssertEqual(t, ["token": "at", "tier": "refresh-token", "expiresAt": .number(JSONNumber(now + 3600))])
    }

    func testAnExpiredTokenIsReportedUnlessARefreshIsUnderWay() {
        var s = state(tokens(expiresIn: -1), status: .degraded)
        s.lastError = "WorkOS 503"
        XCTAssertEqual(s.credentialsState(now: now), .expired)
        XCTAssertEqual(s.credentialsState(now: now).reported, .expired)
        XCTAssertEqual(s.waitingFor(now: now), "a successful refresh (the access token expired; WorkOS 503)")
        XCTAssertEqual(code(s.credential(now: now)), .expired)
        s.status = .refreshing
        XCTAssertEqual(s.credentialsState(now: now), .status(.refreshing))
        XCTAssertNil(s.waitingFor(now: now))

        let noAccess = state(tokens(access: nil, expiresIn: nil), status: .starting)
        XCTAssertEqual(noAccess.credentialsState(now: now), .expired, "a refresh token without an access token yet")
        let relogin = state(tokens(), status: .reloginRequired)
        XCTAssertEqual(relogin.waitingFor(now: now), "a new login: WorkOS refused the refresh token (`droidgate login`)")
    }

    func testWireNamesOfTheStatuses() {
        XCTAssertEqual([AuthStatus.starting, .ok, .refreshing, .degraded, .reloginRequired, .noCredentials].map(\.rawValue),
                       ["starting", "ok", "refreshing", "degraded", "relogin_required", "no_credentials"])
    }

    // MARK: Schedule and issued pairs

    func testScheduleIsSixHoursAfterTheLastRefreshOrHalfAnHourBeforeExpiry() {
        let long = tokens(expiresIn: 24 * 3600)
        XCTAssertEqual(Refresher.schedule(long, now: now, random: { $0.lowerBound }), now + AuthLimits.refreshEvery)
        XCTAssertEqual(Refresher.schedule(long, now: now, random: { $0.upperBound }), now + AuthLimits.refreshEvery - AuthLimits.scheduleJitter)
        let short = tokens(expiresIn: 3600)
        XCTAssertEqual(Refresher.schedule(short, now: now, random: { $0.lowerBound }), now + 3600 - AuthLimits.refreshBeforeExpiry)
        XCTAssertEqual(Refresher.schedule(short, now: now, random: { $0.upperBound }), now + 1800 - 90, "jitter at most 5 % of the interval")
        XCTAssertEqual(Refresher.schedule(tokens(access: nil), now: now), now, "no access token: refresh now")
        XCTAssertEqual(Refresher.schedule(tokens(expiresIn: nil), now: now), now)
    }

    func testAnIssuedPairTakesItsExpiryFromTheJWT() {
        let t = TokenStore.Tokens.issued(access: jwt(exp: 1_900_000_000), refresh: "r", source: "refresh", now: now)
        XCTAssertEqual(t.accessExpiresAt, 1_900_000_000)
        XCTAssertEqual(t.lastRefresh, now)
        XCTAssertEqual(t.source, "refresh")
        XCTAssertEqual(TokenStore.Tokens.issued(access: "opaque", refresh: "r", source: "device-login", now: now).accessExpiresAt,
                       now + 8 * 3600)
    }

    // MARK: Refreshes after a Factory 401

    func testAtMostOneRefreshAfterAFactory401PerInterval() {
        let limit = Upstream401Limit()
        XCTAssertNil(limit.take(now: 100))
        XCTAssertEqual(limit.take(now: 110), 10)
        XCTAssertEqual(limit.take(now: 100 + Upstream401Limit.interval - 0.5), Upstream401Limit.interval - 0.5)
        XCTAssertNil(limit.take(now: 100 + Upstream401Limit.interval))
        XCTAssertNotNil(limit.take(now: 100 + Upstream401Limit.interval + 1))
    }

    // MARK: import

    func testImportedCredentials() throws {
        let bare = try ImportedCredentials.parse(["refreshToken": " rt \n"])
        XCTAssertEqual(bare.refreshToken, "rt")
        XCTAssertNil(bare.accessToken)
        XCTAssertEqual(bare.source, "import")

        let valid = jwt(exp: Int(WallClock.now()) + 3600)
        let file = try ImportedCredentials.parse(["authJSON": .string(#"{"access_token":"\#(valid)","refresh_token":"r2"}"#)])
        XCTAssertEqual(file.accessToken, valid, "a still-valid access token is used as is")
        XCTAssertNotNil(file.lastRefresh)
        XCTAssertEqual(file.source, "import:auth.json")

        let stale = jwt(exp: Int(WallClock.now()) + 30)
        let soon = try ImportedCredentials.parse(["authJSON": .string(#"{"access_token":"\#(stale)","refresh_token":"r2"}"#)])
        XCTAssertNil(soon.accessToken, "valid for less than a minute: refreshed at once")
        XCTAssertNil(soon.lastRefresh)

        for args: JSONObject in [[:], ["authJSON": "{}"], ["authJSON": "not json"], ["refreshToken": "  "]] {
            XCTAssertThrowsError(try ImportedCredentials.parse(args)) {
                guard case .remote(let c, _)? = $0 as? IPCError else { return XCTFail("\($0)") }
                XCTAssertEqual(c, .badRequest)
            }
        }
    }
}
