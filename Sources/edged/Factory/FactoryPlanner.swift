import EdgeCore
import Outbound
import Foundation
import Shared
import Translate

/// What the client sent, copied off the loop for planning.
struct FactoryRequest: Sendable {
    let endpoint: ClientEndpoint
    let model: FactoryModels.Model
    let body: [UInt8]
    /// The client headers the Factory route may use (lowercased names).
    let headers: [(String, String)]
    let factory: FactoryConfig
    let created: Int
    let id: String
    /// The client sent a droidgate client key, which was kept from Factory.
    var clientKeyWithheld = false
    /// The User-Agent to send (UserAgentSource's current value).
    var userAgent = ""

    func header(_ name: String) -> String? { headers.first { $0.0 == name }?.1 }
}

/// Builds the Factory request for a client request: URL, body (translated, or
/// byte-spliced on the pass-through routes), and the headers Factory expects (README, "The Factory route").
enum FactoryPlanner {
    struct Failure: Error {
        let status: Int
        let type: String
        let message: String
    }

    static let fastModeBeta = "fast-mode-2026-02-01"

    /// The first `N.N.N` after a `/` in the user agent (`factory-cli/0.84.0` → `0.84.0`), else droid2api's default.
    static func clientVersion(userAgent: String) -> String {
        var rest = Substring(userAgent)
        while let slash = rest.firstIndex(of: "/") {
            rest = rest[rest.index(after: slash)...]
            let candidate = rest.prefix { $0.isNumber || $0 == "." }
            let parts = candidate.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count >= 3, parts.prefix(3).allSatisfy({ !$0.isEmpty }) { return parts.prefix(3).joined(separator: ".") }
        }
        return "0.84.0"
    }

    /// `ids`: where ids come from when the client sent none (the loop's pool).
    static func plan(_ r: FactoryRequest, ids: RandomPool) -> Result<FactoryExchange.Plan, Failure> {
        let ctx = TranslationContext(model: r.model.upstreamModel, systemPrompt: r.factory.systemPrompt,
                                     reasoning: r.model.reasoning, created: r.created, id: r.id)
        // factory.baseURL was checked when the config was read (an http(s) URL with a host).
        let url = r.factory.baseURL.trimmingSuffix("/") + r.endpoint.factoryPath(for: r.model.type)
        var body: [UInt8]
        var translation = FactoryExchange.Translation.none
        var betas = r.header("anthropic-beta").map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } } ?? []

        if r.endpoint == .chatCompletions && r.model.type != .common {
            let chat: JSONValue
            do { chat = try JSONValue(parsing: r.body) } catch {
                return .failure(Failure(status: 400, type: "invalid_request_error", message: "the request body is not valid JSON: \(error)"))
            }
            let stream = ChatRequest.isStreaming(chat)
            do {
                switch r.model.type {
                case .anthropic:
                    let (b, extra) = try ChatRequest.toAnthropic(chat, ctx)
                    body = b.serialized()
                    betas += extra
                    translation = .anthropic(stream: stream)
                case .openai:
                    var responses = try ChatRequest.toResponses(chat, ctx)
                    if r.model.fast, case .object(var o) = responses, o["service_tier"] == nil {
                        // droid2api (transformers/request-openai.js): fast models ask for the priority tier.
                        o["service_tier"] = "priority"
                        responses = .object(o)
                    }
                    body = responses.serialized()
                    translation = .responses(stream: stream)
                default:
                    body = try ChatRequest.toGoogle(chat, ctx).serialized()
                    translation = .google(stream: stream)
                }
            } catch {
                return .failure(Failure(status: 400, type: "invalid_request_error", message: error.message))
            }
        } else {
            // Pass-through: the client's bytes with exact splices.
            var splice = Splice()
            var change = ReasoningSplices.BetaChange.none
            r.body.withUnsafeBytes { b in
                FactorySplices.setModel(b, r.model.upstreamModel, into: &splice)
                let level = r.model.reasoning
                switch (r.endpoint, r.model.type) {
                case (.messages, _):
                    FactorySplices.anthropicSystem(b, prompt: r.factory.systemPrompt, into: &splice)
                    change = ReasoningSplices.anthropic(b, level: level, into: &splice)
                case (.countTokens, _):
                    FactorySplices.anthropicSystem(b, prompt: r.factory.systemPrompt, into: &splice)
                case (.responses, _):
                    FactorySplices.responsesInstructions(b, prompt: r.factory.systemPrompt, into: &splice)
                    ReasoningSplices.responses(b, level: level, into: &splice)
                    if r.model.fast { FactorySplices.priorityTier(b, into: &splice) }
                case (.generate, _):
                    FactorySplices.googleSystemInstruction(b, prompt: r.factory.systemPrompt, into: &splice)
                    ReasoningSplices.google(b, level: level, into: &splice)
                case (.chatCompletions, _):
                    FactorySplices.chatSystemMessage(b, prompt: r.factory.systemPrompt, into: &splice)
                    ReasoningSplices.chat(b, level: level, into: &splice)
                }
            }
            do { body = splice.isEmpty ? r.body : try r.body.withUnsafeBytes { (b) throws(Splice.Conflict) in try splice.apply(to: b) } } catch {
                Log.error("edged: the Factory splices for \(r.model.id) made conflicting edits: \(error); answered 500")
                return .failure(Failure(status: 500, type: "internal_error",
                                        message: "edged could not prepare this request for Factory (\(error)); it was not sent"))
            }
            switch change {
            case .add(let b): betas.append(b)
            case .remove(let b): betas.removeAll { $0.lowercased() == b }
            case .none: break
            }
        }

        var headers: [(String, String)] = [
            ("content-type", "application/json"),
            ("x-factory-client", "cli"),
            ("x-api-provider", r.model.provider),
            ("x-session-id", r.header("x-session-id") ?? ids.uuid()),
            ("x-assistant-message-id", r.header("x-assistant-message-id") ?? ids.uuid()),
            ("user-agent", r.userAgent),
            // Streams must arrive as they are produced, never compressed in blocks.
            ("accept-encoding", "identity"),
        ]
        if r.model.type == .google {
            // droid2api (transformers/request-google.js): the CLI version from the user agent.
            headers.append(("x-client-version", Self.clientVersion(userAgent: r.userAgent)))
        }
        if r.model.type == .anthropic {
            // droid2api (transformers/request-anthropic.js): fast models get the fast-mode beta.
            if r.model.fast && !betas.contains(where: { $0.lowercased() == Self.fastModeBeta }) { betas.append(Self.fastModeBeta) }
            headers.append(("anthropic-version", r.header("anthropic-version") ?? "2023-06-01"))
            headers.append(("x-api-key", "placeholder"))
            var seen = Set<String>()
            let list = betas.filter { seen.insert($0.lowercased()).inserted }
            if !list.isEmpty { headers.append(("anthropic-beta", list.joined(separator: ","))) }
        }
        // Tier 3: the client's own credential, as a bearer.
        let own = r.header("authorization") ?? r.header("x-api-key").map { "Bearer " + $0 }
        return .success(FactoryExchange.Plan(url: url, host: OutboundRequest.host(of: url), body: body, headers: headers, clientAuthorization: own,
                                             clientKeyWithheld: r.clientKeyWithheld, translation: translation, context: ctx))
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
