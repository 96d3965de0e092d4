package cli

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
	"github.com/jenkins-trigger/jenkins-trigger/internal/runnertest"
)

// TestJenkinsTextCannotCommand: a Jenkinsfile names its stage, its stage's
// error, its console lines and its tests like workflow commands. On GitHub,
// with one job or several, the step prints no line the runner would take
// for a command but its own, and GITHUB_OUTPUT reads back as written.
func TestJenkinsTextCannotCommand(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, jobs string
	}{
		{"one job", "evil"},
		{"several jobs", "evil\nplain"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{WFAPI: true})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "evil", Pipeline: true, Script: func(map[string]string) jenkinstest.Script {
					return jenkinstest.Script{Duration: 20 * time.Second, Result: "FAILURE",
						Stages: []jenkinstest.Stage{{Name: "##[error]INJ", Duration: 20 * time.Second, Result: "FAILURE", Error: "::error::E\n  ::add-mask::M"}},
						Log:    []jenkinstest.LogLine{{At: time.Second, Text: "::error::console"}, {At: 2 * time.Second, Text: "##[stop-commands]T"}},
						Tests: &jenkinstest.TestReport{Suites: []jenkinstest.TestSuite{{Name: "s", Cases: []jenkinstest.TestCase{
							{ClassName: "##[warning]C", Name: "::error::N", Status: "FAILED", ErrorDetails: "\u2028::error::D"}}}}},
					}
				}})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "plain", Script: region("plain", "SUCCESS", 0, 10*time.Second)})
				out, summary := filepath.Join(h.dir, "github_output"), filepath.Join(h.dir, "summary.md")
				h.set("JENKINS_JOB", tt.jobs, "GITHUB_ACTIONS", "true", "GITHUB_OUTPUT", out, "GITHUB_STEP_SUMMARY", summary)
				h.runWant(ExitFailure)
				cmds, err := runnertest.Commands(h.stdout.String())
				if err != nil {
					t.Fatalf("%v\nstdout:\n%s", err, h.stdout.String())
				}
				if !slices.ContainsFunc(cmds, func(c [2]string) bool {
					return c[0] == "error" && strings.HasPrefix(c[1], "FAILURE in stage ##\u200b[error]INJ: evil #1")
				}) {
					t.Errorf("no annotation for the failed build: %q", cmds)
				}
				outputs, err := runnertest.ParseOutputs(h.read(out))
				if err != nil {
					t.Fatalf("GITHUB_OUTPUT: %v", err)
				}
				if !slices.Contains(outputs, [2]string{"failed_stage", "##[error]INJ"}) {
					t.Errorf("GITHUB_OUTPUT has %q", outputs)
				}
			})
		})
	}
}

// TestManyFailedBuildsAnnotated: GitHub shows 10 error annotations of a
// step. With 12 failed builds ending one after another, 9 are annotated as
// they end, and at the step's end one more names the other 3.
func TestManyFailedBuildsAnnotated(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		var jobs []string
		for i := 1; i <= 12; i++ {
			job := fmt.Sprintf("j%02d", i)
			jobs = append(jobs, job)
			h.srv.AddJob(jenkinstest.JobSpec{FullName: job, Script: region(job, "FAILURE", 0, time.Duration(i)*4*time.Second)})
		}
		h.set("JENKINS_JOB", strings.Join(jobs, "\n"), "GITHUB_ACTIONS", "true")
		h.runWant(ExitFailure)
		cmds, err := runnertest.Commands(h.stdout.String())
		if err != nil {
			t.Fatal(err)
		}
		var errs []string
		for _, c := range cmds {
			if c[0] == "error" {
				errs = append(errs, c[1])
			}
		}
		if len(errs) != 10 || !strings.HasPrefix(errs[8], "FAILURE: j09 #1") ||
			!regexp.MustCompile(`^3 more, .*: FAILURE: j10 #1 .*; FAILURE: j11 #1 .*; FAILURE: j12 #1 `).MatchString(errs[9]) {
			t.Errorf("error annotations:\n%s", strings.Join(errs, "\n"))
		}
	})
}
