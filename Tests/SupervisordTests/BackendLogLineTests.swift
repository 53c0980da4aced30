import XCTest
import Shared
@testable import supervisord

/// Lines as cli-proxy-api v7.2.140 wrote them (offline, with a 400 and the probe), and as the fake does.
final class BackendLogLineTests: XCTestCase {
    func testLevelsFollowTheBackendsOwn() {
        let cases: [(String, Log.Level)] = [
            ("[2026-12-07 06:06:52] [--------] [info ] [main.go:572] CLIProxyAPI Version: v7.2.140", .info),
            ("[2026-12-07 06:06:52] [--------] [warn ] [updater.go:247] failed to fetch latest management release information", .warning),
            ("[2026-12-07 06:06:54] [e0cc6651] [warn ] [gin_logger.go:95] 400 |           1ms |       127.0.0.1 | POST    \"/v1/chat/completions\"", .warning),
            ("[2026-12-07 06:06:54] [e0cc6651] [error] [gin_logger.go:93] 502 |           1ms |       127.0.0.1 | POST    \"/v1/messages\"", .error),
            ("[2026-12-07 06:06:54] [--------] [debug] [x.go:1] detail", .debug),
            ("[2026-12-07 06:06:54] [--------] [fatal] [x.go:1] bye", .error),
            ("API server started successfully on: 127.0.0.1:28318", .info),
            ("2026-12-07T05:10:31.969Z warning: fake says so", .warning),
            ("2026-12-07T05:10:31.969Z notice: fake-cli-proxy-api listening", .notice),
        ]
        for (line, level) in cases { XCTAssertEqual(BackendLogLine.level(of: line), level, line) }
    }

    func testOnlyTheProbesOwnSuccessfulLinesAreDropped() {
        XCTAssertTrue(BackendLogLine.isHealthProbe("[2026-12-07 06:06:54] [--------] [info ] [gin_logger.go:97] 200 |            0s |       127.0.0.1 | GET     \"/healthz\""))
        XCTAssertTrue(BackendLogLine.isHealthProbe("2026-12-07T05:10:32.089Z info: GET /healthz 200 0ms"))
        XCTAssertFalse(BackendLogLine.isHealthProbe("[2026-12-07 06:06:54] [--------] [error] [gin_logger.go:93] 503 |            0s |       127.0.0.1 | GET     \"/healthz\""))
        XCTAssertFalse(BackendLogLine.isHealthProbe("[2026-12-07 06:06:54] [b4ef4aae] [info ] [gin_logger.go:97] 200 |            0s |       127.0.0.1 | GET     \"/v1/models\""))
        XCTAssertFalse(BackendLogLine.isHealthProbe("2026-12-07T05:10:32.089Z info: GET /healthz 503 0ms"))
    }
}
