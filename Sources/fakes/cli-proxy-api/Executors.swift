import FakeKit
import Shared

/// Which provider's executor the real backend hands a model to, where the
/// answer depends on it (`/responses/compact`, Codex Alpha Search).
extension FakeBackend {
    /// The provider of an enabled account that serves `model`: Claude as
    /// `servedByClaudeOAuth` decides, else the first account whose catalog
    /// lists it (with several, the real one rotates; the fake picks the first).
    /// Nil when no account serves it (the fake still answers it).
    func provider(serving model: String) -> String? {
        if servedByClaudeOAuth(model) { return "claude" }
        return Accounts.enabled(in: authDir).first { account in
            ModelCatalog.catalog(for: account).contains { $0.id == model }
        }?.provider
    }

    /// What `POST /responses/compact` (alt "responses/compact") gets from the executor.
    enum CompactReply { case compaction, response, notSupported }

    func compactReply(model: String) -> CompactReply {
        switch provider(serving: model) {
        // claude_executor_execute.go, antigravity_executor_execute.go, gemini_vertex_executor.go
        // (and the Gemini/AI Studio executors): `statusErr{501, "/responses/compact not supported"}`.
        case "claude", "antigravity", "vertex": .notSupported
        // kimi_executor.go does not look at opts.Alt: an ordinary Responses reply.
        case "kimi": .response
        // codex_executor_execute.go `executeCompact`, xai_executor_execute.go: upstream's
        // `/responses/compact` answer. A model no account serves gets that too.
        default: .compaction
        }
    }

    /// Codex Alpha Search selects a Codex account (`server_routes.go` `codexAlphaSearch`
    /// → `SelectAuthWithCredentialPolicy(…, "codex", …)`); without one the auth manager
    /// has no Codex executor (`conductor_selection.go`).
    var hasCodexAccount: Bool { Accounts.enabled(in: authDir).contains { $0.provider == "codex" } }
}
