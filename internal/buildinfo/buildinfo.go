// Package buildinfo describes the running binary: its version, the Go
// release that built it and the VCS revision it was built from, as
// pinnsweep prints them (`pinnsweep version`) and exports them to
// Prometheus (pinnsweep_build_info).
package buildinfo

import (
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// MetricName is the name of the build information gauge.
const MetricName = "pinnsweep_build_info"

// Info describes a build.
type Info struct {
	// Version is pinnsweep's version.
	Version string `json:"version"`
	// GoVersion is the Go release that built the binary (runtime.Version).
	GoVersion string `json:"go_version"`
	// Revision is the VCS revision the binary was built from, with
	// "-dirty" when the tree had uncommitted changes; "unknown" when the
	// build recorded none (go build -buildvcs=false, or no VCS).
	Revision string `json:"revision"`
}

// Read returns the running binary's build information for version.
func Read(version string) Info {
	info := Info{Version: version, GoVersion: runtime.Version(), Revision: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	return fromBuildInfo(info, bi)
}

// fromBuildInfo fills info's revision from bi's VCS settings.
func fromBuildInfo(info Info, bi *debug.BuildInfo) Info {
	var rev string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" {
		info.Revision = rev
		if dirty {
			info.Revision += "-dirty"
		}
	}
	return info
}

// Collector returns the pinnsweep_build_info gauge: always 1, with the
// labels version, goversion and revision, as Prometheus's own
// *_build_info metrics do, so that a query can join on them.
func (i Info) Collector() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: MetricName,
		Help: "A metric with a constant value of 1, labelled by the version, Go version and VCS revision of pinnsweep's build.",
		ConstLabels: prometheus.Labels{
			"version":   i.Version,
			"goversion": i.GoVersion,
			"revision":  i.Revision,
		},
	}, func() float64 { return 1 })
}
