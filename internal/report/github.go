package report

import (
	"crypto/rand"
	"fmt"
	"io"

	"github.com/sethvargo/go-githubactions"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

// github speaks GitHub's workflow commands on stdout.
type github struct {
	action  *githubactions.Action
	stdout  io.Writer
	dotenv  *dotenv
	masks   *masker
	outputs bool // GITHUB_OUTPUT is set; the library panics otherwise
	summary bool // GITHUB_STEP_SUMMARY is set
	grouped bool
	console *lineWriter
	// stopToken is set while workflow commands are stopped, so that the
	// build's console cannot issue any (a stray "::endgroup::" or a fake
	// "::error::").
	stopToken string
	// annotated is set once the verdict was an annotation: the error line
	// that may follow it (a timeout) is then printed without another one.
	annotated bool
}

func newGitHub(e Env, d *dotenv, masks *masker) *github {
	return &github{
		action:  githubactions.New(githubactions.WithWriter(e.Stdout), githubactions.WithGetenv(e.Getenv)),
		stdout:  e.Stdout,
		dotenv:  d,
		masks:   masks,
		outputs: e.Getenv("GITHUB_OUTPUT") != "",
		summary: e.Getenv("GITHUB_STEP_SUMMARY") != "",
		console: &lineWriter{w: e.Stdout},
	}
}

func (g *github) Mask(secret string) {
	if secret == "" {
		return
	}
	g.masks.add(secret)
	g.console.endLine()
	g.command(func() { g.action.AddMask(secret) })
}

func (g *github) Status(format string, args ...any) {
	g.console.endLine()
	fmt.Fprintln(g.stdout, g.masks.apply(fmt.Sprintf(format, args...)))
}

func (g *github) Warning(format string, args ...any) {
	g.console.endLine()
	g.command(func() { g.action.Warningf("%s", g.masks.apply(fmt.Sprintf(format, args...))) })
}

func (g *github) Error(format string, args ...any) {
	msg := g.masks.apply(fmt.Sprintf(format, args...))
	g.console.endLine()
	if g.annotated {
		fmt.Fprintln(g.stdout, "Error: "+msg)
		return
	}
	g.command(func() { g.action.Errorf("%s", msg) })
}

func (g *github) Output(name, value string) error {
	if g.outputs {
		g.action.SetOutput(name, value)
	}
	return g.dotenv.set(name, value)
}

func (g *github) BeginConsole(title string) {
	g.console.endLine()
	g.action.Group(g.masks.apply(title))
	g.grouped = true
	g.stopCommands()
}

func (g *github) Console() io.Writer { return g.console }

func (g *github) EndConsole() {
	g.console.endLine()
	if g.grouped {
		g.resumeCommands()
		g.action.EndGroup()
		g.grouped = false
	}
}

// stopCommands makes the runner ignore workflow commands until
// resumeCommands; the token is random so that the console cannot resume
// them itself.
func (g *github) stopCommands() {
	g.stopToken = rand.Text()
	g.action.IssueCommand(&githubactions.Command{Name: "stop-commands", Message: g.stopToken})
}

func (g *github) resumeCommands() {
	if g.stopToken != "" {
		g.action.IssueCommand(&githubactions.Command{Name: g.stopToken})
		g.stopToken = ""
	}
}

// command issues a workflow command, resuming commands around it when the
// console has them stopped.
func (g *github) command(issue func()) {
	if g.stopToken == "" {
		issue()
		return
	}
	g.resumeCommands()
	issue()
	g.stopCommands()
}

func (g *github) Verdict(v Verdict) {
	g.EndConsole()
	line := g.masks.apply(v.line())
	switch v.Result {
	case "SUCCESS":
		fmt.Fprintln(g.stdout, line)
	case "UNSTABLE":
		g.action.Warningf("%s", line)
		g.annotated = true
	default:
		g.action.Errorf("%s", line)
		g.annotated = true
	}
}

func (g *github) WantsSummary() bool { return g.summary }

func (g *github) Summary(s Summary) {
	if !g.summary {
		return
	}
	md := s.markdown(g.masks.apply)
	if err := catch(func() { g.action.AddStepSummary(md) }); err != nil {
		g.Warning("cannot write the step summary: %v", err)
	}
}

func (g *github) WriteJUnit(path, name string, t *jenkins.TestReport) error {
	return writeJUnit(path, name, t, g.masks)
}

// catch turns the panic with which go-githubactions reports a file command
// it could not write into an error.
func catch(f func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	f()
	return nil
}
