import FakeKit
import Shared
import Synchronization

/// Config hot reload as the real one does it on Linux:
/// - `internal/watcher/events.go` adds the config FILE to fsnotify (an inotify
///   watch on its inode, fsnotify v1.9 `backend_inotify.go` mask) and reacts only to
///   Write | Create | Rename for that path; Chmod and Remove are ignored.
///   fsnotify maps IN_MODIFY→Write, IN_CREATE/IN_MOVED_TO→Create,
///   IN_MOVE_SELF/IN_MOVED_FROM→Rename, IN_DELETE_SELF/IN_DELETE→Remove,
///   IN_ATTRIB→Chmod; it drops its watch on IN_DELETE_SELF and removes it on
///   IN_MOVE_SELF. So a rename(2) over the file (old inode: ATTRIB, DELETE_SELF,
///   IGNORED) triggers nothing, and no later change is ever seen.
/// - `internal/watcher/config_reload.go`: each event re-arms a 150 ms timer
///   (`configReloadDebounce`, watcher.go); when it fires the file is read, an
///   empty one is skipped, one whose sha256 equals the last *reloaded* hash is
///   skipped (there is none before the first reload), else it is parsed and applied.
final class ConfigWatcher: Sendable {
    let path: String
    let live: LiveConfig
    private let stopped = Atomic<Bool>(false)

    static let debounceNanoseconds: UInt64 = 150_000_000
    /// fsnotify's `Add` mask (backend_inotify.go).
    static let fsnotifyMask = Inotify.movedTo | Inotify.movedFrom | Inotify.create | Inotify.attrib
        | Inotify.modify | Inotify.moveSelf | Inotify.delete | Inotify.deleteSelf

    init(path: String, live: LiveConfig) {
        self.path = path
        self.live = live
    }

    /// Shutdown stops the watcher first (`Service.Shutdown`): no reload after this.
    func stop() { stopped.store(true, ordering: .relaxed) }

    func start() {
        let inotify: Inotify
        let wd: Int32
        do {
            inotify = try Inotify()
            wd = try inotify.addWatch(path, mask: Self.fsnotifyMask)
        } catch {
            Log.error("failed to watch config file \(path): \(error)")
            return
        }
        live.setWatching(true)
        startThread("config-watch") { self.loop(inotify, wd: wd) }
    }

    private func loop(_ inotify: Inotify, wd: Int32) {
        var lastHash: String?
        var due: UInt64?   // the debounce timer
        var watching = true
        while watching || due != nil {
            var timeout: Int32 = -1
            if let due {
                let now = Monotonic.nanoseconds()
                timeout = due > now ? Int32((due - now) / 1_000_000 + 1) : 0
            }
            let events = (try? inotify.read(timeoutMs: timeout)) ?? []
            for e in events where e.wd == wd && watching {
                if e.mask & (Inotify.modify | Inotify.create | Inotify.movedTo | Inotify.moveSelf | Inotify.movedFrom) != 0 {
                    Log.debug("config file change details - operation: \(Self.opName(e.mask))")
                    due = Monotonic.nanoseconds() + Self.debounceNanoseconds
                }
                if e.mask & Inotify.moveSelf != 0 { inotify.removeWatch(wd) }   // fsnotify removes it
                if e.mask & (Inotify.deleteSelf | Inotify.ignored | Inotify.moveSelf) != 0 {
                    watching = false
                    live.setWatching(false)
                    Log.debug("config file watch ended (\(Self.opName(e.mask)))")
                }
            }
            if let d = due, Monotonic.nanoseconds() >= d {
                due = nil
                if !stopped.load(ordering: .relaxed) { reloadIfChanged(&lastHash) }
            }
        }
        inotify.close()
    }

    private func reloadIfChanged(_ lastHash: inout String?) {
        let bytes: [UInt8]
        do {
            bytes = try Files.read(path, maxBytes: 4 << 20)
        } catch {
            Log.error("failed to read config file for hash check: \(error)")
            return
        }
        if bytes.isEmpty {
            Log.debug("ignoring empty config file write event")
            return
        }
        let hash = SHA256.hexDigest(bytes)
        if let lastHash, lastHash == hash {
            Log.debug("config file content unchanged (hash match), skipping reload")
            return
        }
        Log.info("config file changed, reloading: \(path)")
        do {
            live.apply(try ConfigFile.parse(String(decoding: bytes, as: UTF8.self)))
        } catch {
            Log.error("failed to reload config: \(error)")
            return
        }
        lastHash = hash
        Log.info("config successfully reloaded, triggering client reload")
    }

    /// fsnotify's names for an inotify mask.
    static func opName(_ mask: UInt32) -> String {
        var ops: [String] = []
        if mask & (Inotify.create | Inotify.movedTo) != 0 { ops.append("CREATE") }
        if mask & (Inotify.deleteSelf | Inotify.delete) != 0 { ops.append("REMOVE") }
        if mask & Inotify.modify != 0 { ops.append("WRITE") }
        if mask & (Inotify.moveSelf | Inotify.movedFrom) != 0 { ops.append("RENAME") }
        if mask & Inotify.attrib != 0 { ops.append("CHMOD") }
        if mask & Inotify.ignored != 0 { ops.append("IGNORED") }
        return ops.joined(separator: "|")
    }
}
