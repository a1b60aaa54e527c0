// swift-tools-version:6.0
import PackageDescription

// The targets follow the pipeline: C bindings -> frames (StrataCore) -> base layer
// (StrataBase) -> enhancement codec (StrataEnhancement) -> container and manifests
// (StrataContainer) -> public API (Strata) -> delivery (StrataHTTP) -> harness
// (StrataBench) -> command line (strata).
let package = Package(
    name: "Strata",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Strata", targets: ["Strata"]),
        .library(name: "StrataHTTP", targets: ["StrataHTTP"]),
        .executable(name: "strata", targets: ["strata"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.21.0"),
    ],
    targets: [
        // C libraries: a modulemap and a shim header each, nothing else.
        .systemLibrary(name: "COpenH264", path: "Sources/COpenH264", pkgConfig: "openh264",
                       providers: [.apt(["libopenh264-dev"])]),
        .systemLibrary(name: "CX264", path: "Sources/CX264", pkgConfig: "x264",
                       providers: [.apt(["libx264-dev"])]),
        .systemLibrary(name: "CSwscale", path: "Sources/CSwscale", pkgConfig: "libswscale",
                       providers: [.apt(["libswscale-dev"])]),

        // Frames, planes, Y4M, scaling, quality metrics, shared errors.
        .target(name: "StrataCore", dependencies: ["CSwscale"]),
        // OpenH264 base layer, x264 reference encoder, NAL units and Annex B.
        .target(name: "StrataBase", dependencies: ["StrataCore", "COpenH264", "CX264"]),
        // Strata's own enhancement-layer codec.
        .target(name: "StrataEnhancement", dependencies: ["StrataCore", "CStrataPrefetch"]),
        // Cache prefetch hints (inline C: Swift has no prefetch of its own).
        .target(name: "CStrataPrefetch"),
        // ISO BMFF / CMAF fragments, manifest.json, DASH MPD, HLS playlist.
        .target(name: "StrataContainer", dependencies: ["StrataCore"]),
        // The public API other packages link.
        .target(name: "Strata", dependencies: ["StrataCore", "StrataBase", "StrataEnhancement", "StrataContainer"]),
        // HTTP server and progressive client: the only targets with HTTP dependencies.
        .target(name: "StrataHTTP", dependencies: [
            "Strata",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // The research harness: ladders, metrics, BD-rate, plots.
        .target(name: "StrataBench", dependencies: ["Strata", "StrataBase", "StrataCore"]),
        // The command line, a thin client of the public API.
        .executableTarget(name: "strata", dependencies: [
            "Strata", "StrataHTTP", "StrataBench",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Benchmarks: ratios measured in one run against a reference.
        .executableTarget(name: "StrataBenchmarks",
                          dependencies: ["Strata", "StrataCore", "StrataBase", "StrataEnhancement", "StrataContainer", "StrataBench"],
                          path: "Benchmarks/StrataBenchmarks"),

        .target(name: "StrataTestSupport", path: "Tests/StrataTestSupport"),
        .testTarget(name: "StrataCoreTests", dependencies: ["StrataCore", "StrataTestSupport"]),
        .testTarget(name: "StrataBaseTests", dependencies: ["StrataBase", "StrataCore"]),
        .testTarget(name: "StrataEnhancementTests", dependencies: ["StrataEnhancement", "StrataCore", "StrataTestSupport"]),
        .testTarget(name: "StrataContainerTests", dependencies: ["StrataContainer", "StrataCore", "StrataTestSupport"], exclude: ["Corpus"]),
        .testTarget(name: "StrataTests", dependencies: ["Strata", "StrataCore", "StrataBase", "StrataTestSupport"]),
        .testTarget(name: "StrataHTTPTests", dependencies: ["StrataHTTP", "Strata"]),
        .testTarget(name: "StrataBenchTests", dependencies: ["StrataBench", "Strata"]),
    ],
    swiftLanguageModes: [.v6]
)
