public enum Droidgate {
    public static let version = "0.1.0"
}
