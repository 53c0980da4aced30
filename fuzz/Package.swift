// swift-tools-version:6.1
// libFuzzer targets for droidgate's parsers. A separate package so that a
// plain `swift build` of droidgate never links libFuzzer; fuzz/run builds it
// with -sanitize=fuzzer,address (see toolset.json). It depends only on the
// droidgate package beside it: no third-party code.
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]
let droidgate: [Target.Dependency] = [
    .product(name: "EdgeCore", package: "droidgate"),
    .product(name: "Shared", package: "droidgate"),
    .product(name: "IPC", package: "droidgate"),
]

let package = Package(
    name: "droidgate-fuzz",
    dependencies: [.package(name: "droidgate", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: droidgate, path: "Sources/Support", swiftSettings: strict),
        .executableTarget(name: "fuzz-scanner", dependencies: droidgate + ["FuzzSupport"], path: "Sources/scanner", swiftSettings: strict),
        .executableTarget(name: "fuzz-sanitizer", dependencies: droidgate + ["FuzzSupport"], path: "Sources/sanitizer", swiftSettings: strict),
        .executableTarget(name: "fuzz-http", dependencies: droidgate + ["FuzzSupport"], path: "Sources/http", swiftSettings: strict),
        .executableTarget(name: "fuzz-ipc-frame", dependencies: droidgate + ["FuzzSupport"], path: "Sources/ipc-frame", swiftSettings: strict),
        .executableTarget(name: "fuzz-json", dependencies: droidgate + ["FuzzSupport"], path: "Sources/json", swiftSettings: strict),
    ]
)
