package coordinator

import (
	"encoding/json"

	pb "github.com/pinnsweep/pinnsweep/gen/pinnsweep/v1"
	"github.com/pinnsweep/pinnsweep/sweeps"
)

// statusToProto maps a Status to the wire enum.
func statusToProto(s Status) pb.TrialStatus {
	switch s {
	case StatusPending:
		return pb.TrialStatus_TRIAL_STATUS_PENDING
	case StatusRunning:
		return pb.TrialStatus_TRIAL_STATUS_RUNNING
	case StatusDone:
		return pb.TrialStatus_TRIAL_STATUS_DONE
	case StatusFailed:
		return pb.TrialStatus_TRIAL_STATUS_FAILED
	case StatusTimeout:
		return pb.TrialStatus_TRIAL_STATUS_TIMEOUT
	case StatusDiverged:
		return pb.TrialStatus_TRIAL_STATUS_DIVERGED
	case StatusCancelled:
		return pb.TrialStatus_TRIAL_STATUS_CANCELLED
	}
	return pb.TrialStatus_TRIAL_STATUS_UNSPECIFIED
}

// StatusFromProto maps the wire enum to a Status; it returns "" for
// TRIAL_STATUS_UNSPECIFIED and unknown values.
func StatusFromProto(s pb.TrialStatus) Status {
	switch s {
	case pb.TrialStatus_TRIAL_STATUS_PENDING:
		return StatusPending
	case pb.TrialStatus_TRIAL_STATUS_RUNNING:
		return StatusRunning
	case pb.TrialStatus_TRIAL_STATUS_DONE:
		return StatusDone
	case pb.TrialStatus_TRIAL_STATUS_FAILED:
		return StatusFailed
	case pb.TrialStatus_TRIAL_STATUS_TIMEOUT:
		return StatusTimeout
	case pb.TrialStatus_TRIAL_STATUS_DIVERGED:
		return StatusDiverged
	case pb.TrialStatus_TRIAL_STATUS_CANCELLED:
		return StatusCancelled
	}
	return ""
}

// TrialToProto converts a trial record to its wire form.
func TrialToProto(t *TrialRecord) *pb.Trial {
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
	}
	if t.RelL2 != nil {
		p.RelL2, p.HasRelL2 = *t.RelL2, true
	}
	return p
}

// TrialFromProto converts a wire trial to a record (the fields the wire
// carries: lease details stay zero), for exporting what GetSweep returned.
func TrialFromProto(p *pb.Trial) TrialRecord {
	t := TrialRecord{
		Sweep:    p.GetSweep(),
		Key:      p.GetKey(),
		Index:    int(p.GetIndex()),
		Status:   StatusFromProto(p.GetStatus()),
		Attempts: int(p.GetAttempts()),
		Reason:   p.GetReason(),
		Worker:   p.GetWorker(),
	}
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
		t.RelL2 = &v
	}
	return t
}

// ProgressToProto converts progress counts to their wire form.
func ProgressToProto(p Progress) *pb.SweepProgress {
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

// BracketToProto converts a refinement bracket to its wire form.
func BracketToProto(b sweeps.Bracket) *pb.Bracket {
	others, _ := json.Marshal(b.Others) // a Point always marshals
	return &pb.Bracket{
		Axis:         b.Axis,
		OthersJson:   string(others),
		Lower:        b.Lower,
		Upper:        b.Upper,
		LowerVerdict: b.LowerVerdict.String(),
		UpperVerdict: b.UpperVerdict.String(),
		LowerMedian:  b.LowerMedian,
		UpperMedian:  b.UpperMedian,
		Depth:        int32(b.Depth),
		Status:       b.Status,
	}
}
