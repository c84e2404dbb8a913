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
// defines; GRPCSource implements it over a SweepService client, so the
// dashboard talks to the coordinator only through its public gRPC API (in
// `pinnsweep serve` and `run`, a client of the process's own listener) and
// imports neither the coordinator nor its store.
//
// A sweep's trials, results included, are fetched with one GetSweep call
// and cached; the cache is refreshed when the sweep's progress counts (from
// the cheap ListSweeps call) change, and at least every Options.MaxAge, but
// no sooner than ten times the last GetSweep's duration after it: a sweep
// of thousands of trials (about 20-40 kB of result each) then costs the
// coordinator at most a tenth of its time, at the price of a diagram a few
// seconds late. A milliseconds-long fetch of a small sweep refreshes at
// once.
// Trial details (which include the reference solution, up to a few hundred
// milliseconds of computing for reaction-diffusion) are cached per trial
// state. The reference solution is that of the trial's stored params, on
// their grid (bounded by trainer.MaxGridPoints), never of the config a
// worker put into its result.
//
// # Phase diagram
//
// The grid coordinates other than the seed define the cells: the first
// axis is the diagram's x axis and the remaining axes, combined, its rows.
// A cell's colour is log10 of the median rel_l2 over its replicates that
// finished with status done (cells.go), on a fixed scale from 1e-4 to 10;
// diverged, failed, timed-out and cancelled trials are counted apart and
// never enter the median. Cells with no done trial are drawn hatched:
// grey while trials are still to run, red when every trial ended without
// a result. The failure threshold (Options.Threshold, rel_l2 = 0.1 by
// default) is drawn as a boundary between neighbouring cells on either
// side of it; a cell whose trials all failed counts as above it, and a
// cell without a median yet takes no side.
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
// sweep or trial and 502 when the coordinator cannot be reached. A request
// whose Host header names neither an IP address, localhost nor one of
// Options.Hosts is refused with 403 (DNS rebinding). The page
// polls the sweep list every second and fetches the diagram when the
// selected sweep's counts changed (and every 10 s regardless); every
// response forbids caching, and the page is served with a
// Content-Security-Policy that allows nothing but its own origin.
//
// Refreshing a sweep's cache holds the Dashboard's lock for the GetSweep
// call, so that concurrent page loads fetch a sweep once; each call to the
// Source is bounded by Options.Timeout.
package dashboard
