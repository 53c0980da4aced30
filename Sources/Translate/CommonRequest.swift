// `common` models speak chat completions natively: the body is kept as sent, in order,
// with three edits (model, system prompt, reasoning_effort).

import Shared

enum CommonRequest {
    static func build(_ chat: JSONValue, _ ctx: TranslationContext) throws(TranslationError) -> JSONValue {
        guard case .object(var body) = chat else {
            throw TranslationError("the request body must be a JSON object")
        }
        guard case .array(var messages)? = body["messages"] else {
            throw TranslationError("\"messages\" must be an array")
        }
        body["model"] = .string(ctx.model)  // in place when present
        if !ctx.systemPrompt.isEmpty {
            messages.insert(["role": "system", "content": .string(ctx.systemPrompt)], at: 0)
            body["messages"] = .array(messages)
        }
        switch ctx.reasoning {
        case .auto:
            break
        case .off:
            body["reasoning_effort"] = nil
        case .low, .medium, .high, .xhigh:
            body["reasoning_effort"] = .string(ctx.reasoning.rawValue)
        }
        return .object(body)
    }
}
