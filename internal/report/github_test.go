package report

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/runnertest"
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
				if _, err := runnertest.Commands(stdout.String()); err != nil {
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
	r.Mask("s3cr3tQ")
	r.Status("Stage %s: FAILED in 1s", "##[error]INJ")
	r.Status("queued: %s", "waiting\n  ::error::s3cr3tQ")
	r.Notice("%s", "::notice::Deploy?")
	r.Verdict(Verdict{Job: "deploy", Number: 7, Result: build.Failure, FailedStage: "##[group]x"})
	want := "::add-mask::s3cr3tQ\n" +
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
			cmds, err := runnertest.Commands(stdout.String())
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

// FuzzGitHubReporter feeds text from Jenkins to every printer of the GitHub
// reporter, and reads stdout and GITHUB_OUTPUT as the runner would: no line
// but the reporter's own commands may look like a command, the annotations
// read as the messages did, and every output reads back as it was written.
func FuzzGitHubReporter(f *testing.F) {
	for i, a := range attacks {
		f.Add(a, attacks[(i+1)%len(attacks)])
	}
	f.Add("::s3cr3tQ::", "ghadelimiter_X\nghadelimiter_X")
	f.Add("a\r\n\r\n##[", "\u2029\u0085 ::endgroup::")
	f.Fuzz(func(t *testing.T, s, u string) {
		dir := t.TempDir()
		out, summary := filepath.Join(dir, "out"), filepath.Join(dir, "summary.md")
		env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out, "GITHUB_STEP_SUMMARY": summary}
		r, stdout, stderr := newTestReporter(t, env)
		r.Mask("s3cr3tQ")
		r.Status("Stage %s: FAILED in 1s", s)
		r.Notice("%s waits for input: %s", s, u)
		r.Warning("%s", u)
		c := r.Console(s+" #1 console", "")
		c.Write([]byte(u))
		r.Warning("in the console: %s", s)
		c.Write([]byte(s))
		c.Close()
		a, b := r.Console("", s+" #1"), r.Console("", u+" #2")
		fmt.Fprintf(a, "%s\n%s", u, s)
		r.Status("%s | queued: %s", u, s)
		fmt.Fprintf(b, "%s", s)
		a.Close()
		b.Close()
		r.Error("%s", s)
		for i := range 11 {
			r.Verdict(Verdict{Job: s, Number: i + 1, Result: build.Failure, FailedStage: u, URL: "https://ci/" + u})
			r.Verdict(Verdict{Job: u, Number: i + 1, Result: build.Unstable, FailedStage: s})
		}
		r.Verdict(Verdict{Job: s, Number: 1, Result: build.Success})
		r.Summary(one(BuildSummary{Job: s, Number: 1, Result: build.Failure, FailedStage: u, Notes: []string{u}}))
		for _, o := range [][2]string{{"failed_stage", s}, {"failed_job", u}} {
			// An output Jenkins echoed a secret into is withheld, with an error.
			if err := r.Output(o[0], o[1]); err != nil && !strings.Contains(o[1], "s3cr3tQ") {
				t.Fatal(err)
			}
		}
		r.End()
		r.Error("after: %s", u)

		cmds, err := runnertest.Commands(stdout.String())
		if err != nil {
			t.Fatalf("%v\nstdout:\n%q", err, stdout.String())
		}
		seen := map[string]bool{}
		for _, c := range cmds {
			seen[c[0]] = true
		}
		for _, kind := range []string{"add-mask", "notice", "warning", "error", "group", "endgroup", "stop-commands", "resume"} {
			if !seen[kind] {
				t.Errorf("no %s command", kind)
			}
		}
		readsAs := strings.NewReplacer("\u200b", "", "s3cr3tQ", "***")
		if want := readsAs.Replace(s + " waits for input: " + u); !slices.ContainsFunc(cmds, func(c [2]string) bool {
			return c[0] == "notice" && readsAs.Replace(c[1]) == want
		}) {
			t.Errorf("no notice reads %q: %q", want, cmds)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		got, err := runnertest.ParseOutputs(string(data))
		if err != nil {
			t.Fatalf("GITHUB_OUTPUT as the runner reads it: %v\n%q", err, data)
		}
		// What becomes of an output that carries a secret is not this
		// target's to say.
		want := [][2]string{{"failed_stage", oneLine.Replace(s)}, {"failed_job", oneLine.Replace(u)}}
		if !strings.Contains(s+u, "s3cr3tQ") && !slices.Equal(got, want) {
			t.Errorf("GITHUB_OUTPUT has %q, want %q", got, want)
		}
		if fi, err := os.Stat(summary); err != nil || fi.Size() > 1<<20 {
			t.Errorf("summary: %v", err)
		}
		if stderr.Len() > 0 {
			t.Errorf("stderr: %q", stderr.String())
		}
	})
}

// TestGitHubGroupAndLabelledConsoles: a step of one build that follows its
// downstream builds' consoles has the build's group open while a child's
// labelled console streams, and either may close first. Commands are
// stopped from the first console to the last, and come back after: the
// group ends and the verdict is an annotation.
func TestGitHubGroupAndLabelledConsoles(t *testing.T) {
	t.Parallel()
	for _, childFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("child closes first %v", childFirst), func(t *testing.T) {
			t.Parallel()
			r, stdout, _ := newTestReporter(t, map[string]string{"GITHUB_ACTIONS": "true"})
			group := r.Console("deploy #7 console", "")
			fmt.Fprintln(group, "::error::from the parent")
			child := r.Console("", "deploy-eu #3")
			fmt.Fprintln(child, "::error::from the child")
			r.Warning("slow")
			fmt.Fprintln(group, "::error::from the parent again")
			first, second := group, child
			if childFirst {
				first, second = child, group
			}
			first.Close()
			fmt.Fprintln(second, "::error::from the one left")
			second.Close()
			r.Verdict(Verdict{Job: "deploy", Number: 7, Result: build.Failure})
			r.End()
			cmds, err := runnertest.Commands(stdout.String())
			if err != nil {
				t.Fatalf("%v\nstdout:\n%s", err, stdout.String())
			}
			var got []string
			for _, c := range cmds {
				if c[0] != "stop-commands" && c[0] != "resume" {
					got = append(got, c[0]+" "+c[1])
				}
			}
			want := []string{"group deploy #7 console", "warning slow", "endgroup ", "error FAILURE: deploy #7"}
			if !slices.Equal(got, want) {
				t.Errorf("commands the runner acts on: %q, want %q\nstdout:\n%s", got, want, stdout.String())
			}
		})
	}
}
