import ArgumentParser
import Strata

/// The `strata` command line: a thin client of the Strata library.
@main
struct StrataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Layered video: one encode, a base any H.264 player shows, enhancement layers that raise its quality.",
        subcommands: [DemoCommand.self, EncodeCommand.self, DecodeCommand.self, InfoCommand.self,
                      ServeCommand.self, PlayCommand.self, BenchCommand.self, SplitCommand.self, JoinCommand.self])
}
