package report

import (
	"crypto/rand"
	"fmt"
	"io"
	"sync"

	"github.com/sethvargo/go-githubactions"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
)

// github speaks GitHub's workflow commands on stdout. Its lock guards
// every write and the state below.
type github struct {
	mu      sync.Mutex
	action  *githubactions.Action
	stdout  io.Writer
	outputs *outputs
	masks   *masker
	summary bool // GITHUB_STEP_SUMMARY is set
	grouped bool
	console *lineWriter
	// stopToken is set while workflow commands are stopped, so that the
	// build's console cannot issue any (a stray "::endgroup::" or a fake
	// "::error::").
	stopToken string
	// labelled counts the labelled consoles open: commands stay stopped
	// while any is.
	labelled int
	// annotated is set once the verdict was an annotation: the error line
	// that may follow it (a timeout) is then printed without another one.
	annotated bool
}

func newGitHub(e Env, action *githubactions.Action, outs *outputs, masks *masker) *github {
	return &github{
		action:  action,
		stdout:  e.Stdout,
		outputs: outs,
		masks:   masks,
		summary: e.Getenv("GITHUB_STEP_SUMMARY") != "",
		console: &lineWriter{w: e.Stdout},
	}
}

// Mask has the runner mask every form of secret that the step masks, each
// once.
func (g *github) Mask(secret string) {
	forms := g.masks.add(secret)
	if len(forms) == 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.console.endLine()
	g.command(func() {
		for _, f := range forms {
			g.action.AddMask(f)
		}
	})
}

func (g *github) Status(format string, args ...any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.console.endLine()
	fmt.Fprintln(g.stdout, g.masks.apply(fmt.Sprintf(format, args...)))
}

func (g *github) Notice(format string, args ...any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.console.endLine()
	g.command(func() { g.action.Noticef("%s", g.masks.apply(fmt.Sprintf(format, args...))) })
}

func (g *github) Warning(format string, args ...any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.console.endLine()
	g.command(func() { g.action.Warningf("%s", g.masks.apply(fmt.Sprintf(format, args...))) })
}

func (g *github) Error(format string, args ...any) {
	msg := g.masks.apply(fmt.Sprintf(format, args...))
	g.mu.Lock()
	defer g.mu.Unlock()
	g.console.endLine()
	if g.annotated {
		fmt.Fprintln(g.stdout, "Error: "+msg)
		return
	}
	g.command(func() { g.action.Errorf("%s", msg) })
}

func (g *github) Output(name, value string) error {
	return g.masks.output(g.outputs, name, value)
}

// Console opens a group for the step's only console, with workflow
// commands stopped inside it. Labelled consoles, streamed together, get no
// group (groups neither nest nor interleave) but have commands stopped
// while any of them is open: the label does not disarm a command, since
// the runner also takes "##[command]" in the middle of a line and starts a
// line at a lone CR.
func (g *github) Console(title, label string) io.WriteCloser {
	if label != "" {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.labelled == 0 {
			g.console.endLine()
			g.stopCommands()
		}
		g.labelled++
		return newLabelled(label, &g.mu, g.console, g.closeLabelled)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.console.endLine()
	g.issue(func() { g.action.Group(g.masks.apply(title)) })
	g.grouped = true
	g.stopCommands()
	return &sole{mu: &g.mu, w: g.console, closed: g.endGroup}
}

// closeLabelled resumes commands once the last labelled console closed.
func (g *github) closeLabelled() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.labelled--; g.labelled == 0 {
		g.console.endLine()
		g.resumeCommands()
	}
}

func (g *github) endGroup() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closeGroup()
}

func (g *github) closeGroup() {
	g.console.endLine()
	if g.grouped {
		g.resumeCommands()
		g.issue(g.action.EndGroup)
		g.grouped = false
	}
}

// stopCommands makes the runner ignore workflow commands until
// resumeCommands; the token is random so that the console cannot resume
// them itself.
func (g *github) stopCommands() {
	g.stopToken = rand.Text()
	g.issue(func() { g.action.IssueCommand(&githubactions.Command{Name: "stop-commands", Message: g.stopToken}) })
}

func (g *github) resumeCommands() {
	if g.stopToken != "" {
		token := g.stopToken
		g.issue(func() { g.action.IssueCommand(&githubactions.Command{Name: token}) })
		g.stopToken = ""
	}
}

// command issues a workflow command, resuming commands around it when the
// console has them stopped.
func (g *github) command(cmd func()) {
	if g.stopToken == "" {
		g.issue(cmd)
		return
	}
	g.resumeCommands()
	g.issue(cmd)
	g.stopCommands()
}

// issue runs a go-githubactions call that writes to stdout, which panics
// when the write fails. Nothing is said about it: the failure is stdout's,
// where it would be said.
func (g *github) issue(cmd func()) { _ = catch(cmd) }

func (g *github) Verdict(v Verdict) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closeGroup()
	line := g.masks.apply(v.line())
	switch v.Result {
	case build.Success, build.None:
		fmt.Fprintln(g.stdout, line)
	case build.Unstable:
		g.command(func() { g.action.Warningf("%s", line) })
		g.annotated = true
	default:
		g.command(func() { g.action.Errorf("%s", line) })
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

func (g *github) WriteJUnit(path, name string, run *build.TestRun) error {
	return writeJUnit(path, name, run, g.masks)
}
