import Foundation
import Strata

/// The research harness behind `strata bench INPUT -o DIR`: a layered encode against simulcast
/// ladders matched at equal quality, written as report.json, report.csv and rate-quality.svg.
public enum BenchHarness {
    /// Runs the benchmark and returns the final report (also written to the output directory,
    /// after every step, so an interrupted run keeps what it measured). With `sweep` it also
    /// writes `sweep.json` and one report per plan under `sweep/`.
    public static func run(_ options: BenchOptions,
                           progress: (@Sendable (BenchProgress) -> Void)? = nil) async throws(BenchError) -> BenchReport {
        let run = try BenchRun(options: options, progress: progress)
        defer { run.cleanUp() }
        return try await run.execute()
    }
}
