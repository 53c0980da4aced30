import Glibc
import Shared

/// Runs a helper program (the backend's `-help`, systemctl, journalctl) with
/// a time limit and collects what it prints on stdout and stderr together.
/// Started with Shared's `Spawn` (posix_spawn, only the descriptors given,
/// default signal handling) and read on this thread: no Foundation `Process`.
enum CommandRunner {
    struct Outcome {
        /// Its exit status (128 + the signal when a signal ended it); nil: it
        /// did not finish in time (it was killed) or could not start.
        let status: Int32?
        let output: String
        let startError: String?
    }

    /// `stderr`: false leaves the program's stderr out of `output` (to /dev/null).
    static func run(_ executable: String, _ arguments: [String], timeout: Double = 5, maxBytes: Int = 1 << 20,
                    stderr: Bool = true) -> Outcome {
        var env = Environment.all()
        env["SYSTEMD_PAGER"] = ""
        env["PAGER"] = "cat"
        env["SYSTEMD_COLORS"] = "0"
        let pid: pid_t
        let output: FileDescriptor
        do throws(SystemError) {
            let devNull = try FileDescriptor.open("/dev/null", O_RDWR)
            defer { devNull.close() }
            let pipe = try FileDescriptor.pipe()
            defer { pipe.write.close() }
            var options = SpawnOptions()
            options.fdMap = [(devNull, 0), (pipe.write, 1), (stderr ? pipe.write : devNull, 2)]
            do throws(SystemError) {
                pid = try Spawn.run(executable, arguments: arguments, environment: env, options: options)
            } catch {
                pipe.read.close()
                throw error
            }
            output = pipe.read
        } catch {
            return Outcome(status: nil, output: "", startError: "\(error)")
        }
        defer { output.close() }

        // Read until the program closes its end or the time is up; a grandchild
        // that keeps the pipe open after the program exits gets a second at most.
        var collected: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        let deadline = Monotonic.seconds() + timeout
        var exited: ExitStatus? = nil
        var exitedAt: Double? = nil
        while true {
            let now = Monotonic.seconds()
            if exited == nil, let s = try? Processes.wait(pid, noHang: true) {
                exited = s
                exitedAt = now
            }
            if now >= deadline || exitedAt.map({ now - $0 >= 1 }) == true { break }
            guard (try? Poll.readable(output, timeoutMs: 50)) == true else { continue }
            let n = chunk.withUnsafeMutableBytes { (try? output.read(into: $0)) ?? 0 }
            if n == 0 {   // every writer closed its end
                if exited == nil { exited = try? Processes.wait(pid, noHang: false) }
                break
            }
            if collected.count < maxBytes { collected.append(contentsOf: chunk[0..<min(n, maxBytes - collected.count)]) }
        }
        if exited == nil {
            Processes.signal(pid, SIGKILL)
            _ = try? Processes.wait(pid)
        }
        let status: Int32? = exited.map {
            switch $0 {
            case .exited(let code): return code
            case .signaled(let signal): return 128 + signal
            }
        }
        return Outcome(status: status, output: String(decoding: collected, as: UTF8.self), startError: nil)
    }
}
