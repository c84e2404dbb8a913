//go:build !linux

package trialshim

// Arg is the first argument of a trial shim's command line.
const Arg = "__pinnsweep-trial-shim"

// Main returns at once: there is no trial shim on this platform.
func Main() {}
