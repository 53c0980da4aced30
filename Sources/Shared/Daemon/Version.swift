import CSystem

public enum Droidgate {
    /// The version every program reports (`--version`, the daemons' status and ready line).
    /// Written down in Sources/CSystem/Version.c and read from the executable at run time, so a
    /// package build can stamp another one into the built binaries (packaging/stamp-version).
    public static let version = String(cString: csys_droidgate_version())
}
