/// A relayed response head turned into one that ends the connection: every
/// `Connection` and `Keep-Alive` header dropped, `Connection: close` added
/// last. Used when edged must close a client connection after this response
/// (an old generation whose connections the new one could not adopt): the
/// client then knows not to send another request on it, instead of losing
/// one to a close it could not see coming.
public enum ResponseHeadClose {
    /// - head: a complete response head, status line to the blank line.
    public static func apply(_ head: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(head.count + 19)
        RelayedHead.write(head, dropAccessControl: false, allowOrigin: nil, addClose: true, into: &out)
        return out
    }
}
