package cli

import (
	"context"
	"encoding/xml"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from this run")

// failingBuild is the example: a FAILURE with 3 failed tests out of
// 120, whose console is coloured, carries console notes, and is quiet for
// over a minute in the middle.
func failingBuild(map[string]string) jenkinstest.Script {
	var cases []jenkinstest.TestCase
	for i := range 120 {
		c := jenkinstest.TestCase{ClassName: fmt.Sprintf("com.example.app.Service%02dTest", i/10), Name: fmt.Sprintf("handles case %d", i%10), Status: "PASSED", Duration: 0.125}
		switch i {
		case 17:
			c.ClassName, c.Name = "com.example.app.LoginTest", "rejectsBadPassword"
			c.Status, c.ErrorDetails = "FAILED", "expected:<401> but was:<500>"
		case 58:
			c.ClassName, c.Name = "com.example.app.CartTest", "total[2 items]"
			c.Status, c.ErrorDetails = "REGRESSION", "NullPointerException: price is null"
		case 99:
			c.ClassName, c.Name = "SmokeTest", "homePageLoads"
			c.Status, c.ErrorDetails = "FAILED", "timed out after 30s\nwaiting for #main"
		case 100, 101:
			c.Status = "SKIPPED"
		}
		cases = append(cases, c)
	}
	return jenkinstest.Script{
		QuietPeriod: 2 * time.Second, QueueWait: 3 * time.Second, Duration: 95 * time.Second, EstimatedDuration: 2 * time.Minute,
		Log: []jenkinstest.LogLine{
			{At: 0, Text: "+ ./gradlew test"},
			{At: 2 * time.Second, Text: "\x1b[32m> Task :compileJava\x1b[0m"},
			{At: 4 * time.Second, Text: "Downloading fixtures", Partial: true},
			{At: 5 * time.Second, Text: "... done"},
			{At: 80 * time.Second, Text: "\x1b[31m3 tests failed\x1b[0m"},
			{At: 94 * time.Second, Text: "::error::this line comes from the Jenkins build"},
		},
		Result: "FAILURE",
		Tests:  &jenkinstest.TestReport{Suites: []jenkinstest.TestSuite{{Name: "gradle", Cases: cases}}},
	}
}

func newFailingRun(t *testing.T) *harness {
	h := newHarness(t, jenkinstest.Options{RawConsoleNotes: true})
	h.srv.AddJob(jenkinstest.JobSpec{FullName: "team/app", Pipeline: true, Script: failingBuild, Params: []jenkinstest.ParamDef{
		{Name: "VERSION", Type: "string"}, {Name: "DEPLOY_TOKEN", Type: "password"}, {Name: "BUNDLE", Type: "file"},
	}})
	bundle := filepath.Join(h.dir, "app.tgz")
	if err := os.WriteFile(bundle, []byte("bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.set("JENKINS_JOB", "team/app", "JENKINS_PARAMETERS", "VERSION=1.2.3\nDEPLOY_TOKEN=hunter2", "JENKINS_FILES", "BUNDLE="+bundle)
	return h
}

func TestGoldenGitHub(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newFailingRun(t)
		summary := filepath.Join(h.dir, "summary.md")
		h.set("GITHUB_ACTIONS", "true", "GITHUB_OUTPUT", filepath.Join(h.dir, "github_output"), "GITHUB_STEP_SUMMARY", summary)
		h.runWant(ExitFailure)
		h.golden("github.golden", h.stdout.String()+h.stderr.String())
		h.golden("summary.md.golden", h.read(summary))
		h.assertNoSecrets("hunter2")
	})
}

func TestGoldenPlain(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newFailingRun(t)
		junit := filepath.Join(h.dir, "junit.xml")
		h.set("JENKINS_JUNIT", junit)
		h.runWant(ExitFailure)
		h.golden("plain.golden", h.stdout.String()+h.stderr.String())
		h.golden("junit.xml.golden", h.read(junit))
		h.assertNoSecrets()
	})
}

// TestFailedTestsReachGitLab is the "done when" on GitLab: the
// dotenv file has the outputs, and a JUnit parser reads all 120 tests.
func TestFailedTestsReachGitLab(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newFailingRun(t)
		junit := filepath.Join(h.dir, "junit.xml")
		h.set("JENKINS_JUNIT", junit)
		h.runWant(ExitFailure)
		if out := h.outputs(); out["JENKINS_RESULT"] != "FAILURE" || out["JENKINS_BUILD_NUMBER"] != "1" {
			t.Errorf("dotenv = %v", out)
		}
		var doc struct {
			Tests  int `xml:"tests,attr"`
			Suites []struct {
				Cases []struct {
					Name    string    `xml:"name,attr"`
					Failure *struct{} `xml:"failure"`
					Skipped *struct{} `xml:"skipped"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal([]byte(h.read(junit)), &doc); err != nil {
			t.Fatal(err)
		}
		cases, failed, skipped := 0, 0, 0
		for _, s := range doc.Suites {
			for _, c := range s.Cases {
				cases++
				if c.Failure != nil {
					failed++
				}
				if c.Skipped != nil {
					skipped++
				}
			}
		}
		if doc.Tests != 120 || cases != 120 || failed != 3 || skipped != 2 {
			t.Errorf("tests=%d cases=%d failed=%d skipped=%d, want 120, 120, 3, 2", doc.Tests, cases, failed, skipped)
		}
	})
}

// TestGoldenSummaries covers the summaries of runs without a result of
// Jenkins' own, and of a build without tests.
func TestGoldenSummaries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		script jenkinstest.Script
		env    []string
		code   int
	}{
		{"cancelled", jenkinstest.Script{QuietPeriod: 5 * time.Second, QueueWait: time.Minute, CancelAfter: 30 * time.Second, Duration: time.Second}, nil, ExitAborted},
		{"timeout", jenkinstest.Script{QueueWait: 10 * time.Second, Duration: time.Hour, EstimatedDuration: 50 * time.Minute, Log: lines(3, time.Second, "step")}, []string{"JENKINS_TIMEOUT", "2m"}, ExitTimeout},
		{"no-tests", jenkinstest.Script{QueueWait: 10 * time.Second, Duration: 20 * time.Second, Log: lines(3, time.Second, "step")}, []string{"JENKINS_JUNIT", "<dir>/junit.xml"}, ExitOK},
		{"wait-for-start", jenkinstest.Script{Duration: time.Minute}, []string{"JENKINS_WAIT_FOR", "start"}, ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: func(map[string]string) jenkinstest.Script { return tt.script }})
				summary := filepath.Join(h.dir, "summary.md")
				h.set("JENKINS_JOB", "deploy", "GITHUB_ACTIONS", "true", "GITHUB_STEP_SUMMARY", summary).set(tt.env...)
				if h.env["JENKINS_JUNIT"] != "" {
					h.env["JENKINS_JUNIT"] = strings.Replace(h.env["JENKINS_JUNIT"], "<dir>", h.dir, 1)
				}
				h.runWant(tt.code)
				h.golden("summary-"+tt.name+".md.golden", h.read(summary))
				h.golden("github-"+tt.name+".golden", h.stdout.String()+h.stderr.String())
				if _, err := os.Stat(filepath.Join(h.dir, "junit.xml")); err == nil {
					t.Error("a JUnit file was written for a build without tests")
				}
			})
		})
	}
}

func (h *harness) read(path string) string {
	h.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatal(err)
	}
	return string(data)
}

// stopToken matches the random token of ::stop-commands::.
var stopToken = regexp.MustCompile(`(::stop-commands::|::)[A-Z2-7]{26}(::)?`)

// golden compares got, made deterministic, with testdata/name, or rewrites
// the file with -update. The fake's address and the temporary directory
// change on every run, and so does the stop-commands token.
func (h *harness) golden(name, got string) {
	h.t.Helper()
	got = strings.ReplaceAll(got, h.srv.URL(), "http://jenkins.test/jenkins")
	got = strings.ReplaceAll(got, h.dir, "/tmp/run")
	got = stopToken.ReplaceAllString(got, "${1}TOKEN${2}")
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			h.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			h.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatalf("%v (run go test ./internal/cli -run Golden -update to create it)", err)
	}
	if got != string(want) {
		h.t.Errorf("%s differs from this run (rerun with -update after checking the change):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestTestReportReadOnceWhenNeeded checks that the report costs one request
// after the build, and none when no summary or JUnit file wants it.
func TestTestReportReadOnceWhenNeeded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		want int
	}{
		{"plain", nil, 0},
		{"github without summary file", []string{"GITHUB_ACTIONS", "true"}, 0},
		{"github with summary file", []string{"GITHUB_ACTIONS", "true", "GITHUB_STEP_SUMMARY", "<dir>/summary.md"}, 1},
		{"junit", []string{"JENKINS_JUNIT", "<dir>/junit.xml"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newFailingRun(t)
				for i := 1; i < len(tt.env); i += 2 {
					h.set(tt.env[i-1], strings.Replace(tt.env[i], "<dir>", h.dir, 1))
				}
				h.runWant(ExitFailure)
				reads := 0
				for _, r := range h.srv.Requests() {
					if strings.Contains(r.Path, "/testReport/") {
						reads++
						if !strings.Contains(r.RawQuery, "tree=") {
							t.Errorf("test report read without tree=: %s?%s", r.Path, r.RawQuery)
						}
					}
				}
				if reads != tt.want {
					t.Errorf("%d test report reads, want %d", reads, tt.want)
				}
			})
		})
	}
}

// TestTestReportFailureOnlyWarns checks that a report Jenkins will not give
// leaves the exit code to the build's result.
func TestTestReportFailureOnlyWarns(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{Fault: func(r *http.Request) jenkinstest.Fault {
			if strings.Contains(r.URL.Path, "/testReport/") {
				return jenkinstest.Fault502
			}
			return jenkinstest.FaultNone
		}})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: failingBuild})
		junit := filepath.Join(h.dir, "junit.xml")
		h.set("JENKINS_JOB", "deploy", "JENKINS_JUNIT", junit)
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour) // in the bubble's time
		defer cancel()
		if code := h.run(ctx); code != ExitFailure {
			t.Fatalf("exit %d, want %d\n%s%s", code, ExitFailure, h.stdout.String(), h.stderr.String())
		}
		if !strings.Contains(h.stderr.String(), "warning: read test report of deploy #1: ") {
			t.Errorf("no warning:\n%s", h.stderr.String())
		}
		if _, err := os.Stat(junit); err == nil {
			t.Error("a JUnit file was written without a report")
		}
	})
}
