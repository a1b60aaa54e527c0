// swift-tools-version:6.0
import PackageDescription

// An app that uses Strata as a dependency, through its public API only.
let package = Package(
    name: "EncodeDecode",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Strata", path: "../..")],
    targets: [
        .executableTarget(name: "EncodeDecode", dependencies: [.product(name: "Strata", package: "Strata")]),
    ],
    swiftLanguageModes: [.v6]
)
