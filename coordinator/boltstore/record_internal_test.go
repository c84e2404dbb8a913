package boltstore

import "github.com/pinnsweep/pinnsweep/coordinator/state"

// Test helpers for the external tests (package boltstore_test), which
// edit stored records.

// DecodeStoredTrial decodes a stored trial record of either encoding.
func DecodeStoredTrial(sweep, key string, v []byte) (state.TrialRecord, error) {
	var t state.TrialRecord
	err := decodeStoredTrial(sweep, key, v, &t)
	return t, err
}

// EncodeTrialState returns t's binary state record.
func EncodeTrialState(t *state.TrialRecord) ([]byte, error) { return appendTrialState(nil, t) }
