package service

import (
	"encoding/json"
	"time"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/sweeps"
	"github.com/pinnsweep/pinnsweep/verdict"
)

// statusToProto maps a status to the wire enum (the status table's wire
// column).
func statusToProto(s state.Status) pb.TrialStatus { return pb.TrialStatus(s.Wire()) }

// StatusFromProto maps the wire enum to a status; it returns "" for
// TRIAL_STATUS_UNSPECIFIED and unknown values.
func StatusFromProto(s pb.TrialStatus) state.Status { return state.StatusOfWire(int32(s)) }

// TrialToProto converts a trial record to its wire form.
func TrialToProto(t *state.TrialRecord) *pb.Trial {
	p := &pb.Trial{
		Sweep:      t.Sweep,
		Key:        t.Key,
		Status:     statusToProto(t.Status),
		Attempts:   int32(t.Attempts),
		ParamsJson: string(t.Params),
		ResultJson: string(t.Result),
		Reason:     t.Reason,
		Worker:     t.Worker,
		PointJson:  string(t.Point),
		Index:      int64(t.Index),
		StderrTail: t.StderrTail,
	}
	if t.Value != nil { // the wire calls the metric's value rel_l2
		p.RelL2, p.HasRelL2 = *t.Value, true
	}
	return p
}

// TrialFromProto converts a wire trial to a record (the fields the wire
// carries: lease details stay zero), for exporting what GetSweep returned.
func TrialFromProto(p *pb.Trial) state.TrialRecord {
	t := state.TrialRecord{
		Sweep:    p.GetSweep(),
		Key:      p.GetKey(),
		Index:    int(p.GetIndex()),
		Status:   StatusFromProto(p.GetStatus()),
		Attempts: int(p.GetAttempts()),
		Reason:   p.GetReason(),
		Worker:   p.GetWorker(),
	}
	t.StderrTail = p.GetStderrTail()
	if s := p.GetParamsJson(); s != "" {
		t.Params = []byte(s)
	}
	if s := p.GetPointJson(); s != "" {
		t.Point = []byte(s)
	}
	if s := p.GetResultJson(); s != "" {
		t.Result = []byte(s)
	}
	if p.GetHasRelL2() {
		v := p.GetRelL2()
		t.Value = &v
	}
	return t
}

// ProgressToProto converts progress counts to their wire form.
func ProgressToProto(p state.Progress) *pb.SweepProgress {
	return &pb.SweepProgress{
		Sweep:         p.Sweep,
		Total:         int64(p.Total),
		Pending:       int64(p.Pending),
		Running:       int64(p.Running),
		Done:          int64(p.Done),
		Failed:        int64(p.Failed),
		Timeout:       int64(p.Timeout),
		Diverged:      int64(p.Diverged),
		Cancelled:     int64(p.Cancelled),
		Finished:      p.Finished,
		CreatedUnixMs: p.Created.UnixMilli(),
	}
}

// ProgressFromProto converts progress counts from their wire form; the
// inverse of ProgressToProto.
func ProgressFromProto(p *pb.SweepProgress) state.Progress {
	return state.Progress{
		Sweep:     p.GetSweep(),
		Total:     int(p.GetTotal()),
		Pending:   int(p.GetPending()),
		Running:   int(p.GetRunning()),
		Done:      int(p.GetDone()),
		Failed:    int(p.GetFailed()),
		Timeout:   int(p.GetTimeout()),
		Diverged:  int(p.GetDiverged()),
		Cancelled: int(p.GetCancelled()),
		Finished:  p.GetFinished(),
		Created:   time.UnixMilli(p.GetCreatedUnixMs()),
	}
}

// BracketToProto converts a refinement bracket to its wire form.
func BracketToProto(b sweeps.Bracket) *pb.Bracket {
	others, _ := json.Marshal(b.Others) // a Point always marshals
	return &pb.Bracket{
		Axis:         b.Axis,
		OthersJson:   string(others),
		Lower:        b.Lower,
		Upper:        b.Upper,
		LowerVerdict: wireVerdict(b.LowerVerdict),
		UpperVerdict: wireVerdict(b.UpperVerdict),
		LowerMedian:  b.LowerMedian,
		UpperMedian:  b.UpperMedian,
		Depth:        int32(b.Depth),
		Status:       b.Status,
	}
}

// wireVerdict names a bracket end's verdict as the API does
// (Bracket.lower_verdict): "success" or "failure".
func wireVerdict(v verdict.Verdict) string {
	switch v {
	case verdict.Pass:
		return "success"
	case verdict.Fail:
		return "failure"
	}
	return v.String()
}
