// Fuzzes the HTTP/1.1 request parser and the chunked decoder. Invariants: no
// crash; ranges stay inside the buffer; a parsed head, forwarded, parses again
// to the same method and target.
import EdgeCore
import FuzzSupport
import Shared

runFuzzer { buf in
    switch RequestParser.parse(buf, maxBody: 1 << 20) {
    case .incomplete, .failed:
        break
    case .complete(let head):
        fuzzCheck(head.headLength <= buf.count, "head longer than the input")
        for h in head.headers {
            fuzzCheck(h.name.end <= head.headLength && h.value.end <= head.headLength && h.value.start >= h.name.end, "header range out of place")
        }
        // Forwarding adds Host/Content-Length: a head already at the limits may not parse again.
        guard head.headers.count < RequestParser.maxHeaderCount - 2, head.headLength < RequestParser.maxHeadBytes - 256 else { break }
        var out: [UInt8] = []
        ForwardHead.build(buf, head, host: Array("127.0.0.1:8318".utf8), bodyLength: 0, into: &out)
        out.withUnsafeBytes { o in
            guard case .complete(let again) = RequestParser.parse(o, maxBody: 1 << 20) else {
                return fuzzCheck(false, "forwarded head does not parse: \(String(decoding: o, as: UTF8.self))")
            }
            fuzzCheck(o.string(again.method) == buf.string(head.method) && o.string(again.target) == buf.string(head.target), "method or target changed")
        }
        if case .chunked = head.framing {
            var decoder = ChunkedDecoder(maxBody: 1 << 20)
            var body: [UInt8] = []
            let rest = UnsafeRawBufferPointer(rebasing: buf[head.headLength...])
            if let used = try? decoder.decode(rest, into: &body) { fuzzCheck(used <= rest.count, "decoder used more than it got") }
        }
    }
}
