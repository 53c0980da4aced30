/// A growable byte buffer with read and write indices, reused across the
/// requests of a connection. Storage is released when a connection goes idle,
/// so an idle keep-alive connection costs almost nothing.
struct ByteBuffer {
    private(set) var storage: UnsafeMutableRawBufferPointer? = nil
    private(set) var readIndex = 0
    private(set) var writeIndex = 0

    var readableCount: Int { writeIndex - readIndex }
    var isEmpty: Bool { readIndex == writeIndex }
    var capacity: Int { storage?.count ?? 0 }

    /// The readable bytes.
    var readable: UnsafeRawBufferPointer {
        guard let s = storage else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: s[readIndex..<writeIndex])
    }

    /// The capacity `reserve(n, ceiling:)` leaves: the current one when it has
    /// room, else doubled until `n` more bytes fit, but not past `ceiling`
    /// (when the caller knows how many bytes are coming) unless `n` needs it.
    func capacityAfterReserve(_ n: Int, ceiling: Int = .max) -> Int {
        if capacity - writeIndex >= n { return capacity }
        if readIndex > 0 && capacity - readableCount >= n { return capacity }
        var newCapacity = max(4096, capacity)
        while newCapacity - readableCount < n { newCapacity *= 2 }
        return max(min(newCapacity, ceiling), readableCount + n)
    }

    /// Makes room for at least `n` more bytes (compacting first, then growing).
    mutating func reserve(_ n: Int, ceiling: Int = .max) {
        if capacity - writeIndex >= n { return }
        if readIndex > 0 && capacity - readableCount >= n {
            let s = storage!
            if readableCount > 0 { s.baseAddress!.copyMemory(from: s.baseAddress! + readIndex, byteCount: readableCount) }
            writeIndex = readableCount
            readIndex = 0
            return
        }
        let newCapacity = capacityAfterReserve(n, ceiling: ceiling)
        let fresh = UnsafeMutableRawBufferPointer.allocate(byteCount: newCapacity, alignment: 16)
        if let s = storage {
            if readableCount > 0 { fresh.baseAddress!.copyMemory(from: s.baseAddress! + readIndex, byteCount: readableCount) }
            s.deallocate()
        }
        storage = fresh
        writeIndex = readableCount
        readIndex = 0
    }

    /// The writable space after `reserve`.
    var writable: UnsafeMutableRawBufferPointer {
        guard let s = storage else { return UnsafeMutableRawBufferPointer(start: nil, count: 0) }
        return UnsafeMutableRawBufferPointer(rebasing: s[writeIndex...])
    }

    mutating func didWrite(_ n: Int) { writeIndex += n }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        reserve(bytes.count)
        storage!.baseAddress!.advanced(by: writeIndex).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        writeIndex += bytes.count
    }

    mutating func append(_ bytes: [UInt8]) { bytes.withUnsafeBytes { append($0) } }

    mutating func consume(_ n: Int) {
        readIndex += n
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
        }
    }

    mutating func clear() {
        readIndex = 0
        writeIndex = 0
    }

    /// Frees the storage (an idle connection keeps no buffer).
    mutating func release() {
        storage?.deallocate()
        storage = nil
        readIndex = 0
        writeIndex = 0
    }
}
