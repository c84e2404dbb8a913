package main

import (
	"fmt"
	"io"

	rpt "github.com/pinnsweep/pinnsweep/report"
)

// landscape draws the loss landscape of a trial whose figures fig holds
// (report --landscape) on the sweep's shared scale; a trial without one is
// added to problems.
func (w *reportWriter) landscape(lands *rpt.Landscapes, fig *rpt.TrialFigures, stem, name string, formats []string, problems *[]string) {
	key := fig.Replicate.Key
	l := lands.ByKey[key]
	if l == nil {
		*problems = append(*problems, fmt.Sprintf("landscape of trial %s (%s): %v (train it with diagnostics: [landscape])", key, name, rpt.ErrNoLandscape))
		return
	}
	title := name + ": loss landscape"
	fig.Landscape = w.images(stem+"-landscape", formats, func(out io.Writer, format string) error {
		return rpt.WriteLandscape(out, format, l, lands.Scale, title)
	})
}
