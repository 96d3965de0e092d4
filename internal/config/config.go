// Package config reads jenkins-trigger's inputs from an injected environment
// and turns them into a validated Config. Every input of the public contract
// is declared once, in the tags of the inputs struct; the help text, the
// README and action.yml consistency test all read that declaration.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// WaitFor says how far to follow the build before exiting.
type WaitFor string

// The stages a run can wait for.
const (
	WaitQueue      WaitFor = "queue"
	WaitStart      WaitFor = "start"
	WaitCompletion WaitFor = "completion"
)

// UnmarshalText accepts the three stage names in any case.
func (w *WaitFor) UnmarshalText(b []byte) error {
	return oneOf(w, b, WaitQueue, WaitStart, WaitCompletion)
}

// oneOf sets *v to the choice b names, in any case.
func oneOf[T ~string](v *T, b []byte, choices ...T) error {
	name := T(strings.ToLower(strings.TrimSpace(string(b))))
	if slices.Contains(choices, name) {
		*v = name
		return nil
	}
	names := make([]string, len(choices))
	for i, c := range choices {
		names[i] = string(c)
	}
	return fmt.Errorf("%q is not one of %s", b, strings.Join(names, ", "))
}

// Bool is a boolean input: true/false in any case, 1/0, yes/no.
type Bool bool

// UnmarshalText parses the contract's boolean spellings.
func (b *Bool) UnmarshalText(text []byte) error {
	switch strings.ToLower(strings.TrimSpace(string(text))) {
	case "true", "1", "yes":
		*b = true
	case "false", "0", "no":
		*b = false
	default:
		return fmt.Errorf("%q is not a boolean (true/false, 1/0, yes/no)", text)
	}
	return nil
}

// Duration is a Go duration such as 90s, 30m or 2h.
type Duration time.Duration

// UnmarshalText parses a positive Go duration.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(text)))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 90s, 30m or 2h", text)
	}
	if v <= 0 {
		return fmt.Errorf("%q is not a positive duration", text)
	}
	*d = Duration(v)
	return nil
}

// OnInput says what to do when a Pipeline build pauses at an input step.
type OnInput string

// The answers to an input step.
const (
	InputWait    OnInput = "wait"
	InputAbort   OnInput = "abort"
	InputProceed OnInput = "proceed"
)

// UnmarshalText accepts the three answers in any case.
func (o *OnInput) UnmarshalText(b []byte) error {
	return oneOf(o, b, InputWait, InputAbort, InputProceed)
}

// inputs declares every input of the contract. The env tag is the name
// without its prefix: JENKINS_<env> everywhere, INPUT_<env> on GitHub. The
// doc tag, where present, is how the README and --help state a default that
// depends on other inputs.
type inputs struct {
	URL            string   `env:"URL" input:"url" required:"true" desc:"Jenkins base URL, with its context path if any (https://ci.example.com/jenkins). May carry user:token@, which is then used as credentials and never printed."`
	Job            string   `env:"JOB" input:"job" doc:"required, unless follow is given" desc:"The job's full name as Jenkins shows it, folders separated by / (team/app/deploy), or the job's URL. A multibranch branch is named by its item name (repo/feature%2Flogin)."`
	Follow         string   `env:"FOLLOW" input:"follow" desc:"A build's URL or a queue item's URL, as the build_url and queue_url outputs give them: follow that build (or that queue item to its build) instead of triggering one. It must lie under url."`
	User           string   `env:"USER" input:"user" desc:"Jenkins user id."`
	Token          string   `env:"TOKEN" input:"token" desc:"That user's API token (recommended) or password."`
	BuildToken     string   `env:"BUILD_TOKEN" input:"build_token" desc:"The job's \"Trigger builds remotely\" token, for triggering without a user."`
	Parameters     string   `env:"PARAMETERS" input:"parameters" desc:"Build parameters: one NAME=value a line (the value is everything after the first =), or one JSON object ({\"NAME\": \"value\", \"FLAG\": true})."`
	Files          string   `env:"FILES" input:"files" desc:"File parameters: one NAME=path a line; the file at path is uploaded as parameter NAME."`
	WaitFor        WaitFor  `env:"WAIT_FOR" input:"wait_for" envDefault:"completion" desc:"How far to follow the build before exiting: queue (accepted into the queue), start (has a build number), completion (finished)."`
	Timeout        Duration `env:"TIMEOUT" input:"timeout" envDefault:"1h" desc:"Longest time to wait, queue included, as a Go duration (90s, 30m, 2h)."`
	AbortOnStop    *Bool    `env:"ABORT_ON_STOP" input:"abort_on_stop" doc:"true for a build this step triggers; false for one it follows through follow" desc:"When the step is stopped (timeout, SIGINT, SIGTERM), stop the Jenkins build, or cancel its queue item if it has not started."`
	FailOnUnstable Bool     `env:"FAIL_ON_UNSTABLE" input:"fail_on_unstable" envDefault:"true" desc:"Whether an UNSTABLE result fails the step."`
	Log            Bool     `env:"LOG" input:"log" envDefault:"true" desc:"Stream the build's console output while it runs."`
	OnInput        OnInput  `env:"ON_INPUT" input:"on_input" envDefault:"wait" desc:"What to do when a Pipeline build pauses at an input step: wait (say so, with the input's message and the page where it is answered, and keep following until someone answers or timeout passes); abort (answer Abort; the build then usually ends ABORTED); proceed (answer with the input's OK button, sending every parameter of the input with its default value; an input with a parameter that has no default is not answered, and the run waits as with wait)."`
	Artifacts      string   `env:"ARTIFACTS" input:"artifacts" desc:"Ant-style patterns as in Jenkins' archiveArtifacts (dist/*.zip, **/*.xml), separated by commas or new lines: once the build has finished, whatever its result, download its archived artifacts that match."`
	ArtifactsDir   string   `env:"ARTIFACTS_DIR" input:"artifacts_dir" envDefault:"jenkins-artifacts" desc:"Directory the artifacts are downloaded into, each at its path relative to the build's archive."`
	Dotenv         string   `env:"DOTENV" input:"dotenv" desc:"Path of a dotenv file to write the outputs to (GitLab CI's artifacts:reports:dotenv)."`
	JUnit          string   `env:"JUNIT" input:"junit" desc:"Path of a JUnit XML file to write the build's test report to (GitLab CI's artifacts:reports:junit), when the build has one."`
	CACert         string   `env:"CA_CERT" input:"ca_cert" desc:"PEM text, or the path of a PEM file, of CAs to trust besides the system's."`
	Insecure       Bool     `env:"INSECURE" input:"insecure" envDefault:"false" desc:"Skip TLS certificate verification (prints a warning)."`
}

// Input describes one input of the contract.
type Input struct {
	Name      string // snake_case name, as in action.yml
	Env       string // JENKINS_<NAME>
	GitHubEnv string // INPUT_<NAME>
	Default   string
	// DefaultDoc states a default that depends on other inputs, for the
	// README and --help; "" when Default says it all.
	DefaultDoc  string
	Required    bool
	Description string
	field       string
}

// Inputs lists every input in contract order.
func Inputs() []Input {
	t := reflect.TypeFor[inputs]()
	list := make([]Input, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("env")
		list = append(list, Input{
			Name:        f.Tag.Get("input"),
			Env:         "JENKINS_" + name,
			GitHubEnv:   "INPUT_" + name,
			Default:     f.Tag.Get("envDefault"),
			DefaultDoc:  f.Tag.Get("doc"),
			Required:    f.Tag.Get("required") == "true",
			Description: f.Tag.Get("desc"),
			field:       f.Name,
		})
	}
	return list
}

// InputError is bad input: the run stops before anything is sent to Jenkins.
type InputError struct {
	Input string // the input's name, e.g. "timeout"
	Err   error
}

func (e *InputError) Error() string {
	return fmt.Sprintf("input %s (%s): %v", e.Input, "JENKINS_"+strings.ToUpper(e.Input), e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

func inputErr(input, format string, args ...any) error {
	return &InputError{Input: input, Err: fmt.Errorf(format, args...)}
}

// Secrets returns the values that must never be printed, as far as they are
// known from the environment alone. Load's result has the definitive list;
// this one serves to mask secrets before an input error is printed.
func Secrets(environ map[string]string) []string {
	var out []string
	for _, name := range []string{"TOKEN", "BUILD_TOKEN"} {
		if v := lookup(environ, name); v != "" {
			out = append(out, v)
		}
	}
	if u, err := url.Parse(strings.TrimSpace(lookup(environ, "URL"))); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p)
		}
	}
	return out
}

// lookup applies the contract's precedence: a non-empty INPUT_<NAME> wins
// over JENKINS_<NAME>; an empty one does not hide it.
func lookup(environ map[string]string, name string) string {
	if v := environ["INPUT_"+name]; v != "" {
		return v
	}
	return environ["JENKINS_"+name]
}

// Load reads and validates every input from environ.
func Load(environ map[string]string) (*Config, error) {
	merged := make(map[string]string)
	for _, in := range Inputs() {
		name := strings.TrimPrefix(in.Env, "JENKINS_")
		if v := lookup(environ, name); v != "" {
			merged[in.Env] = v
		}
	}
	var raw inputs
	if err := env.ParseWithOptions(&raw, env.Options{Environment: merged, Prefix: "JENKINS_"}); err != nil {
		return nil, translateEnvError(err)
	}
	return resolve(raw)
}

// translateEnvError names the input behind the first error env reports.
func translateEnvError(err error) error {
	var agg env.AggregateError
	if errors.As(err, &agg) && len(agg.Errors) > 0 {
		err = agg.Errors[0]
	}
	var pe env.ParseError
	if errors.As(err, &pe) {
		for _, in := range Inputs() {
			if in.field == pe.Name {
				return &InputError{Input: in.Name, Err: unwrapAll(pe.Err)}
			}
		}
	}
	return &InputError{Input: "environment", Err: err}
}

// unwrapAll drops the layers env adds so the message is the parser's own.
func unwrapAll(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
