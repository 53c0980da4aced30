import EdgeCore

/// `body` after the edits `edit` adds to a splice (unchanged when it adds none).
func spliced(_ body: String, _ edit: (UnsafeRawBufferPointer, inout Splice) -> Void) -> String {
    let bytes = Array(body.utf8)
    return bytes.withUnsafeBytes { b in
        var splice = Splice()
        edit(b, &splice)
        return String(decoding: splice.isEmpty ? Array(b) : try! splice.apply(to: b), as: UTF8.self)
    }
}
