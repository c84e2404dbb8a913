//go:build !unix

package safefile

// openNonblock is 0 where named pipes do not block open (or do not exist).
const openNonblock = 0
