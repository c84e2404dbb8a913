package main

import (
	"github.com/pinnsweep/pinnsweep/sweeps"
	"github.com/pinnsweep/pinnsweep/trainer"
)

// specOptions returns the sweeps.Options every subcommand parses specs
// with: each trainer setting in a spec is checked by assigning it to a
// scratch trainer configuration, so an unknown key or a value of the wrong
// type is reported with its file and line before anything runs.
func specOptions() sweeps.Options {
	return sweeps.Options{Validate: validateSetting}
}

// validateSetting checks one spec setting against trainer.Config.Set.
func validateSetting(key string, value any) error {
	c := trainer.DefaultConfig()
	return c.Set(key, value)
}
