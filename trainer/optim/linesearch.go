package optim

import "math"

// Strong-Wolfe constants of PyTorch's _strong_wolfe.
const (
	wolfeC1 = 1e-4
	wolfeC2 = 0.9
)

// cubicInterpolate is a port of PyTorch's _cubic_interpolate (itself from
// torch/optim polyinterp.lua): the minimiser of the cubic through (x1, f1)
// and (x2, f2) with slopes g1 and g2, clamped to [lo, hi]; the midpoint of
// [lo, hi] when the cubic has no real minimiser.
func cubicInterpolate(x1, f1, g1, x2, f2, g2, lo, hi float64) float64 {
	d1 := g1 + g2 - 3*(f1-f2)/(x1-x2)
	d2sq := d1*d1 - g1*g2
	if d2sq >= 0 {
		d2 := math.Sqrt(d2sq)
		var minPos float64
		if x1 <= x2 {
			minPos = x2 - (x2-x1)*((g2+d2-d1)/(g2-g1+2*d2))
		} else {
			minPos = x1 - (x1-x2)*((g1+d2-d1)/(g1-g2+2*d2))
		}
		return pyMin(pyMax(minPos, lo), hi)
	}
	return (lo + hi) / 2
}

// cubicInBracket is _cubic_interpolate without explicit bounds: the bracket
// itself bounds the result.
func cubicInBracket(x1, f1, g1, x2, f2, g2 float64) float64 {
	lo, hi := x1, x2
	if !(x1 <= x2) {
		lo, hi = x2, x1
	}
	return cubicInterpolate(x1, f1, g1, x2, f2, g2, lo, hi)
}

// lsResult is what one strong-Wolfe line search returns.
type lsResult struct {
	t     float64 // accepted step length (0: stay at x)
	f     float64 // loss at x + t·d
	gi    int     // index into LBFGS.g of the gradient at x + t·d
	gtd   float64 // gᵀd at x + t·d
	dNorm float64 // max|d|
	evals int     // evaluations done by the search
	done  bool    // the strong Wolfe conditions hold at t

	stop     string // non-empty: a budget/cancellation interrupted the search
	err      error  // ctx.Err() with stop == ReasonCancelled
	diverged bool   // a non-finite loss or gᵀd was met; x must not move
}

// lsTrace is reported to the test hook after every line search.
type lsTrace struct {
	t0, f0, gtd0 float64 // initial step, loss and slope at t = 0
	res          lsResult
}

// evalAt evaluates fn at x + t·d (in the trial buffer) into o.g[gi].
// The explicit conversion keeps t·d rounded before the addition, so the
// point later accepted by Minimize (computed with the same expression) is
// bit-identical to the one evaluated here on every architecture.
func (o *LBFGS) evalAt(fn Func, lim *limits, x, d []float64, t float64, gi int) float64 {
	xt := o.xt
	for i := range xt {
		xt[i] = x[i] + float64(t*d[i])
	}
	lim.evals++
	o.nEvals++
	return fn(xt, o.g[gi])
}

// freeBuf returns the index of a gradient buffer that is neither a nor b.
func freeBuf(a, b int) int {
	for i := 0; i < 3; i++ {
		if i != a && i != b {
			return i
		}
	}
	panic("unreachable")
}

// strongWolfe is a port of PyTorch's _strong_wolfe (itself from torch/optim
// lswolfe.lua) with c1 = 1e-4, c2 = 0.9. f, gi and gtd describe the current
// iterate x (loss, gradient buffer index, gᵀd); t is the initial step.
//
// Deviations from PyTorch, none of which changes a search that PyTorch would
// complete within the caps: (1) before every evaluation after the first the
// per-call limits are checked, and an interrupted search ends as if it had
// exhausted max_ls (the better of t = 0 and the last evaluated point is
// returned); (2) a NaN trial step ends the search the same way instead of
// evaluating at NaN; (3) a non-finite loss or slope ends it with diverged.
func (o *LBFGS) strongWolfe(fn Func, lim *limits, x, d []float64, t, f float64, gi int, gtd float64) (r lsResult) {
	maxLS := o.maxLS
	tolChange := o.tolChange
	r.dNorm = maxAbs(d)

	// evaluate objective and gradient using initial step
	gNew := freeBuf(gi, -1)
	fNew := o.evalAt(fn, lim, x, d, t, gNew)
	r.evals = 1
	gtdNew := dot(o.g[gNew], d)
	if !finite(fNew) || !finite(gtdNew) {
		r.diverged = true
		return r
	}

	// bracket an interval containing a point satisfying the Wolfe criteria
	tPrev, fPrev, gPrev, gtdPrev := 0.0, f, gi, gtd
	var (
		bt, bf, bgtd [2]float64 // bracket, bracket_f, bracket_gtd
		bg           [2]int     // bracket_g (buffer indices)
		nb           = 2        // len(bracket)
		done         bool
		interrupted  bool
	)
	lsIter := 0
	for lsIter < maxLS {
		// check conditions
		if fNew > f+wolfeC1*t*gtd || (lsIter > 1 && fNew >= fPrev) {
			bt, bf, bg, bgtd = [2]float64{tPrev, t}, [2]float64{fPrev, fNew}, [2]int{gPrev, gNew}, [2]float64{gtdPrev, gtdNew}
			break
		}
		if math.Abs(gtdNew) <= -wolfeC2*gtd {
			bt[0], bf[0], bg[0], bgtd[0] = t, fNew, gNew, gtdNew
			nb = 1
			done = true
			break
		}
		if gtdNew >= 0 {
			bt, bf, bg, bgtd = [2]float64{tPrev, t}, [2]float64{fPrev, fNew}, [2]int{gPrev, gNew}, [2]float64{gtdPrev, gtdNew}
			break
		}

		// interpolate
		minStep := t + 0.01*(t-tPrev)
		maxStep := t * 10
		tNext := cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, minStep, maxStep)
		if reason, err := lim.check(); reason != "" || math.IsNaN(tNext) {
			r.stop, r.err = reason, err
			interrupted = true
			break
		}

		// next step
		tPrev, fPrev, gPrev, gtdPrev = t, fNew, gNew, gtdNew
		t = tNext
		gNew = freeBuf(gi, gPrev)
		fNew = o.evalAt(fn, lim, x, d, t, gNew)
		r.evals++
		gtdNew = dot(o.g[gNew], d)
		lsIter++
		if !finite(fNew) || !finite(gtdNew) {
			r.diverged = true
			return r
		}
	}

	// reached max number of iterations?
	if lsIter == maxLS || interrupted {
		bt, bf, bg, bgtd = [2]float64{0, t}, [2]float64{f, fNew}, [2]int{gi, gNew}, [2]float64{gtd, gtdNew}
		nb = 2
	}

	// zoom phase: we now have a point satisfying the criteria, or a bracket
	// around it. We refine the bracket until we find the exact point
	// satisfying the criteria.
	insufProgress := false
	low, high := 0, 1
	if !(bf[0] <= bf[nb-1]) {
		low, high = 1, 0
	}
	for !done && !interrupted && lsIter < maxLS {
		// line-search bracket is so small
		if math.Abs(bt[1]-bt[0])*r.dNorm < tolChange {
			break
		}

		// compute new trial value
		t = cubicInBracket(bt[0], bf[0], bgtd[0], bt[1], bf[1], bgtd[1])

		// test that we are making sufficient progress: if t is so close to
		// the boundary that we made insufficient progress in the last step,
		// or t is at one of the boundaries, move t to 0.1·len(bracket) away
		// from the nearest boundary point.
		bMax, bMin := pyMax(bt[0], bt[1]), pyMin(bt[0], bt[1])
		eps := 0.1 * (bMax - bMin)
		if pyMin(bMax-t, t-bMin) < eps {
			// interpolation close to boundary
			if insufProgress || t >= bMax || t <= bMin {
				// evaluate at 0.1 away from boundary
				if math.Abs(t-bMax) < math.Abs(t-bMin) {
					t = bMax - eps
				} else {
					t = bMin + eps
				}
				insufProgress = false
			} else {
				insufProgress = true
			}
		} else {
			insufProgress = false
		}

		if reason, err := lim.check(); reason != "" || math.IsNaN(t) {
			r.stop, r.err = reason, err
			break
		}

		// Evaluate new point
		gNew = freeBuf(bg[0], bg[1])
		fNew = o.evalAt(fn, lim, x, d, t, gNew)
		r.evals++
		gtdNew = dot(o.g[gNew], d)
		lsIter++
		if !finite(fNew) || !finite(gtdNew) {
			r.diverged = true
			return r
		}

		if fNew > f+wolfeC1*t*gtd || fNew >= bf[low] {
			// Armijo condition not satisfied or not lower than lowest point
			bt[high], bf[high], bg[high], bgtd[high] = t, fNew, gNew, gtdNew
			if bf[0] <= bf[1] {
				low, high = 0, 1
			} else {
				low, high = 1, 0
			}
		} else {
			if math.Abs(gtdNew) <= -wolfeC2*gtd {
				// Wolfe conditions satisfied
				done = true
			} else if gtdNew*(bt[high]-bt[low]) >= 0 {
				// old high becomes new low
				bt[high], bf[high], bg[high], bgtd[high] = bt[low], bf[low], bg[low], bgtd[low]
			}
			// new point becomes new low
			bt[low], bf[low], bg[low], bgtd[low] = t, fNew, gNew, gtdNew
		}
	}

	r.t, r.f, r.gi, r.gtd = bt[low], bf[low], bg[low], bgtd[low]
	r.done = done
	return r
}
