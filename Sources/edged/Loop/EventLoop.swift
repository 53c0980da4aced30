import Glibc
import Shared
import Synchronization

/// Something a loop wakes up for. Handlers live on one loop and are only
/// ever touched from its thread.
protocol LoopHandler: AnyObject {
    func handleEvent(_ mask: UInt32)
}

/// Something that gathers work during a round of events and does it once,
/// when the round's events are handled (before the loop waits again).
protocol RoundEndHandler: AnyObject {
    func roundEnded()
}

/// One event-loop thread: epoll, an eventfd for wake-ups, a task inbox for
/// work handed over from other threads, and a periodic tick for timeouts.
///
/// `@unchecked Sendable`: everything except `inbox` and `wake` is used only on
/// the loop's own thread (handlers are registered and called there); other
/// threads only call `execute`, which goes through the Mutex and the eventfd.
final class EventLoop: @unchecked Sendable {
    let index: Int
    private let epoll: Epoll
    private let wake: EventFD
    private var handlers: [LoopHandler?] = []
    private let inbox = Mutex<[@Sendable () -> Void]>([])
    private var tickers: [() -> Void] = []
    /// Asked for during this round (`atRoundEnd`); two lists swapped in turn,
    /// so that neither is copied or reallocated once warm.
    private var roundEnd: [RoundEndHandler] = []
    private var roundEndRunning: [RoundEndHandler] = []
    private static let wakeData = UInt64.max
    static let tickMilliseconds: Int32 = 100

    /// The loop's clock (monotonic ns), read once before each event, inbox task
    /// and tick is handled: the timestamps and deadlines one event sets share
    /// one reading (as nginx's cached time does) instead of reading the clock
    /// for each. Loop thread only.
    private(set) var now: UInt64 = Monotonic.nanoseconds()

    /// A read buffer shared by every connection of this loop: a read lands
    /// here and is usually forwarded straight from it, without a copy.
    let scratch: UnsafeMutableRawBufferPointer

    init(index: Int) throws(SystemError) {
        self.index = index
        epoll = try Epoll.create()
        wake = try EventFD.create()
        try epoll.add(wake.fd, events: Epoll.readable, data: Self.wakeData)
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 64)
    }

    // MARK: Registration (loop thread only)

    func register(_ fd: FileDescriptor, events: UInt32, handler: LoopHandler) throws(SystemError) {
        let i = Int(fd.rawValue)
        if i >= handlers.count { handlers.append(contentsOf: repeatElement(nil, count: i - handlers.count + 1024)) }
        handlers[i] = handler
        do throws(SystemError) {
            try epoll.add(fd, events: events, data: UInt64(i))
        } catch {
            handlers[i] = nil
            throw error
        }
    }

    /// Changes what `fd` is watched for. It is registered with this loop, so a
    /// failure is a bug here, not a condition: EBADF (closed while registered: its
    /// number may already be someone else's) or EFAULT crash with the call's name.
    func modify(_ fd: FileDescriptor, events: UInt32) {
        do { try epoll.modify(fd, events: events, data: UInt64(fd.rawValue)) } catch {
            if error.errno == EBADF || error.errno == EFAULT { fatalError("edged: \(error) on a descriptor this loop owns") }
            Log.error("edged: \(error) on descriptor \(fd.rawValue), which this loop should be watching")
        }
    }

    /// Stops watching `fd` (call before closing it).
    func unregister(_ fd: FileDescriptor) {
        epoll.remove(fd)
        let i = Int(fd.rawValue)
        if i < handlers.count { handlers[i] = nil }
    }

    /// Calls `handler.roundEnded()` once this round's events are handled. The
    /// caller asks once per round (it keeps its own flag).
    func atRoundEnd(_ handler: RoundEndHandler) { roundEnd.append(handler) }

    /// Called every tick (~100 ms) on the loop thread.
    func onTick(_ body: @escaping () -> Void) { tickers.append(body) }

    // MARK: Cross-thread

    /// Runs `task` on the loop thread soon.
    func execute(_ task: @escaping @Sendable () -> Void) {
        inbox.withLock { $0.append(task) }
        wake.signal()
    }

    // MARK: Running

    func run() -> Never {
        let capacity = 256
        let datas = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
        let masks = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        now = Monotonic.nanoseconds()
        var nextTick = now + UInt64(Self.tickMilliseconds) * 1_000_000
        while true {
            // `now` was read at the end of the last round (or just above).
            let wait = now >= nextTick ? 0 : Int32((nextTick - now) / 1_000_000) + 1
            // EINTR comes back as 0 events; anything else (EBADF, EFAULT, EINVAL) means the
            // loop's own epoll descriptor or buffers are broken: crash with the call's name.
            let n: Int
            do { n = try epoll.wait(datas: datas, masks: masks, capacity: capacity, timeoutMs: wait) } catch {
                fatalError("edged: \(error)")
            }
            for i in 0..<n {
                let data = datas[i]
                if data == Self.wakeData {
                    wake.drain()
                    runInbox()
                    continue
                }
                let slot = Int(data)
                if slot < handlers.count, let h = handlers[slot] {
                    now = Monotonic.nanoseconds()
                    h.handleEvent(masks[i])
                }
            }
            now = Monotonic.nanoseconds()
            if now >= nextTick {
                for t in tickers { t() }
                now = Monotonic.nanoseconds()
                nextTick = now + UInt64(Self.tickMilliseconds) * 1_000_000
            }
            while !roundEnd.isEmpty {
                swap(&roundEnd, &roundEndRunning)
                for h in roundEndRunning { h.roundEnded() }
                roundEndRunning.removeAll(keepingCapacity: true)
                now = Monotonic.nanoseconds()
            }
        }
    }

    private func runInbox() {
        let tasks = inbox.withLock { list -> [@Sendable () -> Void] in
            let t = list
            list.removeAll(keepingCapacity: true)
            return t
        }
        for t in tasks {
            now = Monotonic.nanoseconds()
            t()
        }
    }
}
