// MARK: - Key path formatting

enum JSONKeyPath {
    /// Appends `.key`, or `["key"]` when the key is not a plain identifier
    /// (ASCII letters, digits, '_' and '-').
    static func append(_ key: String, to path: inout String) {
        if isPlain(key) {
            if !path.isEmpty { path += "." }
            path += key
        } else {
            path += "[\(JSONValue.string(key).serializedString())]"
        }
    }

    private static func isPlain(_ key: String) -> Bool {
        !key.isEmpty
            && key.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default:
                    false
                }
            }
    }
}
