// Package coordfile publishes the coordinator's address in a file on a
// shared filesystem and lets gRPC clients follow it there.
//
// `pinnsweep serve --address-file PATH` writes HOST:PORT (Write, atomic
// and durable, mode 0644) once it listens; `pinnsweep work
// --coordinator-file PATH` dials Target(PATH) with the resolver of
// NewResolver, which reads the file when the connection is set up,
// re-reads it whenever gRPC re-resolves (gRPC does after every failed
// connection attempt and every lost connection: exactly when a
// coordinator has gone away) and every PollEvery besides, and moves the
// connection to the new address when the file changes. So a worker
// follows a coordinator that a batch system restarted on another node
// (a requeued Slurm job), without restarting itself.
//
// A file that is missing or malformed leaves the last good address in
// place (a coordinator on its way back keeps the old file until it
// listens again); before the first good read, calls fail as Unavailable
// and the worker retries them with backoff, as it does while any
// coordinator is away.
package coordfile

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/resolver"

	"github.com/pinnsweep/pinnsweep/internal/atomicfile"

	"github.com/pinnsweep/pinnsweep/internal/safefile"
)

// Scheme is the gRPC target scheme of coordinator files.
const Scheme = "pinnsweep-file"

// PollEvery is how often a resolver re-reads its file besides when gRPC
// asks it to.
const PollEvery = 5 * time.Second

// maxBytes bounds what Read reads of a file.
const maxBytes = 4096

// ErrAddress is wrapped by Read's errors about the file's content.
var ErrAddress = errors.New("coordfile: bad coordinator address")

// Write writes addr (HOST:PORT) and a newline to path, atomically and
// durably, with mode 0644.
func Write(path, addr string) error {
	if err := check(addr); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, []byte(addr+"\n"), atomicfile.Public)
}

// Read returns the address in path: one line HOST:PORT, surrounding
// white space ignored. path must be a regular file (safefile.ReadRegular:
// a named pipe is refused at once instead of blocking the resolver).
func Read(path string) (string, error) {
	b, err := safefile.ReadRegular(path, maxBytes)
	if errors.Is(err, safefile.ErrTooLarge) {
		return "", fmt.Errorf("%w: %s is longer than %d bytes", ErrAddress, path, maxBytes)
	}
	if err != nil {
		return "", err
	}
	addr := strings.TrimSpace(string(b))
	if err := check(addr); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return addr, nil
}

// check reports whether addr is HOST:PORT with a host and a port in
// 1..65535.
func check(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w %q: want HOST:PORT", ErrAddress, addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%w %q: port must be 1 to 65535", ErrAddress, addr)
	}
	if host == "" || strings.ContainsAny(host, " \t\r\n/") {
		return fmt.Errorf("%w %q: want a host name or IP address", ErrAddress, addr)
	}
	return nil
}

// Advertise returns the address clients should dial for a server
// listening on lis: HOST:PORT with lis's port and host, unless host is
// given; a listener on every interface (":7433", "0.0.0.0", "::") is
// advertised under this machine's host name.
func Advertise(lis net.Addr, host string) (string, error) {
	h, port, err := net.SplitHostPort(lis.String())
	if err != nil {
		return "", err
	}
	if host == "" {
		host = h
		if ip := net.ParseIP(h); h == "" || (ip != nil && ip.IsUnspecified()) {
			if host, err = os.Hostname(); err != nil {
				return "", fmt.Errorf("the host name to advertise: %w", err)
			}
		}
	}
	addr := net.JoinHostPort(host, port)
	return addr, check(addr)
}

// Target returns the gRPC target that reaches the coordinator whose
// address is in path (made absolute), for a connection that uses
// NewResolver.
func Target(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return Scheme + "://" + filepath.ToSlash(abs), nil
}

// Options configure NewResolver.
type Options struct {
	// ServerName, if set, is the name the coordinator's TLS certificate
	// must carry whatever host the file names (the worker's
	// --server-name); empty means the file's host.
	ServerName string
	// PollEvery is the time between reads besides gRPC's requests; zero
	// means PollEvery.
	PollEvery time.Duration
	// Logger gets a line for every address taken and for a file that
	// cannot be read; nil discards them.
	Logger hclog.Logger
}

// NewResolver returns the gRPC resolver of Target's scheme, for
// grpc.WithResolvers.
func NewResolver(o Options) resolver.Builder {
	if o.PollEvery <= 0 {
		o.PollEvery = PollEvery
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	return builder{o}
}

type builder struct{ o Options }

func (b builder) Scheme() string { return Scheme }

func (b builder) Build(t resolver.Target, cc resolver.ClientConn, _ resolver.BuildOptions) (resolver.Resolver, error) {
	path := filepath.FromSlash(t.URL.Path)
	if path == "" {
		return nil, fmt.Errorf("coordfile: target %q names no file", t.URL.String())
	}
	r := &fileResolver{o: b.o, path: path, cc: cc, kick: make(chan struct{}, 1), done: make(chan struct{})}
	r.update()
	r.wg.Add(1)
	go r.watch()
	return r, nil
}

// fileResolver follows one coordinator file.
type fileResolver struct {
	o     Options
	path  string
	cc    resolver.ClientConn
	kick  chan struct{}
	done  chan struct{}
	wg    sync.WaitGroup
	addr  string // the address last given to gRPC
	erred bool   // the last read failed (logged once per failure)
}

// ResolveNow asks for a read of the file (gRPC calls it on connection
// failures and losses).
func (r *fileResolver) ResolveNow(resolver.ResolveNowOptions) {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *fileResolver) Close() {
	close(r.done)
	r.wg.Wait()
}

func (r *fileResolver) watch() {
	defer r.wg.Done()
	t := time.NewTicker(r.o.PollEvery)
	defer t.Stop()
	for {
		select {
		case <-r.done:
			return
		case <-r.kick:
		case <-t.C:
		}
		r.update()
	}
}

// update reads the file and hands gRPC its address when it changed.
func (r *fileResolver) update() {
	addr, err := Read(r.path)
	if err != nil {
		if !r.erred {
			r.erred = true
			if r.addr == "" {
				r.o.Logger.Warn("no coordinator address yet; waiting for the file", "file", r.path, "error", err)
			} else {
				r.o.Logger.Warn("cannot read the coordinator file; keeping the last address", "file", r.path, "address", r.addr, "error", err)
			}
		}
		if r.addr == "" {
			r.cc.ReportError(err)
		}
		return
	}
	r.erred = false
	if addr == r.addr {
		return
	}
	name := r.o.ServerName
	if name == "" {
		name, _, _ = net.SplitHostPort(addr)
	}
	if err := r.cc.UpdateState(resolver.State{Addresses: []resolver.Address{{Addr: addr, ServerName: name}}}); err != nil {
		// gRPC asks again (ResolveNow) when it wants an address.
		r.o.Logger.Debug("gRPC did not take the address yet", "address", addr, "error", err)
		return
	}
	if r.addr != "" {
		r.o.Logger.Info("coordinator moved", "file", r.path, "from", r.addr, "to", addr)
	} else {
		r.o.Logger.Info("coordinator address", "file", r.path, "address", addr)
	}
	r.addr = addr
}
