package cli

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

func script(result string, d time.Duration, n int) func(map[string]string) jenkinstest.Script {
	return func(map[string]string) jenkinstest.Script {
		return jenkinstest.Script{
			QuietPeriod: 2 * time.Second, QueueWait: 3 * time.Second, Duration: d,
			Log: lines(n, d/time.Duration(n+1), "step"), Result: result, EstimatedDuration: d,
		}
	}
}

func TestResultsMapToExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		result   string
		env      []string
		code     int
		failLine bool
	}{
		{"SUCCESS", nil, ExitOK, false},
		{"FAILURE", nil, ExitFailure, true},
		{"UNSTABLE", nil, ExitUnstable, true},
		{"UNSTABLE", []string{"JENKINS_FAIL_ON_UNSTABLE", "false"}, ExitOK, false},
		{"ABORTED", nil, ExitAborted, true},
		{"NOT_BUILT", nil, ExitAborted, true},
	}
	for _, tt := range tests {
		t.Run(tt.result+strings.Join(tt.env, "="), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "team/app", Params: []jenkinstest.ParamDef{{Name: "VERSION", Type: "string"}}, Script: script(tt.result, 20*time.Second, 5)})
				h.set("JENKINS_JOB", "team/app", "JENKINS_PARAMETERS", "VERSION=1.2.3").set(tt.env...)
				if code := h.run(context.Background()); code != tt.code {
					t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, h.stdout.String(), h.stderr.String())
				}
				out := h.outputs()
				base := h.srv.URL()
				want := map[string]string{
					"JENKINS_QUEUE_URL":    base + "/queue/item/1/",
					"JENKINS_BUILD_NUMBER": "1",
					"JENKINS_BUILD_URL":    base + "/job/team/job/app/1/",
					"JENKINS_RESULT":       tt.result,
					"JENKINS_DURATION_MS":  "20000",
				}
				for k, v := range want {
					if out[k] != v {
						t.Errorf("%s = %q, want %q", k, out[k], v)
					}
				}
				if !strings.Contains(h.stdout.String(), "step line 5") {
					t.Errorf("console not streamed:\n%s", h.stdout.String())
				}
				if builds := h.srv.Builds("team/app"); len(builds) != 1 || builds[0].Params["VERSION"] != "1.2.3" {
					t.Errorf("builds = %+v", builds)
				}
				h.assertNoSecrets()
			})
		})
	}
}

// TestResultJenkinsDoesNotHave: a result no Jenkins gives makes Jenkins
// unusable, said in one line that names it.
func TestResultJenkinsDoesNotHave(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "team/app", Script: script("WEIRD", 10*time.Second, 2)})
		h.set("JENKINS_JOB", "team/app")
		h.runWant(ExitJenkins)
		if got, want := strings.TrimSpace(h.stderr.String()), `error: jenkins says team/app #1 finished with "WEIRD", which is not a result Jenkins has`; got != want {
			t.Errorf("stderr %q, want %q", got, want)
		}
	})
}

func TestWaitFor(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		waitFor string
		outputs []string
		absent  []string
	}{
		{"queue", []string{"JENKINS_QUEUE_URL"}, []string{"JENKINS_BUILD_NUMBER", "JENKINS_RESULT"}},
		{"start", []string{"JENKINS_QUEUE_URL", "JENKINS_BUILD_NUMBER", "JENKINS_BUILD_URL"}, []string{"JENKINS_RESULT"}},
	} {
		t.Run(tt.waitFor, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("FAILURE", time.Minute, 3)})
				h.set("JENKINS_JOB", "deploy", "JENKINS_WAIT_FOR", tt.waitFor)
				if code := h.run(context.Background()); code != ExitOK {
					t.Fatalf("exit %d\n%s", code, h.stderr.String())
				}
				out := h.outputs()
				for _, k := range tt.outputs {
					if out[k] == "" {
						t.Errorf("missing %s in %v", k, out)
					}
				}
				for _, k := range tt.absent {
					if _, ok := out[k]; ok {
						t.Errorf("%s should not be set: %v", k, out)
					}
				}
			})
		})
	}
}

func TestCancelledInQueue(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: func(map[string]string) jenkinstest.Script {
			return jenkinstest.Script{QuietPeriod: 5 * time.Second, QueueWait: time.Minute, CancelAfter: 30 * time.Second, Duration: time.Second, Result: "SUCCESS"}
		}})
		h.set("JENKINS_JOB", "deploy")
		if code := h.run(context.Background()); code != ExitAborted {
			t.Fatalf("exit %d, want %d\n%s", code, ExitAborted, h.stderr.String())
		}
		if got := h.outputs()["JENKINS_RESULT"]; got != "CANCELLED" {
			t.Errorf("result = %q", got)
		}
		if !strings.Contains(h.stdout.String(), "Waiting for next available executor") {
			t.Errorf("queue reason not shown:\n%s", h.stdout.String())
		}
	})
}

func TestTimeoutStopsTheBuild(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("SUCCESS", time.Hour, 10)})
		h.set("JENKINS_JOB", "deploy", "JENKINS_TIMEOUT", "2m")
		if code := h.run(context.Background()); code != ExitTimeout {
			t.Fatalf("exit %d, want %d\n%s", code, ExitTimeout, h.stderr.String())
		}
		if got := h.outputs()["JENKINS_RESULT"]; got != "TIMEOUT" {
			t.Errorf("result = %q", got)
		}
		if b := h.srv.Builds("deploy"); len(b) != 1 || !b[0].Aborted {
			t.Errorf("build not stopped: %+v", b)
		}
		if !strings.Contains(h.stderr.String(), "timeout 2m0s passed") {
			t.Errorf("stderr = %q", h.stderr.String())
		}
	})
}

func TestTimeoutInQueueCancelsTheItem(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: func(map[string]string) jenkinstest.Script {
			return jenkinstest.Script{QueueWait: time.Hour, Duration: time.Second, Result: "SUCCESS"}
		}})
		h.set("JENKINS_JOB", "deploy", "JENKINS_TIMEOUT", "90s")
		if code := h.run(context.Background()); code != ExitTimeout {
			t.Fatalf("exit %d\n%s", code, h.stderr.String())
		}
		if !strings.Contains(h.stdout.String(), "Cancelled queue item 1") || len(h.srv.Builds("deploy")) != 0 {
			t.Errorf("queue item not cancelled:\n%s", h.stdout.String())
		}
	})
}

func TestAbortOnStopFalseLeavesTheBuild(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("SUCCESS", time.Hour, 10)})
		h.set("JENKINS_JOB", "deploy", "JENKINS_TIMEOUT", "2m", "JENKINS_ABORT_ON_STOP", "no")
		if code := h.run(context.Background()); code != ExitTimeout {
			t.Fatalf("exit %d", code)
		}
		if b := h.srv.Builds("deploy"); len(b) != 1 || b[0].Aborted {
			t.Errorf("build should run on: %+v", b)
		}
	})
}

// signalError mimics the cause signal.NotifyContext gives a context.
type signalError string

func (s signalError) Error() string { return string(s) }

func TestSignalStopsTheBuild(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(context.Background())
		defer cancel(nil)
		var consoleReads atomic.Int32
		h := newHarness(t, jenkinstest.Options{Fault: func(r *http.Request) jenkinstest.Fault {
			if strings.HasSuffix(r.URL.Path, "progressiveText") && consoleReads.Add(1) == 3 {
				cancel(signalError("terminated signal received"))
			}
			return jenkinstest.FaultNone
		}})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("SUCCESS", time.Hour, 100)})
		h.set("JENKINS_JOB", "deploy")
		if code := h.run(ctx); code != 143 {
			t.Fatalf("exit %d, want 143\n%s", code, h.stderr.String())
		}
		if b := h.srv.Builds("deploy"); len(b) != 1 || !b[0].Aborted {
			t.Errorf("build not stopped: %+v", b)
		}
	})
}

func TestBadInputSendsNothing(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  []string
		msg  string
	}{
		{"no job", []string{"JENKINS_JOB", ""}, "input job (JENKINS_JOB): is required"},
		{"bad timeout", []string{"JENKINS_TIMEOUT", "soon"}, "input timeout"},
		{"bad wait_for", []string{"JENKINS_WAIT_FOR", "end"}, "input wait_for"},
		{"bad queue_timeout", []string{"JENKINS_QUEUE_TIMEOUT", "-1m"}, "input queue_timeout (JENKINS_QUEUE_TIMEOUT): \"-1m\" is not a positive duration"},
		{"queue_timeout past timeout", []string{"JENKINS_QUEUE_TIMEOUT", "2h"}, "input queue_timeout (JENKINS_QUEUE_TIMEOUT): is 2h0m0s, longer than timeout (1h0m0s)"},
		{"bad parameters", []string{"JENKINS_PARAMETERS", "A"}, "input parameters"},
		{"bad json", []string{"JENKINS_PARAMETERS", `{"A":`}, "input parameters"},
		{"job elsewhere", []string{"JENKINS_JOB", "https://elsewhere.example.com/job/x/"}, "input job"},
		{"missing file", []string{"JENKINS_FILES", "F=/does/not/exist"}, "input files"},
		{"dotenv dir missing", []string{"JENKINS_DOTENV", "/does/not/exist/out.env"}, "input dotenv"},
		{"unknown arg", nil, "unknown argument"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy"})
				h.set("JENKINS_JOB", "deploy").set(tt.env...)
				env := Env{Environ: h.env, Stdout: &h.stdout, Stderr: &h.stderr, HTTPClient: h.http}
				if tt.env == nil {
					env.Args = []string{"--frobnicate"}
				}
				if code := Run(context.Background(), env); code != ExitBadInput {
					t.Fatalf("exit %d, want %d\n%s", code, ExitBadInput, h.stderr.String())
				}
				if n := len(h.srv.Requests()); n != 0 {
					t.Errorf("%d requests sent on bad input", n)
				}
				if got := strings.TrimSpace(h.stderr.String()); !strings.Contains(got, tt.msg) || strings.Count(got, "\n") != 0 {
					t.Errorf("stderr = %q, want one line with %q", got, tt.msg)
				}
				h.assertNoSecrets()
			})
		})
	}
}

func TestJenkinsRefusals(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  []string
		msg  string
	}{
		{"wrong token", []string{"JENKINS_TOKEN", "wrong"}, "401"},
		{"no such job", []string{"JENKINS_JOB", "nope"}, "no job nope, or this user may not see it; Jenkins' top level has disabled, plain, tokened"},
		{"a job almost right", []string{"JENKINS_JOB", "plian"}, "no job plian, or this user may not see it (did you mean plain?)"},
		{"no such folder", []string{"JENKINS_JOB", "team/app"}, "no job team/app, or this user may not see it; folder team does not exist either"},
		{"jobs on one line", []string{"JENKINS_JOB", "plain,tokened"}, "to trigger several jobs, put one job a line"},
		{"disabled", []string{"JENKINS_JOB", "disabled"}, "disabled"},
		{"wrong build token", []string{"JENKINS_JOB", "tokened", "JENKINS_USER", "", "JENKINS_TOKEN", "", "JENKINS_BUILD_TOKEN", "nope"}, "403"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "disabled", Disabled: true})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "plain"})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "tokened", BuildToken: secretBuildToken})
				h.set("JENKINS_JOB", "plain").set(tt.env...)
				if code := h.run(context.Background()); code != ExitJenkins {
					t.Fatalf("exit %d, want %d\n%s", code, ExitJenkins, h.stderr.String())
				}
				got := strings.TrimSpace(h.stderr.String())
				if !strings.Contains(got, tt.msg) {
					t.Errorf("stderr = %q, want %q", got, tt.msg)
				}
				for _, j := range []string{"disabled", "plain", "tokened"} {
					if n := len(h.srv.Builds(j)); n != 0 {
						t.Errorf("%d builds of %s", n, j)
					}
				}
				h.assertNoSecrets()
			})
		})
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  []string
	}{
		{"api token", nil},
		{"password with crumb", []string{"JENKINS_USER", "bob", "JENKINS_TOKEN", secretPassword}},
		{"credentials in url", []string{"JENKINS_USER", "", "JENKINS_TOKEN", "", "JENKINS_URL", "<userinfo>"}},
		{"build token", []string{"JENKINS_USER", "", "JENKINS_TOKEN", "", "JENKINS_BUILD_TOKEN", secretBuildToken}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{AnonymousRead: true})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", BuildToken: secretBuildToken, Params: []jenkinstest.ParamDef{{Name: "A", Type: "string"}}, Script: script("SUCCESS", 10*time.Second, 3)})
				h.set("JENKINS_JOB", "deploy", "JENKINS_PARAMETERS", "A=x").set(tt.env...)
				if h.env["JENKINS_URL"] == "<userinfo>" {
					h.env["JENKINS_URL"] = strings.Replace(h.srv.URL(), "://", "://bob:"+secretPassword+"@", 1)
				}
				if code := h.run(context.Background()); code != ExitOK {
					t.Fatalf("exit %d\n%s%s", code, h.stdout.String(), h.stderr.String())
				}
				if b := h.srv.Builds("deploy"); len(b) != 1 {
					t.Errorf("builds = %+v", b)
				}
				h.assertNoSecrets()
			})
		})
	}
}

// An API token needs no crumb, so none is fetched; a password that merely
// looks like one is refused once for want of a crumb, then goes through.
func TestCrumbOnlyWhenNeeded(t *testing.T) {
	t.Parallel()
	const hexToken = "11a1b2c3d4e5f60718293a4b5c6d7e8f90"
	const hexPassword = "0123456789abcdef0123456789abcdef"
	for _, tt := range []struct {
		name, user, token string
		crumbFetches      int
	}{
		{"api token", "carol", hexToken, 0},
		{"password shaped like a token", "dave", hexPassword, 1},
		{"password", "bob", secretPassword, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{Users: map[string]jenkinstest.User{
					"carol": {APIToken: hexToken}, "dave": {Password: hexPassword}, "bob": {Password: secretPassword},
				}})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("SUCCESS", 5*time.Second, 2)})
				h.set("JENKINS_JOB", "deploy", "JENKINS_USER", tt.user, "JENKINS_TOKEN", tt.token)
				h.runWant(ExitOK)
				fetches := 0
				for _, r := range h.srv.Requests() {
					if strings.Contains(r.Path, "/crumbIssuer/") {
						fetches++
					}
				}
				if fetches != tt.crumbFetches || len(h.srv.Builds("deploy")) != 1 {
					t.Errorf("%d crumb fetches (want %d), %d builds", fetches, tt.crumbFetches, len(h.srv.Builds("deploy")))
				}
			})
		})
	}
}
