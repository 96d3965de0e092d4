// Package config reads jenkins-trigger's inputs from an injected
// environment and turns them into a validated Config. Which inputs there
// are, their defaults and their environment names come from the one
// declaration in internal/contract; github.com/caarlos0/env decodes each
// into the field of the same name, of the type that uses it.
package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"unicode"

	"github.com/caarlos0/env/v11"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
	"github.com/jenkins-trigger/jenkins-trigger/internal/oidc"
)

// Config is the validated configuration of one run. Each exported field
// but the derived ones is the input of the same name in snake_case: the
// decoder matches them by name, and a test holds the two lists together.
type Config struct {
	URL        string
	Job        Jobs
	Follow     Follows
	User       string
	Token      string
	BuildToken string
	Parameters []build.Param
	Files      []build.File
	// Policy is what the step asks of every build; its fields are inputs
	// too, by the same rule.
	Policy   build.Policy
	Dotenv   string
	CACert   string
	Insecure bool
	// Headers are the front door's, sent with every request to Jenkins'
	// origin.
	Headers http.Header
	// The OIDC inputs: an audience to mint a token for on GitHub, or
	// the name of the variable that holds one, and the header it goes in.
	OIDCAudience string
	OIDCToken    string
	OIDCHeader   string
	// The client certificate presented to Jenkins' origin.
	ClientCert        string
	ClientKey         string
	ClientKeyPassword string
	// Cause is the note sent with a build-token trigger: the cause input,
	// or by default the CI run; "" for none.
	Cause string

	// BaseURL is URL without credentials or a trailing slash: scheme,
	// host and context path.
	BaseURL *url.URL `env:"-"`
	// CA is the PEM of CACert, read from its file if it names one.
	CA []byte `env:"-"`
	// IDToken is the token of the variable OIDCToken names.
	IDToken string `env:"-"`
	// IDTokenRequest is where GitHub mints tokens for OIDCAudience.
	IDTokenRequest oidc.GitHubRequest `env:"-"`
	// Certificate is ClientCert with its decrypted key; nil without one.
	Certificate *tls.Certificate `env:"-"`
	// Warnings are what the inputs ask that will not be done, to say
	// before anything is sent.
	Warnings []string `env:"-"`

	urlPassword string
}

// Jobs are the jobs the job input names, one a line.
type Jobs []string

// Follows are the build and queue item URLs the follow input names.
type Follows []string

func inputErr(input, format string, args ...any) error {
	return &contract.InputError{Input: input, Err: fmt.Errorf(format, args...)}
}

// lookup applies the contract's precedence: a non-empty INPUT_<NAME> wins
// over JENKINS_<NAME>; an empty one does not hide it.
func lookup(environ map[string]string, in contract.Input) string {
	if v := environ[in.GitHubEnv()]; v != "" {
		return v
	}
	return environ[in.Env()]
}

// Load reads and validates every input from environ.
func Load(environ map[string]string) (*Config, error) {
	given := make(map[string]string)
	for _, in := range contract.Inputs {
		v := lookup(environ, in)
		if in.Required && strings.TrimSpace(v) == "" {
			return nil, inputErr(in.Name, "is required")
		}
		if v == "" {
			v = in.Default
		}
		if v != "" {
			given[in.Env()] = v
		}
	}
	var c Config
	opts := env.Options{Environment: given, Prefix: "JENKINS_", UseFieldNameByDefault: true, FuncMap: parsers()}
	if err := env.ParseWithOptions(&c, opts); err != nil {
		return nil, translateEnvError(err)
	}
	if err := c.resolve(environ); err != nil {
		return nil, err
	}
	return &c, nil
}

// translateEnvError names the input behind the first error env reports.
func translateEnvError(err error) error {
	var agg env.AggregateError
	if errors.As(err, &agg) && len(agg.Errors) > 0 {
		err = agg.Errors[0]
	}
	var pe env.ParseError
	if errors.As(err, &pe) {
		return &contract.InputError{Input: inputName(pe.Name), Err: pe.Err}
	}
	return &contract.InputError{Err: err}
}

// inputName is the input a field of Config (or of build.Policy) decodes,
// by the decoder's own rule: an underscore before each capital that starts
// a word, so BuildToken is build_token and CACert ca_cert.
func inputName(field string) string {
	var b strings.Builder
	rs := []rune(field)
	for i, r := range rs {
		if i > 0 && i+1 < len(rs) && unicode.IsUpper(r) && (unicode.IsLower(rs[i+1]) || unicode.IsLower(rs[i-1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// fields lists the inputs Config decodes, by the names the decoder gives
// them, for the test that holds them to the contract.
func fields() []string {
	var out []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for f := range t.Fields() {
			switch {
			case !f.IsExported() || f.Tag.Get("env") == "-":
			case f.Type.Kind() == reflect.Struct:
				walk(f.Type)
			default:
				out = append(out, inputName(f.Name))
			}
		}
	}
	walk(reflect.TypeFor[Config]())
	return out
}
