import Shared

/// Provider-looking identifiers and timestamps for fake replies.
enum IDs {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    static func random(_ count: Int) -> String {
        String((0..<count).map { _ in alphabet.randomElement()! })
    }

    static func hex(_ count: Int) -> String {
        String((0..<count).map { _ in "0123456789abcdef".randomElement()! })
    }

    static var unixTime: Int { Int(WallClock.now()) }
}
