package report

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from this run")

// golden compares got with testdata/name, or rewrites the file with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -run Golden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from this run (rerun with -update after checking the change):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// failingRun is a test report with more failures than the summary names,
// spread over two suites, between passed and skipped tests.
func failingRun() *build.TestRun {
	run := &build.TestRun{Passed: 3, Failed: 12, Skipped: 1, URL: "https://ci/job/deploy/7/testReport/"}
	for s := range 2 {
		suite := build.TestSuite{Name: fmt.Sprintf("com.example.Suite%d", s)}
		suite.Cases = append(suite.Cases, build.TestCase{ClassName: suite.Name, Name: "passes", Status: build.TestPassed})
		for i := range 6 {
			c := build.TestCase{ClassName: suite.Name, Name: fmt.Sprintf("fails_%d", i), Status: build.TestFailed,
				URL: fmt.Sprintf("https://ci/job/deploy/7/testReport/com.example/Suite%d/fails_%d/", s, i)}
			switch i {
			case 0:
				c.ErrorDetails = "\nexpected <1> but was <2> with s3cr_t"
			case 1:
				c.ErrorDetails = strings.Repeat("long ", 40)
			}
			suite.Cases = append(suite.Cases, c)
		}
		run.Suites = append(run.Suites, suite)
	}
	run.Suites[1].Cases = append(run.Suites[1].Cases, build.TestCase{Name: "no_class", Status: build.TestSkipped})
	return run
}

// TestGoldenSummary renders each part of the step summary, alone and
// together, and compares it with its file under testdata/.
func TestGoldenSummary(t *testing.T) {
	t.Parallel()
	mask := func(s string) string { return strings.ReplaceAll(s, "s3cr_t", "***") }
	base := BuildSummary{Job: "team/deploy", JobURL: "https://ci/job/team/job/deploy/", Number: 7, URL: "https://ci/job/team/job/deploy/7/",
		Result: build.Success, Duration: "3m10s", QueueTime: "2s"}
	stages := []build.Stage{
		{Name: "Checkout", Status: build.StageSuccess, DurationMS: 2000},
		{Name: "Build | *fast*", Status: build.StageSuccess, DurationMS: 65_000},
		{Name: "Integration Tests", Status: build.StageFailed, DurationMS: 40_000},
		{Name: "Soak", Status: build.StageUnstable, DurationMS: 10_000},
		{Name: "Approve", Status: build.StagePaused, DurationMS: 300_000, PauseMS: 298_000},
		{Name: "Deploy s3cr_t", Status: build.StageAborted, DurationMS: 1000, PauseMS: 60_000},
		{Name: "Smoke", Status: build.StageRunning, DurationMS: 12_000},
		{Name: "Notify", Status: build.StageNotExecuted},
		{Name: "Later", Status: build.StageQueued},
		{Name: "<odd>", Status: build.StageUnknown},
		{Name: "", Status: build.StageStatus("new in Jenkins")},
		{Name: "Linux", Parent: "Platforms", Status: build.StageSuccess, DurationMS: 3000},
	}
	tests := []struct {
		name string
		edit func(*BuildSummary)
	}{
		{"summary-plain.md", func(*BuildSummary) {}},
		{"summary-stages.md", func(s *BuildSummary) {
			s.Result, s.FailedStage, s.Stages = build.Failure, "Integration Tests", stages
		}},
		{"summary-failed-stage-masked.md", func(s *BuildSummary) {
			s.Result, s.FailedStage = build.Aborted, "Deploy s3cr_t [prod]"
		}},
		{"summary-input-answered.md", func(s *BuildSummary) {
			s.Input = &InputWait{Message: "Deploy to *prod*?\nReally?", URL: "https://ci/job/team/job/deploy/7/input/", Waited: "4m 58s", Answer: "answered Proceed by jenkins-trigger"}
		}},
		{"summary-input-waiting.md", func(s *BuildSummary) {
			s.Result, s.Duration = build.Timeout, ""
			s.Input = &InputWait{Message: "Ship s3cr_t?", URL: "https://ci/job/team/job/deploy/7/input/", Waited: "1h", StillWaiting: true}
		}},
		{"summary-input-bare.md", func(s *BuildSummary) {
			s.Result, s.Input = build.None, &InputWait{StillWaiting: true}
		}},
		{"summary-input-bare-answered.md", func(s *BuildSummary) {
			s.Input = &InputWait{Message: "  \n "}
		}},
		{"summary-artifacts.md", func(s *BuildSummary) {
			s.Artifacts = []build.Artifact{
				{Path: "dist/app.apk", Size: 13_002_342, URL: "https://ci/job/team/job/deploy/7/artifact/dist/app.apk"},
				{Path: "reports/a b (1).xml", Size: 512, URL: "https://ci/job/team/job/deploy/7/artifact/reports/a%20b%20(1).xml"},
				{Path: "s3cr_t/notes_*.txt", Size: 0, URL: "https://ci/job/team/job/deploy/7/artifact/s3cr_t/notes_*.txt"},
				{Path: "big.iso", Size: 5 << 30, URL: "https://ci/job/team/job/deploy/7/artifact/big.iso"},
			}
		}},
		{"summary-one-artifact.md", func(s *BuildSummary) {
			s.Artifacts = []build.Artifact{{Path: "out.zip", Size: 1536, URL: "https://ci/job/team/job/deploy/7/artifact/out.zip"}}
		}},
		{"summary-tests.md", func(s *BuildSummary) {
			s.Result, s.Tests = build.Unstable, failingRun()
		}},
		{"summary-everything.md", func(s *BuildSummary) {
			s.Result, s.FailedStage, s.Stages = build.Failure, "Integration Tests", stages[:4]
			s.Input = &InputWait{Message: "Go?", URL: "https://ci/job/team/job/deploy/7/input/", Waited: "3s", Answer: "answered Proceed by jenkins-trigger"}
			s.Params = []build.Param{{Name: "VERSION", Value: "1.2.3"}, {Name: "TOKEN", Value: "s3cr_t"}}
			s.Tests = &build.TestRun{Passed: 1, Failed: 1, URL: "https://ci/job/team/job/deploy/7/testReport/", Suites: []build.TestSuite{{Name: "p.T", Cases: []build.TestCase{
				{ClassName: "p.T", Name: "ok", Status: build.TestPassed}, {ClassName: "p.T", Name: "bad", Status: build.TestFailed, ErrorDetails: "boom"},
			}}}}
			s.Artifacts = []build.Artifact{{Path: "logs/build.log", Size: 2_400_000, URL: "https://ci/job/team/job/deploy/7/artifact/logs/build.log"}}
			s.Notes = []string{"The build was aborted when the step stopped."}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bs := base
			tt.edit(&bs)
			md := Summary{Builds: []BuildSummary{bs}}.markdown(mask)
			if strings.Contains(md, "s3cr") {
				t.Errorf("secret shown:\n%s", md)
			}
			golden(t, tt.name, md)
		})
	}
}

func TestHumanSize(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"},
		{1024*1024 - 1, "1.0 MiB"}, {13_002_342, "12.4 MiB"}, {5 << 30, "5.0 GiB"},
		{3 << 50, "3.0 PiB"}, {1<<63 - 1, "8.0 EiB"},
	} {
		if got := HumanSize(tt.n); got != tt.want {
			t.Errorf("HumanSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// FuzzStageRow checks that a stage of any name and duration stays in its
// one table row.
func FuzzStageRow(f *testing.F) {
	for _, s := range []string{"", "a|b", "`", "line\nbreak", "\\|", "a\\", "<b>", "[x](y)"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, name, duration string) {
		md := Summary{Builds: []BuildSummary{{Job: "j", Result: build.Success, Stages: []build.Stage{{Name: name, Status: build.StageSuccess, DurationMS: int64(len(duration)) * 1000, PauseMS: int64(len(duration))}}}}}.markdown(func(s string) string { return s })
		header := "| | Stage | Duration | Paused for input |\n|---|---|---|---|\n"
		i := strings.Index(md, header)
		if i < 0 {
			t.Fatalf("no stage table:\n%s", md)
		}
		row := strings.TrimSuffix(md[i+len(header):], "\n")
		if strings.Contains(row, "\n") {
			t.Fatalf("row spans lines: %q", row)
		}
		if pipes := cellSeparators(row); pipes != 5 {
			t.Fatalf("row %q has %d cell separators", row, pipes)
		}
	})
}

// cellSeparators counts the pipes that split a table row, as GitHub
// (cmark-gfm's table extension) does: those not taken by a backslash.
func cellSeparators(row string) int {
	pipes := 0
	for i := 0; i < len(row); i++ {
		switch row[i] {
		case '\\':
			i++
		case '|':
			pipes++
		}
	}
	return pipes
}

// TestGoldenJUnit fixes the JUnit file byte for byte: passed, failed and
// skipped tests, with and without a stack trace, characters XML must
// escape or cannot hold, and a secret.
func TestGoldenJUnit(t *testing.T) {
	t.Parallel()
	statuses := []build.TestStatus{build.TestPassed, build.TestFailed, build.TestPassed, build.TestFailed, build.TestSkipped}
	run := &build.TestRun{Duration: 9.87654}
	for s := range 3 {
		suite := build.TestSuite{Name: fmt.Sprintf("s%d <&>", s), Duration: float64(s) * 1.5}
		if s == 1 {
			suite.Timestamp = "2026-01-01T00:00:00"
		}
		for i := range 10 {
			c := build.TestCase{ClassName: fmt.Sprintf("p.C%d", i%3), Name: fmt.Sprintf("t%d s3cr_t", i), Status: statuses[i%5], Duration: float64(i) / 7, SkippedMessage: "skip <it>"}
			if i%2 == 0 {
				c.ErrorDetails = "boom s3cr_t ]]> \x1b[31m"
			}
			if i%4 == 0 {
				c.ErrorStackTrace = "at x\n\tat y\r\n"
			}
			suite.Cases = append(suite.Cases, c)
		}
		run.Suites = append(run.Suites, suite)
	}
	masks := &masker{}
	masks.add("s3cr_t")
	data, err := junitXML("deploy #1 s3cr_t", run, masks.apply)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "junit.xml", string(data))
}

// TestGoldenSeveralBuilds renders the summary of a step with three builds:
// a row each, the timeline with their stages, the shared parameters once,
// and each build's own section.
func TestGoldenSeveralBuilds(t *testing.T) {
	t.Parallel()
	const t0 = int64(1_790_000_000_000) // Unix ms on Jenkins' clock
	params := []build.Param{{Name: "VERSION", Value: "1.2.3"}}
	builds := []BuildSummary{
		{Job: "team/deploy-eu", JobURL: "https://ci/job/team/job/deploy-eu/", Number: 12, URL: "https://ci/job/team/job/deploy-eu/12/",
			Result: build.Success, Duration: "20s", QueueTime: "5.5s", Params: params,
			Stages: []build.Stage{
				{Name: "Build", Status: build.StageSuccess, StartMS: t0 + 6000, DurationMS: 8000},
				{Name: "Deploy: eu; #1 100%", Status: build.StageSuccess, StartMS: t0 + 14_000, DurationMS: 11_000},
			},
			Timeline: Timeline{Queued: t0, Started: t0 + 5500, Ended: t0 + 25_500}},
		{Job: "team/deploy-us", JobURL: "https://ci/job/team/job/deploy-us/", Number: 7, URL: "https://ci/job/team/job/deploy-us/7/",
			Result: build.Failure, Duration: "12s", QueueTime: "6s", Params: params, FailedStage: "Deploy",
			Stages: []build.Stage{
				{Name: "Build", Status: build.StageSuccess, StartMS: t0 + 7000, DurationMS: 5000},
				{Name: "Deploy", Status: build.StageFailed, StartMS: t0 + 12_000, DurationMS: 6000},
			},
			Tests:    &build.TestRun{Passed: 9, Failed: 1, URL: "https://ci/job/team/job/deploy-us/7/testReport/", Suites: []build.TestSuite{{Name: "smoke", Cases: []build.TestCase{{ClassName: "smoke.Api", Name: "health", Status: build.TestFailed, ErrorDetails: "503", URL: "https://ci/job/team/job/deploy-us/7/testReport/smoke/Api/health/"}}}}},
			Timeline: Timeline{Queued: t0 + 300, Started: t0 + 6300, Ended: t0 + 18_300}},
		{Job: "team/deploy-ap", JobURL: "https://ci/job/team/job/deploy-ap/", URL: "https://ci/queue/item/44/",
			Result: build.Timeout, Params: params, Notes: []string{"The timeout (1m) passed while the build was in the queue."},
			Timeline: Timeline{Queued: t0 + 600, Ended: t0 + 60_600, Running: true}},
	}
	md := Summary{Builds: builds, Notes: []string{"jenkins-trigger asked Jenkins to cancel the queue item of team/deploy-ap."}}.markdown(func(s string) string { return s })
	golden(t, "summary-several.md", md)
}

// TestSeveralWithOneUnfollowed: a build Jenkins could not be used for
// fails the step's heading, though it has no result, and is counted as
// not followed to the end.
func TestSeveralWithOneUnfollowed(t *testing.T) {
	t.Parallel()
	md := Summary{Builds: []BuildSummary{
		{Job: "a", Number: 1, URL: "https://ci/job/a/1/", Result: build.Success},
		{Job: "b", Number: 4, URL: "https://ci/job/b/4/", Unfollowed: true},
	}}.markdown(func(s string) string { return s })
	for _, want := range []string{"### ❌ Jenkins: 2 builds: 1 SUCCESS, 1 not followed to the end\n", "\n#### ❌ b #4 not followed to the end\n"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
}

// TestGoldenTimeline draws one build that is still running, with a stage
// of Graph View's (no duration until it ends) and a nested one.
func TestGoldenTimeline(t *testing.T) {
	t.Parallel()
	const t0 = int64(1_790_000_000_000)
	bs := BuildSummary{Job: "team/release: nightly", Number: 3, URL: "https://ci/job/team/job/release%3A%20nightly/3/", Result: build.Timeout,
		Stages: []build.Stage{
			{Name: "Build", Status: build.StageSuccess, StartMS: t0 + 1000, DurationMS: 4000},
			{Name: "Linux", Parent: "Test", Status: build.StageRunning, StartMS: t0 + 5000},
			{Name: "Approve", Status: build.StagePaused, StartMS: t0 + 6000, DurationMS: 1000},
		},
		Timeline: Timeline{Queued: t0 - 2000, Started: t0, Ended: t0 + 30_000, Running: true}}
	golden(t, "summary-timeline.md", Summary{Builds: []BuildSummary{bs}}.markdown(func(s string) string { return s }))
}

// manyFailures is a step of n builds with f failed tests each, of long
// names.
func manyFailures(n, f int) Summary {
	s := Summary{JUnit: "reports/junit.xml"}
	for i := range n {
		run := &build.TestRun{Failed: f, URL: fmt.Sprintf("https://ci/job/deploy-%d/1/testReport/", i)}
		suite := build.TestSuite{Name: "com.example.Suite"}
		for j := range f {
			suite.Cases = append(suite.Cases, build.TestCase{ClassName: "com.example." + strings.Repeat("Long", 20), Name: fmt.Sprintf("fails_%d", j),
				Status: build.TestFailed, ErrorDetails: strings.Repeat("expected something else ", 10), URL: fmt.Sprintf("https://ci/job/deploy-%d/1/testReport/x/%d/", i, j)})
		}
		run.Suites = append(run.Suites, suite)
		s.Builds = append(s.Builds, BuildSummary{Job: fmt.Sprintf("team/deploy-%d", i), Number: 1, URL: fmt.Sprintf("https://ci/job/deploy-%d/1/", i),
			Result: build.Unstable, Duration: "1m", Tests: run,
			Stages:   []build.Stage{{Name: "Test", Status: build.StageUnstable, StartMS: 1_790_000_000_000, DurationMS: 60_000}},
			Timeline: Timeline{Started: 1_790_000_000_000, Ended: 1_790_000_060_000}})
	}
	return s
}

// TestSummaryWithinGitHubLimit: GitHub refuses a step summary over 1 MiB
// whole. Many builds with many failed tests are shortened, the failed
// tests first, and the summary says what it left out and where it is.
func TestSummaryWithinGitHubLimit(t *testing.T) {
	t.Parallel()
	id := func(s string) string { return s }
	for _, tt := range []struct {
		name        string
		s           Summary
		contains    []string
		absent      []string
		allBuildRow bool
	}{
		{"failed tests", manyFailures(400, 10), []string{"this summary names at most 3 failed tests a build; each build's test report has them all, and the JUnit file reports/junit.xml every test.",
			"- … and 7 more in the [test report](https://ci/job/deploy-399/1/testReport/)", "```mermaid"}, nil, true},
		{"no failed test named", manyFailures(1000, 10), []string{"this summary names no failed test; each build's test report has them all", "**Tests:** 0 passed, 10 failed"}, []string{"fails_0"}, true},
		{"details", manyFailures(4000, 10), []string{"this summary leaves out the timeline and each build's stages"}, []string{"**Tests:**", "mermaid"}, true},
		{"rows", manyFailures(20000, 1), []string{"The summary is cut here to stay within the 1 MiB that GitHub takes; the builds output and the step's log have every build, and the JUnit file reports/junit.xml every test.\n"}, nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			md := tt.s.markdown(id)
			if len(md)+1 > 1<<20 {
				t.Errorf("the summary and its line end are %d bytes, over 1 MiB", len(md)+1)
			}
			for _, want := range tt.contains {
				if !strings.Contains(md, want) {
					t.Errorf("summary lacks %q", want)
				}
			}
			for _, no := range tt.absent {
				if strings.Contains(md, no) {
					t.Errorf("summary has %q", no)
				}
			}
			if tt.allBuildRow && !strings.Contains(md, fmt.Sprintf("| team/deploy-%d | ", len(tt.s.Builds)-1)) {
				t.Errorf("the last build's row is missing")
			}
		})
	}
}

// TestGoldenShortenedSummary shows each shortening, on a small limit.
func TestGoldenShortenedSummary(t *testing.T) {
	t.Parallel()
	s := manyFailures(2, 5)
	full := len(s.markdown(func(s string) string { return s }))
	for _, tt := range []struct {
		name  string
		limit int
	}{
		{"summary-shortened-tests.md", full - 1},
		{"summary-shortened-details.md", 1000},
		{"summary-shortened-cut.md", 400},
	} {
		golden(t, tt.name, s.within(tt.limit, func(s string) string { return s }))
	}
}
