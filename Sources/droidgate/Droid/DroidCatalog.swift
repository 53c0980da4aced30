import Shared

/// The Droid models to register for the ids the running stack serves: each
/// described by its family (ModelFamilies), a configured `droid.models` entry
/// for the same model taking precedence, and a configured Factory model's
/// type choosing the Droid provider (the endpoint edged serves it on).
enum DroidCatalog {
    struct Selection {
        var models: [DroidModel] = []
        /// Served ids that are not chat models (image/video generators).
        var skipped: [String] = []
    }

    static func forServed(_ ids: [String], config: Config) -> Selection {
        let overrides = configuredOverrides(config)
        let factoryTypes = Dictionary(config.models.filter { $0.upstream == .factory }.map { ($0.id, $0.type) },
                                      uniquingKeysWith: { a, _ in a })
        var result = Selection()
        var slugs = Set<String>()
        for id in ids where slugs.insert(DroidSettings.slug(id)).inserted {
            if let own = overrides.first(where: { $0.model == id }) {
                result.models.append(own)
                continue
            }
            let family = ModelFamilies.family(of: id)
            guard family.chat else { result.skipped.append(id); continue }
            let provider = factoryTypes[id].map(droidProvider(forFactoryType:)) ?? family.provider
            result.models.append(DroidModel(model: id, displayName: ModelNames.displayName(id, family: family), provider: provider,
                                            maxOutputTokens: family.maxOutputTokens, reasoningEfforts: family.efforts,
                                            defaultReasoningEffort: family.defaultEffort, noImageSupport: family.noImageSupport))
        }
        return result
    }

    /// The `droid.models` entries the config sets. Without the key the config
    /// holds the built-in list (DroidModel.defaults, which agrees with the
    /// family table), and nothing overrides the table.
    static func configuredOverrides(_ config: Config) -> [DroidModel] {
        config.droidModels == DroidModel.defaults ? [] : config.droidModels
    }

    /// The Droid provider type that reaches a Factory model of `type` through edged.
    static func droidProvider(forFactoryType type: String) -> String {
        switch type {
        case "anthropic": ModelFamilies.anthropic
        case "openai": ModelFamilies.openai
        default: ModelFamilies.chat   // common, google: /v1/chat/completions serves every type
        }
    }
}
