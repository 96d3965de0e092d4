package cli

import (
	"bytes"
	"context"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/config"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

func TestHelpListsTheContract(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if code := Run(context.Background(), Env{Args: []string{"--help"}, Stdout: &out}); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	help := out.String()
	for _, in := range config.Inputs() {
		if !strings.Contains(help, in.Name) || !strings.Contains(help, in.Env) {
			t.Errorf("--help lacks input %s (%s)", in.Name, in.Env)
		}
	}
	for _, o := range report.Outputs {
		if !strings.Contains(help, o.Name) {
			t.Errorf("--help lacks output %s", o.Name)
		}
	}
	for _, c := range ExitCodes {
		if !strings.Contains(help, "  "+c.Code+" ") {
			t.Errorf("--help lacks exit code %s", c.Code)
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if code := Run(context.Background(), Env{Args: []string{"--version"}, Stdout: &out}); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if got := out.String(); !strings.HasPrefix(got, "jenkins-trigger ") || !strings.Contains(got, runtime.Version()) {
		t.Errorf("--version = %q", got)
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		result   string
		unstable bool
		want     int
	}{
		{"", true, ExitOK}, {"SUCCESS", true, ExitOK}, {"UNSTABLE", true, ExitUnstable}, {"UNSTABLE", false, ExitOK},
		{"FAILURE", true, ExitFailure}, {"ABORTED", true, ExitAborted}, {"NOT_BUILT", true, ExitAborted},
		{"CANCELLED", true, ExitAborted}, {"SOMETHING_NEW", true, ExitJenkins},
	} {
		if got := ExitCode(tt.result, nil, tt.unstable); got != tt.want {
			t.Errorf("ExitCode(%q, unstable fails=%v) = %d, want %d", tt.result, tt.unstable, got, tt.want)
		}
	}
}

func TestSignalNumber(t *testing.T) {
	t.Parallel()
	for cause, want := range map[string]int{"interrupt signal received": 2, "terminated signal received": 15, "something else": 15} {
		if got := signalNumber(signalError(cause)); got != want {
			t.Errorf("%q: %d, want %d", cause, got, want)
		}
	}
}

// TestSignalNumberFromNotifyContext checks the cause text against the
// standard library's own, with a real signal to this process.
func TestSignalNumberFromNotifyContext(t *testing.T) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Skip(err)
	}
	<-ctx.Done()
	if got := signalNumber(context.Cause(ctx)); got != int(syscall.SIGTERM) {
		t.Errorf("signalNumber(%v) = %d", context.Cause(ctx), got)
	}
}
