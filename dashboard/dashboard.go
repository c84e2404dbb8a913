package dashboard

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// Defaults of Options.
const (
	// DefaultMaxAge bounds how long a sweep's cached trials are served
	// while its progress counts do not change.
	DefaultMaxAge = 30 * time.Second
	// DefaultTimeout bounds each call to the Source.
	DefaultTimeout = 30 * time.Second
)

// maxDetails bounds the number of cached trial details.
const maxDetails = 64

// refreshFactor throttles the refreshes of a sweep's cache: after a
// fetch that took d, the next waits at least refreshFactor·d, so that
// fetching a large sweep (every result comes with it) takes at most about
// a tenth of the coordinator's time however fast trials finish.
const refreshFactor = 10

//go:embed static
var static embed.FS

// contentSecurityPolicy allows the page nothing outside its own origin.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Options configure a Dashboard. The zero value uses the defaults.
type Options struct {
	// MaxAge is how long a sweep's cached trials may be served while its
	// progress counts stay the same (default DefaultMaxAge).
	MaxAge time.Duration
	// Timeout bounds each call to the Source (default DefaultTimeout).
	Timeout time.Duration
	// Logger logs failed requests (default: none).
	Logger hclog.Logger
	// Hosts are the host names a request's Host header may name besides
	// IP addresses, localhost and names under .localhost, which are
	// always accepted; a request for any other host is refused (403), so
	// that another site's page cannot read the dashboard through a name
	// of its own resolving to this address (DNS rebinding). Nil accepts
	// only those.
	Hosts []string
}

// Dashboard is the dashboard's http.Handler. It is safe for concurrent
// use.
type Dashboard struct {
	src  Source
	opts Options
	log  hclog.Logger
	mux  *http.ServeMux

	mu      sync.Mutex             // guards sweeps and details; held while refreshing
	sweeps  map[string]*sweepCache // by sweep name
	details map[string][]byte      // trial detail JSON by detailKey
}

// sweepCache is a sweep's last fetched state and its diagram.
type sweepCache struct {
	progress state.Progress
	axes     []string
	trials   []state.TrialRecord
	fetched  time.Time
	took     time.Duration // how long fetching and laying it out took
	diagram  []byte        // JSON of the Diagram
}

// fresh reports whether c may be served for a sweep whose progress is now
// p: its progress is the same and it is younger than maxAge, or it is too
// young to refresh (see refreshFactor).
func (c *sweepCache) fresh(p state.Progress, maxAge time.Duration) bool {
	age := time.Since(c.fetched)
	return (c.progress == p && age < maxAge) || age < refreshFactor*c.took
}

// New returns a Dashboard that reads sweeps from src.
func New(src Source, opts Options) *Dashboard {
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	d := &Dashboard{
		src: src, opts: opts, log: log.Named("dashboard"), mux: http.NewServeMux(),
		sweeps: map[string]*sweepCache{}, details: map[string][]byte{},
	}
	files, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded directory exists at build time
	}
	d.mux.Handle("GET /{$}", d.page(files))
	d.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(files)))
	d.mux.HandleFunc("GET /api/sweeps", d.listSweeps)
	d.mux.HandleFunc("GET /api/sweeps/{sweep}", d.diagram)
	d.mux.HandleFunc("GET /api/sweeps/{sweep}/trials/{key}", d.trial)
	return d
}

// ServeHTTP implements http.Handler.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !allowedHost(r.Host, d.opts.Hosts) {
		refuseHost(w, r)
		return
	}
	w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	d.mux.ServeHTTP(w, r)
}

// page serves index.html.
func (d *Dashboard) page(files fs.FS) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, files, "index.html")
	})
}

func (d *Dashboard) listSweeps(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), d.opts.Timeout)
	defer cancel()
	list, err := d.src.Sweeps(ctx)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	out := make([]Progress, len(list))
	for i, p := range list {
		out[i] = ProgressOf(p)
	}
	writeJSON(w, out)
}

func (d *Dashboard) diagram(w http.ResponseWriter, r *http.Request) {
	c, err := d.sweep(r.Context(), r.PathValue("sweep"))
	if err != nil {
		d.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(c.diagram)
}

func (d *Dashboard) trial(w http.ResponseWriter, r *http.Request) {
	name, key := r.PathValue("sweep"), r.PathValue("key")
	c, err := d.sweep(r.Context(), name)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var t *state.TrialRecord
	for i := range c.trials {
		if c.trials[i].Key == key {
			t = &c.trials[i]
			break
		}
	}
	if t == nil {
		d.fail(w, r, fmt.Errorf("trial %q of sweep %q: %w", key, name, ErrNotFound))
		return
	}
	body, err := d.detail(name, c.axes, t)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// detail returns the JSON of t's TrialDetail, cached per trial state.
func (d *Dashboard) detail(sweep string, axes []string, t *state.TrialRecord) ([]byte, error) {
	id := fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%d", sweep, t.Key, t.Status, t.Attempts, len(t.Result))
	d.mu.Lock()
	body, ok := d.details[id]
	d.mu.Unlock()
	if ok {
		return body, nil
	}
	det, err := BuildDetail(sweep, axes, t)
	if err != nil {
		return nil, err
	}
	body, err = json.Marshal(det)
	if err != nil {
		return nil, fmt.Errorf("encoding trial %s: %w", t.Key, err)
	}
	d.mu.Lock()
	if len(d.details) >= maxDetails {
		for k := range d.details { // evict an arbitrary entry
			delete(d.details, k)
			break
		}
	}
	d.details[id] = body
	d.mu.Unlock()
	return body, nil
}

// sweep returns the cached state of the named sweep, fetched again when
// its progress changed or the cache is older than MaxAge, but not sooner
// than refreshFactor times the last fetch's duration.
func (d *Dashboard) sweep(ctx context.Context, name string) (*sweepCache, error) {
	ctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	list, err := d.src.Sweeps(ctx)
	if err != nil {
		return nil, err
	}
	var progress *state.Progress
	for i := range list {
		if list[i].Sweep == name {
			progress = &list[i]
			break
		}
	}
	if progress == nil {
		return nil, fmt.Errorf("sweep %q: %w", name, ErrNotFound)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.sweeps[name]
	if c != nil && c.fresh(*progress, d.opts.MaxAge) {
		return c, nil
	}
	start := time.Now()
	rec, err := d.src.Sweep(ctx, name)
	if err != nil {
		return nil, err
	}
	metric, err := d.src.Metric(ctx, name)
	if err != nil {
		return nil, err
	}
	trials, err := d.src.Trials(ctx, name)
	if err != nil {
		return nil, err
	}
	diag, err := BuildDiagram(*progress, rec.Axes, trials, metric)
	if err != nil {
		return nil, fmt.Errorf("sweep %q: %w", name, err)
	}
	body, err := json.Marshal(diag)
	if err != nil {
		return nil, fmt.Errorf("encoding sweep %q: %w", name, err)
	}
	c = &sweepCache{progress: *progress, axes: rec.Axes, trials: trials, fetched: time.Now(), took: time.Since(start), diagram: body}
	d.sweeps[name] = c
	return c, nil
}

// fail answers an error as JSON: 404 for an unknown sweep or trial, 502
// otherwise (the coordinator failed or is closed).
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusBadGateway
	if errors.Is(err, ErrNotFound) || errors.Is(err, state.ErrNotFound) {
		code = http.StatusNotFound
	} else if r.Context().Err() == nil {
		d.log.Warn("request failed", "path", r.URL.Path, "error", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
