package main

import "github.com/pinnsweep/pinnsweep/trainer"

// version is the pinnsweep version, recorded in every result.
var version = trainer.Version
