// swift-tools-version:6.1
// droidgate: a privilege-separated edge for LLM coding agents.
// No package dependencies, by design: the daemons hold credentials, so the
// only code they run is ours and the toolchain's.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "droidgate",
    products: [
        .executable(name: "authd", targets: ["authd"]),
        .executable(name: "edged", targets: ["edged"]),
        .executable(name: "supervisord", targets: ["supervisord"]),
        .executable(name: "droidgate", targets: ["droidgate"]),
        .executable(name: "fake-cli-proxy-api", targets: ["fake-cli-proxy-api"]),
        .executable(name: "fake-workos", targets: ["fake-workos"]),
        .executable(name: "fake-factory", targets: ["fake-factory"]),
        // For fuzz/ (a separate package so plain builds never link libFuzzer).
        .library(name: "EdgeCore", targets: ["EdgeCore"]),
        .library(name: "IPC", targets: ["IPC"]),
        .library(name: "Shared", targets: ["Shared"]),
        .library(name: "Values", targets: ["Values"]),
    ],
    targets: [
        .target(name: "CSystem"),
        // Plain values, no I/O: JSON, the config's sections, the reasoning table,
        // SHA-256, text. It imports nothing, not even Glibc or Foundation, so the
        // modules that depend on it alone (EdgeCore, Translate) cannot do I/O
        // (checked by scripts/check-module-graph).
        .target(name: "Values", swiftSettings: strict),
        // The system side: syscalls, files, sockets, spawn, the log, config
        // loading, daemon plumbing. Re-exports Values.
        .target(name: "Shared", dependencies: ["Values", "CSystem"], swiftSettings: strict),
        .target(name: "IPC", dependencies: ["Shared"], swiftSettings: strict),
        // A daemon's life (sd_notify, watchdog, SIGHUP, its IPC server): uses IPC.
        .target(name: "Lifecycle", dependencies: ["Shared", "IPC"], swiftSettings: strict),
        // libcurl's API as we use it, linked by the runtime library's soname
        // (libcurl.so.4): no development package needed to build.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary(":libcurl.so.4")]),
        // HTTPS to Factory and WorkOS through libcurl: one request's options
        // (proxy, CA, no cookies, no redirects), and a blocking client for authd.
        .target(name: "Outbound", dependencies: ["Shared", "CCurl"], swiftSettings: strict),
        .executableTarget(name: "authd", dependencies: ["Shared", "IPC", "Lifecycle", "Outbound"], swiftSettings: strict),
        // The request path's pure logic (HTTP parsing, the body scanner, rewrite rules):
        // a library so unit tests and fuzz targets can use it directly.
        .target(name: "CFastScan", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "EdgeCore", dependencies: ["Values", "CFastScan"], swiftSettings: strict),
        // Chat completions ⇄ Anthropic / Responses / Google translation for the Factory
        // route: pure functions over our order-preserving JSON value type.
        .target(name: "Translate", dependencies: ["Values"], swiftSettings: strict),
        .executableTarget(name: "edged", dependencies: ["Shared", "IPC", "Lifecycle", "EdgeCore", "Translate", "Outbound", "CCurl", "CSystem"], swiftSettings: strict),
        .executableTarget(name: "supervisord", dependencies: ["Shared", "IPC", "Lifecycle"], swiftSettings: strict),
        .executableTarget(name: "droidgate", dependencies: ["Shared", "IPC", "EdgeCore"], swiftSettings: strict),
        .target(name: "FakeKit", dependencies: ["Shared"], path: "Sources/fakes/kit", swiftSettings: strict),
        .executableTarget(name: "fake-cli-proxy-api", dependencies: ["Shared", "FakeKit"], path: "Sources/fakes/cli-proxy-api", swiftSettings: strict),
        .executableTarget(name: "fake-workos", dependencies: ["Shared", "FakeKit"], path: "Sources/fakes/workos", swiftSettings: strict),
        .executableTarget(name: "fake-factory", dependencies: ["Shared", "FakeKit"], path: "Sources/fakes/factory", swiftSettings: strict),
        .testTarget(name: "SharedTests", dependencies: ["Shared"], swiftSettings: strict),
        .testTarget(name: "IPCTests", dependencies: ["IPC", "Shared"], swiftSettings: strict),
        .testTarget(name: "EdgeCoreTests", dependencies: ["EdgeCore", "Shared"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "TranslateTests", dependencies: ["Translate", "Shared"], swiftSettings: strict),
        .testTarget(name: "OutboundTests", dependencies: ["Outbound", "Shared", "CCurl"], swiftSettings: strict),
        .testTarget(name: "SupervisordTests", dependencies: ["supervisord", "Shared"], swiftSettings: strict),
        .testTarget(name: "EdgedTests", dependencies: ["edged", "EdgeCore", "Translate", "Shared", "IPC"], swiftSettings: strict),
        .testTarget(name: "AuthdUnitTests", dependencies: ["authd", "IPC", "Shared"], swiftSettings: strict),
        .testTarget(name: "IntegrationTests", dependencies: ["Shared", "IPC"], swiftSettings: strict),
    ]
)
