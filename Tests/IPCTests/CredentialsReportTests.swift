import IPC
import Shared
import XCTest

/// authd's credentials report: one definition for authd and its readers, the
/// wire names unchanged (an older CLI reads them), in both of its forms.
final class CredentialsReportTests: XCTestCase {
    func testBothFormsRoundTripWithTheWireNames() throws {
        var r = CredentialsReport(tier: .refreshToken, state: .reloginRequired)
        r.expiresAt = "2026-12-07T10:00:00Z"
        r.lastError = "invalid_grant"
        let status = r.members(.status)
        XCTAssertEqual(status["tier"], "refresh-token")
        XCTAssertEqual(status["credentials"], "relogin_required")
        XCTAssertEqual(CredentialsReport(.object(status), .status), r.with(unsavedDefault: false, sourceDefault: "?"))
        let standalone = r.members(.standalone)
        XCTAssertEqual(standalone["state"], "relogin_required")
        XCTAssertNil(CredentialsReport(.object(standalone), .status), "the status form reads \"credentials\"")
        XCTAssertEqual(CredentialsReport(.object(standalone), .standalone)?.state, .reloginRequired)
        // An unknown tier or state is not guessed at.
        XCTAssertNil(CredentialsReport(["tier": "api-key", "credentials": "fresh"], .status))
        XCTAssertEqual(Set(CredentialsReport.State.allCases.map(\.rawValue)),
                       ["starting", "ok", "refreshing", "degraded", "relogin_required", "no_credentials", "expired"])
    }
}

private extension CredentialsReport {
    /// What the refresh-token tier's encoding fills in when a field is unset.
    func with(unsavedDefault: Bool, sourceDefault: String) -> CredentialsReport {
        var r = self
        r.unsaved = r.unsaved ?? unsavedDefault
        r.source = r.source ?? sourceDefault
        return r
    }
}
