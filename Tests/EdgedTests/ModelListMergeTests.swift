import XCTest
@testable import edged
import Shared

/// GET /v1/models with Factory models: the backend's shape kept (#26).
final class ModelListMergeTests: XCTestCase {
    let factory = [ModelListMerge.Factory(id: "claude-f", provider: "anthropic"), ModelListMerge.Factory(id: "dup", provider: "openai")]

    func merged(_ backend: String?, anthropic: Bool = false) -> JSONValue? {
        guard case .merged(let v) = ModelListMerge.merge(factory: factory, backend: backend.map { Array($0.utf8) },
                                                       anthropicCaller: anthropic, created: 1_700_000_000) else { return nil }
        return v
    }

    func testOpenAIShapeGetsOpenAIEntriesAndNoDuplicates() {
        let v = merged(#"{"object":"list","data":[{"id":"dup","object":"model","created":1,"owned_by":"x"},{"id":"b","object":"model","created":1,"owned_by":"x"}]}"#)
        XCTAssertEqual(v?["object"], "list")
        XCTAssertEqual(v?["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue }, ["claude-f", "dup", "b"])
        XCTAssertEqual(v?["data"]?.arrayValue?.first?["owned_by"], "anthropic")
        XCTAssertEqual(v?["data"]?.arrayValue?.dropFirst().first?["owned_by"], "openai", "Factory's entry wins over the backend's of the same id")
    }

    func testAnthropicShapeGetsAnthropicEntries() {
        let v = merged(#"{"data":[{"type":"model","id":"claude-x","display_name":"X","created_at":"2026-01-01T00:00:00Z"}],"first_id":"claude-x","last_id":"claude-x","has_more":false}"#, anthropic: true)
        XCTAssertEqual(v?["first_id"], "claude-f")
        XCTAssertEqual(v?["last_id"], "claude-x")
        XCTAssertEqual(v?["data"]?.arrayValue?.first?["type"], "model")
        XCTAssertEqual(v?["data"]?.arrayValue?.first?["created_at"], "2023-11-14T22:13:20Z")
        XCTAssertNil(v?["data"]?.arrayValue?.first?["object"])
    }

    func testCodexClientListIsRelayedAsItCame() {
        let body = #"{"models":[{"slug":"gpt-5.5"}]}"#
        XCTAssertEqual(ModelListMerge.merge(factory: factory, backend: Array(body.utf8), anthropicCaller: false, created: 0), .relayed(Array(body.utf8)))
    }

    func testWithoutTheBackendFactorysModelsInTheCallersShape() {
        XCTAssertEqual(merged(nil)?["object"], "list")
        XCTAssertEqual(merged(nil, anthropic: true)?["data"]?.arrayValue?.first?["type"], "model")
        XCTAssertEqual(merged("not json")?["data"]?.arrayValue?.count, 2)
    }
}
