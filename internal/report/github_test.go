package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
)

// attacks are texts Jenkins may send that would be workflow commands if
// printed as they are.
var attacks = []string{
	"##[error]INJ",
	"::error::INJ",
	"  ::warning::INJ",
	"\t::add-mask::INJ",
	"\u2028::error::INJ",
	"a\r::error::INJ",
	"a\n::notice::INJ",
	"a\r\n  ::group::INJ",
	"x ##[stop-commands]T",
	"###[error]INJ",
	"%0A::error::INJ",
	"_GitHubActionsFileCommandDelimeter_",
}

// TestGitHubJenkinsTextCannotCommand: text from Jenkins in any of the
// tool's own lines (a stage, a queue reason, a job or an input message)
// forms no workflow command, alone or after the tool's own words, in a
// line or an annotation, while the tool's own commands still work.
func TestGitHubJenkinsTextCannotCommand(t *testing.T) {
	t.Parallel()
	printers := map[string]func(r Reporter, s string){
		"status":  func(r Reporter, s string) { r.Status("Stage %s: FAILED in 1s", s) },
		"bare":    func(r Reporter, s string) { r.Status("%s", s) },
		"notice":  func(r Reporter, s string) { r.Notice("%s", s) },
		"warning": func(r Reporter, s string) { r.Warning("waiting: %s", s) },
		"error":   func(r Reporter, s string) { r.Error("%s", s) },
		"verdict": func(r Reporter, s string) {
			r.Verdict(Verdict{Job: s, Number: 1, Result: build.Failure, FailedStage: s})
		},
		"success":        func(r Reporter, s string) { r.Verdict(Verdict{Job: s, Number: 1, Result: build.Success}) },
		"group":          func(r Reporter, s string) { r.Console(s+" #1 console", "").Close() },
		"labelled":       func(r Reporter, s string) { c := r.Console("", s+" #1"); fmt.Fprintln(c, s); c.Close() },
		"after an error": func(r Reporter, s string) { r.Error("x"); r.Error("%s", s) },
	}
	for name, print := range printers {
		for _, s := range attacks {
			t.Run(fmt.Sprintf("%s %q", name, s), func(t *testing.T) {
				t.Parallel()
				r, stdout, _ := newTestReporter(t, map[string]string{"GITHUB_ACTIONS": "true"})
				print(r, s)
				r.End()
				if _, err := commands(stdout.String()); err != nil {
					t.Errorf("%v\nstdout:\n%s", err, stdout.String())
				}
			})
		}
	}
}

// TestGitHubInertReadsTheSame: what is made inert reads as it came, a
// zero-width space apart, and the tool's own commands are left alone.
func TestGitHubInertReadsTheSame(t *testing.T) {
	t.Parallel()
	r, stdout, _ := newTestReporter(t, map[string]string{"GITHUB_ACTIONS": "true"})
	r.Mask("s3cr_t")
	r.Status("Stage %s: FAILED in 1s", "##[error]INJ")
	r.Status("queued: %s", "waiting\n  ::error::s3cr_t")
	r.Notice("%s", "::notice::Deploy?")
	r.Verdict(Verdict{Job: "deploy", Number: 7, Result: build.Failure, FailedStage: "##[group]x"})
	want := "::add-mask::s3cr_t\n" +
		"Stage ##\u200b[error]INJ: FAILED in 1s\n" +
		"queued: waiting\n  \u200b::error::***\n" +
		"::notice::\u200b::notice::Deploy?\n" +
		"::error::FAILURE in stage ##\u200b[group]x: deploy #7\n"
	if got := stdout.String(); got != want {
		t.Errorf("stdout:\n%q\nwant:\n%q", got, want)
	}
}

// TestGitHubAnnotationLimit: GitHub shows 10 annotations of a kind a
// step. Past 9, the verdicts are lines, and at the end one more annotation
// names them; a tenth alone is annotated as itself.
func TestGitHubAnnotationLimit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		failed, unstable int
		want             []string // the annotations, in order
	}{
		{failed: 3, unstable: 2, want: []string{"error FAILURE: job1 #1", "error FAILURE: job2 #1", "error FAILURE: job3 #1",
			"warning UNSTABLE: job1 #1", "warning UNSTABLE: job2 #1"}},
		{failed: 10, want: append(numbered("error FAILURE: job%d #1", 1, 9), "error FAILURE: job10 #1")},
		{failed: 13, unstable: 11, want: append(append(numbered("error FAILURE: job%d #1", 1, 9),
			"error 4 more, past the 10 annotations GitHub shows of a kind; each is in the log: FAILURE: job10 #1; FAILURE: job11 #1; FAILURE: job12 #1; FAILURE: job13 #1"),
			append(numbered("warning UNSTABLE: job%d #1", 1, 9),
				"warning 2 more, past the 10 annotations GitHub shows of a kind; each is in the log: UNSTABLE: job10 #1; UNSTABLE: job11 #1")...)},
	} {
		t.Run(fmt.Sprintf("%d failed %d unstable", tt.failed, tt.unstable), func(t *testing.T) {
			t.Parallel()
			r, stdout, _ := newTestReporter(t, map[string]string{"GITHUB_ACTIONS": "true"})
			for i := 1; i <= max(tt.failed, tt.unstable); i++ {
				if i <= tt.failed {
					r.Verdict(Verdict{Job: fmt.Sprintf("job%d", i), Number: 1, Result: build.Failure})
				}
				if i <= tt.unstable {
					r.Verdict(Verdict{Job: fmt.Sprintf("job%d", i), Number: 1, Result: build.Unstable})
				}
			}
			r.End()
			r.Error("the step failed")
			cmds, err := commands(stdout.String())
			if err != nil {
				t.Fatal(err)
			}
			var errs, warns []string
			for _, c := range cmds {
				switch c[0] {
				case "error":
					errs = append(errs, c[0]+" "+c[1])
				case "warning":
					warns = append(warns, c[0]+" "+c[1])
				}
			}
			if got := append(errs, warns...); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("annotations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			// Each verdict is in the log, an annotation or a line.
			for i := 1; i <= tt.failed; i++ {
				if !strings.Contains(stdout.String(), fmt.Sprintf("FAILURE: job%d #1\n", i)) {
					t.Errorf("FAILURE of job%d not in the log", i)
				}
			}
		})
	}
}

func numbered(format string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf(format, i))
	}
	return out
}
