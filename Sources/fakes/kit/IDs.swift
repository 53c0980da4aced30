import Shared

/// Provider-looking identifiers and timestamps for fake replies.
public enum IDs {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    public static func random(_ count: Int) -> String {
        String((0..<count).map { _ in alphabet.randomElement()! })
    }

    public static func hex(_ count: Int) -> String {
        String((0..<count).map { _ in "0123456789abcdef".randomElement()! })
    }

    public static var unixTime: Int { Int(WallClock.now()) }
}
