// Errors of the strict JSON parser (JSONParser.swift), with position and key path.

// MARK: - Errors

/// A parse failure with its position and the key path being parsed.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset of the problem (equal to the input length for "unexpected end of input").
    public let offset: Int
    /// 1-based line; lines are separated by "\n".
    public let line: Int
    /// 1-based column, counted in bytes.
    public let column: Int
    /// Where in the document the parser was: "" at top level, "backend.port",
    /// "models[2].id", and keys that are not plain identifiers as ["a.b"].
    public let keyPath: String
    public let message: String

    public init(offset: Int, line: Int, column: Int, keyPath: String, message: String) {
        self.offset = offset
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    /// e.g. `line 3, column 12 (at key "backend.port"): expected a value, found '}'`.
    public var description: String {
        let location = "line \(line), column \(column)"
        if keyPath.isEmpty { return "\(location): \(message)" }
        return "\(location) (at key \"\(keyPath)\"): \(message)"
    }
}

// MARK: - Entry points

extension JSONValue {
    /// Parses exactly one JSON value, optionally surrounded by whitespace.
    /// Containers nested deeper than `maxDepth` are rejected.
    public init(parsing bytes: some Collection<UInt8>, maxDepth: Int = 512) throws(JSONParseError) {
        let parse = { (buffer: UnsafeBufferPointer<UInt8>) in
            Result { () throws(JSONParseError) in
                var parser = JSONParser(bytes: buffer, maxDepth: maxDepth)
                return try parser.parseDocument()
            }
        }
        let result =
            bytes.withContiguousStorageIfAvailable(parse)
            ?? Array(bytes).withUnsafeBufferPointer(parse)
        self = try result.get()
    }

    public init(parsing text: String, maxDepth: Int = 512) throws(JSONParseError) {
        try self.init(parsing: text.utf8, maxDepth: maxDepth)
    }
}

// MARK: - Parser
