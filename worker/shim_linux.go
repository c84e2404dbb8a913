package worker

import "github.com/pinnsweep/pinnsweep/internal/trialshim"

// The trial shim (package internal/trialshim) stands between the worker
// and a command trial's program (DESIGN: "Process control" in doc.go).
// The worker starts it as
//
//	<shim> __pinnsweep-trial-shim GRACE PATH ARGV0 ARGS...
//
// in its own process group; see trialshim for the protocol on its status
// pipe.
const shimArg = trialshim.Arg

// ShimMain runs the command-trial shim and exits, if the process was
// started as one (its first argument is the shim's marker); otherwise it
// returns at once. The shim runs in the initialisation of package
// internal/trialshim, which this package imports, before main, so a
// program that imports package worker need not call it; it stays for
// programs that do, and for clarity in main.
func ShimMain() { trialshim.Main() }
