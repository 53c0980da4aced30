import Foundation
import XCTest

/// The man pages and the bash completion under packaging/ checked against the
/// code, so that a new config key, command, flag or provider cannot be
/// forgotten there.
final class PackagingFilesTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func source(_ path: String) throws -> String {
        try String(contentsOfFile: "\(Self.repo)/\(path)", encoding: .utf8)
    }

    // MARK: - Config keys

    /// Every key ConfigLoader reads, as a dotted path (array members as `models[].id`).
    /// A reader variable is a section opened with `var X = try r.section("name")`,
    /// or the element of an array read by one of the functions in `elementReaders`.
    static func configKeys(_ text: String) throws -> [String] {
        let elementReaders = ["readModel": "models[]", "readDroidModel": "droid.models[]"]
        let methods = "string|optionalString|int|double|bool|stringArray|stringMap|object|objects|has"
        let call = try NSRegularExpression(pattern: #"\b([A-Za-z]\w*)\.(\#(methods))\("([A-Za-z]+)""#)
        let path = try NSRegularExpression(pattern: #"absolutePath\(&([A-Za-z]\w*), "([A-Za-z]+)""#)
        let section = try NSRegularExpression(pattern: #"var ([A-Za-z]\w*) = try r\.section\("([A-Za-z]+)"\)"#)
        let function = try NSRegularExpression(pattern: #"func (\w+)\(_ ([A-Za-z]\w*): inout ConfigReader"#)
        var sections: [String: String] = [:]
        var current: (name: String, variable: String)? = nil
        var keys: [String] = []
        func groups(_ re: NSRegularExpression, _ line: String) -> [[String]] {
            re.matches(in: line, range: NSRange(line.startIndex..., in: line)).map { m in
                (1..<m.numberOfRanges).map { String(line[Range(m.range(at: $0), in: line)!]) }
            }
        }
        for line in text.split(separator: "\n").map(String.init) {
            if let f = groups(function, line).first {
                current = (f[0], f[1])
                if f[1] != "r" && elementReaders[f[0]] == nil && sections[f[1]] == nil {
                    throw NSError(domain: "PackagingFilesTests", code: 1, userInfo: [NSLocalizedDescriptionKey:
                        "ConfigLoader.\(f[0]) reads with '\(f[1])': add its key prefix to elementReaders in PackagingFilesTests"])
                }
            }
            for s in groups(section, line) { sections[s[0]] = s[1] }
            var found = groups(call, line).map { ($0[0], $0[2]) }
            found += groups(path, line).map { ($0[0], $0[1]) }
            for (variable, key) in found {
                if let c = current, c.variable == variable, let prefix = elementReaders[c.name] {
                    keys.append("\(prefix).\(key)")
                } else if let prefix = sections[variable] {
                    keys.append("\(prefix).\(key)")
                } else if variable == "r" {
                    keys.append(key)
                } else {
                    throw NSError(domain: "PackagingFilesTests", code: 2, userInfo: [NSLocalizedDescriptionKey:
                        "cannot tell which section '\(variable)' reads in: \(line)"])
                }
            }
        }
        var seen = Set<String>()
        return keys.filter { seen.insert($0).inserted }
    }

    func testEveryConfigKeyTheLoaderReadsIsInDroidgateJson5() throws {
        let keys = try Self.configKeys(try source("Sources/Shared/Config/ConfigLoader.swift"))
        // The parser itself must see the keys it is meant to (a sample of each kind).
        for k in ["listen", "log.level", "paths.runtimeDir", "clients.apiKeys", "limits.maxBodyBytes", "backend.extraConfig",
                  "auth.clientId", "edged.workers", "rewrites.thinkingDisplay", "factory.userAgent", "models", "modelRedirects",
                  "models[].upstreamModel", "droid.models", "droid.models[].noImageSupport"] {
            XCTAssertTrue(keys.contains(k), "\(k) not found among \(keys)")
        }
        let page = try source("packaging/man/droidgate.json.5")
        let documented = Set(page.split(separator: "\n").filter { $0.hasPrefix(".B ") }.map { $0.dropFirst(3).replacingOccurrences(of: "\\-", with: "-") })
        let missing = keys.filter { !documented.contains($0) }
        XCTAssertEqual(missing, [], "config keys ConfigLoader reads that packaging/man/droidgate.json.5 does not document (as a `.B key` line)")
        // The two keys documented ahead of the loader (network.proxies, network.noProxy) stay documented.
        XCTAssertTrue(documented.contains("network.proxies") && documented.contains("network.noProxy"))
    }

    // MARK: - Commands

    /// The commands main.swift dispatches (not the help/version spellings).
    func commands() throws -> [String] {
        let main = try source("Sources/droidgate/main.swift")
        let re = try NSRegularExpression(pattern: #"^case "([a-z][a-z-]*)":"#, options: .anchorsMatchLines)
        return re.matches(in: main, range: NSRange(main.startIndex..., in: main)).map { String(main[Range($0.range(at: 1), in: main)!]) }
    }

    func testEveryCommandIsInDroidgate1() throws {
        let commands = try commands()
        XCTAssertTrue(commands.contains("doctor") && commands.contains("up"), "\(commands)")
        let page = try source("packaging/man/droidgate.1").replacingOccurrences(of: "\\-", with: "-")
        for c in commands {
            XCTAssertTrue(page.contains(".SS \"droidgate \(c)"), "droidgate \(c) has no .SS section in packaging/man/droidgate.1")
        }
        let backend = try source("Sources/droidgate/Commands/Backend.swift")
        let sub = try NSRegularExpression(pattern: #"case "([a-z]+)": \w+"#)
        let subs = sub.matches(in: backend, range: NSRange(backend.startIndex..., in: backend)).map { String(backend[Range($0.range(at: 1), in: backend)!]) }
        XCTAssertEqual(Set(subs), ["login", "accounts", "providers", "restart", "log"])
        for s in subs { XCTAssertTrue(page.contains(".SS \"droidgate backend \(s)"), "backend \(s) missing from droidgate.1") }
        for s in ["install", "uninstall", "status"] { XCTAssertTrue(page.contains(".SS \"droidgate droid \(s)"), "droid \(s) missing from droidgate.1") }
    }

    func testManPagesRenderWithoutWarnings() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/groff") else { throw XCTSkip("groff is not installed (apt-get install groff-base)") }
        for page in ["droidgate.1", "droidgate.json.5"] {
            let (rc, out) = try runToEnd("/usr/bin/groff", ["-man", "-Tutf8", "-ww", "-z", "\(Self.repo)/packaging/man/\(page)"])
            XCTAssertEqual(rc, 0, out)
            XCTAssertEqual(out, "", "groff warnings for \(page)")
        }
    }

    // MARK: - Bash completion

    /// COMPREPLY for the words typed so far (the last one is the word being completed).
    func complete(_ words: [String]) throws -> [String] {
        let quoted = words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let script = """
        source '\(Self.repo)/packaging/completion/droidgate.bash'
        COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1)
        _droidgate
        printf '%s\\n' "${COMPREPLY[@]}"
        """
        let (rc, out) = try runToEnd("/bin/bash", ["--norc", "-c", script])
        XCTAssertEqual(rc, 0, out)
        return out.split(separator: "\n").map(String.init)
    }

    func testBashCompletionOffersCommandsFlagsAndProviders() throws {
        XCTAssertEqual(Set(try complete(["droidgate", ""])), Set(try commands() + ["help", "--help", "--version"]))
        XCTAssertEqual(try complete(["droidgate", "do"]), ["doctor"])

        // The providers the backend logs in to (supervisord's Accounts.providers).
        let accounts = try source("Sources/supervisord/Accounts.swift")
        let line = try XCTUnwrap(accounts.split(separator: "\n").first { $0.contains("static let providers = [") })
        let providers = line.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        XCTAssertEqual(providers.count, 5, String(line))
        XCTAssertEqual(try complete(["droidgate", "backend", "login", ""]), providers)
        XCTAssertEqual(try complete(["droidgate", "backend", "login", "--root", "/tmp/x", ""]), providers)
        XCTAssertEqual(try complete(["droidgate", "backend", "providers", "--disable", ""]), providers)
        XCTAssertEqual(try complete(["droidgate", "backend", ""]), ["login", "accounts", "providers", "restart", "log"])
        XCTAssertEqual(try complete(["droidgate", "droid", ""]), ["install", "uninstall", "status"])
        XCTAssertEqual(try complete(["droidgate", "reload", ""]), ["authd", "supervisord", "edged"])
        XCTAssertEqual(try complete(["droidgate", "login", "--refresh-token", ""]), ["-"])

        // Every flag a command's --help mentions is offered for it.
        let common: Set = ["--config", "--root", "--help"]
        let cases: [(help: [String], completions: [[String]])] = [
            (["up"], [["up"]]), (["status"], [["status"]]), (["doctor"], [["doctor"]]), (["login"], [["login"]]),
            (["reload"], [["reload"]]),
            (["backend", "--help"], [["backend", "login", "x"], ["backend", "accounts"], ["backend", "providers"], ["backend", "log"]]),
            (["droid", "--help"], [["droid", "install"], ["droid", "uninstall"], ["droid", "status"]]),
        ]
        let flag = try NSRegularExpression(pattern: #"(?<![\w-])--[a-z][a-z-]*"#)
        for (helpArgs, completions) in cases {
            let (_, help) = try runToEnd(Binaries.path("droidgate"), helpArgs + (helpArgs.count == 1 ? ["--help"] : []))
            let mentioned = Set(flag.matches(in: help, range: NSRange(help.startIndex..., in: help)).map { String(help[Range($0.range, in: help)!]) })
            var offered = Set<String>()
            for words in completions { offered.formUnion(try complete(["droidgate"] + words + ["--"])) }
            let missing = mentioned.subtracting(offered).subtracting(["--version"])
            XCTAssertEqual(missing, [], "droidgate \(helpArgs.joined(separator: " ")): flags in --help the completion does not offer")
            XCTAssertTrue(common.isSubset(of: offered), "\(helpArgs): \(offered)")
        }
    }
}
