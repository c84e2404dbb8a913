package worker

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// checkPlatform reports whether command trials can run here: they can on
// Linux.
func checkPlatform() error { return nil }

// procSpec is a program to run for a trial.
type procSpec struct {
	path string   // absolute path of the program
	argv []string // argv[0] as the spec wrote it
	env  []string
	dir  string
}

// shimStatus collects the shim's status lines.
type shimStatus struct {
	mu    sync.Mutex
	lines []string
	pid   int
}

func (s *shimStatus) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		line := sc.Text()
		s.mu.Lock()
		if len(s.lines) < 64 {
			s.lines = append(s.lines, line)
		}
		if v, ok := strings.CutPrefix(line, "pid "); ok {
			s.pid, _ = strconv.Atoi(v)
		}
		s.mu.Unlock()
	}
}

// report turns the status lines into an exitReport; killed says whether
// the worker signalled the shim.
func (s *shimStatus) report(killed bool) exitReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	var e exitReport
	ended := false
	for _, line := range s.lines {
		verb, arg, _ := strings.Cut(line, " ")
		switch verb {
		case "error":
			e.startErr = arg
		case "term": // a stop that came before the program ended
			e.stopped = e.stopped || !ended
		case "exit":
			ended, e.exited = true, true
			e.code, _ = strconv.Atoi(arg)
		case "signal":
			ended, e.signal = true, arg
		case "left":
			e.left, _ = strconv.Atoi(arg)
		}
	}
	if killed && !ended {
		e.stopped = true
	}
	return e
}

// runProcess runs p under the trial shim, copying its stdout and stderr to
// the writers, until it ends or ctx is done; then the shim stops every
// process of the trial (SIGTERM, SIGKILL after the grace). It returns when
// no process of the trial is left (see shim_linux.go).
func (r *CommandRunner) runProcess(ctx context.Context, p procSpec, stdout, stderr io.Writer) exitReport {
	var files [6]*os.File // out r/w, err r/w, status r/w
	for i := 0; i < len(files); i += 2 {
		rd, wr, err := os.Pipe()
		if err != nil {
			for _, f := range files[:i] {
				f.Close()
			}
			return exitReport{startErr: "creating pipes: " + err.Error()}
		}
		files[i], files[i+1] = rd, wr
	}
	outR, outW, errR, errW, stR, stW := files[0], files[1], files[2], files[3], files[4], files[5]
	defer outR.Close()
	defer errR.Close()
	defer stR.Close()
	cmd := &exec.Cmd{
		Path:       r.shim,
		Args:       append([]string{r.shim, shimArg, r.grace.String(), p.path}, p.argv...),
		Env:        p.env,
		Dir:        p.dir,
		Stdout:     outW,
		Stderr:     errW,
		ExtraFiles: []*os.File{stW},
		// Its own process group keeps the terminal's signals away from it;
		// the parent-death signal makes it stop the trial if the worker
		// dies, even by SIGKILL.
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM},
	}
	// The parent-death signal is sent when the thread that started the
	// shim exits, not the process (go.dev/issue/27505): start and wait on
	// one locked thread, which lives until the shim has exited.
	started := make(chan error, 1)
	waited := make(chan struct{})
	go func() {
		defer close(waited)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		cmd.Wait()
	}()
	err := <-started
	outW.Close()
	errW.Close()
	stW.Close()
	if err != nil {
		<-waited
		return exitReport{startErr: "starting the trial shim: " + err.Error()}
	}
	var st shimStatus
	var wg sync.WaitGroup
	wg.Go(func() { copyOutput(outR, stdout) })
	wg.Go(func() { copyOutput(errR, stderr) })
	wg.Go(func() { st.read(stR) })

	killed := false
	select {
	case <-waited:
	case <-ctx.Done():
		killed = true
		syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
		t := time.NewTimer(r.grace + shimSlack)
		select {
		case <-waited:
		case <-t.C:
			// The shim overran: stop the trial without it.
			syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			st.mu.Lock()
			pid := st.pid
			st.mu.Unlock()
			if pid > 0 {
				syscall.Kill(-pid, syscall.SIGKILL)
			}
			<-waited
		}
		t.Stop()
	}
	drained := make(chan struct{})
	go func() { wg.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(pipeDrain):
		// A process that escaped the shim holds a pipe open.
		outR.Close()
		errR.Close()
		stR.Close()
		<-drained
	}
	return st.report(killed)
}
