// bench-scan: GB/s of the routing scan on chat bodies with `model` last,
// against a plain memchr pass over the same bytes (the ceiling) and a
// JSONSerialization parse (what re-serialising proxies pay).
import EdgeCore
import Foundation
import Glibc

func measure(bytes: Int, minSeconds: Double, _ body: () -> Void) -> Double {
    body()   // warm-up
    var iterations = 0
    let start = DispatchTime.now().uptimeNanoseconds
    var elapsed = 0.0
    repeat {
        body()
        iterations += 1
        elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    } while elapsed < minSeconds
    return Double(bytes) * Double(iterations) / elapsed / 1e9
}

let sizes: [(String, Int)] = [("64 KiB", 64 << 10), ("1 MiB", 1 << 20), ("16 MiB", 16 << 20)]
let minSeconds = Double(CommandLine.arguments.dropFirst().first ?? "") ?? 1.0
var rows: [String] = []
var verdicts: [String] = []
nonisolated(unsafe) var sink = 0

for (label, size) in sizes {
    let body = Corpus.body(targetBytes: size)
    let n = body.count
    let scan = body.withUnsafeBytes { b in
        measure(bytes: n, minSeconds: minSeconds) {
            guard let r = RoutingScan.scan(b), r.modelValue != nil else { fatalError("scan failed") }
            sink &+= r.modelValue!.start
        }
    }
    let ceiling = body.withUnsafeBytes { b in
        measure(bytes: n, minSeconds: minSeconds) {
            if memchr(b.baseAddress!, 0x01, b.count) != nil { sink &+= 1 }
        }
    }
    let data = Data(body)
    let foundation = measure(bytes: n, minSeconds: minSeconds) {
        let o = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        sink &+= (o["model"] as! String).count
    }
    let ratio = scan / ceiling * 100
    rows.append("| \(label) (\(n) B) | \(fmt(scan)) | \(fmt(ceiling)) | \(fmt(foundation)) | \(fmt1(ratio)) % | \(fmt1(scan / foundation))x |")
    if size >= 1 << 20 {
        verdicts.append("- \(label): scan at \(fmt1(ratio)) % of the memchr ceiling — target ≥ 50 %: \(ratio >= 50 ? "met" : "NOT met")")
    }
}

func fmt(_ x: Double) -> String { String(format: "%.2f", x) }
func fmt1(_ x: Double) -> String { String(format: "%.1f", x) }

print("| body | routing scan GB/s | memchr ceiling GB/s | JSONSerialization GB/s | scan / ceiling | scan / JSONSerialization |")
print("|---|---|---|---|---|---|")
rows.forEach { print($0) }
print("")
verdicts.forEach { print($0) }
