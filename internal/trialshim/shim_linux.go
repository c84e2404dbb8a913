//go:build linux

package trialshim

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The trial shim stands between the worker and a command trial's program
// (worker/doc.go, "Process control"). The worker starts it as
//
//	<shim> __pinnsweep-trial-shim GRACE PATH ARGV0 ARGS...
//
// in its own process group, with the program's environment and working
// directory, a parent-death signal of SIGTERM, and a status pipe on fd 3.
// The shim makes itself a child subreaper, starts PATH in a new process
// group, and writes to the pipe, one line each:
//
//	pid N          the program started as process N (also its group)
//	error MSG      it could not be started (the shim then exits)
//	term           the shim was told to stop (SIGTERM, SIGINT)
//	exit N         the program exited with status N
//	signal NAME    the program was killed by a signal
//	left N         N processes were still running after the program ended
//	done           no process of the trial is left
//
// On a stop, or when the program ends with processes left behind, every
// process of the trial — the program's group, and every descendant of the
// shim, which (as subreaper) inherits the orphans of processes that
// daemonised with setsid — gets SIGTERM, and SIGKILL after GRACE. The shim
// reaps them all and exits 0 only when none is left.
const Arg = "__pinnsweep-trial-shim"

// prSetChildSubreaper is prctl's PR_SET_CHILD_SUBREAPER.
const prSetChildSubreaper = 36

// init runs the shim, and exits, when the process was started as one: in
// package initialisation, before the packages that sort after this one
// by import path (gRPC, protobuf, Prometheus, cobra, gonum, the trainer)
// initialise, so that a trial's shim costs little more than the start of
// a Go program (BENCHMARKS.md, "Command trials"). See the package
// documentation.
func init() { Main() }

// Main runs the shim and exits if the process was started as one (its
// first argument is Arg); otherwise it returns at once.
func Main() {
	if len(os.Args) < 2 || os.Args[1] != Arg {
		return
	}
	os.Exit(run(os.Args[2:]))
}

// run is the shim's main; it returns the exit status.
func run(args []string) int {
	status := os.NewFile(3, "status")
	syscall.CloseOnExec(3)
	w := bufio.NewWriter(status)
	say := func(format string, a ...any) {
		fmt.Fprintf(w, format+"\n", a...)
		w.Flush()
	}
	if len(args) < 3 {
		say("error the shim needs GRACE PATH ARGV0 [ARGS...]")
		return 2
	}
	grace, err := time.ParseDuration(args[0])
	if err != nil || grace < 0 {
		say("error bad grace %q", args[0])
		return 2
	}
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); e != 0 {
		say("error prctl(PR_SET_CHILD_SUBREAPER): %v", e)
		return 2
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)

	pid, err := syscall.ForkExec(args[1], args[2:], &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		say("error %v", err)
		return 127
	}
	say("pid %d", pid)

	exited := make(chan syscall.WaitStatus, 1)
	allGone := make(chan struct{})
	go reapAll(pid, exited, allGone)

	var kill <-chan time.Time // SIGKILL everything when it fires
	var again <-chan time.Time
	stop := func() {
		if kill == nil {
			signalTrial(pid, syscall.SIGTERM)
			kill = time.After(grace)
		}
	}
	stopped := false
	for {
		select {
		case s := <-sigs:
			if s == syscall.SIGHUP || stopped {
				continue
			}
			stopped = true
			say("term")
			stop()
		case ws := <-exited:
			sayExit(say, ws)
			if left := len(descendants(os.Getpid())); left > 0 {
				say("left %d", left)
				stop()
			}
		case <-kill:
			kill, again = nil, time.After(0)
		case <-again:
			signalTrial(pid, syscall.SIGKILL)
			again = time.After(20 * time.Millisecond)
		case <-allGone:
			select {
			case ws := <-exited: // sent before allGone closed
				sayExit(say, ws)
			default:
			}
			say("done")
			return 0
		}
	}
}

// sayExit reports how the program ended.
func sayExit(say func(string, ...any), ws syscall.WaitStatus) {
	if ws.Exited() {
		say("exit %d", ws.ExitStatus())
	} else {
		say("signal %s", signalName(ws.Signal()))
	}
}

// reapAll waits for every child of the shim, sending the program's status
// on exited, until none is left.
func reapAll(program int, exited chan<- syscall.WaitStatus, allGone chan<- struct{}) {
	defer close(allGone)
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		switch {
		case errors.Is(err, syscall.EINTR):
		case err != nil:
			return // ECHILD: no child, hence no descendant, is left
		case pid == program:
			exited <- ws
		}
	}
}

// signalTrial sends sig to the program's process group and to every
// descendant of the shim.
func signalTrial(program int, sig syscall.Signal) {
	syscall.Kill(-program, sig)
	for _, pid := range descendants(os.Getpid()) {
		syscall.Kill(pid, sig)
	}
}

// descendants returns the processes below root, from /proc.
func descendants(root int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := make(map[int][]int)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentOf(pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// parentOf returns the parent of pid from /proc/PID/stat; false for a
// process that is gone or a zombie (dead, waiting to be reaped).
func parentOf(pid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 || f[0] == "Z" {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

// signalName names a signal as the shell does: SIGKILL, SIGSEGV.
func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGSEGV:
		return "SIGSEGV"
	case syscall.SIGABRT:
		return "SIGABRT"
	case syscall.SIGBUS:
		return "SIGBUS"
	case syscall.SIGFPE:
		return "SIGFPE"
	case syscall.SIGILL:
		return "SIGILL"
	case syscall.SIGPIPE:
		return "SIGPIPE"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return fmt.Sprintf("signal %d (%v)", int(s), s)
}
