// Package cli is jenkins-trigger's command: it reads the configuration,
// wires the HTTP client, the Jenkins client, the reporter and the flow, and
// turns what happened into the exit code. The exit codes are named and
// chosen here and nowhere else; which of a step's builds decides it is
// flow's ranking of how builds end (flow.End).
package cli

import (
	"cmp"
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

	"github.com/jenkins-trigger/jenkins-trigger/internal/backstop"
	"github.com/jenkins-trigger/jenkins-trigger/internal/config"
	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
	"github.com/jenkins-trigger/jenkins-trigger/internal/demo"
	"github.com/jenkins-trigger/jenkins-trigger/internal/flow"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
	"github.com/jenkins-trigger/jenkins-trigger/internal/oidc"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
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
	// Net, when set, replaces the machine's network: the demo's fake
	// Jenkins serves on it and the client built from the inputs dials on
	// it. Tests in a synctest bubble need it.
	Net *memnet.Network
	// Schedule, when set, replaces the default polling schedule.
	Schedule flow.Schedule
}

// Run runs the command and returns its exit code.
func Run(ctx context.Context, e Env) int {
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
	case "post":
		return post(ctx, e)
	default:
		fmt.Fprintf(e.Stderr, "error: unknown argument %q; jenkins-trigger reads its inputs from the environment (see --help)\n", arg)
		return ExitBadInput
	}
	return trigger(ctx, e)
}

// runDemo runs the whole flow in real time against the built-in fake
// Jenkins and shows the outputs a pipeline would receive.
func runDemo(ctx context.Context, e Env) int {
	d, err := demo.Start(e.Net, e.Environ["GITHUB_ACTIONS"])
	if err != nil {
		fmt.Fprintf(e.Stderr, "error: %v\n", err)
		return ExitJenkins
	}
	defer d.Close()
	d.Intro(e.Stdout)
	code := trigger(ctx, Env{Environ: d.Environ, Stdout: e.Stdout, Stderr: e.Stderr, HTTPClient: e.HTTPClient, Net: e.Net})
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

// trigger is the main job: one step from inputs to exit code.
func trigger(ctx context.Context, e Env) int {
	cfg, rep, err := setup(e)
	if err != nil {
		rep.Error("%v", err)
		return ExitBadInput
	}
	for _, name := range cfg.WeakSecrets() {
		rep.Warning("%s is too short or too common to mask safely (fewer than eight characters, or digits only): masking it would blank out ordinary text in every log line", name)
	}
	hc := e.HTTPClient
	if hc == nil {
		if hc, err = newHTTPClient(cfg, e.Environ, e.Net); err != nil {
			rep.Error("%v", err)
			return ExitBadInput
		}
	}
	warnTransport(cfg, rep)
	for _, w := range cfg.Warnings {
		rep.Warning("%s", w)
	}
	// timeout bounds the step from its first request: a read of Jenkins'
	// root URL for follow counts too. flow's own deadline, set a moment
	// later, then never comes first.
	ctx, cancel := context.WithTimeoutCause(ctx, cfg.Policy.Timeout, flow.ErrTimeout)
	defer cancel()
	jc := newJenkins(cfg, hc, rep)
	targets, err := targetsOf(ctx, cfg, jc)
	switch {
	case err == nil:
	case badInput(err):
		rep.Error("%v", err)
		return ExitBadInput
	case errors.Is(context.Cause(ctx), flow.ErrTimeout):
		rep.Error("timeout (%s) passed before anything was triggered: %v", cfg.Policy.Timeout, err)
		return ExitTimeout
	case ctx.Err() != nil:
		rep.Error("stopped (%v)", context.Cause(ctx))
		return exitSignal + signalNumber(context.Cause(ctx))
	default:
		rep.Error("%s", errorLine(err, cfg))
		return ExitJenkins
	}
	warnIDToken(cfg, rep, time.Now())
	saver := backstop.Where(getenv(e.Environ), cfg.Dotenv)
	if saver != nil {
		// A record an earlier run left in the same place is no longer true.
		if err := saver.Save(backstop.Record{Builds: []backstop.Owned{}}); err != nil {
			rep.Warning("%v: a runner that kills this step cannot stop its builds", err)
			saver = nil
		}
	}
	out := flow.Run(ctx, flow.Options{
		Targets:   targets,
		Params:    cfg.Parameters,
		Files:     cfg.Files,
		TokenOnly: cfg.BuildToken != "" && cfg.User == "",
		Cause:     cfg.Cause,
		Policy:    cfg.Policy,
	}, flow.Deps{Client: jc, Report: rep, Schedule: e.Schedule, Saver: saver})
	if saver != nil {
		// The step reached its own end, having stopped what it had to.
		if err := saver.Save(backstop.Record{Ended: true, Builds: []backstop.Owned{}}); err != nil {
			rep.Warning("%v: the post step will take this step for killed, and stop the builds it triggered that still run or wait", err)
		}
	}
	code := ExitCode(out)
	says(rep, out, code, cfg)
	return code
}

// setup reads the configuration and makes the reporter, masking secrets
// before anything else is printed. It always returns a reporter, to say
// what went wrong through.
func setup(e Env) (*config.Config, report.Reporter, error) {
	return setupFor(e, true)
}

// setupFor is setup; outputs says the reporter writes the step's outputs,
// and so starts the dotenv file anew.
func setupFor(e Env, outputs bool) (*config.Config, report.Reporter, error) {
	cfg, cfgErr := config.Load(e.Environ)
	renv := report.Env{Getenv: getenv(e.Environ), Stdout: e.Stdout, Stderr: e.Stderr}
	if cfgErr == nil && outputs {
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

// postTimeout bounds the post mode: a runner gives its post step little
// time, and a Jenkins that does not answer should not hold the job.
const postTimeout = time.Minute

// post is the post mode, run after the main step however it ended: it
// stops what a killed step left queued or running, from what the step
// saved. It writes no output, and leaves the dotenv file as the step left
// it.
func post(ctx context.Context, e Env) int {
	cfg, rep, err := setupFor(e, false)
	if err != nil {
		// The main step found the same and triggered nothing.
		return ExitOK
	}
	env := getenv(e.Environ)
	rec, found, err := backstop.Load(env, cfg.Dotenv)
	if err != nil {
		rep.Error("post: %v", err)
		return ExitJenkins
	}
	code := ExitOK
	if found && !rec.Ended {
		code = stopLeft(ctx, e, cfg, rep, rec)
	}
	if err := backstop.Forget(env); err != nil {
		rep.Warning("post: %v", err)
	}
	return code
}

// stopLeft stops what of rec a killed step left queued or running.
func stopLeft(ctx context.Context, e Env, cfg *config.Config, rep report.Reporter, rec backstop.Record) int {
	hc := e.HTTPClient
	if hc == nil {
		var err error
		if hc, err = newHTTPClient(cfg, e.Environ, e.Net); err != nil {
			rep.Error("post: %v", err)
			return ExitBadInput
		}
	}
	ctx, cancel := context.WithTimeout(ctx, postTimeout)
	defer cancel()
	if err := backstop.Post(ctx, newJenkins(cfg, hc, rep), rec, rep); err != nil {
		rep.Error("post: could not stop every build the killed step left: %v", err)
		return ExitJenkins
	}
	return ExitOK
}

// warnTransport says when the connection to Jenkins is not as safe as it
// should be.
func warnTransport(cfg *config.Config, rep report.Reporter) {
	if cfg.Insecure {
		rep.Warning("insecure is true: TLS certificates of %s are not verified", cfg.BaseURL.Host)
	}
	if cfg.BaseURL.Scheme == "http" && (cfg.Token != "" || cfg.BuildToken != "" || cfg.UsesOIDC()) && !isLoopback(cfg.BaseURL.Hostname()) {
		rep.Warning("credentials are sent over plain http:// to %s; use https://", cfg.BaseURL.Host)
	}
}

// warnIDToken says when the token oidc_token names expires before timeout
// would end the step: it cannot be minted again, so a build followed past
// that fails at its next request.
func warnIDToken(cfg *config.Config, rep report.Reporter, now time.Time) {
	if cfg.IDToken == "" {
		return
	}
	exp, err := oidc.Expiry(cfg.IDToken)
	if err == nil && exp.Before(now.Add(cfg.Policy.Timeout)) {
		rep.Warning("the OIDC token in %s expires in %s, before timeout %s: it cannot be minted again, so a build followed longer fails then; give the ID token a longer life, or a shorter timeout",
			cfg.OIDCToken, max(exp.Sub(now), 0).Round(time.Second), cfg.Policy.Timeout)
	}
}

// oidcSource is the OIDC token the step sends, if any: the one oidc_token
// names, or one minted for oidc_audience, masked as soon as it is.
func oidcSource(cfg *config.Config, hc *http.Client, rep report.Reporter) jenkins.TokenSource {
	switch {
	case cfg.IDToken != "":
		return oidc.Static(cfg.IDToken)
	case cfg.OIDCAudience != "":
		return oidc.Minting(func(ctx context.Context) (string, error) {
			return cfg.IDTokenRequest.Mint(ctx, hc, cfg.OIDCAudience)
		}, rep.Mask)
	}
	return nil
}

func newJenkins(cfg *config.Config, hc *http.Client, rep report.Reporter) *jenkins.Client {
	return jenkins.New(cfg.BaseURL, withClientCert(hc, cfg.Certificate), jenkins.Options{
		OIDC:       oidcSource(cfg, hc, rep),
		OIDCHeader: cfg.OIDCHeader,
		User:       cfg.User,
		Token:      cfg.Token,
		BuildToken: cfg.BuildToken,
		Headers:    cfg.Headers,
		Secrets:    cfg.Secrets(),
		UserAgent:  "jenkins-trigger/" + versionString(),
		OnRetry: func(err error, wait time.Duration) {
			rep.Status("%v; trying again in %s", err, wait.Round(100*time.Millisecond))
		},
	})
}

// ExitCode maps how a step ended to the contract's exit code: a stop, or a
// problem found before anything was sent; otherwise the worst end of its
// builds, in the contract's order.
func ExitCode(out flow.Outcome) int {
	switch {
	case out.Stopped != nil:
		return exitSignal + signalNumber(out.Stopped.Cause)
	case errors.Is(out.Err, flow.ErrTimeout):
		return ExitTimeout
	case badInput(out.Err):
		return ExitBadInput
	case out.Err != nil:
		return ExitJenkins
	}
	switch out.End() {
	case flow.EndUnusable:
		return ExitJenkins
	case flow.EndTimedOut:
		return ExitTimeout
	case flow.EndFailed:
		return ExitFailure
	case flow.EndAborted:
		return ExitAborted
	case flow.EndUnstable:
		return ExitUnstable
	}
	return ExitOK
}

// badInput reports whether err is an input of the user's wrong, on its own
// or against what Jenkins says (a parameter the job does not take, a job
// that is not the followed build's): found before anything was triggered.
func badInput(err error) bool {
	return errors.As(err, new(*contract.InputError))
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

// says prints the one line that says why the step failed, when its
// builds' verdicts do not say it already, and the warnings beside it.
func says(rep report.Reporter, out flow.Outcome, code int, cfg *config.Config) {
	switch {
	case out.Stopped != nil:
		rep.Error("stopped (%v)", out.Stopped.Cause)
		return
	case errors.Is(out.Err, flow.ErrTimeout):
		rep.Error("timeout %s passed before anything was triggered", cfg.Policy.Timeout)
		return
	case out.Err != nil:
		rep.Error("%s", errorLine(out.Err, cfg))
		return
	}
	deciding := out.Deciding()
	for i, b := range out.Builds {
		if b.ArtifactsErr != nil && (i != deciding || code != ExitJenkins || b.Err != nil) {
			rep.Warning("%v", b.ArtifactsErr)
		}
	}
	if deciding < 0 {
		return
	}
	d := out.Builds[deciding]
	switch {
	case code == ExitJenkins && d.Err != nil:
		rep.Error("%s", errorLine(d.Err, cfg))
	case code == ExitJenkins:
		rep.Error("%v", d.ArtifactsErr)
	case code == ExitTimeout:
		rep.Error("%s", timedOut(out, cfg))
	case code != ExitOK && out.NameBuilds:
		rep.Error("%s", failed(out, cfg.Policy.FailOnUnstable))
	}
}

// timedOut is the line of a step that timed out: which builds timeout
// caught, and each that queue_timeout caught with the queue's reason.
func timedOut(out flow.Outcome, cfg *config.Config) string {
	var caught, queued []string
	for _, b := range out.Builds {
		switch {
		case b.End() != flow.EndTimedOut, b.Upstream != "":
		case b.QueueTimeout != nil:
			queued = append(queued, b.QueueTimeout.Error())
		default:
			caught = append(caught, buildName(b))
		}
	}
	switch {
	case len(caught) > 0 && !out.NameBuilds:
		return fmt.Sprintf("timeout %s passed before the build reached %s", cfg.Policy.Timeout, cfg.Policy.WaitFor)
	case len(caught) > 0:
		queued = append([]string{fmt.Sprintf("timeout %s passed before every build reached %s: %s", cfg.Policy.Timeout, cfg.Policy.WaitFor, strings.Join(caught, ", "))}, queued...)
	}
	return strings.Join(queued, "; ")
}

// failed is the line of a step that names its builds, when some failed:
// each of its own failing builds and its result (the builds they started
// had their say in their verdicts).
func failed(out flow.Outcome, failOnUnstable bool) string {
	var names []string
	own := 0
	for _, b := range out.Builds {
		if b.Upstream != "" {
			continue
		}
		own++
		if b.Result.Fails(failOnUnstable) || b.End() == flow.EndAborted {
			names = append(names, fmt.Sprintf("%s %s", buildName(b), cmp.Or(string(b.Result), "stopped")))
		}
	}
	return fmt.Sprintf("%d of %d builds did not succeed: %s", len(names), own, strings.Join(names, ", "))
}

func buildName(b flow.BuildOutcome) string {
	if b.Number > 0 {
		return fmt.Sprintf("%s #%d", b.Job.Name, b.Number)
	}
	return b.Job.Name
}

// errorLine is the one line that says why Jenkins could not be used, or
// what input was wrong.
func errorLine(err error, cfg *config.Config) string {
	if errors.Is(err, jenkins.ErrUnauthorized) && cfg.UsesOIDC() {
		return fmt.Sprintf("Jenkins refused the OIDC token (401): check the issuer, audience, username claim and protected paths of Jenkins' jwt-auth-filter; %v", err)
	}
	if errors.Is(err, jenkins.ErrForbidden) && cfg.UsesOIDC() {
		// jwt-auth-filter ignores a token on a path it does not protect,
		// and Jenkins then sees no one.
		return fmt.Sprintf("%v; Jenkins takes an OIDC token only on the paths jwt-auth-filter protects: add those jenkins-trigger uses to its default, /**/api/**", err)
	}
	if errors.Is(err, jenkins.ErrUnauthorized) {
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
