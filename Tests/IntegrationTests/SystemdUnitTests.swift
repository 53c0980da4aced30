import Foundation
import XCTest

/// `systemd-analyze verify` (and sysusers/tmpfiles/enable checks) on every unit
/// file, with the built binaries installed into a throw-away root.
final class SystemdUnitTests: XCTestCase {
    func testUnitFilesVerify() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")
            || FileManager.default.isExecutableFile(atPath: "/bin/systemd-analyze") else {
            throw XCTSkip("systemd-analyze is not installed")
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../suites/systemd/verify-units").standardized.path
        let (rc, out) = try runToEnd(script, [Binaries.dir], timeout: 120)
        XCTAssertEqual(rc, 0, out)
        XCTAssertTrue(out.contains("ok  droidgate-edged.service"), out)
    }
}

/// `systemd-analyze security --offline --threshold` per unit: authd and edged
/// at most 1.5, supervisord at most 2.0.
final class SystemdSecurityTests: XCTestCase {
    func testExposureScoresStayUnderTheThresholds() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")
            || FileManager.default.isExecutableFile(atPath: "/bin/systemd-analyze") else {
            throw XCTSkip("systemd-analyze is not installed")
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../suites/systemd/security-check").standardized.path
        let (rc, out) = try runToEnd(script, [Binaries.dir], timeout: 120)
        XCTAssertEqual(rc, 0, out)
        for unit in ["droidgate-authd.service", "droidgate-edged.service", "droidgate-supervisord.service"] {
            XCTAssertTrue(out.contains(unit), "\(unit) scored: \(out)")
        }
    }
}
