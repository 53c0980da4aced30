import Shared

/// The launcher's stand-in for systemd's notify socket: logs READY and
/// STATUS from the daemons and follows `MAINPID=` when an edged reload hands
/// over to a new generation.
enum NotifyListener {
    static func start(_ socket: Socket, children: [ManagedChild]) {
        startThread("notify") {
            while true {
                guard let (bytes, sender) = (try? socket.receiveWithSender(timeoutMs: 1000)) ?? nil else { continue }
                let fields = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
                let name = children.first { $0.currentPID == sender }?.spec.name ?? "pid \(sender)"
                for f in fields {
                    if f.hasPrefix("MAINPID="), let next = Int32(f.dropFirst(8)) {
                        if children.contains(where: { $0.handOff(from: sender, to: next) }) {
                            Log.info("droidgate up: \(name) hands over to pid \(next)")
                        }
                    } else if f.hasPrefix("STATUS=") {
                        Log.debug("droidgate up: \(name): \(f.dropFirst(7))")
                    }
                }
            }
        }
    }
}
