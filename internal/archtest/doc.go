// Package archtest holds the tests that keep pinnsweep's packages in
// their layers: what the readers of trials (report, dashboard), the
// verdict rule and the coordinator's scheduler may import, and the size
// of the coordinator's files. It has no code of its own.
package archtest
