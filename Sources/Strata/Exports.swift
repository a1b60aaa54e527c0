// The public API re-exports the frame types and the stream catalog so that a client
// needs `import Strata` alone.
@_exported import StrataCore
@_exported import StrataContainer
