import Glibc
import Shared
import Synchronization

/// A blocking, framed IPC connection over a Unix stream socket.
///
/// Threading: one thread reads (the owner's reader loop); any thread may send
/// (sends are serialised by `writeLock`). `shutdown()` may be called from any
/// thread to wake the reader; only the reader's owner calls `close()`.
/// That discipline is why this is `@unchecked Sendable`: the mutable read
/// state is touched by the single reader thread only.
public final class FramedConnection: @unchecked Sendable {
    public let socket: Socket
    public let descriptors: DescriptorPolicy
    /// Descriptors one frame may carry (the receive buffer's capacity), and the
    /// most that may wait unclaimed on an `.accept` connection.
    public static let maxPendingFDs = 16
    private var decoder = FrameDecoder()
    private var pendingFDs: [FileDescriptor] = []
    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)
    private let writeLock = Mutex<Void>(())
    private let shutDown = Atomic<Bool>(false)

    /// `descriptors`: `.refuse` unless this side reads frames that carry some.
    public init(socket: Socket, descriptors: DescriptorPolicy = .refuse) {
        self.socket = socket
        self.descriptors = descriptors
    }

    public var isShutDown: Bool { shutDown.load(ordering: .acquiring) }

    /// Sends one message, optionally with descriptors (SCM_RIGHTS, on the frame's first bytes).
    public func send(_ message: JSONValue, fds: [FileDescriptor] = []) throws(IPCError) {
        let bytes = try Frame.encode(message)
        let result: Result<Void, SystemError> = writeLock.withLock { _ in
            do throws(SystemError) {
                try bytes.withBytes { (b) throws(SystemError) in try socket.sendAll(b, passing: fds) }
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        if case .failure(let e) = result {
            if e.errno == EPIPE || e.errno == ECONNRESET { throw .disconnected }
            throw .system(e)
        }
    }

    /// Reads the next message. `timeout` in seconds (nil: wait indefinitely).
    /// Descriptors announced with "fds":N are taken from those that arrived with it.
    public func receive(timeout: Double? = nil) throws(IPCError) -> (message: JSONObject, fds: [FileDescriptor]) {
        let deadline = timeout.map { Monotonic.seconds() + $0 }
        while true {
            if let message = try decoder.next() {
                let wanted = max(0, min(message["fds"]?.intValue ?? 0, Self.maxPendingFDs))
                let n = min(wanted, pendingFDs.count)
                let fds = Array(pendingFDs.prefix(n))
                pendingFDs.removeFirst(n)
                return (message, fds)
            }
            if let deadline {
                let left = deadline - Monotonic.seconds()
                let ready: Bool
                do { ready = left > 0 ? try Poll.readable(socket.fd, timeoutMs: Int32(left * 1000) + 1) : false }
                catch { throw .system(error) }
                if !ready { throw .timeout("a message from the peer") }
            }
            let n: Int
            do {
                n = try readBuffer.withMutableBytes { (b) throws(SystemError) in try socket.receive(into: b, fds: &pendingFDs) }
            } catch {
                if error.errno == ECONNRESET { throw .disconnected }
                throw .system(error)
            }
            try checkDescriptors()
            if n == 0 {
                if decoder.pendingByteCount > 0 {
                    throw .invalidJSON("peer closed the connection in the middle of a frame (\(decoder.pendingByteCount) bytes pending)")
                }
                throw .disconnected
            }
            readBuffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    /// Applies the descriptor policy to what the last recvmsg brought: on a
    /// refusing connection any descriptor, on an accepting one more than a
    /// frame's worth left unclaimed, is closed at once and ends the receive.
    private func checkDescriptors() throws(IPCError) {
        let limit = descriptors == .refuse ? 0 : Self.maxPendingFDs
        guard pendingFDs.count > limit else { return }
        let count = pendingFDs.count
        for fd in pendingFDs { fd.close() }
        pendingFDs.removeAll()
        throw .unexpectedDescriptors(count)
    }

    /// Wakes a blocked reader and refuses further traffic; safe from any thread.
    public func shutdown() {
        if !shutDown.exchange(true, ordering: .acquiringAndReleasing) {
            socket.shutdown(writing: true, reading: true)
        }
    }

    /// Releases the socket and any descriptors received but not claimed (owner only).
    public func close() {
        shutdown()
        for fd in pendingFDs { fd.close() }
        pendingFDs.removeAll()
        socket.close()
    }
}
