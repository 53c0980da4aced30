// swift-tools-version:6.1
// The routing-scan benchmark (bench/scan/run). A separate package so plain
// droidgate builds stay lean; it depends only on the droidgate package.
import PackageDescription

let package = Package(
    name: "droidgate-bench-scan",
    dependencies: [.package(name: "droidgate", path: "../..")],
    targets: [
        .executableTarget(
            name: "bench-scan",
            dependencies: [.product(name: "EdgeCore", package: "droidgate"), .product(name: "Shared", package: "droidgate")],
            path: "Sources/bench-scan",
            swiftSettings: [.swiftLanguageMode(.v6), .unsafeFlags(["-Ounchecked"])]),
    ]
)
