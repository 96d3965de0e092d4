// Package report shows a run to people and to the pipeline around it: status
// lines, the build's console, the verdict, and the step outputs. It has two
// reporters behind one interface: GitHub (workflow commands, step outputs,
// step summary, through go-githubactions) and plain text for everything
// else. Both also write the outputs to a dotenv file when asked to.
package report

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

// The step outputs, as the contract names them.
const (
	OutputQueueURL    = "queue_url"
	OutputBuildNumber = "build_number"
	OutputBuildURL    = "build_url"
	OutputResult      = "result"
	OutputDurationMS  = "duration_ms"
)

// OutputDef describes one step output.
type OutputDef struct{ Name, Description string }

// Outputs lists every step output in contract order.
var Outputs = []OutputDef{
	{OutputQueueURL, "URL of the queue item, under the configured url"},
	{OutputBuildNumber, "the build's number"},
	{OutputBuildURL, "URL of the build, under the configured url (not under Jenkins' own configured root URL, which the runner may not reach)"},
	{OutputResult, "SUCCESS, UNSTABLE, FAILURE, ABORTED, NOT_BUILT; or CANCELLED (the queue item was cancelled), TIMEOUT (gave up waiting)"},
	{OutputDurationMS, "the build's duration as Jenkins reports it"},
}

// Reporter receives everything a run has to say.
type Reporter interface {
	// Mask hides secret from everything printed from now on.
	Mask(secret string)
	// Status prints a line about the run's progress.
	Status(format string, args ...any)
	// Warning prints a warning line.
	Warning(format string, args ...any)
	// Error prints the one line that says why the run failed.
	Error(format string, args ...any)
	// Output records a step output as soon as it is known.
	Output(name, value string) error
	// BeginConsole starts the build's console, titled "deploy #42 console".
	BeginConsole(title string)
	// Console receives the build's console text as it comes.
	Console() io.Writer
	// EndConsole closes the console before the verdict.
	EndConsole()
	// Verdict prints the final result line.
	Verdict(v Verdict)
	// WantsSummary reports whether Summary writes anything, so that what
	// only the summary shows is not fetched from Jenkins for nothing.
	WantsSummary() bool
	// Summary writes the run's step summary, where there is one.
	Summary(s Summary)
	// WriteJUnit writes a build's test report to path as a JUnit XML file
	// whose top element is called name.
	WriteJUnit(path, name string, t *jenkins.TestReport) error
}

// Verdict is how a run ended.
type Verdict struct {
	Job      string
	Number   int // 0 when the build never started
	Result   string
	URL      string
	Duration string
	// Failed marks a result that fails the step.
	Failed bool
}

func (v Verdict) line() string {
	var b strings.Builder
	b.WriteString(v.Result)
	b.WriteString(": ")
	b.WriteString(v.Job)
	if v.Number > 0 {
		fmt.Fprintf(&b, " #%d", v.Number)
	}
	if v.Duration != "" {
		// A timed-out run has no duration of its own, only how long it
		// waited.
		if v.Result == "TIMEOUT" {
			b.WriteString(" after " + v.Duration)
		} else {
			b.WriteString(" in " + v.Duration)
		}
	}
	if v.URL != "" {
		b.WriteString(" " + v.URL)
	}
	return b.String()
}

// Env is what a reporter needs from the process.
type Env struct {
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	// Dotenv is the path of a dotenv file for the outputs, or "".
	Dotenv string
}

// New returns the GitHub reporter when GITHUB_ACTIONS is true, else the
// plain one. It creates the dotenv file at once, so that a path that cannot
// be written is known before anything is triggered.
func New(e Env) (Reporter, error) {
	var d *dotenv
	if e.Dotenv != "" {
		f, err := os.Create(e.Dotenv)
		if err != nil {
			return nil, fmt.Errorf("cannot write %s: %w", e.Dotenv, unwrapPath(err))
		}
		d = &dotenv{f: f}
	}
	masks := &masker{}
	if e.Getenv("GITHUB_ACTIONS") == "true" {
		return newGitHub(e, d, masks), nil
	}
	return &plain{stdout: e.Stdout, stderr: e.Stderr, console: &lineWriter{w: e.Stdout}, dotenv: d, masks: masks}, nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// masker replaces secrets in messages the tool itself writes.
type masker struct {
	mu      sync.Mutex
	secrets []string
}

func (m *masker) add(s string) {
	if s == "" {
		return
	}
	m.mu.Lock()
	m.secrets = append(m.secrets, s)
	m.mu.Unlock()
}

func (m *masker) apply(s string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, secret := range m.secrets {
		s = strings.ReplaceAll(s, secret, "***")
	}
	return s
}

// lineWriter passes the build's console through and remembers whether it
// stopped in the middle of a line, so that the tool's own lines never start
// in the middle of one of the build's.
type lineWriter struct {
	w   io.Writer
	mid bool
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if n > 0 {
		l.mid = p[n-1] != '\n'
	}
	return n, err
}

func (l *lineWriter) endLine() {
	if l.mid {
		fmt.Fprintln(l.w)
		l.mid = false
	}
}

// dotenv writes outputs as JENKINS_<NAME>=value lines, each as soon as it is
// known, so that a run that fails later still leaves what it reached.
type dotenv struct {
	mu sync.Mutex
	f  *os.File
}

func (d *dotenv) set(name, value string) error {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	line := "JENKINS_" + strings.ToUpper(name) + "=" + strings.ReplaceAll(value, "\n", " ") + "\n"
	if _, err := d.f.WriteString(line); err != nil {
		return fmt.Errorf("write dotenv %s: %w", d.f.Name(), err)
	}
	return d.f.Sync()
}

// plain writes text for GitLab CI, docker run and terminals.
type plain struct {
	stdout, stderr io.Writer
	console        *lineWriter
	dotenv         *dotenv
	masks          *masker
}

func (p *plain) Mask(secret string) { p.masks.add(secret) }

func (p *plain) Status(format string, args ...any) {
	p.console.endLine()
	fmt.Fprintln(p.stdout, p.masks.apply("» "+fmt.Sprintf(format, args...)))
}

func (p *plain) Warning(format string, args ...any) {
	fmt.Fprintln(p.stderr, p.masks.apply("warning: "+fmt.Sprintf(format, args...)))
}

func (p *plain) Error(format string, args ...any) {
	fmt.Fprintln(p.stderr, p.masks.apply("error: "+fmt.Sprintf(format, args...)))
}

func (p *plain) Output(name, value string) error { return p.dotenv.set(name, value) }

func (p *plain) BeginConsole(title string) {
	p.console.endLine()
	fmt.Fprintln(p.stdout, p.masks.apply("» "+title))
}

func (p *plain) Console() io.Writer { return p.console }

func (p *plain) EndConsole() { p.console.endLine() }

func (p *plain) Verdict(v Verdict) {
	p.console.endLine()
	fmt.Fprintln(p.stdout, p.masks.apply("» "+v.line()))
}

// The step summary is GitHub's; elsewhere the verdict and the JUnit file
// say it.
func (p *plain) WantsSummary() bool { return false }
func (p *plain) Summary(Summary)    {}

func (p *plain) WriteJUnit(path, name string, t *jenkins.TestReport) error {
	return writeJUnit(path, name, t, p.masks)
}
