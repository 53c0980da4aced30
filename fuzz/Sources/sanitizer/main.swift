// Fuzzes the Claude thinking sanitizer: arbitrary bytes are placed as the
// `messages` value of a Claude request. Invariants: no crash; nothing removed
// ⇒ no edits; valid JSON in ⇒ valid JSON out; sanitizing twice changes nothing more.
import EdgeCore
import FuzzSupport
import Shared

let prefix = Array(#"{"model":"claude-sonnet-4-6","messages":"#.utf8)
let suffix = Array("}".utf8)

runFuzzer { raw in
    let body = prefix + Array(raw) + suffix
    body.withUnsafeBytes { b in
        var splice = Splice()
        let removed = ClaudeThinkingSanitizer.sanitize(b, into: &splice)
        fuzzCheck((removed == 0) == splice.isEmpty, "edits without removals or removals without edits")
        guard removed > 0 else { return }
        // The sanitizer's edits never overlap: a conflict is a finding.
        let out = try! splice.apply(to: b)
        if isValidJSON(b) {
            fuzzCheck(out.withUnsafeBytes { isValidJSON($0) }, "valid JSON in, invalid out")
            var again = Splice()
            let more = out.withUnsafeBytes { ClaudeThinkingSanitizer.sanitize($0, into: &again) }
            fuzzCheck(more == 0, "a second pass removed \(more) more blocks")
        }
    }
}
