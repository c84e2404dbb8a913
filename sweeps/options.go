package sweeps

// Defaults and limits of the spec format.
const (
	// DefaultMaxTrials is the grid-size limit used when neither
	// Options.MaxTrials nor the spec's max_trials key sets one.
	DefaultMaxTrials = 1_000_000

	// DefaultRetries is the retry limit of a spec without a retries key:
	// a trial is attempted at most 1 + DefaultRetries times.
	DefaultRetries = 2

	// MaxRetries is the largest retries value a spec may give.
	MaxRetries = 100

	// MaxNameLen is the maximum length of a sweep name.
	MaxNameLen = 64
)

// Setting keys that a spec derives from its own keys rather than from fixed
// or axes. A spec that also sets one of them directly is rejected with
// ErrConflict.
const (
	// SeedKey is the setting each trial's replicate seed is stored under.
	SeedKey = "seed"
	// MaxItersKey is the setting budget.iterations is stored under.
	MaxItersKey = "max_iters"
	// MaxEvalsKey is the setting budget.evaluations is stored under.
	MaxEvalsKey = "max_evals"
)

// Options configures Parse and ParseFile. The zero value accepts every
// setting and limits grids to DefaultMaxTrials trials.
type Options struct {
	// Validate, if not nil, checks one trainer setting: it is called for
	// every fixed setting, every axis value of a plain (non-bundle) axis
	// item with the axis name as key, every range value, every key and value
	// of a bundle, and once for each of the derived settings "max_iters",
	// "max_evals" (when the budget sets them) and "seed" (with the first
	// seed). The value is an int64, float64, string, bool or []any of
	// those. A non-nil error is reported with the file, line and key and
	// wraps both ErrSetting and the returned error.
	//
	// Validate must not modify the value. The sweeps package does not know
	// the trainer's settings; a typical Validate assigns the value to a
	// scratch trainer configuration.
	Validate func(key string, value any) error

	// MaxTrials is the largest grid any spec may expand to, and the
	// default limit of a spec without a max_trials key; a spec's max_trials
	// may lower the limit but not raise it above MaxTrials. Zero means
	// DefaultMaxTrials.
	MaxTrials int
}

// maxTrials returns the effective ceiling on grid sizes.
func (o *Options) maxTrials() int {
	if o.MaxTrials > 0 {
		return o.MaxTrials
	}
	return DefaultMaxTrials
}
