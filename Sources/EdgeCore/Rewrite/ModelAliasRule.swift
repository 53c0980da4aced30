/// Model alias: clients (Droid CLI's custom model slugs) name models the
/// backend does not know; the alias maps them to the backend's name. The
/// model value (quotes included) is replaced by the target as a JSON string.
public enum ModelAliasRule {
    /// The target name if the model is an alias.
    public static func target(for model: UnsafeRawBufferPointer, _ settings: RewriteSettings) -> [UInt8]? {
        let all = ByteRange(0, model.count)
        return settings.modelAliases.first { model.equalsBytes(all, $0.from) }?.to
    }
}
