/// What a connection does with descriptors the peer passes (SCM_RIGHTS).
/// recvmsg installs them in our descriptor table the moment it returns, so
/// every one must end up either with whoever the frame is for or closed.
public enum DescriptorPolicy: Sendable {
    /// Nothing read on this connection takes a descriptor — every IPC server
    /// (no op takes one). Each descriptor that arrives is closed at once and
    /// the receive fails with `IPCError.unexpectedDescriptors`: a peer that
    /// sends one is not speaking our protocol, and the connection ends.
    case refuse
    /// Frames may carry descriptors, announced by "fds":N (replies to a
    /// client, edged's reload handover). At most `FramedConnection.maxPendingFDs`
    /// may wait unclaimed; more fails the receive (and closes them all).
    case accept
}
