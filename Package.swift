// swift-tools-version:6.2

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "rh-batch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rh-batch", targets: ["rh-batch"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        // The system libyaml, seen through a one-header shim.
        .systemLibrary(
            name: "CLibYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // syncfs(2), which Swift's Glibc module does not declare.
        .target(name: "CSystemShims"),
        // YAML node tree with 1-based marks; no C type leaks out.
        .target(
            name: "YAML",
            dependencies: ["CLibYAML"],
            swiftSettings: swiftSettings
        ),
        // The API's value types: task states, outcomes, failures, the error table. No dependencies.
        .target(name: "RunningHubModel", swiftSettings: swiftSettings),
        // Manifest, catalog, planner, scheduler, journal, report: pure logic plus a seam for the API
        // in its own types (no HTTP client, no NIO).
        .target(
            name: "RHBatchCore",
            dependencies: [
                "YAML",
                "RunningHubModel",
                "CSystemShims",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The RunningHub HTTP client, on async-http-client.
        .target(
            name: "RunningHubAPI",
            dependencies: [
                "RunningHubModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The built-in RunningHub simulator, on Hummingbird, with wire types of its own.
        .target(
            name: "RunningHubSimulator",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The client as the core's service: the one place the two meet.
        .target(
            name: "RunningHubAdapter",
            dependencies: ["RHBatchCore", "RunningHubAPI"],
            swiftSettings: swiftSettings
        ),
        // The thin executable: commands parse, validate and call the libraries.
        .executableTarget(
            name: "rh-batch",
            dependencies: [
                "RHBatchCore",
                "RunningHubAPI",
                "RunningHubAdapter",
                "RunningHubSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "YAMLTests", dependencies: ["YAML"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RHBatchCoreTests",
            dependencies: [
                "RHBatchCore", "RunningHubModel", "YAML", "RunningHubSimulator",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RunningHubAPITests",
            dependencies: [
                "RunningHubAPI",
                "RunningHubSimulator",
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RunningHubSimulatorTests",
            dependencies: [
                "RunningHubSimulator",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RHBatchTests",
            dependencies: ["rh-batch", "RHBatchCore", "RunningHubAPI", "RunningHubAdapter", "RunningHubSimulator"],
            swiftSettings: swiftSettings
        ),
    ]
)
