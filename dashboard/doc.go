// Package dashboard serves pinnsweep's live web dashboard: one
// self-contained page (HTML, vanilla JavaScript and CSS embedded in the
// binary; no CDN, no external fonts, no build step) and a small JSON API
// behind it. The page lists the sweeps with their progress, draws the
// selected sweep's phase diagram and redraws it as trials finish; clicking a
// cell lists its trials, and clicking a trial draws its exact, predicted and
// |error| fields and its loss curves.
//
// `pinnsweep serve --http ADDR` and `pinnsweep run --http ADDR` mount it.
//
// # Data
//
// A Dashboard reads sweeps through a Source, an interface this package
// defines in the coordinator's record types (package coordinator/state);
// `pinnsweep serve` and `pinnsweep run` hand it the *coordinator.Coordinator
// of their own process, so it needs no network round trip and none of the
// API's credentials. The package imports neither the coordinator's engine
// nor its store, gRPC or protobuf (a test says so).
//
// A sweep's trials, results included, are read once and cached; the cache
// is refreshed when the sweep's progress counts change, and at least every
// Options.MaxAge, but no sooner than ten times the last refresh's duration
// after it: a sweep of thousands of trials (about 20-40 kB of result each)
// then costs the coordinator at most a tenth of its time, at the price of
// a diagram a few seconds late. A milliseconds-long refresh of a small
// sweep happens at once. Trial details (which include the reference
// solution, up to a few hundred milliseconds of computing for
// reaction-diffusion) are cached per trial state. The reference solution
// is that of the trial's stored params, on their grid (bounded by
// trainer.MaxGridPoints), never of the config a worker put into its
// result.
//
// # Phase diagram
//
// The server decides everything the page shows; the browser draws it. The
// grid points (the coordinates other than the seed), their statistics and
// their verdicts are the report's (report.Aggregate, which judges each
// point with the one rule of package verdict: the rule refinement uses,
// with the sweep's own metric and failure threshold). The first axis is
// the diagram's x axis and the remaining axes, combined, its rows. A
// cell's colour is the report's (report.Grid.Scale): log10 of the median
// of its measured replicates on a fixed scale from 1e-4 to about 3 (a
// linear scale over the medians when one of them or the threshold is
// ≤ 0), white at the threshold and red on the failing side, sent as "#rrggbb" with the
// text colour, the annotation (report.Annotation) and the tooltip. Cells
// without a measured replicate are hatched: red when the point fails
// (every replicate diverged or timed out), grey otherwise (pending or
// void). Each cell carries the failure class of its median replicate
// (report.Cell.Class), which the page marks in the cell's corner with the
// class's marker, sent in the legend as polylines (report.StyleOf), and
// its replicates counted by class (in the tooltip); each trial of a cell
// carries its class. The boundary is drawn between a passing and a failing
// neighbour only, so a cell whose replicates are still running, or one of
// which failed or was cancelled, takes no side. The legend (colour bar,
// decades, threshold, keys) is the report's, sent with the diagram.
//
// # HTTP API
//
//	GET /                                   the page
//	GET /static/...                         its script and style sheet
//	GET /api/sweeps                         every sweep with its progress
//	GET /api/sweeps/{sweep}                 the sweep's phase diagram (Diagram)
//	GET /api/sweeps/{sweep}/trials/{key}    one trial's detail (TrialDetail)
//
// Answers are JSON; errors are {"error": "..."} with 404 for an unknown
// sweep or trial and 502 when the coordinator fails (it is closed). A
// request whose Host header names neither an IP address, localhost nor one
// of Options.Hosts is refused with 403 (DNS rebinding). The page
// polls the sweep list every second and fetches the diagram when the
// selected sweep's counts changed (and every 10 s regardless); every
// response forbids caching, and the page is served with a
// Content-Security-Policy that allows nothing but its own origin.
//
// Refreshing a sweep's cache holds the Dashboard's lock while it reads
// the sweep, so that concurrent page loads read it once; each call to the
// Source is bounded by Options.Timeout.
package dashboard
