// An order-preserving JSON value model.
//
// Design notes:
// - Objects keep their members in document order, duplicates included, so a
//   parse/serialize round trip is byte-stable (important for prompt caching).
// - Numbers keep their exact literal text; nothing is lost to Double rounding
//   and serialization re-emits the literal verbatim.
// - Equality is structural and order-sensitive: {"a":1,"b":2} != {"b":2,"a":1},
//   and numbers compare by literal text, so 1 != 1.0. This matches "same
//   bytes out", which is what callers of this type care about.
// - Parsing lives in JSONParser.swift, serialization in JSONSerializer.swift.

// MARK: - JSONNumber

/// A JSON number, stored as its validated RFC 8259 literal text.
public struct JSONNumber: Sendable, Hashable {
    /// The exact literal, e.g. "1", "-0.5e3", "1e400".
    public let literal: String

    /// Succeeds only if `literal` is exactly one RFC 8259 number
    /// (no surrounding whitespace, no leading zeros, no "+", no NaN/Infinity).
    public init?(literal: String) {
        guard JSONNumberGrammar.isValidLiteral(literal) else { return nil }
        self.literal = literal
    }

    /// Creates a number from text the caller has already validated.
    init(validatedLiteral literal: String) {
        self.literal = literal
    }

    public init(_ v: Int) {
        literal = String(v)
    }

    /// Uses Swift's shortest round-trip text ("3.0", "0.1", "1e-05", "1e+16"),
    /// all of which are valid JSON. `v` must be finite: JSON has no NaN/Infinity.
    public init(_ v: Double) {
        precondition(v.isFinite, "JSON cannot represent the non-finite number \(v)")
        literal = v.description
        assert(JSONNumberGrammar.isValidLiteral(literal), "unexpected Double text \(literal)")
    }

    /// The value as an `Int` if it is mathematically an integer in `Int`'s range.
    ///
    /// Fraction and exponent parts are evaluated exactly, so "1.0", "1e2",
    /// "1.5e1" and "-0" are integers (1, 100, 15, 0), while "1.5", "1e-1" and
    /// "1e400" are not (nil).
    public var intValue: Int? {
        if let plain = Int(literal) { return plain }  // fast path: "123", "-7"
        return JSONNumberGrammar.exactInteger(literal)
    }

    /// The nearest `Double`. Out-of-range literals give ±infinity ("1e400")
    /// or ±0 ("1e-400"); "-0" gives -0.0.
    public var doubleValue: Double {
        // Every valid JSON number is accepted by Double's parser; the fallback
        // is unreachable but keeps this non-optional without a force unwrap.
        Double(literal) ?? .nan
    }
}

// MARK: - JSONObject

/// A JSON object: an ordered list of members, duplicates preserved as parsed.
public struct JSONObject: Sendable, Equatable, ExpressibleByDictionaryLiteral, Sequence {
    public var entries: [(key: String, value: JSONValue)]

    public init() {
        entries = []
    }

    public init(_ entries: [(key: String, value: JSONValue)]) {
        self.entries = entries
    }

    /// Members in literal order; duplicate keys are kept.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        entries = elements.map { (key: $0.0, value: $0.1) }
    }

    /// Get: the value of the FIRST member named `key`.
    /// Set: replaces the first such member in place, or appends a new member;
    /// setting nil removes every member named `key`.
    public subscript(key: String) -> JSONValue? {
        get {
            entries.first { $0.key == key }?.value
        }
        set {
            guard let newValue else {
                entries.removeAll { $0.key == key }
                return
            }
            if let index = entries.firstIndex(where: { $0.key == key }) {
                entries[index].value = newValue
            } else {
                entries.append((key: key, value: newValue))
            }
        }
    }

    /// Member names in order, duplicates included.
    public var keys: [String] { entries.map(\.key) }

    /// Number of members, duplicates included.
    public var count: Int { entries.count }

    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> {
        entries.makeIterator()
    }

    public var underestimatedCount: Int { entries.count }

    /// Order-sensitive member-by-member comparison.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

// MARK: - JSONValue

/// Any JSON value.
///
/// Values nested deeper than a few thousand levels should not be built by
/// hand: equality, serialization and deinitialization are recursive. Parsed
/// values are bounded by the parser's `maxDepth` (512 by default).
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public static func int(_ v: Int) -> JSONValue {
        .number(JSONNumber(v))
    }

    /// The member named `key` (first occurrence); nil unless this is an object.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// See `JSONNumber.intValue`: nil unless an exactly integral number.
    public var intValue: Int? {
        if case .number(let n) = self { return n.intValue }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let n) = self { return n.doubleValue }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The JSON type name, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByNilLiteral, ExpressibleByDictionaryLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) {
        self = .string(value)
    }

    public init(integerLiteral value: Int) {
        self = .int(value)
    }

    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }

    public init(arrayLiteral elements: JSONValue...) {
        self = .array(elements)
    }

    public init(nilLiteral: ()) {
        self = .null
    }

    /// Members in literal order; duplicate keys are kept.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { (key: $0.0, value: $0.1) }))
    }

    /// Stored with Swift's shortest round-trip text, e.g. 2.5 -> "2.5", 3.0 -> "3.0".
    public init(floatLiteral value: Double) {
        self = .number(JSONNumber(value))
    }
}
