package worker

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
)

// TestCommandTrialGPUs runs GPU and CPU trials on a worker with two
// (fake) devices: each trial sees the devices it was given.
func TestCommandTrialGPUs(t *testing.T) {
	f := newFake(0)
	f.command = scriptCommand(t)
	f.gpus = map[string]int32{}
	var trials []*pb.Trial
	for i, need := range []int32{1, 2, 0, 1, 0} {
		tr := keyedTrial(fmt.Sprintf("gpu%d-%s", i, uniq), "env", fmt.Sprintf(`,"i":%d`, i))
		f.gpus[tr.Key] = need
		trials = append(trials, tr)
	}
	f.queue = slices.Clone(trials) // pop deletes from the queue in place
	got := runAll(t, f, Options{Slots: 1, GPUs: []string{"3", "GPU-7"}, Command: newCommandRunner(t, CommandOptions{})})
	for _, tr := range trials {
		c := got[tr.GetKey()]
		var res struct{ Env map[string]string }
		if err := json.Unmarshal([]byte(c.GetResultJson()), &res); err != nil {
			t.Fatalf("%s: %v (%s)", tr.GetKey(), err, c.GetReason())
		}
		cuda, rocr := res.Env["CUDA_VISIBLE_DEVICES"], res.Env["ROCR_VISIBLE_DEVICES"]
		var ok bool
		switch f.gpus[tr.GetKey()] {
		case 0:
			ok = cuda == "" && rocr == "" && res.Env["CUDA_DEVICE_ORDER"] == ""
		case 1:
			ok = (cuda == "3" || cuda == "GPU-7") && rocr == cuda && res.Env["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
		case 2:
			ok = cuda == "3,GPU-7" && rocr == cuda
		}
		if _, set := res.Env["CUDA_VISIBLE_DEVICES"]; !ok || !set {
			t.Errorf("trial needing %d GPUs saw CUDA_VISIBLE_DEVICES=%q ROCR_VISIBLE_DEVICES=%q (set %v)", f.gpus[tr.GetKey()], cuda, rocr, set)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	gpuPolls := 0
	for _, r := range f.leaseReqs {
		if r.GetGpus() > 2 || !r.GetCommands() {
			t.Errorf("lease request %v", r)
		}
		if r.GetGpus() > 0 {
			gpuPolls++
		}
	}
	if gpuPolls == 0 {
		t.Error("no lease request offered GPUs")
	}
}

func TestGPUPool(t *testing.T) {
	p := newGPUPool([]string{"0", "1", "2"})
	ctx := t.Context()
	offer, _ := p.acquire(ctx)
	if strings.Join(offer, ",") != "0,1,2" {
		t.Fatalf("offer %v", offer)
	}
	// A second slot waits while the first polls.
	got := make(chan []string)
	go func() { o, _ := p.acquire(ctx); got <- o }()
	devs, refuse := p.grant(offer, 2)
	if strings.Join(devs, ",") != "0,1" || refuse != "" {
		t.Fatalf("grant %v %q", devs, refuse)
	}
	if o := <-got; strings.Join(o, ",") != "2" {
		t.Fatalf("second offer %v", o)
	}
	if devs, refuse := p.grant([]string{"2"}, 2); devs != nil || refuse != "the trial needs 2 GPUs; this worker slot offered 1" {
		t.Fatalf("grant beyond the offer: %v %q", devs, refuse)
	}
	p.put([]string{"1", "0"}, false)
	if o, _ := p.acquire(ctx); strings.Join(o, ",") != "0,1,2" {
		t.Fatalf("offer after put %v", o)
	}
	for _, bad := range [][]string{{"0", "0"}, {""}, {"0,1"}, make([]string, MaxGPUs+1)} {
		if err := checkGPUs(bad); err == nil {
			t.Errorf("checkGPUs(%q) = nil", bad)
		}
	}
}
