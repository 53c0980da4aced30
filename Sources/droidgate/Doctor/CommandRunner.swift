import Foundation
import Glibc
import Shared

/// Runs a helper program (the backend's `-help`, systemctl, journalctl) with
/// a time limit and collects what it prints on stdout and stderr together.
enum CommandRunner {
    struct Outcome {
        /// nil: it did not finish in time (it was killed) or could not start.
        let status: Int32?
        let output: String
        let startError: String?
    }

    /// `stderr`: false leaves the program's stderr out of `output` (to /dev/null).
    static func run(_ executable: String, _ arguments: [String], timeout: Double = 5, maxBytes: Int = 1 << 20,
                    stderr: Bool = true) -> Outcome {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["SYSTEMD_PAGER"] = ""
        env["PAGER"] = "cat"
        env["SYSTEMD_COLORS"] = "0"
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = stderr ? pipe : FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        let collected = Locked<Data>(Data())
        let ended = DispatchSemaphoreBox()
        do { try p.run() } catch {
            return Outcome(status: nil, output: "", startError: "\(error.localizedDescription)")
        }
        let reader = pipe.fileHandleForReading
        startThread("doctor-read") {
            while true {
                let d = reader.availableData
                if d.isEmpty { break }
                collected.withLock { if $0.count < maxBytes { $0.append(d) } }
            }
            ended.signal()
        }
        let deadline = Monotonic.seconds() + timeout
        while p.isRunning && Monotonic.seconds() < deadline { usleep(10_000) }
        var status: Int32? = nil
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        } else {
            status = p.terminationStatus
        }
        // A grandchild may hold the pipe open: do not wait for it long.
        _ = ended.wait(seconds: 1)
        return Outcome(status: status, output: String(decoding: collected.value, as: UTF8.self), startError: nil)
    }
}
