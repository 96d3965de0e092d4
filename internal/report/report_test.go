package report

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
	"github.com/jenkins-trigger/jenkins-trigger/internal/runnertest"
)

func newTestReporter(t *testing.T, env map[string]string) (Reporter, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	r, err := New(Env{Getenv: func(k string) string { return env[k] }, Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	return r, &stdout, &stderr
}

var token = regexp.MustCompile(`[A-Z2-7]{26}`)

// one is the summary of a step with one build.
func one(bs BuildSummary) Summary { return Summary{Builds: []BuildSummary{bs}} }

func TestGitHubConsoleCannotIssueCommands(t *testing.T) {
	t.Parallel()
	r, stdout, _ := newTestReporter(t, map[string]string{"GITHUB_ACTIONS": "true"})
	c := r.Console("deploy #7 console", "")
	c.Write([]byte("::endgroup::\n::error::fake\npartial"))
	r.Warning("slow")
	c.Write([]byte("line\n"))
	c.Close()
	r.Verdict(Verdict{Job: "deploy", Number: 7, Result: build.Failure, URL: "https://ci/job/deploy/7/", Duration: "3s"})
	r.Error("after the verdict")
	got := token.ReplaceAllString(stdout.String(), "TOKEN")
	want := `::group::deploy #7 console
::stop-commands::TOKEN
::endgroup::
::error::fake
partial
::TOKEN::
::warning::slow
::stop-commands::TOKEN
line
::TOKEN::
::endgroup::
::error::FAILURE: deploy #7 in 3s https://ci/job/deploy/7/
Error: after the verdict
`
	if got != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
	}
	tokens := token.FindAllString(stdout.String(), -1)
	if len(tokens) != 4 || tokens[0] != tokens[1] || tokens[2] != tokens[3] || tokens[0] == tokens[2] {
		t.Errorf("stop tokens = %v: each pair must match and pairs must differ", tokens)
	}
}

func TestVerdictLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		result              build.Result
		stage, duration     string
		github, plain, name string
	}{
		{build.Success, "", "3s", "SUCCESS: deploy #7 in 3s https://ci/7/\n", "", ""},
		{build.Unstable, "", "3s", "::warning::UNSTABLE: deploy #7 in 3s https://ci/7/\n", "", ""},
		{build.Failure, "", "3s", "::error::FAILURE: deploy #7 in 3s https://ci/7/\n", "", ""},
		{build.Aborted, "", "3s", "::error::ABORTED: deploy #7 in 3s https://ci/7/\n", "", ""},
		{build.NotBuilt, "", "3s", "::error::NOT_BUILT: deploy #7 in 3s https://ci/7/\n", "", ""},
		{build.Cancelled, "", "", "::error::CANCELLED: deploy #7 https://ci/7/\n", "", ""},
		{build.Timeout, "", "2m0s", "::error::TIMEOUT: deploy #7 after 2m0s https://ci/7/\n", "", ""},
		{build.Failure, "Integration Tests", "3m", "::error::FAILURE in stage Integration Tests: deploy #7 in 3m https://ci/7/\n", "", "failure in stage"},
		{build.Unstable, "Test", "3m", "::warning::UNSTABLE in stage Test: deploy #7 in 3m https://ci/7/\n", "", "unstable in stage"},
		{build.Aborted, "Approve", "1m", "::error::ABORTED in stage Approve: deploy #7 in 1m https://ci/7/\n", "", "aborted in stage"},
		{build.Failure, "Deploy s3cr_t", "3m", "::error::FAILURE in stage Deploy ***: deploy #7 in 3m https://ci/7/\n", "", "masked stage"},
	}
	for _, tt := range tests {
		if tt.name == "" {
			tt.name = string(tt.result)
		}
		if tt.plain == "" {
			tt.plain = "» " + strings.TrimPrefix(strings.TrimPrefix(tt.github, "::warning::"), "::error::")
		}
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, env := range []map[string]string{{"GITHUB_ACTIONS": "true"}, {}} {
				r, stdout, _ := newTestReporter(t, env)
				r.Mask("s3cr_t")
				stdout.Reset()
				r.Verdict(Verdict{Job: "deploy", Number: 7, Result: tt.result, URL: "https://ci/7/", Duration: tt.duration, FailedStage: tt.stage})
				want := tt.plain
				if env["GITHUB_ACTIONS"] != "" {
					want = tt.github
				}
				if stdout.String() != want {
					t.Errorf("github=%v: got %q, want %q", env["GITHUB_ACTIONS"] != "", stdout.String(), want)
				}
			}
		})
	}
}

func TestPlainConsoleEndsItsLine(t *testing.T) {
	t.Parallel()
	r, stdout, _ := newTestReporter(t, map[string]string{})
	c := r.Console("deploy #7 console", "")
	c.Write([]byte("downloading..."))
	r.Status("still running: 30s")
	c.Write([]byte("done"))
	c.Close()
	r.Verdict(Verdict{Job: "deploy", Number: 7, Result: build.Success})
	want := "» deploy #7 console\ndownloading...\n» still running: 30s\ndone\n» SUCCESS: deploy #7\n"
	if stdout.String() != want {
		t.Errorf("got %q, want %q", stdout.String(), want)
	}
}

func TestSummaryOnlyWithStepSummaryFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"github with file", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md")}, true},
		{"github without file", map[string]string{"GITHUB_ACTIONS": "true"}, false},
		{"plain", map[string]string{"GITHUB_STEP_SUMMARY": filepath.Join(dir, "plain.md")}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, _, _ := newTestReporter(t, tt.env)
			if r.WantsSummary() != tt.want {
				t.Errorf("WantsSummary = %v", r.WantsSummary())
			}
			r.Summary(Summary{Builds: []BuildSummary{{Job: "deploy", Result: build.Success}}})
			_, err := os.Stat(tt.env["GITHUB_STEP_SUMMARY"])
			if (err == nil) != tt.want {
				t.Errorf("summary file written: %v, want %v", err == nil, tt.want)
			}
		})
	}
}

// TestLaterWriteFailures checks that a file that was writable when the
// reporter was made and is gone later gives an error or a warning, never a
// panic.
func TestLaterWriteFailures(t *testing.T) {
	t.Parallel()
	for _, github := range []bool{true, false} {
		t.Run(fmt.Sprintf("github=%v", github), func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "gone")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"GITHUB_OUTPUT": filepath.Join(dir, "out"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md")}
			if github {
				env["GITHUB_ACTIONS"] = "true"
			}
			r, stdout, _ := newTestReporter(t, env)
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			err := r.Output(contract.OutputBuildURL, "https://ci/7/")
			if err == nil || !strings.HasPrefix(err.Error(), "write step output build_url: ") || !strings.Contains(err.Error(), "no such file or directory") {
				t.Errorf("Output error = %v", err)
			}
			r.Summary(Summary{Builds: []BuildSummary{{Job: "deploy", Result: build.Success}}})
			if want := "::warning::cannot write the step summary: "; github != strings.HasPrefix(stdout.String(), want) {
				t.Errorf("stdout = %q, want a warning: %v", stdout.String(), github)
			}
		})
	}
}

// TestUnwritableFiles checks that New names a file it cannot write before
// anything is sent, and still gives a reporter that writes no files.
func TestUnwritableFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing", "file")
	good := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name   string
		env    map[string]string
		dotenv string
		want   *FileError // nil: no error
		line   string
	}{
		{"GITHUB_OUTPUT on GitHub", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": missing, "GITHUB_STEP_SUMMARY": good("s1")}, good("d1"),
			&FileError{Name: "GITHUB_OUTPUT", Path: missing}, "cannot write GITHUB_OUTPUT (" + missing + "): no such file or directory"},
		{"GITHUB_OUTPUT in plain mode", map[string]string{"GITHUB_OUTPUT": missing}, "",
			&FileError{Name: "GITHUB_OUTPUT", Path: missing}, "cannot write GITHUB_OUTPUT (" + missing + "): no such file or directory"},
		{"GITHUB_STEP_SUMMARY on GitHub", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": good("o3"), "GITHUB_STEP_SUMMARY": missing}, "",
			&FileError{Name: "GITHUB_STEP_SUMMARY", Path: missing}, "cannot write GITHUB_STEP_SUMMARY (" + missing + "): no such file or directory"},
		{"GITHUB_STEP_SUMMARY ignored in plain mode", map[string]string{"GITHUB_STEP_SUMMARY": missing}, "", nil, ""},
		{"dotenv", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": good("o5")}, missing,
			&FileError{Name: "dotenv", Path: missing}, "input dotenv (JENKINS_DOTENV): cannot write " + missing + ": no such file or directory"},
		{"a directory", map[string]string{"GITHUB_OUTPUT": dir}, "",
			&FileError{Name: "GITHUB_OUTPUT", Path: dir}, "cannot write GITHUB_OUTPUT (" + dir + "): is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			r, err := New(Env{Getenv: func(k string) string { return tt.env[k] }, Stdout: &stdout, Stderr: &stderr, Dotenv: tt.dotenv})
			if r == nil {
				t.Fatal("no reporter")
			}
			if tt.want == nil {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Name != tt.want.Name || fe.Path != tt.want.Path || err.Error() != tt.line {
				t.Fatalf("New error = %#v (%v), want %s %s: %q", err, err, tt.want.Name, tt.want.Path, tt.line)
			}
			if r.WantsSummary() {
				t.Error("the reporter of a failed New wants a summary")
			}
			if err := r.Output(contract.OutputResult, "SUCCESS"); err != nil {
				t.Errorf("Output: %v", err)
			}
			r.Summary(Summary{Builds: []BuildSummary{{Job: "deploy", Result: build.Success}}})
			r.Error("%v", err)
			for _, k := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
				if p := tt.env[k]; p != "" && p != missing && p != dir {
					if data, _ := os.ReadFile(p); len(data) > 0 {
						t.Errorf("%s written: %q", k, data)
					}
				}
			}
			if _, err := os.Stat(tt.dotenv); tt.dotenv != "" && tt.dotenv != missing && err == nil {
				t.Errorf("dotenv %s created after an earlier error", tt.dotenv)
			}
			if !strings.Contains(stdout.String()+stderr.String(), tt.line) {
				t.Errorf("error not printed: %q %q", stdout.String(), stderr.String())
			}
		})
	}
}

// TestOutputs checks that outputs reach GITHUB_OUTPUT whenever it is set,
// on GitHub or not, and the dotenv file, each one line.
func TestOutputs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  map[string]string
	}{
		{"github", map[string]string{"GITHUB_ACTIONS": "true"}},
		{"plain", map[string]string{}},
		{"plain, GITHUB_ACTIONS false", map[string]string{"GITHUB_ACTIONS": "false"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out, dot := filepath.Join(dir, "out"), filepath.Join(dir, "jenkins.env")
			if err := os.WriteFile(out, []byte("earlier<<EOF\nstep\nEOF\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			tt.env["GITHUB_OUTPUT"] = out
			var stdout, stderr bytes.Buffer
			r, err := New(Env{Getenv: func(k string) string { return tt.env[k] }, Stdout: &stdout, Stderr: &stderr, Dotenv: dot})
			if err != nil {
				t.Fatal(err)
			}
			d := "_GitHubActionsFileCommandDelimeter_" // go-githubactions' own
			for _, o := range [][2]string{{contract.OutputBuildNumber, "7"}, {contract.OutputFailedStage, "Deploy\n" + d + "\nresult<<X\nSUCCESS"}, {"failed_job", d}} {
				if err := r.Output(o[0], o[1]); err != nil {
					t.Fatal(err)
				}
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			got, err := runnertest.ParseOutputs(string(data))
			if err != nil {
				t.Fatalf("GITHUB_OUTPUT as the runner reads it: %v\n%s", err, data)
			}
			want := [][2]string{{"earlier", "step"}, {contract.OutputBuildNumber, "7"}, {contract.OutputFailedStage, "Deploy " + d + " result<<X SUCCESS"}, {"failed_job", d}}
			if !slices.Equal(got, want) {
				t.Errorf("GITHUB_OUTPUT has %q, want %q:\n%s", got, want, data)
			}
			if delims := regexp.MustCompile(`(?m)^build_number<<(ghadelimiter_.+)\n7\n(.+)\n`).FindStringSubmatch(string(data)); delims == nil || delims[1] != delims[2] || strings.Count(string(data), delims[1]) != 2 {
				t.Errorf("each write has a delimiter of its own, ghadelimiter_ and random:\n%s", data)
			}
			data, err = os.ReadFile(dot)
			if err != nil {
				t.Fatal(err)
			}
			if want := "JENKINS_BUILD_NUMBER=7\nJENKINS_FAILED_STAGE=Deploy " + d + " result<<X SUCCESS\nJENKINS_FAILED_JOB=" + d + "\n"; string(data) != want {
				t.Errorf("dotenv:\n%s\nwant:\n%s", data, want)
			}
			if stdout.Len() > 0 || stderr.Len() > 0 {
				t.Errorf("printed %q %q", stdout.String(), stderr.String())
			}
		})
	}
}

// TestOutputsNeverAltered: an output is written as it is, whatever
// secret it seems to hold where it is a URL, a number or a result, however
// short or common the secret; one whose text (a stage or job name) holds a
// secret, in any form, is withheld, with an error that names it once.
func TestOutputsNeverAltered(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{{"GITHUB_ACTIONS": "true"}, {}} {
		t.Run(fmt.Sprintf("github=%v", env["GITHUB_ACTIONS"] != ""), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out, dot := filepath.Join(dir, "out"), filepath.Join(dir, "jenkins.env")
			env["GITHUB_OUTPUT"] = out
			var stdout, stderr bytes.Buffer
			r, err := New(Env{Getenv: func(k string) string { return env[k] }, Stdout: &stdout, Stderr: &stderr, Dotenv: dot})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{"1000", "http", "1", `s3cr"t-value`} {
				r.Mask(s)
			}
			kept := [][2]string{
				{contract.OutputBuildNumber, "1"},
				{contract.OutputDurationMS, "1000"},
				{contract.OutputBuildURL, "http://ci/job/deploy/1/"},
				{contract.OutputResult, "SUCCESS"},
				{contract.OutputBuilds, `[{"job":"deploy","build_url":"http://ci/job/deploy/1/s3cr\"t-value","build_number":1,"duration_ms":1000,"failed_stage":null}]`},
			}
			for _, o := range kept {
				if err := r.Output(o[0], o[1]); err != nil {
					t.Errorf("Output(%s) = %v", o[0], err)
				}
			}
			withheld := []struct{ name, value, err string }{
				{contract.OutputFailedStage, "Deploy with s3cr&#34;t-value", "output failed_stage is withheld: Jenkins echoed a secret into it"},
				{contract.OutputFailedStage, `Deploy with s3cr"t-value`, ""},
				{contract.OutputBuilds, `[{"job":"deploy","build_number":1,"failed_stage":"Deploy s3cr\u0022t-value"}]`, "output builds is withheld: Jenkins echoed a secret into its failed_stage"},
			}
			for _, o := range withheld {
				if err := r.Output(o.name, o.value); fmt.Sprint(err) != cmp.Or(o.err, "<nil>") {
					t.Errorf("Output(%s, %q) = %v, want %s", o.name, o.value, err, o.err)
				}
			}
			for _, path := range []string{out, dot} {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range kept {
					if !bytes.Contains(data, []byte(o[1]+"\n")) {
						t.Errorf("%s lacks %s=%s:\n%s", path, o[0], o[1], data)
					}
				}
				if bytes.Contains(data, []byte("Deploy")) || bytes.Contains(data, []byte("***")) {
					t.Errorf("%s:\n%s", path, data)
				}
			}
		})
	}
}

// TestDotenvOverGitLabLimit: the output that takes the dotenv file past
// what GitLab accepts is written, and a warning says so once.
func TestDotenvOverGitLabLimit(t *testing.T) {
	t.Parallel()
	dot := filepath.Join(t.TempDir(), "jenkins.env")
	var stdout, stderr bytes.Buffer
	r, err := New(Env{Getenv: func(string) string { return "" }, Stdout: &stdout, Stderr: &stderr, Dotenv: dot})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Output(contract.OutputResult, "FAILURE"); err != nil {
		t.Fatal(err)
	}
	big := "[" + strings.Repeat(`{"job":"team/deploy"},`, 240) + "{}]"
	err = r.Output(contract.OutputBuilds, big)
	if err == nil || !strings.Contains(err.Error(), "with JENKINS_BUILDS, over the 5120 bytes GitLab accepts") {
		t.Errorf("Output(builds) = %v", err)
	}
	if err := r.Output(contract.OutputBuildNumber, "7"); err != nil {
		t.Errorf("a second output past the limit: %v", err)
	}
	data, err := os.ReadFile(dot)
	if err != nil {
		t.Fatal(err)
	}
	if want := "JENKINS_RESULT=FAILURE\nJENKINS_BUILDS=" + big + "\nJENKINS_BUILD_NUMBER=7\n"; string(data) != want {
		t.Errorf("dotenv has %d bytes, want %d", len(data), len(want))
	}
}

func TestSummaryMarkdown(t *testing.T) {
	t.Parallel()
	mask := func(s string) string { return strings.ReplaceAll(s, "s3cr_t", "***") }
	tests := []struct {
		name     string
		s        Summary
		contains []string
		absent   []string
	}{
		{
			name: "secret-looking names hidden, files by name",
			s: one(BuildSummary{Job: "deploy", Number: 7, URL: "https://ci/job/deploy/7/", Result: build.Success, Params: []build.Param{
				{Name: "VERSION", Value: "1.2.3"}, {Name: "db_password", Value: "hunter2"}, {Name: "ApiKey", Value: "k"},
				{Name: "GH_TOKEN", Value: "t"}, {Name: "Secret_Sauce", Value: "x"},
				{Name: "PIPE", Value: "a|b"}, {Name: "TICK", Value: "a`b"}, {Name: "EMPTY"},
			}, Files: []build.File{{Name: "BUNDLE", Path: "/tmp/dist/app.tgz"}}}),
			contains: []string{"| `VERSION` | `1.2.3` |", "| `db_password` | `***` |", "| `ApiKey` | `***` |", "| `GH_TOKEN` | `***` |",
				"| `Secret_Sauce` | `***` |", "| `BUNDLE` | file `app.tgz` |", "| `PIPE` | `a\\|b` |", "| `TICK` | ``a`b`` |", "| `EMPTY` | (empty) |"},
			absent: []string{"hunter2", "`k`", "`t`", "`x`"},
		},
		{
			name:     "masked before escaping",
			s:        one(BuildSummary{Job: "deploy", Result: build.Failure, Number: 7, Params: []build.Param{{Name: "NOTE", Value: "has s3cr_t in it"}}, Notes: []string{"failed with s3cr_t"}}),
			contains: []string{"`has *** in it`", "failed with \\*\\*\\*"},
			absent:   []string{"s3cr", `s3cr\_t`},
		},
		{
			name:     "never started",
			s:        one(BuildSummary{Job: "deploy", URL: "https://ci/queue/item/4/", Result: build.Cancelled}),
			contains: []string{"### ❌ Jenkins: deploy CANCELLED", "| not started ([queue item](https://ci/queue/item/4/)) | CANCELLED | – | – |"},
		},
		{
			name:     "reached wait_for",
			s:        one(BuildSummary{Job: "deploy", Number: 7, URL: "https://ci/7/"}),
			contains: []string{"### Jenkins: deploy #7 started", "| [#7](https://ci/7/) | – |"},
		},
		{
			name: "tests with more failures than shown",
			s: one(BuildSummary{Job: "deploy", Number: 7, Result: build.Unstable, Tests: &build.TestRun{Passed: 5, Failed: 12, Skipped: 1, URL: "https://ci/7/testReport/",
				Suites: []build.TestSuite{{Name: "p.T", Cases: []build.TestCase{
					{ClassName: "p.T", Name: "ok", Status: build.TestPassed},
					{ClassName: "p.T", Name: "a_b", Status: build.TestFailed, URL: "https://ci/7/testReport/(root)/T/a_b/", ErrorDetails: "\nexpected <1>\nbut was <2>"},
				}}}}}),
			contains: []string{"**Tests:** 5 passed, 12 failed, 1 skipped ([test report](https://ci/7/testReport/))",
				"- [p.T.a\\_b](https://ci/7/testReport/%28root%29/T/a_b/): expected \\<1\\>\n", "- … and 11 more in the [test report](https://ci/7/testReport/)"},
		},
		{
			name:   "no tests, no section",
			s:      one(BuildSummary{Job: "deploy", Number: 7, Result: build.Success}),
			absent: []string{"Tests", "Parameters"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			md := tt.s.markdown(mask)
			for _, want := range tt.contains {
				if !strings.Contains(md, want) {
					t.Errorf("missing %q in:\n%s", want, md)
				}
			}
			for _, bad := range tt.absent {
				if strings.Contains(md, bad) {
					t.Errorf("unexpected %q in:\n%s", bad, md)
				}
			}
		})
	}
}

func TestJUnitXML(t *testing.T) {
	t.Parallel()
	report := &build.TestRun{Duration: 1.25, Failed: 1, Passed: 1, Skipped: 1, Suites: []build.TestSuite{{
		Name: "p.T", Duration: 1.25, Timestamp: "2026-11-23T09:00:00",
		Cases: []build.TestCase{
			{ClassName: "p.T", Name: "ok", Status: build.TestPassed, Duration: 0.5},
			{ClassName: "p.T", Name: "bad", Status: build.TestFailed, Duration: 0.75, ErrorDetails: "expected <1> & token s3cr_t", ErrorStackTrace: "at p.T.bad\n\x1b[31mred\x1b[0m"},
			{ClassName: "p.T", Name: "later", Status: build.TestSkipped, SkippedMessage: "not today"},
		},
	}}}
	data, err := junitXML("deploy #7", report, func(s string) string { return strings.ReplaceAll(s, "s3cr_t", "***") })
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Name   string `xml:"name,attr"`
		Tests  int    `xml:"tests,attr"`
		Suites []struct {
			Failures int `xml:"failures,attr"`
			Skipped  int `xml:"skipped,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Time    string `xml:"time,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &got); err != nil {
		t.Fatalf("not XML: %v\n%s", err, data)
	}
	if got.Name != "deploy #7" || got.Tests != 3 || len(got.Suites) != 1 || got.Suites[0].Failures != 1 || got.Suites[0].Skipped != 1 {
		t.Fatalf("got %+v", got)
	}
	cases := got.Suites[0].Cases
	if cases[0].Failure != nil || cases[0].Skipped != nil || cases[0].Time != "0.500" {
		t.Errorf("passed case = %+v", cases[0])
	}
	if f := cases[1].Failure; f == nil || f.Message != "expected <1> & token ***" || !strings.HasPrefix(f.Text, "at p.T.bad\n") || strings.Contains(f.Text, "\x1b") {
		t.Errorf("failed case = %+v", cases[1].Failure)
	}
	if s := cases[2].Skipped; s == nil || s.Message != "not today" {
		t.Errorf("skipped case = %+v", cases[2])
	}
}

// FuzzMarkdownCell checks that a parameter of any name and value stays in
// its one table row.
func FuzzMarkdownCell(f *testing.F) {
	for _, s := range []string{"", "a|b", "`", "``x``", "line\nbreak", "\\|", "a\\", "<b>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		md := one(BuildSummary{Job: "j", Result: build.Success, Params: []build.Param{{Name: s, Value: s}}}).markdown(func(s string) string { return s })
		i := strings.Index(md, "| Name | Value |\n|---|---|\n")
		if i < 0 {
			t.Fatalf("no parameter table:\n%s", md)
		}
		row := strings.TrimSuffix(md[i+len("| Name | Value |\n|---|---|\n"):], "\n")
		if strings.Contains(row, "\n") {
			t.Fatalf("row spans lines: %q", row)
		}
		if pipes := cellSeparators(row); pipes != 3 {
			t.Fatalf("row %q has %d cell separators", row, pipes)
		}
	})
}

// FuzzJUnitXML checks that any names, messages and stack traces give a
// file a JUnit parser reads back, with the trace's lines intact.
func FuzzJUnitXML(f *testing.F) {
	f.Add("p.T", "t", "boom", "at p.T.t\n\tat x]]>y\x1b[31m")
	f.Add("", "", "", "")
	f.Add("a&b", "<c>", "\"d\"", "\xff\r\n")
	f.Fuzz(func(t *testing.T, className, name, details, trace string) {
		report := &build.TestRun{Suites: []build.TestSuite{{Name: className, Cases: []build.TestCase{
			{ClassName: className, Name: name, Status: build.TestFailed, ErrorDetails: details, ErrorStackTrace: trace},
		}}}}
		data, err := junitXML(name, report, func(s string) string { return s })
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Suites []struct {
				Cases []struct {
					Failure struct {
						Text string `xml:",chardata"`
					} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(data, &got); err != nil {
			t.Fatalf("unreadable: %v\n%s", err, data)
		}
		if len(got.Suites) != 1 || len(got.Suites[0].Cases) != 1 {
			t.Fatalf("got %+v from\n%s", got, data)
		}
		want := trace
		if want == "" {
			want = details
		}
		// XML readers turn every line break into "\n".
		crlf := strings.NewReplacer("\r\n", "\n", "\r", "\n")
		if g, w := got.Suites[0].Cases[0].Failure.Text, crlf.Replace(xmlChars(want)); g != w {
			t.Fatalf("trace %q read back as %q", w, g)
		}
	})
}

func TestNotice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		console bool
		want    string
	}{
		{"github", map[string]string{"GITHUB_ACTIONS": "true"}, false,
			"::notice::deploy #7 waits for input: Ship ***? Answer at https://ci/7/input/\n"},
		{"github during the console", map[string]string{"GITHUB_ACTIONS": "true"}, true,
			"::group::deploy #7 console\n::stop-commands::TOKEN\nwaiting\n::TOKEN::\n" +
				"::notice::deploy #7 waits for input: Ship ***? Answer at https://ci/7/input/\n" +
				"::stop-commands::TOKEN\n::TOKEN::\n::endgroup::\n"},
		{"plain", map[string]string{}, false,
			"» deploy #7 waits for input: Ship ***? Answer at https://ci/7/input/\n"},
		{"plain during the console", map[string]string{}, true,
			"» deploy #7 console\nwaiting\n» deploy #7 waits for input: Ship ***? Answer at https://ci/7/input/\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, stdout, stderr := newTestReporter(t, tt.env)
			r.Mask("s3cr_t")
			stdout.Reset()
			var c io.WriteCloser
			if tt.console {
				c = r.Console("deploy #7 console", "")
				c.Write([]byte("waiting"))
			}
			r.Notice("deploy #%d waits for input: %s Answer at %s", 7, "Ship s3cr_t?", "https://ci/7/input/")
			if tt.console {
				c.Close()
			}
			if got := token.ReplaceAllString(stdout.String(), "TOKEN"); got != tt.want {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, tt.want)
			}
			if stderr.Len() > 0 {
				t.Errorf("stderr = %q", stderr.String())
			}
		})
	}
}

// brokenWriter fails every write, as a closed stdout does.
type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// TestGitHubBrokenStdoutDoesNotPanic checks that no workflow command
// panics the process when stdout cannot be written.
func TestGitHubBrokenStdoutDoesNotPanic(t *testing.T) {
	t.Parallel()
	r, err := New(Env{Getenv: func(k string) string { return map[string]string{"GITHUB_ACTIONS": "true"}[k] }, Stdout: brokenWriter{}, Stderr: brokenWriter{}})
	if err != nil {
		t.Fatal(err)
	}
	r.Mask("s3cr_t")
	r.Status("status")
	r.Notice("notice")
	c := r.Console("deploy #7 console", "")
	c.Write([]byte("line\n"))
	r.Warning("warning")
	r.Error("error")
	c.Close()
	r.Console("", "deploy #7").Write([]byte("labelled\n"))
	r.Verdict(Verdict{Job: "deploy", Number: 7, Result: build.Failure})
	r.Verdict(Verdict{Job: "deploy", Number: 7, Result: build.Unstable})
	r.Error("after")
}

// TestWriteJUnit checks the file WriteJUnit leaves, masked, in both modes,
// and the error for a path that cannot be written.
func TestWriteJUnit(t *testing.T) {
	t.Parallel()
	run := &build.TestRun{Passed: 1, Failed: 1, Suites: []build.TestSuite{{Name: "p.T", Cases: []build.TestCase{
		{ClassName: "p.T", Name: "ok", Status: build.TestPassed},
		{ClassName: "p.T", Name: "bad", Status: build.TestFailed, ErrorDetails: "token s3cr_t"},
	}}}}
	for _, env := range []map[string]string{{"GITHUB_ACTIONS": "true"}, {}} {
		t.Run(fmt.Sprintf("github=%v", env["GITHUB_ACTIONS"] != ""), func(t *testing.T) {
			t.Parallel()
			r, _, _ := newTestReporter(t, env)
			r.Mask("s3cr_t")
			dir := t.TempDir()
			path := filepath.Join(dir, "junit.xml")
			if err := r.WriteJUnit(path, "deploy #7", run); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(data, []byte(`<failure message="token ***">`)) || bytes.Contains(data, []byte("s3cr")) {
				t.Errorf("junit.xml:\n%s", data)
			}
			bad := filepath.Join(dir, "missing", "junit.xml")
			if err := r.WriteJUnit(bad, "deploy #7", run); err == nil || err.Error() != "write junit "+bad+": no such file or directory" {
				t.Errorf("error = %v", err)
			}
		})
	}
}

// TestLabelledConsoles: several consoles written at once never mix two
// builds' text on one line, each line carries its label, a partial line
// waits for its end, and a line longer than the bound comes in pieces.
func TestLabelledConsoles(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{{"GITHUB_ACTIONS": "true"}, {}} {
		t.Run(fmt.Sprintf("github=%v", env["GITHUB_ACTIONS"] != ""), func(t *testing.T) {
			t.Parallel()
			var stdout syncBuffer
			r, err := New(Env{Getenv: func(k string) string { return env[k] }, Stdout: &stdout, Stderr: &stdout})
			if err != nil {
				t.Fatal(err)
			}
			labels := []string{"team/a #1", "team/b #2", "team/c #3"}
			var wg sync.WaitGroup
			for _, label := range labels {
				wg.Go(func() {
					c := r.Console(label+" console", label)
					for i := range 200 {
						// Lines split at odd places across writes.
						fmt.Fprintf(c, "%s line %d", label, i)
						c.Write([]byte(" end\n"))
						if i%50 == 0 {
							r.Status("%s status %d", label, i)
						}
					}
					c.Write([]byte(label + " no new line at the end"))
					c.Close()
				})
			}
			wg.Wait()
			counts := map[string]int{}
			github := env["GITHUB_ACTIONS"] != ""
			stopToken := ""
			for _, line := range strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n") {
				// On GitHub, workflow commands are stopped around the
				// consoles: the runner takes "##[command]" anywhere in a
				// line, so a label does not disarm one.
				if token, ok := strings.CutPrefix(line, "::stop-commands::"); github && ok && stopToken == "" {
					stopToken = token
					continue
				}
				if github && stopToken != "" && line == "::"+stopToken+"::" {
					stopToken = ""
					continue
				}
				label, rest, ok := strings.Cut(line, " | ")
				if !ok {
					if !strings.Contains(line, "status") {
						t.Errorf("unlabelled line %q", line)
					}
					continue
				}
				if github && stopToken == "" {
					t.Errorf("a console line while workflow commands run: %q", line)
				}
				if !strings.HasPrefix(rest, label+" ") {
					t.Errorf("line of %s mixes text: %q", label, line)
				}
				counts[label]++
			}
			for _, label := range labels {
				if counts[label] != 201 {
					t.Errorf("%s: %d lines, want 201", label, counts[label])
				}
			}
		})
	}
}

func TestLabelledConsoleLongLine(t *testing.T) {
	t.Parallel()
	r, stdout, _ := newTestReporter(t, map[string]string{})
	c := r.Console("", "x #1")
	long := strings.Repeat("y", maxHeld+10)
	c.Write([]byte(long))
	c.Write([]byte("z\n"))
	c.Close()
	// The held text goes out once it passes the bound; the line's rest
	// follows on a labelled line of its own.
	want := "x #1 | " + long + "\nx #1 | z\n"
	if stdout.String() != want {
		t.Errorf("got %d bytes, want the line in two labelled pieces", stdout.Len())
	}
}

// syncBuffer is a bytes.Buffer safe for several writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDotenvRewritten: a name written again replaces its line, as GitLab
// reads the file (the last line of a name wins, every line counts against
// the size limit), and no temporary file is left beside it.
func TestDotenvRewritten(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dot := filepath.Join(dir, "jenkins.env")
	var stdout, stderr bytes.Buffer
	r, err := New(Env{Getenv: func(string) string { return "" }, Stdout: &stdout, Stderr: &stderr, Dotenv: dot})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range [][2]string{
		{contract.OutputBuilds, `[{"job":"a","build_number":null}]`},
		{contract.OutputQueueURL, "http://j/queue/item/1/"},
		{contract.OutputBuilds, `[{"job":"a","build_number":7}]`},
	} {
		if err := r.Output(o[0], o[1]); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(dot)
	if err != nil {
		t.Fatal(err)
	}
	if want := "JENKINS_BUILDS=[{\"job\":\"a\",\"build_number\":7}]\nJENKINS_QUEUE_URL=http://j/queue/item/1/\n"; string(data) != want {
		t.Errorf("dotenv:\n%s\nwant:\n%s", data, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the dotenv's directory, want 1", len(entries))
	}
}
