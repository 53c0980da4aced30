// Fuzzes the routing scan and the whole rewrite pipeline on arbitrary bodies.
// Invariants: no crash; no rule applied ⇒ body and target unchanged; valid
// JSON in ⇒ valid JSON out; bytes outside the edited ranges unchanged.
import EdgeCore
import FuzzSupport
import Shared

let heads: [[UInt8]] = [
    "POST /v1/messages HTTP/1.1\r\nHost: x\r\nanthropic-beta: a,b\r\n\r\n",
    "POST /v1/responses?x=1 HTTP/1.1\r\nHost: x\r\n\r\n",
    "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\r\n",
].map { Array($0.utf8) }
var config = RewritesConfig()
config.fastModeModels = ["gpt-5", "claude-sonnet-4-6"]
config.stripBetaPrefixes = ["fast-mode-"]
let settings = [RewriteSettings(), RewriteSettings(config)]

runFuzzer { body in
    let inputValid = isValidJSON(body)
    // On valid JSON the vectorised container skipper agrees with the byte walk.
    // (On invalid JSON they may differ: a backslash outside a string is
    // garbage that only the vectorised pass treats as an escape.)
    if inputValid && body.count > 0 && (body[0] == 0x5b || body[0] == 0x7b), let walked = JSONScan.endOfContainerBytewise(body, 0) {
        fuzzCheck(JSONScan.endOfContainerVectorised(body, 0) == walked, "vectorised skip disagrees with the byte walk")
    }
    if let scan = RoutingScan.scan(body), let m = scan.modelValue {
        fuzzCheck(m.end <= body.count && body[m.start] == 0x22 && body[m.end - 1] == 0x22, "model range is not a string token")
    }
    for head in heads {
        head.withUnsafeBytes { h in
            guard case .complete(let parsed) = RequestParser.parse(h, maxBody: 1 << 30) else { return }
            for s in settings {
                let plan = RequestRewriter.plan(h, parsed, body: body, s)
                if plan.applied.isEmpty {
                    fuzzCheck(plan.body == nil && plan.target == nil && plan.beta == .unchanged, "changed without a rule")
                }
                guard let out = plan.body else { continue }
                if inputValid { fuzzCheck(out.withUnsafeBytes { isValidJSON($0) }, "valid JSON in, invalid out") }
                // Every byte outside an edit is copied in order.
                var at = 0, o = 0
                for e in plan.splice.sortedEdits {
                    let keep = e.range.start - at
                    fuzzCheck(Array(out[o..<(o + keep)]) == Array(body[at..<e.range.start]), "bytes outside edits changed")
                    o += keep + e.replacement.count
                    at = e.range.end
                }
                fuzzCheck(Array(out[o...]) == Array(body[at...]), "tail changed")
            }
        }
    }
}
