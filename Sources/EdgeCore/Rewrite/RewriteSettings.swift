import Values

/// The rewrite rules' configuration, as bytes ready for comparison
/// (config keys `rewrites.*`; defaults from the spec).
public struct RewriteSettings: Sendable {
    public var modelAliases: [(from: [UInt8], to: [UInt8])]
    public var fastModeModels: [[UInt8]]
    public var visibleThinkingBetas: [String]
    public var stripBetaPrefixes: [String]
    /// `thinking.display` to ask for ("" turns the thinking-display rule off).
    public var thinkingDisplay: String
    /// `,"display":"<value>"`, ready to splice.
    public var thinkingDisplayMember: [UInt8]

    /// From the config's `rewrites` section (defaults there).
    public init(_ config: RewritesConfig = RewritesConfig()) {
        self.modelAliases = config.modelAliases.map { (Array($0.0.utf8), Array($0.1.utf8)) }
        self.fastModeModels = config.fastModeModels.map { Array($0.utf8) }
        self.visibleThinkingBetas = config.visibleThinkingBetas
        self.stripBetaPrefixes = config.stripBetaPrefixes
        self.thinkingDisplay = config.thinkingDisplay
        self.thinkingDisplayMember = Array(#","display":""#.utf8) + Array(config.thinkingDisplay.utf8) + [0x22]
    }
}
