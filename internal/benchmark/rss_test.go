package benchmark

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runBinary runs the jenkins-trigger binary bin with env and nothing else
// of this process's environment, its stdout to stdout, and returns its
// peak resident set in bytes. A run that fails ends the benchmark with
// what the binary said.
func runBinary(tb testing.TB, bin string, env []string, stdout io.Writer) int64 {
	tb.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	peak, err := runMeasured(cmd)
	if err != nil {
		tb.Fatalf("jenkins-trigger: %v\n%s", err, stderr.Bytes())
	}
	return peak
}

// runMeasured runs cmd to its end and returns its peak resident set in
// bytes, read from /proc while it runs. The child's rusage is no good
// here: Linux folds the resident set the parent had at the exec into the
// child's ru_maxrss, so an earlier benchmark that grew this process would
// inflate the figure. The /proc high-water mark belongs to the child's own
// address space; rusage is the fallback where /proc is missing.
func runMeasured(cmd *exec.Cmd) (int64, error) {
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		var hwm int64
		for {
			hwm = max(hwm, vmHWM(status))
			select {
			case <-done:
				peak <- hwm
				return
			case <-tick.C:
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	hwm := <-peak
	if hwm == 0 {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			hwm = ru.Maxrss * 1024 // Linux reports KiB
		}
	}
	return hwm, err
}

// vmHWM is the VmHWM line of a /proc/<pid>/status file in bytes, or 0 when
// the file or the line is missing (the process is gone or not Linux).
func vmHWM(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}
