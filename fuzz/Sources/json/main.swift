// Fuzzes droidgate's JSON value parser and serializer. Invariants: no crash
// (deep nesting is refused, not recursed into); a parsed value serializes to
// bytes that parse back to the same value, and serializing is deterministic.
import FuzzSupport
import Shared

runFuzzer { bytes in
    guard let value = try? JSONValue(parsing: bytes, maxDepth: 512) else { return }
    let once = value.serialized()
    guard let again = try? JSONValue(parsing: once, maxDepth: 512) else {
        return fuzzCheck(false, "serialized output does not parse: \(String(decoding: once, as: UTF8.self))")
    }
    fuzzCheck(again == value, "round trip changed the value")
    fuzzCheck(again.serialized() == once, "serialization is not deterministic")
    _ = value.prettyPrinted()
}
