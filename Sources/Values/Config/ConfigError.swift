/// A configuration problem, said in one line: which file, which key, what is wrong.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let key: String       // dotted path, "" for the whole file
    public let problem: String

    public init(file: String, key: String, problem: String) {
        self.file = file
        self.key = key
        self.problem = problem
    }

    public var description: String {
        key.isEmpty ? "config \(file): \(problem)" : "config \(file): key \"\(key)\": \(problem)"
    }
}
