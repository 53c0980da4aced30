import Foundation
import Glibc
import Outbound
import Shared

/// `authd --refresh-worker`: one refresh, in its own process. WorkOS rotates
/// the refresh token on every refresh and the old one dies at once, so the
/// new pair must reach disk even if authd is killed meanwhile. The worker
/// holds tokens.lock, reserves the temp file (a full disk stops it before
/// anything is rotated), refreshes, commits, and only then exits. A killed
/// authd does not kill it; a restarted authd waits on the same lock.
/// It prints one JSON line for its parent; tokens appear in it only when the
/// new pair could not be written (the parent then keeps them in memory).
enum RefreshWorker {
    /// `heldOnStdin`: authd holds a rotated pair its disk lacks (the write failed after the
    /// rotation); it comes on stdin and is the one to refresh, never the dead pair on disk.
    static func run(config: Config, network: OutboundNetwork, stateDir: String, notAfter: Double?, heldOnStdin: Bool = false) -> Never {
        // Finish the critical section even if asked to stop; systemd's final SIGKILL comes much later.
        Processes.ignore([SIGTERM, SIGINT, SIGHUP])
        let store = TokenStore(dir: stateDir)
        // Held until the process exits (the kernel releases it then).
        do { _ = try Files.lockExclusive(store.lockFile) } catch { finish(.error("cannot lock \(store.lockFile): \(error)")) }

        store.cleanTempFiles()
        let tokens: TokenStore.Tokens
        if heldOnStdin {
            let bytes = FileDescriptor.standardInput.readAll(maxBytes: 64 * 1024)
            guard let v = try? JSONValue(parsing: bytes), let t = TokenStore.Tokens(json: v) else {
                finish(.error("the refresh worker got no token pair on its stdin"))
            }
            tokens = t
        } else {
            do {
                guard let t = try store.load() else { finish(.noCredentials) }
                tokens = t
            } catch {
                finish(.error("\(error)"))
            }
        }
        // Single flight across processes: someone refreshed while we waited for the lock.
        if let notAfter, let last = tokens.lastRefresh, last > notAfter {
            finish(.fresh)
        }
        let pending: TokenStore.PendingWrite
        do { pending = try store.prepareWrite() } catch {
            finish(.persistFailed("cannot write to \(stateDir): \(error); the current tokens stay valid, nothing was refreshed"))
        }
        let workos = WorkOS(baseURL: config.auth.workosBaseURL, clientID: config.auth.clientID, network: network, timeout: config.auth.timeoutSeconds)
        switch workos.refresh(tokens.refreshToken) {
        case .tokens(let access, let refresh):
            let fresh = TokenStore.Tokens.issued(access: access, refresh: refresh, source: "refresh", now: WallClock.now())
            var lastError = ""
            for attempt in 0..<AuthLimits.workerWriteAttempts {
                do {
                    let p = attempt == 0 ? pending : try store.prepareWrite()
                    try p.commit(fresh)
                    finish(.ok)
                } catch {
                    lastError = "\(error)"
                    sleepSeconds(AuthLimits.workerWriteRetryDelay)
                }
            }
            // Rotated at WorkOS but not on disk: hand the pair to authd's memory.
            finish(.persistFailedAfterRotation(message: lastError, refresh: refresh, access: access))
        case .invalidGrant(let why):
            pending.abandon()
            finish(.invalidGrant(why))
        case .failed(let why):
            pending.abandon()
            finish(.error(why))
        default:
            pending.abandon()
            finish(.error("unexpected WorkOS answer to a refresh"))
        }
    }

    static func finish(_ verdict: RefreshVerdict) -> Never {
        printOut(JSONValue.object(verdict.json).serializedString())
        exitProcess(0)
    }
}
