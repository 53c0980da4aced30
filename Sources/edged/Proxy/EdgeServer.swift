import Shared
import Synchronization

/// The HTTP side of edged: one event loop per core, all accepting from the
/// one listening socket.
final class EdgeServer: Sendable {
    let context: EdgeContext
    private let loops: [EventLoop]
    private let servers: Locked<[Int: LoopServerBox]>

    /// A LoopServer handed across threads only to be used back on its own loop.
    struct LoopServerBox: @unchecked Sendable { let server: LoopServer }

    init(listener: Socket, context: EdgeContext, workers: Int) throws(SystemError) {
        self.context = context
        try listener.fd.setNonBlocking()
        var loops: [EventLoop] = []
        for i in 0..<workers { loops.append(try EventLoop(index: i)) }
        self.loops = loops
        self.servers = Locked([:])
        for loop in loops {
            let s = LoopServer(loop: loop, listener: listener, context: context)
            try s.start()
            servers.withLock { $0[loop.index] = LoopServerBox(server: s) }
        }
    }

    func start() {
        for loop in loops {
            startThread("edge-loop-\(loop.index)") { loop.run() }
        }
    }

    /// Stops accepting on every loop, then waits (up to `timeout`) for in-flight
    /// requests to finish. Returns how many were still running at the end.
    func drain(timeout: Double) -> Int {
        let boxes = servers.value
        for loop in loops {
            guard let box = boxes[loop.index] else { continue }
            loop.execute { box.server.stopAccepting() }
        }
        let deadline = Monotonic.seconds() + timeout
        while true {
            let active = activeRequests()
            if active == 0 || Monotonic.seconds() >= deadline { return active }
            sleepSeconds(0.05)
        }
    }

    /// Requests in progress across loops (asked on each loop's thread).
    func activeRequests() -> Int {
        let total = Locked(0)
        let done = DispatchSemaphoreBox()
        let boxes = servers.value
        let count = Locked(0)
        for loop in loops {
            guard let box = boxes[loop.index] else { continue }
            loop.execute {
                total.withLock { $0 += box.server.activeRequests }
                if count.withLock({ $0 += 1; return $0 }) == boxes.count { done.signal() }
            }
        }
        _ = done.wait(seconds: 2)
        return total.value
    }
}
