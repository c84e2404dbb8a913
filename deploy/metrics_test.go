package deploy

import (
	"net"
	"strconv"
	"testing"
)

// TestManifestsScrapeMetrics checks that the coordinator and the workers
// serve Prometheus metrics (--metrics) on every interface (an address
// without a host listens on the loopback only, which Prometheus cannot
// reach), on a declared container port, and that their pods carry the
// prometheus.io annotations naming that port.
func TestManifestsScrapeMetrics(t *testing.T) {
	c, err := loadCluster(k8sDir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, o := range c.objects {
		for _, ct := range o.Spec.Template.Spec.Containers {
			if len(ct.Args) == 0 || (ct.Args[0] != "serve" && ct.Args[0] != "work") {
				continue
			}
			seen[ct.Args[0]] = true
			addr := ""
			for i := 1; i+1 < len(ct.Args); i++ {
				if ct.Args[i] == "--metrics" {
					addr = ct.Args[i+1]
				}
			}
			host, port, err := net.SplitHostPort(addr)
			if err != nil || (host != "0.0.0.0" && host != "::") {
				t.Errorf("%s %s, container %s: --metrics %q: want 0.0.0.0:PORT (every interface)", o.Kind, o.Metadata.Name, ct.Name, addr)
				continue
			}
			n, _ := strconv.Atoi(port)
			declared := false
			for _, p := range ct.Ports {
				declared = declared || p.ContainerPort == n
			}
			if !declared {
				t.Errorf("%s %s: metrics port %d is not a container port", o.Kind, o.Metadata.Name, n)
			}
			ann := o.Spec.Template.Metadata.Annotations
			if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != port || ann["prometheus.io/path"] != "/metrics" {
				t.Errorf("%s %s: pod annotations %v: want prometheus.io/scrape \"true\", port %q, path /metrics", o.Kind, o.Metadata.Name, ann, port)
			}
		}
	}
	if !seen["serve"] || !seen["work"] {
		t.Errorf("the manifests run %v; want both serve and work", seen)
	}
}
