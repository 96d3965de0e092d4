package report

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/result"
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
func failingRun() *TestRun {
	run := &TestRun{Passed: 3, Failed: 12, Skipped: 1, URL: "https://ci/job/deploy/7/testReport/"}
	for s := range 2 {
		suite := TestSuite{Name: fmt.Sprintf("com.example.Suite%d", s)}
		suite.Cases = append(suite.Cases, TestCase{ClassName: suite.Name, Name: "passes", Status: TestPassed})
		for i := range 6 {
			c := TestCase{ClassName: suite.Name, Name: fmt.Sprintf("fails_%d", i), Status: TestFailed,
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
	run.Suites[1].Cases = append(run.Suites[1].Cases, TestCase{Name: "no_class", Status: TestSkipped})
	return run
}

// TestGoldenSummary renders each part of the step summary, alone and
// together, and compares it with its file under testdata/.
func TestGoldenSummary(t *testing.T) {
	t.Parallel()
	mask := func(s string) string { return strings.ReplaceAll(s, "s3cr_t", "***") }
	base := Summary{Job: "team/deploy", JobURL: "https://ci/job/team/job/deploy/", Number: 7, URL: "https://ci/job/team/job/deploy/7/",
		Result: result.Success, Duration: "3m 10s", QueueTime: "2s"}
	stages := []Stage{
		{Name: "Checkout", Status: StageSuccess, Duration: "2s"},
		{Name: "Build | *fast*", Status: StageSuccess, Duration: "1m 5s"},
		{Name: "Integration Tests", Status: StageFailed, Duration: "40s"},
		{Name: "Soak", Status: StageUnstable, Duration: "10s"},
		{Name: "Approve", Status: StagePaused, Duration: "5m", Paused: "4m 58s"},
		{Name: "Deploy s3cr_t", Status: StageAborted, Duration: "1s", Paused: "1m"},
		{Name: "Smoke", Status: StageRunning, Duration: "12s"},
		{Name: "Notify", Status: StageNotExecuted},
		{Name: "Later", Status: StageQueued},
		{Name: "<odd>", Status: StageUnknown},
		{Name: "", Status: StageStatus("new in Jenkins")},
	}
	tests := []struct {
		name string
		edit func(*Summary)
	}{
		{"summary-plain.md", func(*Summary) {}},
		{"summary-stages.md", func(s *Summary) {
			s.Result, s.FailedStage, s.Stages = result.Failure, "Integration Tests", stages
		}},
		{"summary-failed-stage-masked.md", func(s *Summary) {
			s.Result, s.FailedStage = result.Aborted, "Deploy s3cr_t [prod]"
		}},
		{"summary-input-answered.md", func(s *Summary) {
			s.Input = &InputWait{Message: "Deploy to *prod*?\nReally?", URL: "https://ci/job/team/job/deploy/7/input/", Waited: "4m 58s", Answer: "answered Proceed by jenkins-trigger"}
		}},
		{"summary-input-waiting.md", func(s *Summary) {
			s.Result, s.Duration = result.Timeout, ""
			s.Input = &InputWait{Message: "Ship s3cr_t?", URL: "https://ci/job/team/job/deploy/7/input/", Waited: "1h", StillWaiting: true}
		}},
		{"summary-input-bare.md", func(s *Summary) {
			s.Result, s.Input = result.None, &InputWait{StillWaiting: true}
		}},
		{"summary-input-bare-answered.md", func(s *Summary) {
			s.Input = &InputWait{Message: "  \n "}
		}},
		{"summary-artifacts.md", func(s *Summary) {
			s.Artifacts = []Artifact{
				{Path: "dist/app.apk", Size: 13_002_342, URL: "https://ci/job/team/job/deploy/7/artifact/dist/app.apk"},
				{Path: "reports/a b (1).xml", Size: 512, URL: "https://ci/job/team/job/deploy/7/artifact/reports/a%20b%20(1).xml"},
				{Path: "s3cr_t/notes_*.txt", Size: 0, URL: "https://ci/job/team/job/deploy/7/artifact/s3cr_t/notes_*.txt"},
				{Path: "big.iso", Size: 5 << 30, URL: "https://ci/job/team/job/deploy/7/artifact/big.iso"},
			}
		}},
		{"summary-one-artifact.md", func(s *Summary) {
			s.Artifacts = []Artifact{{Path: "out.zip", Size: 1536, URL: "https://ci/job/team/job/deploy/7/artifact/out.zip"}}
		}},
		{"summary-tests.md", func(s *Summary) {
			s.Result, s.Tests = result.Unstable, failingRun()
		}},
		{"summary-everything.md", func(s *Summary) {
			s.Result, s.FailedStage, s.Stages = result.Failure, "Integration Tests", stages[:4]
			s.Input = &InputWait{Message: "Go?", URL: "https://ci/job/team/job/deploy/7/input/", Waited: "3s", Answer: "answered Proceed by jenkins-trigger"}
			s.Params = []Param{{Name: "VERSION", Value: "1.2.3"}, {Name: "TOKEN", Value: "s3cr_t"}}
			s.Tests = &TestRun{Passed: 1, Failed: 1, URL: "https://ci/job/team/job/deploy/7/testReport/", Suites: []TestSuite{{Name: "p.T", Cases: []TestCase{
				{ClassName: "p.T", Name: "ok", Status: TestPassed}, {ClassName: "p.T", Name: "bad", Status: TestFailed, ErrorDetails: "boom"},
			}}}}
			s.Artifacts = []Artifact{{Path: "logs/build.log", Size: 2_400_000, URL: "https://ci/job/team/job/deploy/7/artifact/logs/build.log"}}
			s.Notes = []string{"The build was aborted when the step stopped."}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := base
			tt.edit(&s)
			md := s.markdown(mask)
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
		md := Summary{Job: "j", Result: result.Success, Stages: []Stage{{Name: name, Status: StageSuccess, Duration: duration, Paused: duration}}}.markdown(func(s string) string { return s })
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
	statuses := []TestStatus{TestPassed, TestFailed, TestPassed, TestFailed, TestSkipped}
	run := &TestRun{Duration: 9.87654}
	for s := range 3 {
		suite := TestSuite{Name: fmt.Sprintf("s%d <&>", s), Duration: float64(s) * 1.5}
		if s == 1 {
			suite.Timestamp = "2026-01-01T00:00:00"
		}
		for i := range 10 {
			c := TestCase{ClassName: fmt.Sprintf("p.C%d", i%3), Name: fmt.Sprintf("t%d s3cr_t", i), Status: statuses[i%5], Duration: float64(i) / 7, SkippedMessage: "skip <it>"}
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
