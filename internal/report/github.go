package report

import (
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

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
	// consoles counts the consoles open, the group's and each labelled
	// one: commands stay stopped while any is, as a step of one build
	// streams its downstream builds' consoles inside its group.
	consoles int
	// annotated is set once the verdict was an annotation: the error line
	// that may follow it (a timeout) is then printed without another one.
	annotated bool
	// annotations counts the annotations issued of each kind, and held
	// the messages that came past the last but one (see End).
	annotations map[string]int
	held        map[string][]string
	ended       bool // End was called
}

// maxAnnotations is how many annotations of each kind (error, warning,
// notice) GitHub shows of a step; it drops the rest without a word
// ("Limitations" in actions/toolkit's docs/problem-matchers.md).
const maxAnnotations = 10

func newGitHub(e Env, action *githubactions.Action, outs *outputs, masks *masker) *github {
	return &github{
		action:      action,
		stdout:      e.Stdout,
		outputs:     outs,
		masks:       masks,
		summary:     e.Getenv("GITHUB_STEP_SUMMARY") != "",
		console:     &lineWriter{w: e.Stdout},
		annotations: map[string]int{},
		held:        map[string][]string{},
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
	g.say("", fmt.Sprintf(format, args...))
}

func (g *github) Notice(format string, args ...any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.say("notice", fmt.Sprintf(format, args...))
}

func (g *github) Warning(format string, args ...any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.say("warning", fmt.Sprintf(format, args...))
}

func (g *github) Error(format string, args ...any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.annotated {
		g.say("", "Error: "+fmt.Sprintf(format, args...))
		return
	}
	g.say("error", fmt.Sprintf(format, args...))
}

// say writes one of the tool's own messages, as a line or as an annotation
// of kind ("notice", "warning" or "error"). Every message goes through here
// and nowhere else, masked and made inert, since any of them may carry text
// from Jenkins. Past the annotations GitHub shows of a kind, a message is a
// line, and End names it in one more annotation.
func (g *github) say(kind, msg string) {
	msg = g.text(msg)
	g.console.endLine()
	if kind == "" {
		fmt.Fprintln(g.stdout, msg)
		return
	}
	limit := maxAnnotations
	if !g.ended {
		limit-- // the last is End's
	}
	if g.annotations[kind] >= limit {
		if !g.ended {
			g.held[kind] = append(g.held[kind], msg)
		}
		fmt.Fprintln(g.stdout, strings.ToUpper(kind[:1])+kind[1:]+": "+msg)
		return
	}
	g.annotate(kind, msg)
}

// text is a message of the tool's own as it may be printed: masked, and
// unable to form a workflow command.
func (g *github) text(msg string) string { return inert(g.masks.apply(msg)) }

func (g *github) annotate(kind, msg string) {
	g.annotations[kind]++
	g.command(func() { g.action.IssueCommand(&githubactions.Command{Name: kind, Message: msg}) })
}

// End names, in the last annotation GitHub shows of each kind, the messages
// that came past the others: builds end one by one, and only at the end
// of the step is it known whether one more came, or many. A message is
// held only once the others took all but that last annotation, so it is
// always free here.
func (g *github) End() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.ended = true
	for _, kind := range []string{"error", "warning", "notice"} {
		switch held := g.held[kind]; {
		case len(held) == 1:
			g.annotate(kind, held[0])
		case len(held) > 1:
			g.annotate(kind, fmt.Sprintf("%d more, past the %d annotations GitHub shows of a kind; each is in the log: %s",
				len(held), maxAnnotations, strings.Join(held, "; ")))
		}
		g.held[kind] = nil
	}
}

func (g *github) Output(name, value string) error {
	return g.masks.output(g.outputs, name, value)
}

// Console opens a group for the step's only console. Labelled consoles,
// streamed together, get no group (groups neither nest nor interleave).
// Workflow commands are stopped while any console is open: the label does
// not disarm a command, since the runner also takes "##[command]" in the
// middle of a line and starts a line at a lone CR.
func (g *github) Console(title, label string) io.WriteCloser {
	g.mu.Lock()
	defer g.mu.Unlock()
	if label != "" {
		g.consoleOpened()
		return newLabelled(label, &g.mu, g.console, g.closeLabelled)
	}
	g.console.endLine()
	g.command(func() { g.action.Group(g.text(title)) })
	g.grouped = true
	g.consoleOpened()
	return &sole{mu: &g.mu, w: g.console, closed: g.endGroup}
}

// consoleOpened stops commands for a console, unless another has them stopped.
func (g *github) consoleOpened() {
	if g.consoles == 0 {
		g.console.endLine()
		g.stopCommands()
	}
	g.consoles++
}

// consoleClosed resumes commands once the last console closed.
func (g *github) consoleClosed() {
	if g.consoles--; g.consoles == 0 {
		g.console.endLine()
		g.resumeCommands()
	}
}

func (g *github) closeLabelled() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.consoleClosed()
}

func (g *github) endGroup() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closeGroup()
}

func (g *github) closeGroup() {
	g.console.endLine()
	if g.grouped {
		g.grouped = false
		g.consoleClosed()
		g.command(g.action.EndGroup)
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
	switch v.Result {
	case build.Success, build.None:
		g.say("", v.line())
	case build.Unstable:
		g.say("warning", v.line())
		g.annotated = true
	default:
		g.say("error", v.line())
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

// inert makes text that may come from Jenkins unable to form a workflow
// command, and reads the same. The runner (actions/runner) reads stdout a
// line at a time, a line ending at LF, CR or CRLF (StreamReader.ReadLine in
// src/Runner.Sdk/ProcessInvoker.cs), and ActionCommandManager.TryProcessCommand
// (src/Runner.Worker/ActionCommandManager.cs) takes a line for a command when
// ActionCommand.TryParseV2 finds "::" at its start after TrimStart (which
// skips every Unicode white space, U+2028 too), or ActionCommand.TryParse
// finds "##[" anywhere in it (src/Runner.Common/ActionCommand.cs). A
// zero-width space, which is not white space, goes before such a "::" and
// inside every "##[". An annotation's message is made inert too: the runner
// unescapes its line breaks and logs its lines.
func inert(s string) string {
	s = strings.ReplaceAll(s, "##[", "##\u200b[")
	var b strings.Builder
	lineStart := true
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if lineStart && !unicode.IsSpace(r) {
			lineStart = false
			if strings.HasPrefix(s[i:], "::") {
				b.WriteString("\u200b")
			}
		}
		if r == '\r' || r == '\n' {
			lineStart = true
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}
