import Glibc

/// Is a directory one that only its owner (or root) could have set up? The
/// CLI finds daemons' sockets in a dev root (`./.droidgate/run`), and another
/// local user who could create or replace that folder — or any folder on the
/// way to it — could serve a socket there and receive what the CLI sends
/// (a refresh token, an auth.json, an OAuth callback).
///
/// The rule, for the resolved path and every folder above it: owned by root
/// or `owner`; not writable by group or others, except a sticky folder above
/// the last one (such as /tmp: others may add entries there but not replace
/// ours).
public enum TrustedDirectory {
    public struct Untrusted: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "\(path) \(reason)" }
    }

    /// The resolved (symlink-free) path of `path` when it is trusted.
    public static func check(_ path: String, owner: uid_t = geteuid()) -> Result<String, Untrusted> {
        guard let resolved = realPath(path) else {
            return .failure(Untrusted(path: path, reason: "cannot be resolved (errno \(errno))"))
        }
        var chain = ["/"]
        var prefix = ""
        for part in resolved.split(separator: "/") {
            prefix += "/" + part
            chain.append(prefix)
        }
        for (i, dir) in chain.enumerated() {
            var st = stat()
            guard lstat(dir, &st) == 0 else {
                return .failure(Untrusted(path: dir, reason: "cannot be examined (lstat: errno \(errno))"))
            }
            let isLast = i == chain.count - 1
            if st.st_uid != 0 && st.st_uid != owner {
                return .failure(Untrusted(path: dir, reason: "belongs to \(Users.name(of: st.st_uid)) (uid \(st.st_uid)), not to you or root: that user could replace what droidgate finds there"))
            }
            let mode = st.st_mode & 0o7777
            // Group-writable counts only when the group may hold someone else: a
            // user-private group (the owner's primary group, with no members listed,
            // as umask 002 systems make every folder 0775) is just the owner.
            let groupIsOthers = mode & 0o020 != 0 && !isPrivateGroup(st.st_gid, of: st.st_uid)
            let writableByOthers = mode & 0o002 != 0 || groupIsOthers
            let sticky = mode & 0o1000 != 0
            if writableByOthers && (isLast || !sticky) {
                let who = mode & 0o002 != 0 ? "every user" : "its group (gid \(st.st_gid))"
                return .failure(Untrusted(path: dir, reason: "is writable by \(who) (mode \(String(mode, radix: 8))): another user could plant a socket there; `chmod go-w \(dir)`"))
            }
        }
        return .success(resolved)
    }

    /// Is `gid` the primary group of `uid` with no other member listed?
    static func isPrivateGroup(_ gid: gid_t, of uid: uid_t) -> Bool {
        guard let pw = getpwuid(uid), pw.pointee.pw_gid == gid, let gr = getgrgid(gid) else { return false }
        return gr.pointee.gr_mem?.pointee == nil
    }

    static func realPath(_ path: String) -> String? {
        guard let p = Glibc.realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
