/// Fast mode: for the configured models on the Responses API, ask for the
/// priority tier by inserting `,"service_tier":"priority"` right after the
/// model value — unless the client already chose a tier (even `null`).
public enum FastModeRule {
    public static let insertion = Array(#","service_tier":"priority""#.utf8)

    public static func applies(path: UnsafeRawBufferPointer, model: UnsafeRawBufferPointer, serviceTierPresent: Bool, _ settings: RewriteSettings) -> Bool {
        guard !serviceTierPresent, !settings.fastModeModels.isEmpty, ResponsesPath.isResponses(path) else { return false }
        let all = ByteRange(0, model.count)
        return settings.fastModeModels.contains { model.equalsBytes(all, $0) }
    }
}
