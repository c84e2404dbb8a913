package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestFromBuildInfo(t *testing.T) {
	for _, tc := range []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{nil, "unknown"},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "false"}}, "abc123"},
		{[]debug.BuildSetting{{Key: "vcs.modified", Value: "true"}, {Key: "vcs.revision", Value: "abc123"}}, "abc123-dirty"},
	} {
		got := fromBuildInfo(Info{Revision: "unknown"}, &debug.BuildInfo{Settings: tc.settings})
		if got.Revision != tc.want {
			t.Errorf("%v: revision %q, want %q", tc.settings, got.Revision, tc.want)
		}
	}
}

func TestCollector(t *testing.T) {
	info := Read("1.2.3")
	if info.GoVersion != runtime.Version() || info.Revision == "" {
		t.Fatalf("%+v", info)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(info.Collector())
	want := `# HELP pinnsweep_build_info A metric with a constant value of 1, labelled by the version, Go version and VCS revision of pinnsweep's build.
# TYPE pinnsweep_build_info gauge
pinnsweep_build_info{goversion="` + runtime.Version() + `",revision="` + info.Revision + `",version="1.2.3"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), MetricName); err != nil {
		t.Fatal(err)
	}
}
