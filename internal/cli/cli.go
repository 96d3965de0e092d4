// Package cli is jenkins-trigger's command: it reads the configuration,
// wires the HTTP client, the Jenkins client, the reporter and the flow, and
// turns what happened into the exit code. Exit codes are decided here and
// nowhere else.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/artifacts"
	"github.com/jenkins-trigger/jenkins-trigger/internal/clock"
	"github.com/jenkins-trigger/jenkins-trigger/internal/config"
	"github.com/jenkins-trigger/jenkins-trigger/internal/demo"
	"github.com/jenkins-trigger/jenkins-trigger/internal/flow"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
	"github.com/jenkins-trigger/jenkins-trigger/internal/result"
)

// Exit codes, as the contract lists them.
const (
	ExitOK       = 0 // reached wait_for; at completion the build succeeded
	ExitFailure  = 1 // the build's result is FAILURE
	ExitUnstable = 2 // UNSTABLE, with fail_on_unstable
	ExitAborted  = 3 // ABORTED or NOT_BUILT, or the queue item was cancelled
	ExitTimeout  = 4 // timeout passed before wait_for was reached
	ExitBadInput = 5 // bad input; nothing was triggered
	ExitJenkins  = 6 // Jenkins could not be used
	exitSignal   = 128
)

// ExitCodes describes each exit code, for --help and the README.
var ExitCodes = []struct {
	Code    string
	Meaning string
}{
	{"0", "reached wait_for; at completion the result was SUCCESS (or UNSTABLE with fail_on_unstable: false)"},
	{"1", "the build's result is FAILURE"},
	{"2", "the build's result is UNSTABLE (and fail_on_unstable is true)"},
	{"3", "the build's result is ABORTED or NOT_BUILT, or its queue item was cancelled"},
	{"4", "timeout passed before wait_for was reached"},
	{"5", "bad input: a missing or malformed input, a file that cannot be read, a parameter the job does not define, a choice the job does not offer. Nothing was triggered."},
	{"6", "Jenkins could not be used: unreachable, refused the credentials, no such job, refused the trigger, or answered something unusable; or requested artifacts could not be downloaded (when the build's own result would have exited 0)"},
	{"128+n", "stopped by signal n (130 for SIGINT, 143 for SIGTERM)"},
}

// Env is everything the command takes from its process.
type Env struct {
	Args    []string          // without the program name
	Environ map[string]string // the environment
	Stdout  io.Writer
	Stderr  io.Writer
	// HTTPClient, when set, replaces the client built from the inputs.
	HTTPClient *http.Client
	// Clock, when set, replaces the wall clock.
	Clock clock.Clock
	// Schedule, when set, replaces the default polling schedule.
	Schedule flow.Schedule
}

// Run runs the command and returns its exit code.
func Run(ctx context.Context, e Env) int {
	if e.Clock == nil {
		e.Clock = clock.Real{}
	}
	switch arg := firstArg(e.Args); arg {
	case "":
	case "--help", "-h", "help":
		writeHelp(e.Stdout)
		return ExitOK
	case "--version", "version":
		fmt.Fprintln(e.Stdout, versionLine())
		return ExitOK
	case "--demo":
		return runDemo(ctx, e)
	default:
		fmt.Fprintf(e.Stderr, "error: unknown argument %q; jenkins-trigger reads its inputs from the environment (see --help)\n", arg)
		return ExitBadInput
	}
	return trigger(ctx, e)
}

// runDemo runs the whole flow in real time against the built-in fake
// Jenkins and shows the outputs a pipeline would receive.
func runDemo(ctx context.Context, e Env) int {
	d, err := demo.Start(e.Clock, e.Environ["GITHUB_ACTIONS"])
	if err != nil {
		fmt.Fprintf(e.Stderr, "error: %v\n", err)
		return ExitJenkins
	}
	defer d.Close()
	d.Intro(e.Stdout)
	code := trigger(ctx, Env{Environ: d.Environ, Stdout: e.Stdout, Stderr: e.Stderr, HTTPClient: e.HTTPClient, Clock: e.Clock})
	d.Outro(e.Stdout, code)
	return code
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

func getenv(environ map[string]string) func(string) string {
	return func(k string) string { return environ[k] }
}

// trigger is the main job: one run from inputs to exit code.
func trigger(ctx context.Context, e Env) int {
	cfg, rep, err := setup(e)
	if err != nil {
		rep.Error("%v", err)
		return ExitBadInput
	}
	opts, target, err := flowOptions(cfg)
	if err != nil {
		rep.Error("%v", err)
		return ExitBadInput
	}
	hc := e.HTTPClient
	if hc == nil {
		if hc, err = newHTTPClient(cfg, e.Environ); err != nil {
			rep.Error("%v", err)
			return ExitBadInput
		}
	}
	warnTransport(cfg, rep)
	client := newJenkins(cfg, hc, e.Clock, rep)
	run := flow.New(opts, flow.Deps{Client: client, Report: rep, Clock: e.Clock, Schedule: e.Schedule})
	out, err := run.Do(ctx, func(ctx context.Context) (result.Result, error) {
		return steps(ctx, run, cfg.WaitFor, target)
	})
	code := ExitCode(out, err, cfg.FailOnUnstable)
	switch {
	case err != nil:
		rep.Error("%s", errorLine(err, cfg))
	case out.ArtifactsErr != nil && code == ExitJenkins:
		rep.Error("%v", out.ArtifactsErr)
	case out.ArtifactsErr != nil:
		rep.Warning("%v", out.ArtifactsErr)
	}
	return code
}

// steps composes the flow's steps: trigger (unless following), wait for
// the start, follow the build, as far as wait_for says.
func steps(ctx context.Context, run *flow.Run, waitFor config.WaitFor, target *jenkins.Location) (result.Result, error) {
	var q flow.Queued
	switch {
	case target != nil && !target.IsQueueItem() && waitFor != config.WaitCompletion:
		run.Attach(flow.Started{Number: target.Build})
		return result.None, nil
	case target != nil && !target.IsQueueItem():
		return run.Follow(ctx, flow.Started{Number: target.Build})
	case target != nil && waitFor == config.WaitQueue:
		run.AttachQueue(flow.Queued{ID: target.Queue})
		return result.None, nil
	case target != nil:
		q = flow.Queued{ID: target.Queue}
	default:
		var err error
		if q, err = run.Trigger(ctx); err != nil || waitFor == config.WaitQueue {
			return result.None, err
		}
	}
	b, res, err := run.AwaitStart(ctx, q)
	if err != nil || res != result.None || waitFor == config.WaitStart {
		return res, err
	}
	return run.Follow(ctx, b)
}

// setup reads the configuration and makes the reporter, masking secrets
// before anything else is printed. It always returns a reporter, to say
// what went wrong through.
func setup(e Env) (*config.Config, report.Reporter, error) {
	cfg, cfgErr := config.Load(e.Environ)
	renv := report.Env{Getenv: getenv(e.Environ), Stdout: e.Stdout, Stderr: e.Stderr}
	if cfgErr == nil {
		renv.Dotenv = cfg.Dotenv
	}
	rep, repErr := report.New(renv)
	masked := make(map[string]bool)
	mask := func(secrets []string) {
		for _, s := range secrets {
			if !masked[s] {
				masked[s] = true
				rep.Mask(s)
			}
		}
	}
	mask(config.Secrets(e.Environ))
	if cfgErr != nil {
		return nil, rep, cfgErr
	}
	mask(cfg.Secrets())
	if repErr != nil {
		return nil, rep, repErr
	}
	return cfg, rep, nil
}

// flowOptions translates the configuration for the flow, and reads what
// follow names.
func flowOptions(cfg *config.Config) (flow.Options, *jenkins.Location, error) {
	opts := flow.Options{
		WaitFor:        string(cfg.WaitFor),
		Timeout:        cfg.Timeout,
		AbortOnStop:    cfg.AbortOnStop,
		FailOnUnstable: cfg.FailOnUnstable,
		Log:            cfg.Log,
		JUnit:          cfg.JUnit,
		OnInput:        flow.InputPolicy(cfg.OnInput),
		ArtifactsDir:   cfg.ArtifactsDir,
		TokenOnly:      cfg.BuildToken != "" && cfg.User == "",
	}
	for _, p := range cfg.Parameters {
		opts.Params = append(opts.Params, jenkins.Param{Name: p.Name, Value: p.Value})
	}
	for _, f := range cfg.Files {
		opts.Files = append(opts.Files, jenkins.FileParam{Name: f.Name, Path: f.Path})
	}
	patterns, err := artifacts.ParsePatterns(cfg.Artifacts)
	if err != nil {
		return opts, nil, &config.InputError{Input: "artifacts", Err: err}
	}
	opts.Artifacts = patterns
	if cfg.Job != "" {
		if opts.Job, err = jenkins.ParseJob(cfg.BaseURL, cfg.Job); err != nil {
			return opts, nil, &config.InputError{Input: "job", Err: err}
		}
	}
	if cfg.Follow == "" {
		return opts, nil, nil
	}
	loc, err := jenkins.Locate(cfg.BaseURL, cfg.Follow)
	if err != nil {
		return opts, nil, &config.InputError{Input: "follow", Err: err}
	}
	if !loc.IsQueueItem() {
		if opts.Job.Path != "" && opts.Job.Path != loc.Job.Path {
			return opts, nil, &config.InputError{Input: "job", Err: &flow.JobMismatchError{Given: opts.Job.Name, Actual: loc.Job.Name}}
		}
		opts.Job = loc.Job
	}
	return opts, &loc, nil
}

// warnTransport says when the connection to Jenkins is not as safe as it
// should be.
func warnTransport(cfg *config.Config, rep report.Reporter) {
	if cfg.Insecure {
		rep.Warning("insecure is true: TLS certificates of %s are not verified", cfg.BaseURL.Host)
	}
	if cfg.BaseURL.Scheme == "http" && (cfg.Token != "" || cfg.BuildToken != "") && !isLoopback(cfg.BaseURL.Hostname()) {
		rep.Warning("credentials are sent over plain http:// to %s; use https://", cfg.BaseURL.Host)
	}
}

func newJenkins(cfg *config.Config, hc *http.Client, c clock.Clock, rep report.Reporter) *jenkins.Client {
	return jenkins.New(cfg.BaseURL, hc, jenkins.Options{
		User:       cfg.User,
		Token:      cfg.Token,
		BuildToken: cfg.BuildToken,
		UserAgent:  "jenkins-trigger/" + versionString(),
		Clock:      c,
		OnRetry: func(err error, wait time.Duration) {
			rep.Status("%v; trying again in %s", err, wait.Round(100*time.Millisecond))
		},
	})
}

// ExitCode maps how a run ended to the contract's exit code: a stop or a
// failure first, then the build's result, then requested artifacts that
// could not be downloaded, which fail a run the result would let pass.
func ExitCode(out flow.Outcome, err error, failOnUnstable bool) int {
	var stopped *flow.StoppedError
	var inputErr *config.InputError
	var paramErr *flow.ParamError
	var fileErr *report.FileError
	var mismatch *flow.JobMismatchError
	switch {
	case errors.Is(err, flow.ErrTimeout):
		return ExitTimeout
	case errors.As(err, &stopped):
		return exitSignal + signalNumber(stopped.Cause)
	case errors.As(err, &inputErr), errors.As(err, &paramErr), errors.As(err, &fileErr), errors.As(err, &mismatch):
		return ExitBadInput
	case err != nil:
		return ExitJenkins
	}
	switch out.Result {
	case result.None, result.Success, result.Unstable:
		if out.Result.Fails(failOnUnstable) {
			return ExitUnstable
		}
		if out.ArtifactsErr != nil {
			return ExitJenkins
		}
		return ExitOK
	case result.Failure:
		return ExitFailure
	case result.Aborted, result.NotBuilt, result.Cancelled:
		return ExitAborted
	}
	return ExitJenkins
}

// signalNumber reads the signal from signal.NotifyContext's cause, which
// says "<signal> signal received".
func signalNumber(cause error) int {
	for _, s := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		if cause != nil && strings.HasPrefix(cause.Error(), s.String()+" signal") {
			return int(s)
		}
	}
	return int(syscall.SIGTERM)
}

// errorLine is the one line that says why a run failed.
func errorLine(err error, cfg *config.Config) string {
	switch {
	case errors.Is(err, flow.ErrTimeout):
		return fmt.Sprintf("timeout %s passed before the build reached %s", cfg.Timeout, cfg.WaitFor)
	}
	var stopped *flow.StoppedError
	if errors.As(err, &stopped) {
		return fmt.Sprintf("stopped (%v)", stopped.Cause)
	}
	var pe *flow.ParamError
	if errors.As(err, &pe) {
		return (&config.InputError{Input: pe.Input, Err: pe.Err}).Error()
	}
	var mismatch *flow.JobMismatchError
	if errors.As(err, &mismatch) {
		return (&config.InputError{Input: "job", Err: mismatch}).Error()
	}
	var he *jenkins.HTTPError
	if errors.As(err, &he) && he.Status == http.StatusUnauthorized {
		return fmt.Sprintf("Jenkins refused the credentials of user %q (401): check user and token; %v", cfg.User, err)
	}
	return err.Error()
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// OSEnv returns the process's own arguments, environment and streams.
func OSEnv() Env {
	environ := make(map[string]string)
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			environ[k] = v
		}
	}
	return Env{Args: os.Args[1:], Environ: environ, Stdout: os.Stdout, Stderr: os.Stderr}
}
