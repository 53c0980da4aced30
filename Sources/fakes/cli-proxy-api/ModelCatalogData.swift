/// The embedded model catalog of the real cli-proxy-api at commit a7e3596:
/// `internal/registry/models/models.json`, per provider key, every entry with
/// the fields the model listings show (ids, owners, display names, creation
/// times, limits and descriptions exactly as that file has them). Generated
/// from the file; gemini-cli, aistudio and the API-key-only `gemini` list are
/// left out (no account file serves them).
extension ModelCatalog {
    /// `claude`
    static let claude: [Model] = [
        Model(id: "claude-haiku-4-5-20251001", ownedBy: "anthropic", displayName: "Claude 4.5 Haiku", created: 1759276800, contextLength: 200000, maxCompletionTokens: 64000),
        Model(id: "claude-sonnet-4-5-20250929", ownedBy: "anthropic", displayName: "Claude 4.5 Sonnet", created: 1759104000, contextLength: 200000, maxCompletionTokens: 64000),
        Model(id: "claude-sonnet-4-6", ownedBy: "anthropic", displayName: "Claude 4.6 Sonnet", created: 1771372800, contextLength: 200000, maxCompletionTokens: 64000),
        Model(id: "claude-opus-4-6", ownedBy: "anthropic", displayName: "Claude 4.6 Opus", created: 1770318000, contextLength: 1000000, maxCompletionTokens: 128000, description: "Premium model combining maximum intelligence with practical performance"),
        Model(id: "claude-opus-4-7", ownedBy: "anthropic", displayName: "Claude Opus 4.7", created: 1776297600, contextLength: 1000000, maxCompletionTokens: 128000, description: "Premium model combining maximum intelligence with practical performance"),
        Model(id: "claude-opus-4-8", ownedBy: "anthropic", displayName: "Claude Opus 4.8", created: 1779984000, contextLength: 1000000, maxCompletionTokens: 128000, description: "Premium model combining maximum intelligence with practical performance"),
        Model(id: "claude-opus-5", ownedBy: "anthropic", displayName: "Claude Opus 5", created: 1784038800, contextLength: 1000000, maxCompletionTokens: 128000, description: "Latest premium model combining maximum intelligence with practical performance"),
        Model(id: "claude-sonnet-5", ownedBy: "anthropic", displayName: "Claude Sonnet 5", created: 1782777600, contextLength: 1000000, maxCompletionTokens: 128000, description: "Anthropic's agentic Sonnet model for coding, tool use, and enterprise workflows"),
        Model(id: "claude-fable-5", ownedBy: "anthropic", displayName: "Claude Fable 5", created: 1781049600, contextLength: 1000000, maxCompletionTokens: 128000, description: "Anthropic's most capable widely released model, for the most demanding reasoning and long-horizon agentic work"),
        Model(id: "claude-opus-4-5-20251101", ownedBy: "anthropic", displayName: "Claude 4.5 Opus", created: 1761955200, contextLength: 200000, maxCompletionTokens: 64000, description: "Premium model combining maximum intelligence with practical performance"),
        Model(id: "claude-opus-4-1-20250805", ownedBy: "anthropic", displayName: "Claude 4.1 Opus", created: 1722945600, contextLength: 200000, maxCompletionTokens: 32000),
        Model(id: "claude-opus-4-20250514", ownedBy: "anthropic", displayName: "Claude 4 Opus", created: 1715644800, contextLength: 200000, maxCompletionTokens: 32000),
        Model(id: "claude-sonnet-4-20250514", ownedBy: "anthropic", displayName: "Claude 4 Sonnet", created: 1715644800, contextLength: 200000, maxCompletionTokens: 64000),
        Model(id: "claude-3-7-sonnet-20250219", ownedBy: "anthropic", displayName: "Claude 3.7 Sonnet", created: 1708300800, contextLength: 128000, maxCompletionTokens: 8192),
        Model(id: "claude-3-5-haiku-20241022", ownedBy: "anthropic", displayName: "Claude 3.5 Haiku", created: 1729555200, contextLength: 128000, maxCompletionTokens: 8192),
    ]

    /// `codex-pro`
    static let codexPro: [Model] = [
        Model(id: "gpt-5.3-codex-spark", ownedBy: "openai", displayName: "GPT 5.3 Codex Spark", created: 1770912000, contextLength: 128000, maxCompletionTokens: 128000, version: "gpt-5.3", description: "Ultra-fast coding model."),
        Model(id: "gpt-5.4", ownedBy: "openai", displayName: "GPT 5.4", created: 1772668800, contextLength: 1050000, maxCompletionTokens: 128000, version: "gpt-5.4", description: "Stable version of GPT 5.4"),
        Model(id: "gpt-5.4-mini", ownedBy: "openai", displayName: "GPT 5.4 Mini", created: 1773705600, contextLength: 400000, maxCompletionTokens: 128000, version: "gpt-5.4-mini", description: "GPT-5.4 mini brings the strengths of GPT-5.4 to a faster, more efficient model designed for high-volume workloads."),
        Model(id: "gpt-5.5", ownedBy: "openai", displayName: "GPT 5.5", created: 1776902400, contextLength: 272000, maxCompletionTokens: 128000, version: "gpt-5.5", description: "Frontier model for complex coding, research, and real-world work."),
        Model(id: "gpt-5.6-sol", ownedBy: "openai", displayName: "GPT 5.6 Sol", created: 1783616400, contextLength: 921000, maxCompletionTokens: 128000, version: "gpt-5.6", description: "Our most capable model yet. GPT-5.6 Sol can tackle complex code changes, dig into research, produce polished documents, and take on your most ambitious work. Sol is highly capable at lower reasoning efforts—try starting lower, then turn it up for harder jobs."),
        Model(id: "gpt-5.6-terra", ownedBy: "openai", displayName: "GPT 5.6 Terra", created: 1783616400, contextLength: 921000, maxCompletionTokens: 128000, version: "gpt-5.6", description: "Balanced agentic coding model for everyday work."),
        Model(id: "gpt-5.6-luna", ownedBy: "openai", displayName: "GPT 5.6 Luna", created: 1783616400, contextLength: 921000, maxCompletionTokens: 128000, version: "gpt-5.6", description: "Fast and affordable agentic coding model."),
        Model(id: "codex-auto-review", ownedBy: "openai", displayName: "Codex Auto Review", created: 1776902400, contextLength: 272000, maxCompletionTokens: 128000, version: "Codex Auto Review", description: "Automatic approval review model for Codex."),
    ]

    /// `codex-plus`
    static let codexPlus: [Model] = [
        Model(id: "gpt-5.3-codex-spark", ownedBy: "openai", displayName: "GPT 5.3 Codex Spark", created: 1770912000, contextLength: 128000, maxCompletionTokens: 128000, version: "gpt-5.3", description: "Ultra-fast coding model."),
        Model(id: "gpt-5.4", ownedBy: "openai", displayName: "GPT 5.4", created: 1772668800, contextLength: 1050000, maxCompletionTokens: 128000, version: "gpt-5.4", description: "Stable version of GPT 5.4"),
        Model(id: "gpt-5.4-mini", ownedBy: "openai", displayName: "GPT 5.4 Mini", created: 1773705600, contextLength: 400000, maxCompletionTokens: 128000, version: "gpt-5.4-mini", description: "GPT-5.4 mini brings the strengths of GPT-5.4 to a faster, more efficient model designed for high-volume workloads."),
        Model(id: "gpt-5.5", ownedBy: "openai", displayName: "GPT 5.5", created: 1776902400, contextLength: 272000, maxCompletionTokens: 128000, version: "gpt-5.5", description: "Frontier model for complex coding, research, and real-world work."),
        Model(id: "gpt-5.6-sol", ownedBy: "openai", displayName: "GPT 5.6 Sol", created: 1783616400, contextLength: 372000, maxCompletionTokens: 128000, version: "gpt-5.6", description: "Our most capable model yet. GPT-5.6 Sol can tackle complex code changes, dig into research, produce polished documents, and take on your most ambitious work. Sol is highly capable at lower reasoning efforts—try starting lower, then turn it up for harder jobs."),
        Model(id: "gpt-5.6-terra", ownedBy: "openai", displayName: "GPT 5.6 Terra", created: 1783616400, contextLength: 372000, maxCompletionTokens: 128000, version: "gpt-5.6", description: "Balanced agentic coding model for everyday work."),
        Model(id: "gpt-5.6-luna", ownedBy: "openai", displayName: "GPT 5.6 Luna", created: 1783616400, contextLength: 372000, maxCompletionTokens: 128000, version: "gpt-5.6", description: "Fast and affordable agentic coding model."),
        Model(id: "codex-auto-review", ownedBy: "openai", displayName: "Codex Auto Review", created: 1776902400, contextLength: 272000, maxCompletionTokens: 128000, version: "Codex Auto Review", description: "Automatic approval review model for Codex."),
    ]

    /// `codex-team`
    static let codexTeam: [Model] = [
        Model(id: "gpt-5.4", ownedBy: "openai", displayName: "GPT 5.4", created: 1772668800, contextLength: 1050000, maxCompletionTokens: 128000, version: "gpt-5.4", description: "Stable version of GPT 5.4"),
        Model(id: "gpt-5.4-mini", ownedBy: "openai", displayName: "GPT 5.4 Mini", created: 1773705600, contextLength: 400000, maxCompletionTokens: 128000, version: "gpt-5.4-mini", description: "GPT-5.4 mini brings the strengths of GPT-5.4 to a faster, more efficient model designed for high-volume workloads."),
        Model(id: "gpt-5.5", ownedBy: "openai", displayName: "GPT 5.5", created: 1776902400, contextLength: 272000, maxCompletionTokens: 128000, version: "gpt-5.5", description: "Frontier model for complex coding, research, and real-world work."),
        Model(id: "gpt-5.6-sol", ownedBy: "openai", displayName: "GPT 5.6 Sol", created: 1783616400, contextLength: 372000, maxCompletionTokens: 128000, version: "gpt-5.6", description: "Our most capable model yet. GPT-5.6 Sol can tackle complex code changes, dig into research, produce polished documents, and take on your most ambitious work. Sol is highly capable at lower reasoning efforts—try starting lower, then turn it up for harder jobs."),
        Model(id: "gpt-5.6-terra", ownedBy: "openai", displayName: "GPT 5.6 Terra", created: 1783616400, contextLength: 372000, maxCompletionTokens: 128000, version: "gpt-5.6", description: "Balanced agentic coding model for everyday work."),
        Model(id: "gpt-5.6-luna", ownedBy: "openai", displayName: "GPT 5.6 Luna", created: 1783616400, contextLength: 372000, maxCompletionTokens: 128000, version: "gpt-5.6", description: "Fast and affordable agentic coding model."),
        Model(id: "codex-auto-review", ownedBy: "openai", displayName: "Codex Auto Review", created: 1776902400, contextLength: 272000, maxCompletionTokens: 128000, version: "Codex Auto Review", description: "Automatic approval review model for Codex."),
    ]

    /// `codex-free`
    static let codexFree: [Model] = [
        Model(id: "gpt-5.4-mini", ownedBy: "openai", displayName: "GPT 5.4 Mini", created: 1773705600, contextLength: 400000, maxCompletionTokens: 128000, version: "gpt-5.4-mini", description: "GPT-5.4 mini brings the strengths of GPT-5.4 to a faster, more efficient model designed for high-volume workloads."),
        Model(id: "gpt-5.5", ownedBy: "openai", displayName: "GPT 5.5", created: 1776902400, contextLength: 272000, maxCompletionTokens: 128000, version: "gpt-5.5", description: "Frontier model for complex coding, research, and real-world work."),
        Model(id: "gpt-5.6-terra", ownedBy: "openai", displayName: "GPT 5.6 Terra", created: 1783616400, contextLength: 372000, maxCompletionTokens: 128000, version: "gpt-5.6", description: "Balanced agentic coding model for everyday work."),
        Model(id: "gpt-5.6-luna", ownedBy: "openai", displayName: "GPT 5.6 Luna", created: 1783616400, contextLength: 372000, maxCompletionTokens: 128000, version: "gpt-5.6", description: "Fast and affordable agentic coding model."),
        Model(id: "codex-auto-review", ownedBy: "openai", displayName: "Codex Auto Review", created: 1776902400, contextLength: 272000, maxCompletionTokens: 128000, version: "Codex Auto Review", description: "Automatic approval review model for Codex."),
    ]

    /// `antigravity`
    static let antigravity: [Model] = [
        Model(id: "claude-opus-4-6-thinking", ownedBy: "antigravity", displayName: "Claude Opus 4.6 (Thinking)", contextLength: 200000, maxCompletionTokens: 64000, name: "claude-opus-4-6-thinking", description: "Claude Opus 4.6 (Thinking)"),
        Model(id: "claude-sonnet-4-6", ownedBy: "antigravity", displayName: "Claude Sonnet 4.6 (Thinking)", contextLength: 200000, maxCompletionTokens: 64000, name: "claude-sonnet-4-6", description: "Claude Sonnet 4.6 (Thinking)"),
        Model(id: "gemini-3.6-flash-high", ownedBy: "antigravity", displayName: "Gemini 3.6 Flash", contextLength: 1048576, maxCompletionTokens: 65536, name: "gemini-3.6-flash-high", description: "Gemini 3.6 Flash (High)"),
        Model(id: "gemini-3.7-flash-high", ownedBy: "antigravity", displayName: "Gemini 3.7 Flash", contextLength: 1048576, maxCompletionTokens: 65536, name: "gemini-3.7-flash-high", description: "Gemini 3.7 Flash (High)"),
        Model(id: "gemini-3-flash", ownedBy: "antigravity", displayName: "Gemini 3 Flash", contextLength: 1048576, maxCompletionTokens: 65536, name: "gemini-3-flash", description: "Gemini 3 Flash"),
        Model(id: "gemini-3-flash-agent", ownedBy: "antigravity", displayName: "Gemini 3.5 Flash (High)", contextLength: 1048576, maxCompletionTokens: 65536, name: "gemini-3-flash-agent", description: "Gemini 3.5 Flash (High)"),
        Model(id: "gemini-3.1-flash-image", ownedBy: "antigravity", displayName: "Gemini 3.1 Flash Image", name: "gemini-3.1-flash-image", description: "Gemini 3.1 Flash Image"),
        Model(id: "gemini-pro-agent", ownedBy: "antigravity", displayName: "Gemini 3.1 Pro (High)", contextLength: 1048576, maxCompletionTokens: 65535, name: "gemini-pro-agent", description: "Gemini 3.1 Pro (High)"),
        Model(id: "gemini-3.1-pro-low", ownedBy: "antigravity", displayName: "Gemini 3.1 Pro (Low)", contextLength: 1048576, maxCompletionTokens: 65535, name: "gemini-3.1-pro-low", description: "Gemini 3.1 Pro (Low)"),
        Model(id: "gpt-oss-120b-medium", ownedBy: "antigravity", displayName: "GPT-OSS 120B (Medium)", contextLength: 114000, maxCompletionTokens: 32768, name: "gpt-oss-120b-medium", description: "GPT-OSS 120B (Medium)"),
        Model(id: "gemini-3.1-flash-lite", ownedBy: "antigravity", displayName: "Gemini 3.1 Flash Lite", contextLength: 1048576, maxCompletionTokens: 65535, name: "gemini-3.1-flash-lite", description: "Gemini 3.1 Flash Lite"),
        Model(id: "gemini-3.5-flash-low", ownedBy: "antigravity", displayName: "Gemini 3.5 Flash (Medium)", contextLength: 1048576, maxCompletionTokens: 65535, name: "gemini-3.5-flash-low", description: "Gemini 3.5 Flash (Medium)"),
        Model(id: "gemini-3.5-flash-extra-low", ownedBy: "antigravity", displayName: "Gemini 3.5 Flash (Low)", contextLength: 1048576, maxCompletionTokens: 65535, name: "gemini-3.5-flash-extra-low", description: "Gemini 3.5 Flash (Low)"),
    ]

    /// `kimi`
    static let kimi: [Model] = [
        Model(id: "kimi-k2", ownedBy: "moonshot", displayName: "Kimi K2", created: 1752192000, contextLength: 131072, maxCompletionTokens: 32768, description: "Kimi K2 - Moonshot AI's flagship coding model"),
        Model(id: "kimi-k2-thinking", ownedBy: "moonshot", displayName: "Kimi K2 Thinking", created: 1762387200, contextLength: 131072, maxCompletionTokens: 32768, description: "Kimi K2 Thinking - Extended reasoning model"),
        Model(id: "kimi-k2.5", ownedBy: "moonshot", displayName: "Kimi K2.5", created: 1769472000, contextLength: 262144, maxCompletionTokens: 32768, description: "Kimi K2.5 - Native multimodal agentic model with text, image, and video input; supports thinking and non-thinking modes"),
        Model(id: "kimi-k2.6", ownedBy: "moonshot", displayName: "Kimi K2.6", created: 1776729600, contextLength: 262144, maxCompletionTokens: 65536, description: "Kimi K2.6 - Native multimodal agentic model with stronger long-horizon agentic coding, long-context reasoning, and preserved thinking support"),
        Model(id: "kimi-k2.7-code", ownedBy: "moonshot", displayName: "Kimi K2.7 Code", created: 1780396800, contextLength: 262144, maxCompletionTokens: 65536, description: "Kimi K2.7 Code - Moonshot AI's latest coding-focused model"),
        Model(id: "kimi-k2.7-code-highspeed", ownedBy: "moonshot", displayName: "Kimi K2.7 Code HighSpeed", created: 1780396800, contextLength: 262144, maxCompletionTokens: 65536, description: "Kimi K2.7 Code HighSpeed - Same capabilities as Kimi K2.7 Code with higher output speed (~180 tokens/s)"),
        Model(id: "kimi-k3", ownedBy: "moonshot", displayName: "Kimi K3", created: 1784073600, contextLength: 1048576, maxCompletionTokens: 65536, description: "Kimi K3 - Moonshot AI's next-generation flagship model (~2.8T MoE) with multimodal input"),
        Model(id: "kimi-k3-256k", ownedBy: "moonshot", displayName: "Kimi K3 256K", created: 1785110400, contextLength: 262144, maxCompletionTokens: 65536, description: "Kimi K3 256K - 256K context version of Kimi K3 delivering the same results within 256K context at reduced quota consumption; supports image input only (no video)"),
    ]

    /// `xai`
    static let xai: [Model] = [
        Model(id: "grok-4.6", ownedBy: "xai", displayName: "Grok 4.6", created: 1785974400, contextLength: 500000, maxCompletionTokens: 65536, name: "grok-4.6", description: "SpaceXAI's smartest model built for long-running agents, interactive and visual work."),
        Model(id: "grok-build-0.1", ownedBy: "xai", displayName: "Grok Build 0.1", created: 1779321600, contextLength: 256000, maxCompletionTokens: 256000, name: "grok-build-0.1", description: "Grok Build 0.1 is xAI’s fast coding model trained specifically for agentic software engineering workflows."),
        Model(id: "grok-4.5", ownedBy: "xai", displayName: "Grok 4.5", created: 1783526400, contextLength: 500000, maxCompletionTokens: 65536, name: "grok-4.5", description: "SpaceXAI's intelligent coding model for agentic software, engineering, and workflow tasks."),
        Model(id: "grok-4.3", ownedBy: "xai", displayName: "Grok 4.3", created: 1775606400, contextLength: 1000000, maxCompletionTokens: 65536, name: "grok-4.3", description: "xAI Grok 4.3 model for the Responses API."),
        Model(id: "grok-4.20-0309-reasoning", ownedBy: "xai", displayName: "Grok 4.20 0309 Reasoning", created: 1773014400, contextLength: 2000000, maxCompletionTokens: 65536, name: "grok-4.20-0309-reasoning", description: "xAI Grok 4.20 0309 reasoning model for the Responses API."),
        Model(id: "grok-4.20-0309-non-reasoning", ownedBy: "xai", displayName: "Grok 4.20 0309 Non Reasoning", created: 1773014400, contextLength: 2000000, maxCompletionTokens: 65536, name: "grok-4.20-0309-non-reasoning", description: "xAI Grok 4.20 0309 non-reasoning model for the Responses API."),
        Model(id: "grok-4.20-multi-agent-0309", ownedBy: "xai", displayName: "Grok 4.20 Multi Agent 0309", created: 1773014400, contextLength: 2000000, maxCompletionTokens: 65536, name: "grok-4.20-multi-agent-0309", description: "xAI Grok 4.20 multi-agent model for the Responses API."),
        Model(id: "grok-3-mini", ownedBy: "xai", displayName: "Grok 3 Mini", created: 1740960000, contextLength: 131072, maxCompletionTokens: 32768, name: "grok-3-mini", description: "xAI Grok 3 Mini model for the Responses API."),
        Model(id: "grok-3-mini-fast", ownedBy: "xai", displayName: "Grok 3 Mini Fast", created: 1740960000, contextLength: 131072, maxCompletionTokens: 32768, name: "grok-3-mini-fast", description: "xAI Grok 3 Mini Fast model for the Responses API."),
        Model(id: "grok-composer-2.5-fast", ownedBy: "xai", displayName: "Composer 2.5 Fast", created: 1740960000, contextLength: 200000, maxCompletionTokens: 32768, name: "grok-composer-2.5-fast", description: "xAI Composer 2.5 Fast model for the Responses API."),
    ]

    /// `vertex`
    static let vertex: [Model] = [
        Model(id: "gemini-2.5-pro", ownedBy: "google", displayName: "Gemini 2.5 Pro", created: 1750118400, name: "models/gemini-2.5-pro", version: "2.5", description: "Stable release (June 17th, 2025) of Gemini 2.5 Pro", inputTokenLimit: 1048576, outputTokenLimit: 65536, methods: ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]),
        Model(id: "gemini-2.5-flash", ownedBy: "google", displayName: "Gemini 2.5 Flash", created: 1750118400, name: "models/gemini-2.5-flash", version: "001", description: "Stable version of Gemini 2.5 Flash, our mid-size multimodal model that supports up to 1 million tokens, released in June of 2025.", inputTokenLimit: 1048576, outputTokenLimit: 65536, methods: ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]),
        Model(id: "gemini-2.5-flash-image", ownedBy: "google", displayName: "Gemini 2.5 Flash Image", created: 1763596800, name: "models/gemini-2.5-flash-image", version: "001", description: "Our state-of-the-art image generation and editing model.", inputTokenLimit: 1048576, outputTokenLimit: 65536, methods: ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]),
        Model(id: "gemini-2.5-flash-lite", ownedBy: "google", displayName: "Gemini 2.5 Flash Lite", created: 1753142400, name: "models/gemini-2.5-flash-lite", version: "2.5", description: "Our smallest and most cost effective model, built for at scale usage.", inputTokenLimit: 1048576, outputTokenLimit: 65536, methods: ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]),
        Model(id: "gemini-3-pro", ownedBy: "google", displayName: "Gemini 3 Pro", created: 1737158400, name: "models/gemini-3-pro", version: "3.0", description: "Gemini 3 Pro", inputTokenLimit: 1048576, outputTokenLimit: 65536, methods: ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]),
        Model(id: "gemini-3-flash", ownedBy: "google", displayName: "Gemini 3 Flash", created: 1765929600, name: "models/gemini-3-flash", version: "3.0", description: "Our most intelligent model built for speed, combining frontier intelligence with superior search and grounding.", inputTokenLimit: 1048576, outputTokenLimit: 65536, methods: ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]),
        Model(id: "gemini-3.1-pro", ownedBy: "google", displayName: "Gemini 3.1 Pro", created: 1771459200, name: "models/gemini-3.1-pro", version: "3.1", description: "Gemini 3.1 Pro", inputTokenLimit: 1048576, outputTokenLimit: 65536, methods: ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]),
        Model(id: "gemini-3.1-pro-preview", ownedBy: "google", displayName: "Gemini 3.1 Pro Preview", created: 1771459200, name: "models/gemini-3.1-pro-preview", version: "3.1", description: "Gemini 3.1 Pro Preview", inputTokenLimit: 1048576, outputTokenLimit: 65536, methods: ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]),
        Model(id: "gemini-3.1-flash-image", ownedBy: "google", displayName: "Gemini 3.1 Flash Image", created: 1771459200, name: "models/gemini-3.1-flash-image", version: "3.1", description: "Gemini 3.1 Flash Image", inputTokenLimit: 1048576, outputTokenLimit: 65536, methods: ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]),
        Model(id: "gemini-3.1-flash-lite", ownedBy: "google", displayName: "Gemini 3.1 Flash Lite", created: 1776288000, name: "models/gemini-3.1-flash-lite", version: "3.1", description: "Our smallest and most cost effective model, built for at scale usage.", inputTokenLimit: 1048576, outputTokenLimit: 65536, methods: ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]),
        Model(id: "gemini-3-pro-image", ownedBy: "google", displayName: "Gemini 3 Pro Image", created: 1737158400, name: "models/gemini-3-pro-image", version: "3.0", description: "Gemini 3 Pro Image", inputTokenLimit: 1048576, outputTokenLimit: 65536, methods: ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]),
        Model(id: "imagen-4.0-generate-001", ownedBy: "google", displayName: "Imagen 4.0 Generate", created: 1750000000, name: "models/imagen-4.0-generate-001", version: "4.0", description: "Imagen 4.0 image generation model", methods: ["predict"]),
        Model(id: "imagen-4.0-ultra-generate-001", ownedBy: "google", displayName: "Imagen 4.0 Ultra Generate", created: 1750000000, name: "models/imagen-4.0-ultra-generate-001", version: "4.0", description: "Imagen 4.0 Ultra high-quality image generation model", methods: ["predict"]),
        Model(id: "imagen-3.0-generate-002", ownedBy: "google", displayName: "Imagen 3.0 Generate", created: 1740000000, name: "models/imagen-3.0-generate-002", version: "3.0", description: "Imagen 3.0 image generation model", methods: ["predict"]),
        Model(id: "imagen-3.0-fast-generate-001", ownedBy: "google", displayName: "Imagen 3.0 Fast Generate", created: 1740000000, name: "models/imagen-3.0-fast-generate-001", version: "3.0", description: "Imagen 3.0 fast image generation model", methods: ["predict"]),
        Model(id: "imagen-4.0-fast-generate-001", ownedBy: "google", displayName: "Imagen 4.0 Fast Generate", created: 1750000000, name: "models/imagen-4.0-fast-generate-001", version: "4.0", description: "Imagen 4.0 fast image generation model", methods: ["predict"]),
        Model(id: "gemini-3.5-flash", ownedBy: "google", displayName: "Gemini 3.5 Flash", created: 1779235200, name: "models/gemini-3.5-flash", version: "3.5", description: "Our most intelligent model built for speed, combining frontier intelligence with superior search and grounding.", inputTokenLimit: 1048576, outputTokenLimit: 65536, methods: ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]),
        Model(id: "gemini-3.5-flash-lite", ownedBy: "google", displayName: "Gemini 3.5 Flash Lite", created: 1782864000, name: "models/gemini-3.5-flash-lite", version: "3.5", description: "Gemini 3.5 Flash Lite", inputTokenLimit: 1048576, outputTokenLimit: 65536, methods: ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]),
        Model(id: "gemini-3.6-flash", ownedBy: "google", displayName: "Gemini 3.6 Flash", created: 1782864000, name: "models/gemini-3.6-flash", version: "3.6", description: "Gemini 3.6 Flash", inputTokenLimit: 1048576, outputTokenLimit: 65536, methods: ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]),
        Model(id: "gemini-3.7-flash", ownedBy: "google", displayName: "Gemini 3.7 Flash", contextLength: 1048576, maxCompletionTokens: 65536, name: "gemini-3.7-flash", description: "Gemini 3.7 Flash"),
    ]
}
