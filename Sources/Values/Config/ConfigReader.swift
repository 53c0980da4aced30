/// Reads one JSON object of the config with type checks, defaults and an
/// unknown-key check, so every error names its key path.
public struct ConfigReader {
    let file: String
    let path: String
    let object: JSONObject
    private var seen: Set<String> = []

    public init(file: String, path: String, object: JSONObject) {
        self.file = file
        self.path = path
        self.object = object
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func error(_ key: String, _ problem: String) -> ConfigError {
        ConfigError(file: file, key: keyPath(key), problem: problem)
    }

    private func describe(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return "string \"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\""
        case .number(let n): return "number \(n.literal)"
        case .bool(let b): return "boolean \(b)"
        default: return v.typeName
        }
    }

    private mutating func value(_ key: String) -> JSONValue? {
        seen.insert(key)
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    public mutating func has(_ key: String) -> Bool { object[key] != nil }

    public mutating func string(_ key: String, default d: String) throws(ConfigError) -> String {
        try optionalString(key) ?? d
    }

    public mutating func optionalString(_ key: String) throws(ConfigError) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.stringValue else { throw error(key, "expected a string, got \(describe(v))") }
        return s
    }

    public mutating func int(_ key: String, default d: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let v = value(key) else { return d }
        guard let i = v.intValue else { throw error(key, "expected an integer, got \(describe(v))") }
        guard range.contains(i) else {
            throw error(key, "expected an integer between \(range.lowerBound) and \(range.upperBound), got \(i)")
        }
        return i
    }

    public mutating func double(_ key: String, default d: Double, range: ClosedRange<Double>) throws(ConfigError) -> Double {
        guard let v = value(key) else { return d }
        guard case .number(let n) = v else { throw error(key, "expected a number, got \(describe(v))") }
        let x = n.doubleValue
        guard range.contains(x) else {
            throw error(key, "expected a number between \(range.lowerBound) and \(range.upperBound), got \(n.literal)")
        }
        return x
    }

    public mutating func bool(_ key: String, default d: Bool) throws(ConfigError) -> Bool {
        guard let v = value(key) else { return d }
        guard let b = v.boolValue else { throw error(key, "expected true or false, got \(describe(v))") }
        return b
    }

    public mutating func stringArray(_ key: String, default d: [String]) throws(ConfigError) -> [String] {
        guard let v = value(key) else { return d }
        guard let a = v.arrayValue else { throw error(key, "expected an array of strings, got \(describe(v))") }
        var out: [String] = []
        for (i, e) in a.enumerated() {
            guard let s = e.stringValue else {
                throw ConfigError(file: file, key: "\(keyPath(key))[\(i)]", problem: "expected a string, got \(describe(e))")
            }
            out.append(s)
        }
        return out
    }

    public mutating func stringMap(_ key: String, default d: [(String, String)]) throws(ConfigError) -> [(String, String)] {
        guard let v = value(key) else { return d }
        guard let o = v.objectValue else { throw error(key, "expected an object of strings, got \(describe(v))") }
        var out: [(String, String)] = []
        for (k, e) in o.entries {
            guard let s = e.stringValue else {
                throw ConfigError(file: file, key: "\(keyPath(key)).\(k)", problem: "expected a string, got \(describe(e))")
            }
            out.append((k, s))
        }
        return out
    }

    /// A free-form object passed through as is.
    public mutating func object(_ key: String) throws(ConfigError) -> JSONObject? {
        guard let v = value(key) else { return nil }
        guard let o = v.objectValue else { throw error(key, "expected an object, got \(describe(v))") }
        return o
    }

    /// A nested section; absent means all defaults.
    public mutating func section(_ key: String) throws(ConfigError) -> ConfigReader {
        let o = try object(key) ?? JSONObject()
        return ConfigReader(file: file, path: keyPath(key), object: o)
    }

    /// An array of objects, each read by `read`.
    public mutating func objects<T>(_ key: String, _ read: (inout ConfigReader) throws(ConfigError) -> T) throws(ConfigError) -> [T] {
        guard let v = value(key) else { return [] }
        guard let a = v.arrayValue else { throw error(key, "expected an array of objects, got \(describe(v))") }
        var out: [T] = []
        for (i, e) in a.enumerated() {
            guard let o = e.objectValue else {
                throw ConfigError(file: file, key: "\(keyPath(key))[\(i)]", problem: "expected an object, got \(describe(e))")
            }
            var r = ConfigReader(file: file, path: "\(keyPath(key))[\(i)]", object: o)
            out.append(try read(&r))
            try r.finish()
        }
        return out
    }

    /// Fails on the first key that no reader asked for (a typo must not be silently ignored).
    public func finish() throws(ConfigError) {
        for key in object.keys where !seen.contains(key) {
            throw ConfigError(file: file, key: keyPath(key), problem: "unknown key")
        }
        var counts: [String: Int] = [:]
        for key in object.keys {
            counts[key, default: 0] += 1
            if counts[key] == 2 { throw ConfigError(file: file, key: keyPath(key), problem: "appears more than once") }
        }
    }
}
