import Foundation
import Glibc
import IPC
import Shared

/// A reload hands every client connection from the old edged generation to
/// the new one (downstream connection reuse, as in Facebook's "Zero Downtime
/// Release"): idle connections at once, busy ones as soon as their current
/// exchange ends, each with the bytes the old one already read but did not
/// parse. A connection is never closed by a reload, so a keep-alive client
/// that sends its next request at that moment loses nothing.
///
/// The channel is a Unix socket pair made by the old generation, one end
/// passed to the new one at spawn (`DROIDGATE_HANDOVER_FD`). Frames are the
/// IPC framing (4-byte length + JSON), the client socket travels with
/// SCM_RIGHTS:
///   old → new  {"hello":"droidgate-handover","version":1}
///   new → old  {"hello":"droidgate-handover","version":1}   (or it closes: refused)
///   old → new  {"adopt":N,"pending":"<base64>","fds":1}  + the socket
///   new → old  {"ack":N}
/// A WebSocket tunnel (`UpgradeTunnel`) travels as one adopt frame with
/// both sockets, the client's first: "fds":2, "pending" the bytes waiting
/// for the backend and "toClient" those waiting for the client.
/// The old generation closes its copy of a socket only after the ack. If the
/// new one refuses, dies or stops answering, the old one takes back every
/// connection not acknowledged and serves it in "close mode": each answer
/// carries `Connection: close` and the connection ends after it — never an
/// idle close.
enum ConnectionHandover {
    static let protocolName = "droidgate-handover"
    static let version = 1
    static let fdVariable = "DROIDGATE_HANDOVER_FD"
    /// Unparsed bytes larger than this stay with the old generation (the frame limit is 1 MiB of JSON).
    static let maxPendingBytes = 512 * 1024
    static let ackTimeout = 5.0

    static var hello: JSONValue { ["hello": .string(protocolName), "version": .int(version)] }

    static func isHello(_ m: JSONObject) -> Bool {
        m["hello"]?.stringValue == protocolName && m["version"]?.intValue == version
    }
}

/// One client connection on its way to the new generation.
struct DetachedConnection: @unchecked Sendable {
    // @unchecked: the socket was unregistered from its loop and is touched by
    // one thread at a time from here on (the sender, or the loop it returns to).
    let socket: Socket
    /// Bytes read from the client and not yet used (for a tunnel: not yet written to the backend).
    let pending: [UInt8]
    /// The backend side of a WebSocket tunnel, when this connection is one.
    var tunnel: Tunnel? = nil

    struct Tunnel {
        let upstream: Socket
        /// Bytes read from the backend and not yet written to the client.
        let toClient: [UInt8]
    }

    func close() {
        socket.close()
        tunnel?.upstream.close()
    }
}

/// Old generation: sends detached connections over the channel, one at a
/// time, each waiting for its ack; on any failure gives every connection it
/// holds (and every later one) back to `fallback`.
final class HandoverSender: Sendable {
    private let channel: FramedConnection
    private let queue = Locked<[DetachedConnection]>([])
    private let failed = Locked(false)
    private let wake = DispatchSemaphoreBox()
    private let fallback: @Sendable (DetachedConnection) -> Void
    private let delivered: @Sendable () -> Void
    private let sent = Locked(0)

    /// - fallback: takes back a connection the new generation did not acknowledge.
    /// - delivered: a connection is the new generation's now.
    init(channel: Socket, fallback: @escaping @Sendable (DetachedConnection) -> Void,
         delivered: @escaping @Sendable () -> Void) {
        self.channel = FramedConnection(socket: channel)   // hellos and acks: never a descriptor
        self.fallback = fallback
        self.delivered = delivered
    }

    var hasFailed: Bool { failed.value }
    var handedOver: Int { sent.value }

    /// Says hello and waits for the new generation's; false: it refuses or is gone.
    func open() -> Bool {
        do {
            try channel.send(ConnectionHandover.hello)
            let (reply, _) = try channel.receive(timeout: ConnectionHandover.ackTimeout)
            guard ConnectionHandover.isHello(reply) else { throw IPCError.badHello("not a handover hello: \(reply)") }
        } catch {
            Log.warning("edged: the new generation does not take connections over (\(error)); this one answers with Connection: close instead")
            failed.value = true
            return false
        }
        startThread("handover") { [self] in run() }
        return true
    }

    /// From a loop: this connection goes to the new generation (or back, on failure).
    func enqueue(_ c: DetachedConnection) {
        if failed.value { return fallback(c) }
        queue.withLock { $0.append(c) }
        wake.signal()
    }

    private func run() {
        var number = 0
        while true {
            _ = wake.wait(seconds: 1)
            while let c = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                number += 1
                if failed.value { fallback(c); continue }
                do {
                    var frame: JSONObject = ["adopt": .int(number), "pending": .string(Data(c.pending).base64EncodedString()), "fds": 1]
                    var fds = [c.socket.fd]
                    if let t = c.tunnel {
                        frame["fds"] = 2
                        frame["toClient"] = .string(Data(t.toClient).base64EncodedString())
                        fds.append(t.upstream.fd)
                    }
                    try channel.send(.object(frame), fds: fds)
                    let (ack, _) = try channel.receive(timeout: ConnectionHandover.ackTimeout)
                    guard ack["ack"]?.intValue == number else { throw IPCError.invalidJSON("expected ack \(number), got \(ack)") }
                    c.close()   // the new generation holds it now
                    sent.withLock { $0 += 1 }
                    delivered()
                } catch {
                    Log.warning("edged: connection handover failed (\(error)); the remaining connections stay here and close after their next answer")
                    failed.value = true
                    fallback(c)
                    for rest in queue.withLock({ q -> [DetachedConnection] in defer { q.removeAll() }; return q }) { fallback(rest) }
                }
            }
        }
    }
}

/// New generation: adopts the connections the old one sends.
enum HandoverReceiver {
    /// The channel passed at spawn, if this edged was started by a reload.
    static func takeChannel() -> Socket? {
        guard let v = Environment.get(ConnectionHandover.fdVariable), let n = Int32(v) else { return nil }
        Environment.unset(ConnectionHandover.fdVariable)
        let fd = FileDescriptor(rawValue: n)
        try? fd.setCloseOnExec()
        return Socket(fd: fd)
    }

    static func start(_ socket: Socket, adopt: @escaping @Sendable (DetachedConnection) -> Void) {
        startThread("handover-in") {
            // Each "adopt" frame brings its client socket.
            let channel = FramedConnection(socket: socket, descriptors: .accept)
            defer { channel.close() }
            do {
                let (hello, stray) = try channel.receive(timeout: 3600)
                stray.forEach { $0.close() }
                guard ConnectionHandover.isHello(hello) else {
                    Log.warning("edged: refusing a connection handover: \(hello["hello"]?.stringValue ?? "no hello") version \(hello["version"]?.intValue ?? 0)")
                    return
                }
                try channel.send(ConnectionHandover.hello)
                while true {
                    let (m, fds) = try channel.receive()
                    let declared = m["fds"]?.intValue ?? 1
                    guard let n = m["adopt"]?.intValue, fds.count == declared, declared == 1 || declared == 2,
                          let pending = Data(base64Encoded: m["pending"]?.stringValue ?? ""),
                          pending.count <= ConnectionHandover.maxPendingBytes,
                          let toClient = Data(base64Encoded: m["toClient"]?.stringValue ?? ""),
                          toClient.count <= ConnectionHandover.maxPendingBytes else {
                        // A peer that sends anything else is not an edged generation: stop listening to it.
                        for fd in fds { fd.close() }
                        Log.warning("edged: malformed connection handover frame; closing the channel")
                        return
                    }
                    var c = DetachedConnection(socket: Socket(fd: fds[0]), pending: Array(pending))
                    if declared == 2 { c.tunnel = .init(upstream: Socket(fd: fds[1]), toClient: Array(toClient)) }
                    adopt(c)
                    try channel.send(["ack": .int(n)])
                }
            } catch IPCError.disconnected {
                return   // the old generation finished handing over
            } catch {
                Log.warning("edged: connection handover channel: \(error)")
            }
        }
    }
}
