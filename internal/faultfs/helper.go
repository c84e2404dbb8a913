package faultfs

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// Helper is a child process driven one line at a time: each command
// written to its standard input is answered by one line on its standard
// output. A test that must map a file on the mount (open a bbolt database
// there) does so in a Helper, since the process that serves the mount
// must not (see "Never map the mount in the serving process"); the test
// binary itself, started with an environment variable its TestMain
// recognises, is the usual helper.
type Helper struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// StartHelper starts cmd as a Helper. cmd's standard input and output
// must be unset; its standard error is left as set.
func StartHelper(cmd *exec.Cmd) (*Helper, error) {
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("faultfs: helper: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("faultfs: helper: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("faultfs: starting helper %s: %w", cmd.Path, err)
	}
	return &Helper{cmd: cmd, in: in, out: bufio.NewScanner(out)}, nil
}

// StartTestHelper starts the running test binary as a Helper, with the
// environment variable env set to value (its TestMain then runs the
// helper's command loop instead of the tests) and its standard error on
// this process's.
func StartTestHelper(env, value string) (*Helper, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"="+value)
	cmd.Stderr = os.Stderr
	return StartHelper(cmd)
}

// Do sends one command (a line without its newline) and returns the
// answer. If the helper cannot be reached, the answer is "error " and
// what went wrong, like a helper's own error answers.
func (h *Helper) Do(command string) string {
	if strings.ContainsRune(command, '\n') {
		return fmt.Sprintf("error faultfs: helper command %q has a newline", command)
	}
	if _, err := io.WriteString(h.in, command+"\n"); err != nil {
		return fmt.Sprintf("error faultfs: helper: %s: %v", command, err)
	}
	if !h.out.Scan() {
		return fmt.Sprintf("error faultfs: helper: %s: no answer (%v)", command, h.out.Err())
	}
	return h.out.Text()
}

// Close closes the helper's standard input, kills it if it is still
// running, and waits for it to exit.
func (h *Helper) Close() {
	_ = h.in.Close()
	_ = h.cmd.Process.Kill()
	_ = h.cmd.Wait()
}

// ServeHelper is the command loop of a helper process: it reads commands
// from standard input, one a line, and writes the answer handle gives for
// each (called with the command's first word and the rest of the line) to
// standard output, until handle says stop or the input ends.
func ServeHelper(handle func(cmd, arg string) (answer string, stop bool)) {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		answer, stop := handle(cmd, arg)
		fmt.Println(answer)
		if stop {
			return
		}
	}
}
