package cli

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// runOK runs h and fails the test unless it exits with want.
func (h *harness) runWant(want int) {
	h.t.Helper()
	if code := h.run(context.Background()); code != want {
		h.t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, h.stdout.String(), h.stderr.String())
	}
}

func TestJobNames(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, job string }{
		{"team/my app/déployer", "team/my app/déployer"},
		{"repo/feature%2Flogin", "repo/feature%2Flogin"},
		{"a/b", "<url>/job/a/job/b/"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: tt.name, Script: script("SUCCESS", 5*time.Second, 2)})
				h.set("JENKINS_JOB", strings.Replace(tt.job, "<url>", h.srv.URL(), 1))
				h.runWant(ExitOK)
				if len(h.srv.Builds(tt.name)) != 1 {
					t.Errorf("no build of %q", tt.name)
				}
				if got := h.outputs()["JENKINS_BUILD_URL"]; !strings.HasPrefix(got, h.srv.URL()+"/job/") {
					t.Errorf("build_url %q not under the configured url", got)
				}
			})
		})
	}
}

func TestExpiredQueueItemIsFoundInBuilds(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{QueueItemTTL: time.Millisecond})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("SUCCESS", 30*time.Second, 3)})
		h.set("JENKINS_JOB", "deploy")
		h.runWant(ExitOK)
		if got := h.outputs()["JENKINS_BUILD_NUMBER"]; got != "1" {
			t.Errorf("build_number = %q", got)
		}
	})
}

func TestStartRaceIsPolledThrough(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: func(map[string]string) jenkinstest.Script {
			return jenkinstest.Script{QueueWait: time.Second, StartRace: 5 * time.Second, Duration: 5 * time.Second, Result: "SUCCESS"}
		}})
		h.set("JENKINS_JOB", "deploy")
		h.runWant(ExitOK)
	})
}

func TestEarlyResultIsNotTheEnd(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "pipe", Pipeline: true, Script: func(map[string]string) jenkinstest.Script {
			return jenkinstest.Script{
				Duration: 60 * time.Second, EarlyResult: "UNSTABLE", EarlyResultAt: 5 * time.Second, Result: "FAILURE",
				Log: append(lines(10, 5*time.Second, "pipe"), jenkinstest.LogLine{At: 59 * time.Second, Text: "last words"}),
			}
		}})
		h.set("JENKINS_JOB", "pipe")
		h.runWant(ExitFailure)
		if !strings.Contains(h.stdout.String(), "last words") || h.outputs()["JENKINS_DURATION_MS"] != "60000" {
			t.Errorf("followed an early result to the end?\n%s", h.stdout.String())
		}
	})
}

func TestFreestylePostProductionLogIsDrained(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "fs", Script: func(map[string]string) jenkinstest.Script {
			return jenkinstest.Script{
				Duration: 10 * time.Second, PostProduction: 8 * time.Second, Result: "SUCCESS",
				Log: []jenkinstest.LogLine{{At: time.Second, Text: "building"}, {At: 15 * time.Second, Text: "Archiving artifacts"}, {At: 17 * time.Second, Text: "Finished: SUCCESS"}},
			}
		}})
		h.set("JENKINS_JOB", "fs")
		h.runWant(ExitOK)
		if !strings.Contains(h.stdout.String(), "Finished: SUCCESS") {
			t.Errorf("post-production log lost:\n%s", h.stdout.String())
		}
	})
}

func TestConsoleNotesAndCRLF(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{RawConsoleNotes: true})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "pipe", Pipeline: true, Script: func(map[string]string) jenkinstest.Script {
			return jenkinstest.Script{Duration: 40 * time.Second, Result: "SUCCESS", Log: append(lines(200, 150*time.Millisecond, "[Pipeline]"), jenkinstest.LogLine{At: 39 * time.Second, Text: "\x1b[31mred\x1b[0m"})}
		}})
		h.set("JENKINS_JOB", "pipe")
		h.runWant(ExitOK)
		out := h.stdout.String()
		if strings.Contains(out, "ha:") || strings.Contains(out, "\r") || !strings.Contains(out, "\x1b[31mred\x1b[0m") {
			t.Errorf("console not cleaned:\n%q", out)
		}
		assertEachLineOnce(t, out, "[Pipeline]", 200)
	})
}

// assertEachLineOnce checks that the n lines lines(n, ..., prefix) wrote
// appear exactly once each: none lost, none repeated.
func assertEachLineOnce(t *testing.T, out, prefix string, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		if c := strings.Count(out, prefix+" line "+strconv.Itoa(i)+"\n"); c != 1 {
			t.Errorf("line %d appears %d times", i, c)
		}
	}
}

func TestLogFalsePrintsNoConsole(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("SUCCESS", 20*time.Second, 5)})
		h.set("JENKINS_JOB", "deploy", "JENKINS_LOG", "false")
		h.runWant(ExitOK)
		if strings.Contains(h.stdout.String(), "step line") {
			t.Errorf("console printed with log false")
		}
		for _, r := range h.srv.Requests() {
			if strings.Contains(r.Path, "progressiveText") {
				t.Errorf("console read with log false: %s", r.Path)
			}
		}
	})
}

// faultFirst injects fault into the first n requests that match.
func faultFirst(n int32, fault jenkinstest.Fault, match func(*http.Request) bool) func(*http.Request) jenkinstest.Fault {
	var seen atomic.Int32
	return func(r *http.Request) jenkinstest.Fault {
		if match(r) && seen.Add(1) <= n {
			return fault
		}
		return jenkinstest.FaultNone
	}
}

func isGET(r *http.Request) bool { return r.Method == http.MethodGet }

func isTrigger(r *http.Request) bool {
	return r.Method == http.MethodPost && (strings.HasSuffix(r.URL.Path, "/build") || strings.HasSuffix(r.URL.Path, "/buildWithParameters"))
}

func TestFaults(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		fault  func(*http.Request) jenkinstest.Fault
		code   int
		builds int
	}{
		{"502 bursts on reads", faultFirst(6, jenkinstest.Fault502, isGET), ExitOK, 1},
		{"503 bursts on reads", faultFirst(6, jenkinstest.Fault503, isGET), ExitOK, 1},
		{"504 on reads", faultFirst(3, jenkinstest.Fault504, isGET), ExitOK, 1},
		{"dropped reads", faultFirst(5, jenkinstest.FaultReset, isGET), ExitOK, 1},
		{"503 on trigger is resent", faultFirst(3, jenkinstest.Fault503, isTrigger), ExitOK, 1},
		{"answer lost after queueing", faultFirst(1, jenkinstest.FaultResetAfter, isTrigger), ExitOK, 1},
		{"answer lost, nothing queued", faultFirst(1, jenkinstest.FaultReset, isTrigger), ExitJenkins, 0},
		{"502 on trigger is not resent", faultFirst(1, jenkinstest.Fault502, isTrigger), ExitJenkins, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{Fault: tt.fault})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Params: []jenkinstest.ParamDef{{Name: "V", Type: "string"}}, Script: script("SUCCESS", 20*time.Second, 5)})
				h.set("JENKINS_JOB", "deploy", "JENKINS_PARAMETERS", "V=1")
				h.runWant(tt.code)
				if n := len(h.srv.Builds("deploy")); n != tt.builds {
					t.Errorf("%d builds, want %d", n, tt.builds)
				}
				if tt.code != ExitOK && strings.Count(strings.TrimSpace(h.stderr.String()), "\n") > 1 {
					t.Errorf("stderr:\n%s", h.stderr.String())
				}
			})
		})
	}
}

func TestRestartMidBuild(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var consoleReads atomic.Int32
		var srv atomic.Pointer[jenkinstest.Server]
		h := newHarness(t, jenkinstest.Options{Fault: func(r *http.Request) jenkinstest.Fault {
			if strings.HasSuffix(r.URL.Path, "progressiveText") && consoleReads.Add(1) == 4 {
				go srv.Load().Restart(90 * time.Second)
				return jenkinstest.Fault503
			}
			return jenkinstest.FaultNone
		}})
		srv.Store(h.srv)
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("SUCCESS", 5*time.Minute, 20)})
		h.set("JENKINS_JOB", "deploy")
		h.runWant(ExitOK)
		assertEachLineOnce(t, h.stdout.String(), "step", 20)
	})
}

func TestGitHubMode(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("FAILURE", 10*time.Second, 3)})
		ghOut := filepath.Join(h.dir, "github_output")
		if err := os.WriteFile(ghOut, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		h.set("JENKINS_JOB", "deploy", "GITHUB_ACTIONS", "true", "GITHUB_OUTPUT", ghOut,
			"INPUT_BUILD_TOKEN", secretBuildToken, "JENKINS_URL", strings.Replace(h.srv.URL(), "://", "://alice:"+secretToken+"@", 1))
		delete(h.env, "JENKINS_TOKEN")
		h.runWant(ExitFailure)
		out := h.stdout.String()
		if !strings.HasPrefix(out, "::add-mask::") {
			t.Errorf("secrets not masked first:\n%s", out)
		}
		for _, want := range []string{"::group::deploy #1 console", "::endgroup::", "::error::FAILURE: deploy #1"} {
			if !strings.Contains(out, want) {
				t.Errorf("missing %q in:\n%s", want, out)
			}
		}
		h.assertNoSecrets()
		data, _ := os.ReadFile(ghOut)
		for _, name := range []string{"queue_url", "build_number", "build_url", "result", "duration_ms"} {
			if !strings.Contains(string(data), name+"<<") {
				t.Errorf("GITHUB_OUTPUT lacks %s:\n%s", name, data)
			}
		}
	})
}
