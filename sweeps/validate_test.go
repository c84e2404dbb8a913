package sweeps

import (
	"fmt"
	"math"
)

// Test validators. The sweeps package cannot import the trainer, so these
// mirror its setting names (the JSON names of trainer.Config) and types,
// plus the strategy settings announced by the strategies issue.

// settingType is the type of a test setting.
type settingType int

const (
	intSetting settingType = iota
	floatSetting
	stringSetting
	intListSetting
)

// trainerSettings are the trainer's settings and their types.
var trainerSettings = map[string]settingType{
	"pde": stringSetting, "beta": floatSetting, "rho": floatSetting, "nu": floatSetting,
	"ic": stringSetting, "nx": intSetting, "nt": intSetting, "nu_points": intSetting,
	"nb": intSetting, "nf": intSetting, "sample_seed": intSetting, "seed": intSetting,
	"layers": intListSetting, "activation": stringSetting, "lambda": floatSetting,
	"periodic_ux": stringSetting, "optimizer": stringSetting, "lr": floatSetting,
	"max_iters": intSetting, "max_evals": intSetting, "max_seconds": floatSetting,
	"history": intSetting, "tol_grad": floatSetting, "tol_change": floatSetting,
	"history_every": intSetting, "threads": intSetting, "precision": stringSetting,
}

// strategySettings are the settings the strategies issue will add.
var strategySettings = map[string]settingType{
	"strategy": stringSetting, "curriculum_start": floatSetting, "curriculum_step": floatSetting, "seq2seq_dt": floatSetting,
}

// trainerValidator accepts the trainer's settings only.
func trainerValidator(key string, value any) error {
	return checkSetting(trainerSettings, key, value)
}

// strategyValidator accepts the trainer's and the strategy settings.
func strategyValidator(key string, value any) error {
	if _, ok := strategySettings[key]; ok {
		return checkSetting(strategySettings, key, value)
	}
	return checkSetting(trainerSettings, key, value)
}

// checkSetting checks a value against the type of its setting, with
// messages in the style of trainer.Config.Set.
func checkSetting(settings map[string]settingType, key string, value any) error {
	typ, ok := settings[key]
	if !ok {
		return fmt.Errorf("unknown setting %q", key)
	}
	var err error
	switch typ {
	case intSetting:
		err = checkInt(value)
	case floatSetting:
		if _, isNum := Number(value); !isNum {
			err = fmt.Errorf("want a number, got %v (%T)", value, value)
		}
	case stringSetting:
		if _, isStr := value.(string); !isStr {
			err = fmt.Errorf("want a string, got %v (%T)", value, value)
		}
	case intListSetting:
		list, isList := value.([]any)
		if !isList {
			err = fmt.Errorf("want a list of integers, got %v (%T)", value, value)
			break
		}
		for _, x := range list {
			if err = checkInt(x); err != nil {
				break
			}
		}
	}
	if err != nil {
		return fmt.Errorf("setting %q: %w", key, err)
	}
	return nil
}

// checkInt checks that value is an integral number.
func checkInt(value any) error {
	switch x := value.(type) {
	case int64:
		return nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) <= 1<<53 {
			return nil
		}
	}
	return fmt.Errorf("want an integer, got %v (%T)", value, value)
}
