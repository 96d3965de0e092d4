// Package report shows a run to people and to the pipeline around it: status
// lines, the builds' consoles, the verdicts, the step outputs, the step
// summary and the JUnit file. It has two reporters behind one interface:
// GitHub (workflow commands and step summary, through go-githubactions) and
// plain text for everything else. Both write the outputs to GITHUB_OUTPUT
// whenever it is set and to a dotenv file when asked to. Both are safe for
// the builds of one step to use at once: a line is always written whole.
package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/sethvargo/go-githubactions"

	"github.com/jenkins-trigger/jenkins-trigger/internal/atomicfile"
	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
)

// Reporter receives everything a run has to say.
type Reporter interface {
	// Mask hides secret from everything printed from now on.
	Mask(secret string)
	// Status prints a line about the run's progress.
	Status(format string, args ...any)
	// Notice prints a line the reader should not miss, such as a build
	// waiting for input.
	Notice(format string, args ...any)
	// Warning prints a warning line.
	Warning(format string, args ...any)
	// Error prints the one line that says why the run failed.
	Error(format string, args ...any)
	// Output records a step output as soon as it is known.
	Output(name, value string) error
	// Console opens a build's console, which receives its text as it
	// comes and is closed before the build's verdict. With no label it is
	// the step's only console, titled ("deploy #42 console"); on GitHub it
	// is a collapsible group. With a label it is one of several consoles
	// streamed at once: each of its lines is written whole, after "label
	// | ", never mixed with another's.
	Console(title, label string) io.WriteCloser
	// Verdict prints a build's final result line.
	Verdict(v Verdict)
	// WantsSummary reports whether Summary writes anything, so that what
	// only the summary shows is not fetched from Jenkins for nothing.
	WantsSummary() bool
	// Summary writes the run's step summary, where there is one.
	Summary(s Summary)
	// WriteJUnit writes a test report to path as a JUnit XML file whose
	// top element is called name, with secrets masked.
	WriteJUnit(path, name string, run *build.TestRun) error
	// End says that the step is over: on GitHub, the messages that came
	// past the annotations it shows are named in one more.
	End()
}

// Verdict is how a run ended.
type Verdict struct {
	Job      string
	Number   int // 0 when the build never started
	Result   build.Result
	URL      string
	Duration string
	// FailedStage is the Pipeline stage that failed, or "".
	FailedStage string
}

func (v Verdict) line() string {
	var b strings.Builder
	b.WriteString(string(v.Result))
	if v.FailedStage != "" {
		b.WriteString(" in stage " + v.FailedStage)
	}
	b.WriteString(": ")
	b.WriteString(v.Job)
	if v.Number > 0 {
		fmt.Fprintf(&b, " #%d", v.Number)
	}
	if v.Duration != "" {
		// A timed-out run has no duration of its own, only how long it
		// waited.
		if v.Result == build.Timeout {
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

// FileError is a file the reporter was asked to write and cannot.
type FileError struct {
	// Name says who asked for it: "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"
	// or "dotenv" (the input).
	Name string
	Path string
	Err  error
}

func (e *FileError) Error() string {
	if e.Name == "dotenv" {
		return fmt.Sprintf("input dotenv (JENKINS_DOTENV): cannot write %s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("cannot write %s (%s): %v", e.Name, e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// New returns the GitHub reporter when GITHUB_ACTIONS is true, else the
// plain one. It checks at once that every file it will write can be
// written, so that a bad path is known before anything is triggered: it
// opens GITHUB_OUTPUT and, on GitHub, GITHUB_STEP_SUMMARY for appending,
// and creates the dotenv file. When one cannot be written it returns a
// *FileError together with a reporter that writes no files, through which
// the error can be printed, masked.
func New(e Env) (Reporter, error) {
	github := e.Getenv("GITHUB_ACTIONS") == "true"
	checks := []string{"GITHUB_OUTPUT"}
	if github {
		// The summary is only written on GitHub.
		checks = append(checks, "GITHUB_STEP_SUMMARY")
	}
	var err error
	for _, name := range checks {
		if err = appendable(name, e.Getenv(name)); err != nil {
			break
		}
	}
	var d *dotenv
	if err == nil && e.Dotenv != "" {
		// Written as every later version is, beside it and renamed over
		// it, so that a directory that takes no new file is found now.
		if cerr := atomicfile.Write(e.Dotenv, nil); cerr != nil {
			err = &FileError{Name: "dotenv", Path: e.Dotenv, Err: unwrapPath(cerr)}
		} else {
			d = newDotenv(e.Dotenv)
		}
	}
	if err != nil {
		// No files: the getenv that names them sees none.
		e.Getenv = withoutFiles(e.Getenv)
	}
	action := githubactions.New(githubactions.WithWriter(e.Stdout), githubactions.WithGetenv(e.Getenv))
	outs := &outputs{action: action, github: e.Getenv("GITHUB_OUTPUT") != "", dotenv: d}
	masks := &masker{}
	if github {
		return newGitHub(e, action, outs, masks), err
	}
	return &plain{stdout: e.Stdout, stderr: e.Stderr, console: &lineWriter{w: e.Stdout}, outputs: outs, masks: masks}, err
}

// appendable checks that the file the variable name gives, if any, can be
// opened for appending, as go-githubactions will open it: without
// truncating what earlier steps wrote.
func appendable(name, path string) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return &FileError{Name: name, Path: path, Err: unwrapPath(err)}
	}
	if err := f.Close(); err != nil {
		return &FileError{Name: name, Path: path, Err: err}
	}
	return nil
}

// withoutFiles hides the variables that name the files the reporter writes.
func withoutFiles(getenv func(string) string) func(string) string {
	return func(k string) string {
		if k == "GITHUB_OUTPUT" || k == "GITHUB_STEP_SUMMARY" {
			return ""
		}
		return getenv(k)
	}
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// outputs writes each step output, as soon as it is known, to
// GITHUB_OUTPUT when it is set (on GitHub or not, as the contract says) and
// to the dotenv file when asked for, so that a run that fails later still
// leaves what it reached.
type outputs struct {
	action *githubactions.Action
	github bool // GITHUB_OUTPUT is set; the library panics otherwise
	dotenv *dotenv
}

// oneLine replaces line breaks: every output is one line, as a dotenv
// file needs.
var oneLine = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ")

func (o *outputs) set(name, value string) error {
	value = oneLine.Replace(value)
	var errs []error
	if o.github {
		if err := catch(func() { o.action.IssueFileCommand(outputCommand(name, value)) }); err != nil {
			errs = append(errs, fmt.Errorf("write step output %s: %w", name, err))
		}
	}
	if err := o.dotenv.set(name, value); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// gitlabDotenvLimit is the largest dotenv report GitLab accepts unless an
// administrator raised it (the dotenv_size plan limit): a bigger one fails
// the job's artifact upload with a 400.
const gitlabDotenvLimit = 5120

// dotenv writes outputs as JENKINS_<NAME>=value lines, each name once with
// its latest value. The file is written anew, whole, on every change: GitLab
// takes the last line of a name, but counts every line against its size
// limit, and a step killed at any moment must leave a whole file behind, so
// each version is written beside it and renamed over it.
type dotenv struct {
	mu     sync.Mutex
	path   string
	names  []string // in the order first written
	values map[string]string
	warned bool // that the file outgrew gitlabDotenvLimit
}

func newDotenv(path string) *dotenv {
	return &dotenv{path: path, values: map[string]string{}}
}

func (d *dotenv) set(name, value string) error {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	key := contract.Output{Name: name}.DotenvName()
	if _, ok := d.values[key]; !ok {
		d.names = append(d.names, key)
	}
	d.values[key] = value
	var b strings.Builder
	for _, k := range d.names {
		b.WriteString(k + "=" + d.values[k] + "\n")
	}
	if err := atomicfile.Write(d.path, []byte(b.String())); err != nil {
		return fmt.Errorf("write dotenv %s: %w", d.path, err)
	}
	if b.Len() > gitlabDotenvLimit && !d.warned {
		d.warned = true
		return fmt.Errorf("dotenv %s is %d bytes with %s, over the %d bytes GitLab accepts for a dotenv report unless its administrator raised the limit; follow fewer jobs in one step",
			d.path, b.Len(), key, gitlabDotenvLimit)
	}
	return nil
}

// catch turns the panic with which go-githubactions reports a command it
// could not write into an error.
func catch(f func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	f()
	return nil
}

// plain writes text for GitLab CI, docker run and terminals.
type plain struct {
	mu             sync.Mutex
	stdout, stderr io.Writer
	console        *lineWriter
	outputs        *outputs
	masks          *masker
}

func (p *plain) Mask(secret string) { p.masks.add(secret) }

func (p *plain) Status(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.console.endLine()
	fmt.Fprintln(p.stdout, p.masks.apply("» "+fmt.Sprintf(format, args...)))
}

func (p *plain) Notice(format string, args ...any) { p.Status(format, args...) }

func (p *plain) Warning(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.stderr, p.masks.apply("warning: "+fmt.Sprintf(format, args...)))
}

func (p *plain) Error(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.stderr, p.masks.apply("error: "+fmt.Sprintf(format, args...)))
}

func (p *plain) Output(name, value string) error {
	return p.masks.output(p.outputs, name, value)
}

func (p *plain) Console(title, label string) io.WriteCloser {
	if label != "" {
		l := newLabelled(p.masks.apply(label), &p.mu, p.console, nil)
		l.scrub = &scrubber{masks: p.masks}
		return l
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.console.endLine()
	fmt.Fprintln(p.stdout, p.masks.apply("» "+title))
	return &sole{mu: &p.mu, w: p.console, scrub: &scrubber{masks: p.masks}}
}

func (p *plain) Verdict(v Verdict) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.console.endLine()
	fmt.Fprintln(p.stdout, p.masks.apply("» "+v.line()))
}

// The step summary is GitHub's; elsewhere the verdict and the JUnit file
// say it.
func (p *plain) WantsSummary() bool { return false }
func (p *plain) Summary(Summary)    {}

func (p *plain) End() {}

func (p *plain) WriteJUnit(path, name string, run *build.TestRun) error {
	return writeJUnit(path, name, run, p.masks)
}
