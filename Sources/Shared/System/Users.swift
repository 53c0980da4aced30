import Glibc

/// User and group look-ups (for IPC allow-lists and permission checks).
public enum Users {
    public static var currentUID: uid_t { getuid() }
    public static var currentPID: pid_t { getpid() }

    public static func uid(named name: String) -> uid_t? {
        guard let pw = getpwnam(name) else { return nil }
        return pw.pointee.pw_uid
    }

    public static func gid(named name: String) -> gid_t? {
        guard let gr = getgrnam(name) else { return nil }
        return gr.pointee.gr_gid
    }

    public static func name(of uid: uid_t) -> String {
        guard let pw = getpwuid(uid) else { return "uid \(uid)" }
        return String(cString: pw.pointee.pw_name)
    }
}
