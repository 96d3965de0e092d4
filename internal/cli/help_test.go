package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
	"github.com/jenkins-trigger/jenkins-trigger/internal/flow"
)

func TestHelpListsTheContract(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if code := Run(context.Background(), Env{Args: []string{"--help"}, Stdout: &out}); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	help := out.String()
	for _, in := range contract.Inputs {
		if !strings.Contains(help, in.Name) || !strings.Contains(help, in.Env()) {
			t.Errorf("--help lacks input %s (%s)", in.Name, in.Env())
		}
	}
	for _, o := range contract.Outputs {
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
	lost := errors.New("download the artifacts of deploy #3: connection reset")
	for _, tt := range []struct {
		result    build.Result
		unstable  bool
		artifacts error
		want      int
	}{
		{"", true, nil, ExitOK}, {"SUCCESS", true, nil, ExitOK}, {"UNSTABLE", true, nil, ExitUnstable}, {"UNSTABLE", false, nil, ExitOK},
		{"FAILURE", true, nil, ExitFailure}, {"ABORTED", true, nil, ExitAborted}, {"NOT_BUILT", true, nil, ExitAborted},
		{"CANCELLED", true, nil, ExitAborted}, {"TIMEOUT", true, nil, ExitTimeout}, {"SOMETHING_NEW", true, nil, ExitJenkins},
		// Artifacts that could not be downloaded fail only a run the
		// build's result lets pass.
		{"SUCCESS", true, lost, ExitJenkins}, {"UNSTABLE", false, lost, ExitJenkins},
		{"UNSTABLE", true, lost, ExitUnstable}, {"FAILURE", true, lost, ExitFailure},
	} {
		out := flow.Outcome{Builds: []flow.BuildOutcome{{Result: tt.result, ArtifactsErr: tt.artifacts, FailOnUnstable: tt.unstable}}}
		if got := ExitCode(out); got != tt.want {
			t.Errorf("ExitCode(%q, unstable fails=%v, artifacts %v) = %d, want %d", tt.result, tt.unstable, tt.artifacts, got, tt.want)
		}
	}
}

// TestExitCodeOfSeveral: the first of 6, 4, 1, 3, 2 that holds for any
// build is the step's, whatever the order of the builds.
func TestExitCodeOfSeveral(t *testing.T) {
	t.Parallel()
	b := func(r build.Result) flow.BuildOutcome { return flow.BuildOutcome{Result: r, FailOnUnstable: true} }
	unusable := flow.BuildOutcome{Err: errors.New("GET x: 502 Bad Gateway")}
	for _, tt := range []struct {
		builds   []flow.BuildOutcome
		want     int
		deciding int
	}{
		{[]flow.BuildOutcome{b("SUCCESS"), b("SUCCESS")}, ExitOK, 0},
		{[]flow.BuildOutcome{b("SUCCESS"), b("UNSTABLE"), b("ABORTED")}, ExitAborted, 2},
		{[]flow.BuildOutcome{b("ABORTED"), b("FAILURE"), b("UNSTABLE")}, ExitFailure, 1},
		{[]flow.BuildOutcome{b("FAILURE"), b("TIMEOUT"), b("FAILURE")}, ExitTimeout, 1},
		{[]flow.BuildOutcome{b("TIMEOUT"), unusable, b("FAILURE")}, ExitJenkins, 1},
		{[]flow.BuildOutcome{b("UNSTABLE"), b("CANCELLED")}, ExitAborted, 1},
		{[]flow.BuildOutcome{b("UNSTABLE"), b("UNSTABLE")}, ExitUnstable, 0},
		{[]flow.BuildOutcome{b(""), b("SUCCESS")}, ExitOK, 0},
	} {
		out := flow.Outcome{Builds: tt.builds}
		if got, deciding := ExitCode(out), out.Deciding(); got != tt.want || deciding != tt.deciding {
			t.Errorf("%v: exit %d deciding %d, want %d and %d", tt.builds, got, deciding, tt.want, tt.deciding)
		}
	}
}

func TestSignalNumber(t *testing.T) {
	t.Parallel()
	for cause, want := range map[string]int{"hangup signal received": 1, "interrupt signal received": 2, "terminated signal received": 15, "something else": 15} {
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
