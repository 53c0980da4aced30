/// Model alias: clients (Droid CLI's custom model slugs) name models the
/// backend does not know; the alias maps them to the backend's name. The
/// model value (quotes included) is replaced by the target as a JSON string.
public enum ModelAliasRule {
    /// The target name if the model is an alias.
    public static func target(for model: UnsafeRawBufferPointer, _ settings: RewriteSettings) -> [UInt8]? {
        let all = ByteRange(0, model.count)
        return settings.modelAliases.first { model.equalsBytes(all, $0.from) }?.to
    }

    /// `name` as a JSON string token.
    public static func jsonString(_ name: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x22]
        for c in name {
            switch c {
            case 0x22: out += [0x5c, 0x22]
            case 0x5c: out += [0x5c, 0x5c]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += [0x5c, 0x75, 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 0xf)]]
            default: out.append(c)
            }
        }
        out.append(0x22)
        return out
    }
}
