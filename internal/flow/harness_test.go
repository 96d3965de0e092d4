package flow

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// recorder is a Reporter that keeps what a step said, for tests to read
// without parsing text. It is safe for the runs of a step at once.
type recorder struct {
	summaries bool // WantsSummary

	mu       sync.Mutex
	lines    []string // "status: ...", "notice: ...", "warning: ...", "error: ..."
	outputs  map[string]string
	writes   map[string]int // output name: how often written
	history  map[string][]string
	consoles map[string]*bytes.Buffer
	verdicts []report.Verdict
	summary  *report.Summary
	junit    map[string]*build.TestRun
}

func newRecorder() *recorder {
	return &recorder{outputs: map[string]string{}, writes: map[string]int{}, history: map[string][]string{}, consoles: map[string]*bytes.Buffer{}, junit: map[string]*build.TestRun{}}
}

func (r *recorder) say(kind, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, kind+": "+fmt.Sprintf(format, args...))
}

func (r *recorder) Mask(string)                        {}
func (r *recorder) Status(format string, args ...any)  { r.say("status", format, args...) }
func (r *recorder) Notice(format string, args ...any)  { r.say("notice", format, args...) }
func (r *recorder) Warning(format string, args ...any) { r.say("warning", format, args...) }
func (r *recorder) Error(format string, args ...any)   { r.say("error", format, args...) }

func (r *recorder) Output(name, value string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outputs[name] = value
	r.writes[name]++
	r.history[name] = append(r.history[name], value)
	return nil
}

func (r *recorder) Console(title, label string) io.WriteCloser {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := &bytes.Buffer{}
	r.consoles[title] = b
	return &consoleRecord{r: r, b: b}
}

type consoleRecord struct {
	r *recorder
	b *bytes.Buffer
}

func (c *consoleRecord) Write(p []byte) (int, error) {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	return c.b.Write(p)
}

func (c *consoleRecord) Close() error { return nil }

func (r *recorder) Verdict(v report.Verdict) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.verdicts = append(r.verdicts, v)
}

func (r *recorder) WantsSummary() bool { return r.summaries }

func (r *recorder) End() {}

func (r *recorder) Summary(s report.Summary) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.summary = &s
}

func (r *recorder) WriteJUnit(path, name string, run *build.TestRun) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.junit[name] = run
	return nil
}

// said returns the lines of a kind that contain part.
func (r *recorder) said(kind, part string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, l := range r.lines {
		if strings.HasPrefix(l, kind+": ") && strings.Contains(l, part) {
			out = append(out, l)
		}
	}
	return out
}

func (r *recorder) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// epoch is when every synctest bubble's clock starts.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	testUser  = "alice"
	testToken = "11be0c4a1f0d2e3b4c5d6e7f8091a2b3c4"
)

// stepHarness is a fake Jenkins on an in-memory network, a client for it,
// and a recorder: what a step needs, without the command around it. Make
// it inside a synctest bubble, whose time the fake and the step share.
type stepHarness struct {
	t      *testing.T
	srv    *jenkinstest.Server
	client *jenkins.Client
	rep    *recorder
	http   *http.Transport
}

func newStepHarness(t *testing.T, opts jenkinstest.Options) *stepHarness {
	t.Helper()
	h := &stepHarness{t: t, rep: newRecorder()}
	opts.Net, opts.ContextPath = &memnet.Network{}, "/jenkins"
	opts.Users = map[string]jenkinstest.User{testUser: {APIToken: testToken}}
	h.srv = jenkinstest.New(opts)
	t.Cleanup(h.srv.Close)
	base, _ := url.Parse(h.srv.URL())
	h.http = opts.Net.Transport()
	h.http.MaxConnsPerHost = 4
	t.Cleanup(h.http.CloseIdleConnections)
	h.client = jenkins.New(base, &http.Client{Transport: h.http}, jenkins.Options{User: testUser, Token: testToken})
	return h
}

// job adds a job whose builds run script.
func (h *stepHarness) job(name string, script jenkinstest.Script, spec ...func(*jenkinstest.JobSpec)) jenkins.Job {
	s := jenkinstest.JobSpec{FullName: name, Script: func(map[string]string) jenkinstest.Script { return script }}
	for _, f := range spec {
		f(&s)
	}
	h.srv.AddJob(s)
	return h.ref(name)
}

// ref names a job, whether Jenkins has it or not.
func (h *stepHarness) ref(name string) jenkins.Job {
	base, _ := url.Parse(h.srv.URL())
	job, err := jenkins.ParseJob(base, name)
	if err != nil {
		h.t.Fatal(err)
	}
	return job
}

// policy is the default of every input.
func policy() build.Policy {
	return build.Policy{WaitFor: build.WaitCompletion, Timeout: time.Hour, FailOnUnstable: true, Log: true, OnInput: build.InputWait, ArtifactsDir: "jenkins-artifacts"}
}

// trigger runs a step that triggers each job.
func (h *stepHarness) trigger(p build.Policy, jobs ...jenkins.Job) Outcome {
	h.t.Helper()
	opts := Options{Policy: p}
	for _, j := range jobs {
		opts.Targets = append(opts.Targets, Target{Job: j})
	}
	return h.run(opts)
}

func (h *stepHarness) run(opts Options) Outcome {
	return Run(h.t.Context(), opts, Deps{Client: h.client, Report: h.rep})
}

// requests counts the requests whose path contains part.
func (h *stepHarness) requests(method, part string) int {
	n := 0
	for _, r := range h.srv.Requests() {
		if (method == "" || r.Method == method) && strings.Contains(r.Path, part) {
			n++
		}
	}
	return n
}

// script is a build that runs d and ends with result, writing a line a
// second.
func script(result string, d time.Duration) jenkinstest.Script {
	s := jenkinstest.Script{QuietPeriod: 5 * time.Second, Duration: d, Result: result, EstimatedDuration: d}
	for i := range int(d / time.Second) {
		s.Log = append(s.Log, jenkinstest.LogLine{At: time.Duration(i) * time.Second, Text: fmt.Sprintf("line %d", i)})
	}
	return s
}
