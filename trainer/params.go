package trainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// DecodeParams returns DefaultConfig with every setting of paramsJSON (a
// JSON object of setting names to values, a trial's params as a sweep
// stores them) assigned through Config.Set, in sorted key order. It
// reports malformed JSON, an unknown setting or a value of the wrong type;
// it does not check ranges (Validate does).
func DecodeParams(paramsJSON string) (Config, error) {
	cfg := DefaultConfig()
	var params map[string]any
	dec := json.NewDecoder(strings.NewReader(paramsJSON))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		return cfg, fmt.Errorf("decoding params: %w", err)
	}
	if dec.More() {
		return cfg, errors.New("decoding params: trailing data after the JSON object")
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		if err := cfg.Set(k, params[k]); err != nil {
			errs = append(errs, err)
		}
	}
	return cfg, errors.Join(errs...)
}
