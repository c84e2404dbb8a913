package trainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// DecodeParams returns the configuration of paramsJSON (a JSON object of
// setting names to values, a trial's params as a sweep stores them):
// NewConfig of its settings in sorted key order, so on the defaults of its
// strategy (StrategyDefaults). Workers, reports and the dashboard all decode
// a trial's params here, so they agree on its configuration. It reports
// malformed JSON, an unknown setting or a value of the wrong type; it does
// not check ranges (Validate does).
func DecodeParams(paramsJSON string) (Config, error) {
	var params map[string]any
	dec := json.NewDecoder(strings.NewReader(paramsJSON))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		return DefaultConfig(), fmt.Errorf("decoding params: %w", err)
	}
	if dec.More() {
		return DefaultConfig(), errors.New("decoding params: trailing data after the JSON object")
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	settings := make([]Setting, len(keys))
	for i, k := range keys {
		settings[i] = Setting{Key: k, Value: params[k]}
	}
	return NewConfig(settings)
}
