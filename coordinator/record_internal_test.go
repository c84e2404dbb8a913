package coordinator

// Test helpers for the external tests (package coordinator_test), which
// edit stored records.

// DecodeStoredTrial decodes a stored trial record of either encoding.
func DecodeStoredTrial(sweep, key string, v []byte) (TrialRecord, error) {
	var t TrialRecord
	err := decodeStoredTrial(sweep, key, v, &t)
	return t, err
}

// EncodeTrialState returns t's binary state record.
func EncodeTrialState(t *TrialRecord) ([]byte, error) { return appendTrialState(nil, t) }
