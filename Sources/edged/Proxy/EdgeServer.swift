import Shared
import Synchronization

/// The HTTP side of edged: one event loop per core, all accepting from the
/// listening sockets (TCP, and the optional Unix one).
final class EdgeServer: Sendable {
    let context: EdgeContext
    /// The loops, and below their servers (each with its upstream pool), live
    /// as long as the process: nothing removes them. The hot path's objects
    /// therefore refer to them `unowned(unsafe)`, which costs nothing per
    /// access, where a checked `unowned` reference costs reference counting.
    private let loops: [EventLoop]
    private let servers: Locked<[Int: LoopServerBox]>

    /// A LoopServer handed across threads only to be used back on its own loop.
    struct LoopServerBox: @unchecked Sendable { let server: LoopServer }

    init(listeners: [Socket], context: EdgeContext, workers: Int) throws(SystemError) {
        self.context = context
        for l in listeners { try l.fd.setNonBlocking() }
        var loops: [EventLoop] = []
        for i in 0..<workers { loops.append(try EventLoop(index: i)) }
        self.loops = loops
        self.servers = Locked([:])
        for loop in loops {
            let s = LoopServer(loop: loop, listeners: listeners, context: context)
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

    /// Adopts a client connection on one of the loops (round robin).
    func adopt(_ c: DetachedConnection, closeMode: Bool) {
        let i = nextAdopt.withLock { n -> Int in defer { n += 1 }; return n } % loops.count
        let loop = loops[i]
        guard let box = servers.value[loop.index] else { return c.close() }
        loop.execute { box.server.adopt(c, closeMode: closeMode) }
    }

    private let nextAdopt = Locked(0)

    /// Reload: every loop hands its connections to `sender`. Returns once all
    /// are gone (handed over, or closed by their clients) or `timeout` passed;
    /// the count still here.
    func handOver(to sender: HandoverSender, timeout: Double) -> Int {
        let boxes = servers.value
        for loop in loops {
            guard let box = boxes[loop.index] else { continue }
            loop.execute { box.server.beginHandover(sender) }
        }
        return waitForConnections(timeout: timeout)
    }

    /// The new generation cannot take connections: every loop keeps its own
    /// and closes each after its next answer.
    func handoverFailed() {
        let boxes = servers.value
        for loop in loops {
            guard let box = boxes[loop.index] else { continue }
            loop.execute { box.server.handoverFailed() }
        }
    }

    /// Waits until this process owns no client connection (or `timeout`);
    /// returns how many it still does.
    func waitForConnections(timeout: Double) -> Int {
        let deadline = Monotonic.seconds() + timeout
        while true {
            let left = context.liveConnections.load(ordering: .relaxed)
            if left <= 0 || Monotonic.seconds() >= deadline { return max(0, left) }
            sleepSeconds(0.05)
        }
    }

    /// Requests in progress across loops (asked on each loop's thread).
    func activeRequests() -> Int { count { $0.activeRequests } }

    /// Sums `value` over the loops, each asked on its own thread.
    private func count(_ value: @escaping @Sendable (LoopServer) -> Int) -> Int {
        let total = Locked(0)
        let done = DispatchSemaphoreBox()
        let boxes = servers.value
        let answered = Locked(0)
        for loop in loops {
            guard let box = boxes[loop.index] else { continue }
            loop.execute {
                total.withLock { $0 += value(box.server) }
                if answered.withLock({ $0 += 1; return $0 }) == boxes.count { done.signal() }
            }
        }
        _ = done.wait(seconds: 2)
        return total.value
    }
}
