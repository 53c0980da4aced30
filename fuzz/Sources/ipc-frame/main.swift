// Fuzzes the IPC frame decoder with arbitrary byte streams fed in uneven
// pieces. Invariants: no crash, no allocation beyond the frame limit, every
// decoded frame is a JSON object, and splitting the input never changes the result.
import FuzzSupport
import IPC
import Shared

func decodeAll(_ bytes: UnsafeRawBufferPointer, piece: Int) -> ([JSONObject], Bool) {
    var d = FrameDecoder()
    var frames: [JSONObject] = []
    var i = 0
    while i < bytes.count {
        let n = min(piece, bytes.count - i)
        d.append(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)]))
        i += n
        do {
            while let f = try d.next() { frames.append(f) }
        } catch {
            return (frames, true)
        }
    }
    return (frames, false)
}

runFuzzer { bytes in
    let (whole, wholeFailed) = decodeAll(bytes, piece: max(1, bytes.count))
    let (pieces, piecesFailed) = decodeAll(bytes, piece: 3)
    fuzzCheck(whole == pieces && wholeFailed == piecesFailed, "splitting the input changed the decoded frames")
}
