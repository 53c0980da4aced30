import CCurl
import Glibc
import Outbound
import Shared

/// A transfer a `CurlLoop` drives: where its end goes.
protocol CurlTransfer: AnyObject {
    /// The transfer ended, `failure` saying why when it did not complete; it is
    /// no longer in the loop (and its handle may already serve another).
    func curlFinished(failure: OutboundError?)
}

/// libcurl's multi-socket interface on one of edged's event loops (the
/// design of curl's own `multi-event.c` example, on our epoll): libcurl says
/// which sockets to watch for what (the socket callback) and when to call
/// it back (the timer callback, a timerfd here); the loop tells it what
/// became ready (`curl_multi_socket_action`) and collects finished
/// transfers. TLS, HTTP/1.1 and HTTP/2, proxies and connection reuse are
/// libcurl's; the bytes are handed to each transfer's receiver on this thread,
/// so a Factory response reaches its client without crossing a thread.
///
/// libcurl forbids removing a handle from inside its own callbacks: a
/// transfer cancelled while the loop is in `socket_action` (its client went
/// away during a write) is removed once that call returns.
final class CurlLoop: LoopHandler, RoundEndHandler {
    // unowned(unsafe): never freed while the process runs (see EdgeServer.loops).
    unowned(unsafe) let loop: EventLoop
    let multi: OpaquePointer
    private let timer: TimerFD
    /// The sockets libcurl asked us to watch.
    private var watched: [Int32: Watch] = [:]
    /// Transfers in the multi handle, by the pointer in their CURLOPT_PRIVATE.
    private var active: [UnsafeMutableRawPointer: (transfer: CurlTransfer, easy: CurlEasy)] = [:]
    private var driving = false
    /// In `reapFinished`, telling transfers they ended: a transfer started from
    /// there (the client's next request) is driven when that returns, by the
    /// `runDue` loop already on the stack. Driving it at once nested a libcurl
    /// call per request, and when each transfer finished within that call (an
    /// upstream quick to answer, a loop slowed down) the thread's stack ran out.
    private var reaping = false
    private var busy: Bool { driving || reaping }
    private var cancelledWhileDriving: [CurlTransfer] = []
    /// libcurl asked to be called back at once (a 0 ms timeout, as after every
    /// new transfer): done when the current call into it returns, without a
    /// timerfd round trip (a syscall to arm, an epoll wake-up, one to disarm).
    private var dueNow = false
    /// The loop will call `roundEnded` (asked for this round).
    private var roundEndAsked = false
    /// When libcurl wants to be called back (monotonic ns; nil: never).
    private var wanted: UInt64? = nil
    /// When the timerfd fires (nil: disarmed). Only ever moved earlier:
    /// libcurl moves its timeout on almost every request (two system calls
    /// each), so a timer that fires before it is wanted is set again then,
    /// and one no longer wanted fires once for nothing.
    private var armedFor: UInt64? = nil
    /// Handles of finished transfers, for the next ones (`easy(for:)`).
    private var spare: [CurlEasy] = []
    static let maxSpare = 64
    /// Idle Factory connections one loop keeps for reuse (an HTTP/2 Factory needs one).
    static let keptConnections = 64

    /// A handle for `request`: a spare one set up anew, or a new one.
    func easy(for request: OutboundRequest) throws(OutboundError) -> CurlEasy {
        if let e = spare.popLast() {
            e.reuse(for: request)
            return e
        }
        return try CurlEasy(request)
    }

    private func recycle(_ easy: CurlEasy) {
        if spare.count < Self.maxSpare { spare.append(easy) }
    }

    /// One socket libcurl watches: its events go back to the multi handle.
    ///
    /// A connection libcurl keeps for reuse (it says REMOVE when a transfer
    /// ends) stays in epoll, *parked*, so that the next request on it costs no
    /// epoll_ctl to remove and add it again (two system calls per request). That
    /// is safe only for sockets whose close this loop sees: the ones libcurl
    /// opened through `openSocket` (`own`), which it closes through `closeSocket`.
    /// Any other (a resolver's socketpair, closed by libcurl itself) is removed at once.
    final class Watch: LoopHandler {
        unowned(unsafe) let owner: CurlLoop
        let fd: Int32
        /// The interest epoll has for it (meaningful while `registered`).
        var events: UInt32 = 0
        var registered = false
        /// libcurl said REMOVE: no transfer uses it now.
        var parked = false
        init(owner: CurlLoop, fd: Int32) {
            self.owner = owner
            self.fd = fd
        }
        func handleEvent(_ mask: UInt32) {
            guard !parked else {
                // An idle connection became readable (the server closed it, or
                // sent something unasked): libcurl finds out when it next
                // checks the connection. Until then it stays out of epoll, or a
                // level-triggered readable socket would wake the loop again and again.
                owner.loop.unregister(FileDescriptor(rawValue: fd))
                registered = false
                return
            }
            owner.socketReady(fd, mask)
        }
    }

    /// Sockets libcurl opened through `openSocket` and has not closed.
    private var own = Set<Int32>()

    init(loop: EventLoop) throws(SystemError) {
        self.loop = loop
        guard Curl.ready, let m = ccurl_multi_init() else {
            throw SystemError("curl_multi_init", errno: ENOMEM, subject: "libcurl (is libcurl4 installed?)")
        }
        multi = m
        _ = Self.socketCallbacks
        timer = try TimerFD.create()
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = ccurl_multi_setopt_socket_callback(m, curlLoopSocketCallback)
        _ = ccurl_multi_setopt_pointer(m, CCURLMOPT_SOCKETDATA, me)
        _ = ccurl_multi_setopt_timer_callback(m, curlLoopTimerCallback)
        _ = ccurl_multi_setopt_pointer(m, CCURLMOPT_TIMERDATA, me)
        _ = ccurl_multi_setopt_long(m, CCURLMOPT_PIPELINING, Int(CCURLPIPE_MULTIPLEX))
        // libcurl's default sizes the connection cache at 4 × the transfers in
        // progress *now*: each dip in concurrency closed kept connections that
        // the next burst had to open again (at 16 clients, a connect every ~130
        // requests). A fixed size keeps them.
        _ = ccurl_multi_setopt_long(m, CCURLMOPT_MAXCONNECTS, Self.keptConnections)
        try loop.register(timer.fd, events: Epoll.readable, handler: self)
    }

    /// The C side's pointers to `openSocket` and `closeSocket`, set once per process.
    private static let socketCallbacks: Void = ccurl_socket_callbacks_init(curlLoopOpenSocket, curlLoopCloseSocket)

    /// A transfer's identity as libcurl's private pointer (not retained: `active` holds it).
    private static func key(_ t: CurlTransfer) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: UInt(bitPattern: ObjectIdentifier(t)))!
    }

    // MARK: Transfers

    /// Starts `t` on `easy`; its end is reported through `curlFinished`.
    func add(_ t: CurlTransfer, easy: CurlEasy) {
        let key = Self.key(t)
        _ = ccurl_setopt_pointer(easy.handle, CCURLOPT_PRIVATE, key)
        _ = ccurl_setopt_socket_callbacks(easy.handle, Unmanaged.passUnretained(self).toOpaque())
        active[key] = (t, easy)
        let rc = ccurl_multi_add_handle(multi, easy.handle)
        if rc != 0 {
            active[key] = nil
            t.curlFinished(failure: easy.failure(code: CCURLE_ABORTED_BY_CALLBACK))
            return
        }
        // Sent when this round of events is handled, with every other request
        // started in it: one call into libcurl writes them back to back, and the
        // upstream is woken once for the lot rather than once per request.
        if !busy { runDueAtRoundEnd() }
    }

    private func runDueAtRoundEnd() {
        guard !roundEndAsked else { return }
        roundEndAsked = true
        loop.atRoundEnd(self)
    }

    func roundEnded() {
        roundEndAsked = false
        runDue()
    }

    /// Stops `t` without reporting its end (its owner gave up on it).
    func cancel(_ t: CurlTransfer) {
        let key = Self.key(t)
        guard let entry = active[key] else { return }
        if driving {
            cancelledWhileDriving.append(t)
            return
        }
        active[key] = nil
        _ = ccurl_multi_remove_handle(multi, entry.easy.handle)
        recycle(entry.easy)
        runDue()
    }

    /// Lets a paused transfer go on (outside libcurl's callbacks).
    func unpause(_ t: CurlTransfer) {
        guard let entry = active[Self.key(t)] else { return }
        _ = ccurl_easy_pause(entry.easy.handle, CCURLPAUSE_CONT)
        // Unpausing may have delivered data or finished the transfer; and the
        // transfer's socket is read again only once libcurl is driven (its
        // run-now timer may not be re-announced when it was already due).
        if busy {
            dueNow = true   // the runDue loop on the stack drives it
        } else {
            drive(fd: CCURL_SOCKET_TIMEOUT, events: 0)
        }
    }

    // MARK: Events

    /// The timerfd: libcurl's timeout is due.
    func handleEvent(_ mask: UInt32) {
        timer.drain()
        armedFor = nil
        guard let due = wanted else { return }   // withdrawn since it was set
        let now = Monotonic.nanoseconds()
        if due > now {
            arm(for: due, now: now)
            return
        }
        wanted = nil
        drive(fd: CCURL_SOCKET_TIMEOUT, events: 0)
    }

    private func arm(for due: UInt64, now: UInt64) {
        timer.arm(afterNanoseconds: max(1, due - now))
        armedFor = due
    }

    /// Calls libcurl back for a 0 ms timeout it asked for, as often as it asks
    /// (never from inside one of its calls).
    private func runDue() {
        while dueNow && !busy {
            dueNow = false
            action(fd: CCURL_SOCKET_TIMEOUT, events: 0)
        }
    }

    /// One call into libcurl for an event, then whatever it asked to run at once.
    private func drive(fd: Int32, events: Int32) {
        action(fd: fd, events: events)
        runDue()
    }

    fileprivate func socketReady(_ fd: Int32, _ mask: UInt32) {
        var events: Int32 = 0
        if mask & (Epoll.readable | Epoll.hangUp | Epoll.peerClosedWriting) != 0 { events |= CCURL_CSELECT_IN }
        if mask & Epoll.writable != 0 { events |= CCURL_CSELECT_OUT }
        if mask & Epoll.error != 0 { events |= CCURL_CSELECT_ERR }
        drive(fd: fd, events: events)
    }

    private func action(fd: Int32, events: Int32) {
        var running: Int32 = 0
        driving = true
        _ = ccurl_multi_socket_action(multi, fd, events, &running)
        driving = false
        reapFinished()
    }

    /// Removes what was cancelled during the call into libcurl, then reports
    /// the transfers that ended (neither drives libcurl: the caller's `runDue` does).
    private func reapFinished() {
        reaping = true
        defer { reaping = false }
        for t in cancelledWhileDriving { cancel(t) }
        cancelledWhileDriving.removeAll()
        var result: Int32 = 0
        while let easy = ccurl_multi_next_done(multi, &result) {
            guard let key = ccurl_private(easy), let entry = active.removeValue(forKey: key) else { continue }
            _ = ccurl_multi_remove_handle(multi, easy)
            let failure = entry.easy.failure(code: result)
            recycle(entry.easy)
            entry.transfer.curlFinished(failure: failure)
        }
    }

    // MARK: libcurl's callbacks

    fileprivate func watch(_ fd: Int32, _ what: Int32) {
        if what == CCURL_POLL_REMOVE {
            guard let w = watched[fd] else { return }
            if own.contains(fd) {
                w.parked = true
            } else {
                watched[fd] = nil
                if w.registered { loop.unregister(FileDescriptor(rawValue: fd)) }
            }
            return
        }
        var events: UInt32 = 0
        if what & CCURL_POLL_IN != 0 { events |= Epoll.readable }
        if what & CCURL_POLL_OUT != 0 { events |= Epoll.writable }
        let w: Watch
        if let known = watched[fd] {
            w = known
            w.parked = false
            if w.registered {
                if w.events != events {
                    w.events = events
                    loop.modify(FileDescriptor(rawValue: fd), events: events)
                }
                return
            }
        } else {
            w = Watch(owner: self, fd: fd)
            watched[fd] = w
        }
        w.events = events
        do {
            try loop.register(FileDescriptor(rawValue: fd), events: events, handler: w)
            w.registered = true
        } catch {
            watched[fd] = nil
            Log.error("edged: cannot watch a Factory connection's socket: \(error)")
        }
    }

    /// libcurl wants a socket for a connection.
    fileprivate func openSocket(family: Int32, type: Int32, protocol proto: Int32) -> Int32 {
        do {
            let s = try Socket.open(family: family, type: type, protocol: proto)
            // A watch still named by this number is one whose socket was closed
            // without `closeSocket` (the kernel dropped it from epoll then): forget it.
            watched[s.fd.rawValue] = nil
            own.insert(s.fd.rawValue)
            return s.fd.rawValue
        } catch {
            Log.warning("edged: cannot open a socket for a Factory connection: \(error)")
            return -1
        }
    }

    /// libcurl is done with a connection's socket: out of epoll, then closed.
    fileprivate func closeSocket(_ fd: Int32) {
        own.remove(fd)
        if let w = watched.removeValue(forKey: fd), w.registered { loop.unregister(FileDescriptor(rawValue: fd)) }
        FileDescriptor(rawValue: fd).close()
    }

    fileprivate func setTimer(_ ms: Int) {
        if ms == 0 {
            // Called from inside add_handle or socket_action: run once that returns
            // (libcurl announces its next timeout after that call).
            dueNow = true
            wanted = nil
            return
        }
        dueNow = false
        guard ms > 0 else {
            wanted = nil   // left armed: firing once for nothing is cheaper than disarming
            return
        }
        let now = Monotonic.nanoseconds()
        let due = now + UInt64(ms) * 1_000_000
        wanted = due
        if let armed = armedFor, armed <= due { return }
        arm(for: due, now: now)
    }
}

private let curlLoopSocketCallback: ccurl_socket_callback = { _, fd, what, user, _ in
    guard let user else { return 0 }
    Unmanaged<CurlLoop>.fromOpaque(user).takeUnretainedValue().watch(fd, what)
    return 0
}

private let curlLoopTimerCallback: ccurl_timer_callback = { _, ms, user in
    guard let user else { return 0 }
    Unmanaged<CurlLoop>.fromOpaque(user).takeUnretainedValue().setTimer(ms)
    return 0
}

private let curlLoopOpenSocket: ccurl_open_socket_callback = { user, family, type, proto in
    guard let user else { return -1 }
    return Unmanaged<CurlLoop>.fromOpaque(user).takeUnretainedValue().openSocket(family: family, type: type, protocol: proto)
}

private let curlLoopCloseSocket: ccurl_close_socket_callback = { user, fd in
    guard let user else { return Glibc.close(fd) }
    Unmanaged<CurlLoop>.fromOpaque(user).takeUnretainedValue().closeSocket(fd)
    return 0
}
