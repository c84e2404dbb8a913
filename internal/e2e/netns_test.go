package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinnsweep/pinnsweep/internal/faultfs"
)

// netPair is two network namespaces joined by a veth pair: the
// coordinator's (address coordIP) and the workers'.
type netPair struct {
	coordNS, workerNS string
	workerDev         string // the workers' end of the veth pair
	coordIP           string
}

// wrap returns the command prefix that runs a program in namespace ns.
func wrap(ns string) []string { return []string{"ip", "netns", "exec", ns} }

// ipCmd runs `ip args...`.
func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// newNetPair creates the namespaces and the veth pair (10.231.0.1/24 for
// the coordinator, .2 for the workers), removed when the test ends. It
// skips the test, saying why, where that is not permitted: not root, no
// `ip` (Debian: iproute2), or no CAP_SYS_ADMIN/CAP_NET_ADMIN (a
// container without them); with PINNSWEEP_REQUIRE_FAULTS=1 (CI, which
// runs as root) it fails instead, so the partition test is never skipped
// silently there.
func newNetPair(t *testing.T) *netPair {
	t.Helper()
	if bin == "" {
		t.Skip("end-to-end tests are skipped in -short mode")
	}
	if os.Geteuid() != 0 {
		faultfs.SkipUnavailable(t, "network namespaces need root (ip netns add); skipping the partition test")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		faultfs.SkipUnavailable(t, "the ip command is missing (Debian package iproute2); skipping the partition test")
	}
	id := os.Getpid()
	p := &netPair{coordNS: fmt.Sprintf("psw%d-c", id), workerNS: fmt.Sprintf("psw%d-w", id),
		workerDev: fmt.Sprintf("psw%dw", id), coordIP: "10.231.0.1"}
	coordDev := fmt.Sprintf("psw%dc", id)
	for _, ns := range []string{p.coordNS, p.workerNS} {
		if err := ipCmd("netns", "add", ns); err != nil {
			faultfs.SkipUnavailable(t, "cannot create a network namespace here (needs CAP_SYS_ADMIN and CAP_NET_ADMIN); skipping the partition test: %v", err)
		}
		t.Cleanup(func() {
			if err := ipCmd("netns", "del", ns); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
	}
	if out, err := exec.Command("ip", "netns", "exec", p.coordNS, "true").CombinedOutput(); err != nil {
		faultfs.SkipUnavailable(t, "cannot run a program in a network namespace here; skipping the partition test: %v: %s", err, out)
	}
	if err := ipCmd("link", "add", coordDev, "type", "veth", "peer", "name", p.workerDev); err != nil {
		faultfs.SkipUnavailable(t, "cannot create a veth pair here; skipping the partition test: %v", err)
	}
	for _, args := range [][]string{
		{"link", "set", coordDev, "netns", p.coordNS},
		{"link", "set", p.workerDev, "netns", p.workerNS},
		{"-n", p.coordNS, "addr", "add", p.coordIP + "/24", "dev", coordDev},
		{"-n", p.workerNS, "addr", "add", "10.231.0.2/24", "dev", p.workerDev},
		{"-n", p.coordNS, "link", "set", coordDev, "up"},
		{"-n", p.workerNS, "link", "set", p.workerDev, "up"},
		{"-n", p.coordNS, "link", "set", "lo", "up"},
		{"-n", p.workerNS, "link", "set", "lo", "up"},
	} {
		if err := ipCmd(args...); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// setLink brings the workers' end of the link down or up.
func (p *netPair) setLink(t *testing.T, state string) {
	t.Helper()
	if err := ipCmd("-n", p.workerNS, "link", "set", p.workerDev, state); err != nil {
		t.Fatal(err)
	}
}

// nsDone returns the number of done trials of sweep, asking the
// coordinator at addr from namespace ns, or -1 if it does not answer.
func nsDone(t *testing.T, dir, ns, addr, sweep string) int {
	t.Helper()
	p := startWrapped(t, dir, "export", wrap(ns), "export", sweep, "--coordinator", addr, "--format", "csv")
	if p.wait(30*time.Second) != 0 {
		return -1
	}
	return strings.Count(p.stdout.String(), ",done,")
}

// TestNetworkPartition runs the coordinator and two workers in separate
// network namespaces joined by a veth pair, cuts the link mid-sweep for
// twice the lease TTL and restores it. The leases the workers held expire
// during the cut, their trials run again after it, and the results the
// workers computed meanwhile are refused as stale when they arrive; the
// sweep completes exactly once: every trial done with one result, no
// trial with two accepted completions, every acknowledged completion the
// stored one, and the database passes `pinnsweep check`.
func TestNetworkPartition(t *testing.T) {
	np := newNetPair(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "sweeps.db")
	const ttl = 2 * time.Second
	coord, listen := serveWrapped(t, dir, wrap(np.coordNS), db, "0.0.0.0:0", "--lease-ttl", ttl.String(),
		"--insecure") // the namespaces and their link are private to the test
	port := listen[strings.LastIndexByte(listen, ':')+1:]
	local, remote := "127.0.0.1:"+port, np.coordIP+":"+port
	submit := startWrapped(t, dir, "submit", wrap(np.workerNS), "submit", testdata(t, "resume.yaml"), "--coordinator", remote)
	if code := submit.wait(60 * time.Second); code != 0 {
		t.Fatalf("submit over the veth link: exit %d\n%s", code, submit.stderr.String())
	}
	var workers []*proc
	for _, id := range []string{"worker-a", "worker-b"} {
		workers = append(workers, startWrapped(t, dir, id, wrap(np.workerNS),
			"work", "--coordinator", remote, "--slots", "1", "--id", id, "--log-json"))
	}
	eventually(t, 60*time.Second, "4 trials done", func() bool { return nsDone(t, dir, np.coordNS, local, "resume") >= 4 })

	np.setLink(t, "down")
	cutAt := nsDone(t, dir, np.coordNS, local, "resume")
	time.Sleep(2 * ttl)
	np.setLink(t, "up")
	eventually(t, 120*time.Second, "the sweep to finish", func() bool { return nsDone(t, dir, np.coordNS, local, "resume") == 14 })
	for _, w := range workers {
		w.stop()
	}
	coord.stop()

	rep := checkDB(t, dir, db)
	if rep.Trials != 14 || rep.Results != 14 || rep.ByStatus["done"] != 14 {
		t.Errorf("check: %+v, want 14 trials done with a result each", rep)
	}
	checkAllDone(t, export(t, dir, "resume", "--db", db), 14)
	stored := storedTrials(t, db, "resume")
	checkAcked(t, stored, acks(workers))
	accepted := count(workers, "trial completed", "trial", map[string]string{"duplicate": "false"})
	committed := count([]*proc{coord}, "trial completed", "trial", map[string]string{"status": "done"})
	for key := range stored {
		if accepted[key] > 1 || committed["resume/"+key] > 1 {
			t.Errorf("trial %s: %d completions accepted (workers' log), %d committed (coordinator's log)", key, accepted[key], committed["resume/"+key])
		}
	}
	expired := count([]*proc{coord}, "lease expired", "trial", nil)
	unreachable := count(workers, "coordinator unreachable; retrying with backoff", "worker_id", nil)
	stale := count(workers, "result rejected as stale; dropped", "trial", nil)
	if len(expired) == 0 && len(unreachable) == 0 {
		t.Error("neither the coordinator nor the workers noticed the cut")
	}
	t.Logf("link cut for %v with %d of 14 trials done: %d leases expired, %d workers saw the coordinator unreachable, %d stale results dropped",
		2*ttl, cutAt, len(expired), len(unreachable), len(stale))
}
