import Glibc
import Shared

/// One daemon run by `droidgate up`: spawned with its output piped through
/// us (each line prefixed with its name), restarted with backoff when it dies,
/// stopped with SIGTERM (then SIGKILL) when the launcher stops.
final class ManagedChild: Sendable {
    struct Spec: Sendable {
        let name: String
        let executable: String
        let arguments: [String]
        let environment: [String: String]
        /// A listening socket handed over the systemd way as fd 3 (edged's listener).
        let listener: Socket?
    }

    let spec: Spec
    private let pid = Locked<pid_t?>(nil)
    /// A successor announced with MAINPID= (an edged reload): track it when the current pid exits.
    private let successor = Locked<pid_t?>(nil)
    private let stopping = Locked<Bool>(false)
    private let finished = DispatchSemaphoreBox()
    let restarts = Locked<Int>(0)

    static let firstBackoff = 0.1
    static let maxBackoff = 8.0
    /// A child that ran this long is considered healthy again: backoff resets.
    static let healthyAfter = 10.0

    init(spec: Spec) { self.spec = spec }

    var currentPID: pid_t? { pid.value }

    func start() {
        startThread("child-\(spec.name)") { [self] in superviseLoop() }
    }

    private func superviseLoop() {
        var backoff = Self.firstBackoff
        while !stopping.value {
            let started = Monotonic.seconds()
            var status = ExitStatus.exited(-1)
            do {
                var current = try spawn()
                pid.value = current
                while true {
                    status = (try? Processes.wait(current)) ?? .exited(-1)
                    // A reload handed the sockets to a new generation (our subreaped grandchild).
                    guard let next = successor.withLock({ s -> pid_t? in defer { s = nil }; return s }),
                          Processes.isAlive(next) else { break }
                    Log.info("\(spec.name): pid \(current) handed over to pid \(next) (reload)")
                    current = next
                    pid.value = next
                }
            } catch {
                Log.error("\(spec.name): cannot start \(spec.executable): \(error)")
                status = .exited(127)
            }
            pid.value = nil
            let ran = Monotonic.seconds() - started
            if stopping.value {
                Log.info("\(spec.name) \(status)")
                break
            }
            if ran >= Self.healthyAfter { backoff = Self.firstBackoff }
            restarts.withLock { $0 += 1 }
            // Stopped cleanly (someone sent it SIGTERM: a restart, as `systemctl
            // restart` does): start it again at once. A crash backs off.
            if status == .exited(0) {
                Log.info("\(spec.name) exited with status 0 after \(String(format1: ran)) s; starting it again")
                continue
            }
            Log.warning("\(spec.name) \(status) after \(String(format1: ran)) s; restarting in \(String(format1: backoff)) s")
            sleepSeconds(backoff)
            backoff = min(backoff * 2, Self.maxBackoff)
        }
        finished.signal()
    }

    private func spawn() throws(SystemError) -> pid_t {
        let (readEnd, writeEnd) = try FileDescriptor.pipe()
        let devNull = try FileDescriptor.open("/dev/null", O_RDONLY)
        defer {
            writeEnd.close()
            devNull.close()
        }
        var options = SpawnOptions()
        options.newSession = true    // Ctrl-C reaches the launcher only; it stops children in order
        options.fdMap = [(devNull, 0), (writeEnd, 1), (writeEnd, 2)]
        let childPID: pid_t
        do {
            if let listener = spec.listener {
                childPID = try ListenFDs.spawn(spec.executable, arguments: spec.arguments, environment: spec.environment,
                                               sockets: [("http", listener.fd)], options: options)
            } else {
                childPID = try Spawn.run(spec.executable, arguments: spec.arguments, environment: spec.environment, options: options)
            }
        } catch {
            readEnd.close()
            throw error
        }
        let name = spec.name
        startThread("output-\(name)") { LinePrefixer.relay(readEnd, prefix: name) }
        return childPID
    }

    /// Called when the current process reports `MAINPID=next`.
    func handOff(from sender: pid_t, to next: pid_t) -> Bool {
        guard pid.value == sender else { return false }
        successor.value = next
        return true
    }

    /// SIGTERM, then SIGKILL after `timeout` seconds; waits until the supervise loop ends.
    func stop(timeout: Double) {
        stopping.value = true
        if let p = pid.value { Processes.signal(p, SIGTERM) }
        if !finished.wait(seconds: timeout) {
            if let p = pid.value {
                Log.warning("\(spec.name) did not stop within \(Int(timeout)) s; sending SIGKILL")
                Processes.signal(p, SIGKILL)
            }
            _ = finished.wait(seconds: 5)
        }
    }
}

/// Copies a child's output to our stderr line by line, prefixed with its name.
enum LinePrefixer {
    static func relay(_ fd: FileDescriptor, prefix: String) {
        defer { fd.close() }
        let label = Array((prefix.padding(toLength: 12, withPad: " ", startingAt: 0) + "| ").utf8)
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = (try? chunk.withMutableBytes { (b) throws(SystemError) in try fd.read(into: b) }) ?? 0
            if n == 0 { break }
            pending.append(contentsOf: chunk[0..<n])
            while let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
                try? FileDescriptor.standardError.writeAll(label + pending[...nl])
                pending.removeSubrange(...nl)
            }
        }
        if !pending.isEmpty { try? FileDescriptor.standardError.writeAll(label + pending + [UInt8(ascii: "\n")]) }
    }
}

extension String {
    init(format1 v: Double) {
        let tenths = Int((v * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}
