package state

import (
	"strconv"
	"strings"
)

// LeaseID returns the id of a trial's lease with the given fencing token:
// "sweep/key/token". Workers treat it as opaque; the scheduler finds the
// trial by it, and the bbolt store stores it as a flag when it has this
// form.
func LeaseID(sweep, key string, token uint64) string {
	return sweep + "/" + key + "/" + strconv.FormatUint(token, 10)
}

// ParseLeaseID splits a lease id of LeaseID's form into its trial and
// token; ok is false for any other string.
func ParseLeaseID(id string) (sweep, key string, token uint64, ok bool) {
	i, j := strings.IndexByte(id, '/'), strings.LastIndexByte(id, '/')
	if i <= 0 || j <= i+1 {
		return "", "", 0, false
	}
	token, err := strconv.ParseUint(id[j+1:], 10, 64)
	if err != nil || token == 0 {
		return "", "", 0, false
	}
	return id[:i], id[i+1 : j], token, true
}
