import Foundation
import Testing
@testable import StrataHTTP

@Suite("Bandwidth traces and fault rules")
struct BandwidthTraceTests {
    @Test("parses steps, comments and blank lines; the rate is a step function")
    func parsing() throws {
        let trace = try BandwidthTrace(name: "t", parsing: "# header\n0 1000\n\n2.5 200 # tunnel\n4,0\n5\t800\n")
        #expect(trace.points.count == 4)
        #expect(trace.kbps(at: 0) == 1000)
        #expect(trace.kbps(at: 2.49) == 1000)
        #expect(trace.kbps(at: 2.5) == 200)
        #expect(trace.kbps(at: 4.5) == 0)
        #expect(trace.kbps(at: 100) == 800)
    }

    @Test("rejects malformed lines, decreasing times and negative rates, naming the line")
    func errors() {
        #expect(throws: BandwidthTraceError.malformedLine(name: "t", line: 2, text: "1 2 3")) {
            try BandwidthTrace(name: "t", parsing: "0 100\n1 2 3\n")
        }
        #expect(throws: BandwidthTraceError.timeNotIncreasing(name: "t", line: 2, seconds: 0)) {
            try BandwidthTrace(name: "t", parsing: "0 100\n0 50\n")
        }
        #expect(throws: BandwidthTraceError.invalidRate(name: "t", line: 1, kbps: -5)) {
            try BandwidthTrace(name: "t", parsing: "0 -5\n")
        }
        #expect(throws: BandwidthTraceError.empty(name: "t")) { try BandwidthTrace(name: "t", parsing: "# nothing\n") }
    }

    @Test("integrates bytes over steps and outages")
    func transferTimes() throws {
        // 80 kbit/s = 10 000 B/s for 1 s, an outage of 1 s, then 160 kbit/s = 20 000 B/s.
        let trace = try BandwidthTrace(name: "t", parsing: "0 80\n1 0\n2 160\n")
        #expect(abs(trace.bytes(from: 0, to: 3) - 30_000) < 1e-6)
        #expect(abs(trace.transferTime(bytes: 5_000, startingAt: 0) - 0.5) < 1e-9)
        // 10 000 in the first second, nothing in the second, 10 000 more in 0.5 s.
        #expect(abs(trace.transferTime(bytes: 20_000, startingAt: 0) - 2.5) < 1e-9)
        #expect(try BandwidthTrace(name: "o", parsing: "0 0\n").transferTime(bytes: 1, startingAt: 0).isInfinite)
        #expect(trace.scaled(by: 2).kbps(at: 0) == 160)
    }

    @Test("loads every shipped trace")
    func shippedTraces() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for name in ["steady", "step-down", "step-up", "mobile"] {
            let trace = try BandwidthTrace(contentsOfFile: root.appendingPathComponent("Traces/\(name).trace").path)
            #expect(trace.name == name)
            #expect(trace.meanKbps(over: 60) > 500)
        }
    }

    @Test("matches fault globs within and across path components")
    func globs() throws {
        let rule = try FaultRule(parsing: "L2/*.m4s=404")
        #expect(rule.action == .notFound)
        #expect(rule.matches("L2/3.m4s"))
        #expect(!rule.matches("L2/init.mp4"))
        #expect(!rule.matches("L1/3.m4s"))
        #expect(!FaultRule(pattern: "*.m4s", action: .reset).matches("L2/3.m4s"))
        #expect(FaultRule(pattern: "**.m4s", action: .reset).matches("L2/3.m4s"))
        #expect(FaultRule(pattern: "L?/1?.m4s", action: .reset).matches("L1/12.m4s"))
        #expect(try FaultRule(parsing: "/L1/0.m4s=delay:250").action == .delay(milliseconds: 250))
        #expect(try FaultRule(parsing: "x=truncate:0.5").action == .truncate(fraction: 0.5))
        #expect(throws: FaultRuleError.self) { try FaultRule(parsing: "x=truncate:1.5") }
        #expect(throws: FaultRuleError.self) { try FaultRule(parsing: "x=explode") }
        #expect(throws: FaultRuleError.self) { try FaultRule(parsing: "no-action") }
    }

    @Test("formats and parses HTTP dates")
    func httpDates() {
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse(HTTPDate.format(1_763_769_600)) == 1_763_769_600)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
    }

    @Test("the throughput estimate follows a drop faster than a rise")
    func estimator() {
        var e = ThroughputEstimator()
        #expect(e.bytesPerSecond == nil)
        for _ in 0..<10 { e.add(bytes: 100_000, seconds: 0.1) }  // 1 MB/s
        #expect(abs(e.bytesPerSecond! - 1_000_000) < 1)
        e.add(bytes: 10_000, seconds: 0.1)  // 100 kB/s
        let afterDrop = e.bytesPerSecond!
        #expect(afterDrop < 920_000)
        var f = ThroughputEstimator()
        for _ in 0..<10 { f.add(bytes: 10_000, seconds: 0.1) }
        f.add(bytes: 100_000, seconds: 0.1)
        #expect(f.bytesPerSecond! < 400_000)
    }
}
