package config

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
	"github.com/jenkins-trigger/jenkins-trigger/internal/secret"
)

// minHeaderSecret is the shortest header value masked: a header such as
// "X-Env: dev" carries no secret, and replacing it wherever it appears
// would garble the output. The secret inputs are masked whatever their
// length.
const minHeaderSecret = 4

// Secrets returns the values that must never be printed, as far as they
// are known from the environment alone: the secret inputs, the password in
// url, and each header's value. Load's Config has the definitive list;
// this one serves to mask them before an input error is printed.
func Secrets(environ map[string]string) []string {
	var out []string
	for _, in := range contract.Inputs {
		v := lookup(environ, in)
		switch {
		case !in.Secret || v == "":
		case in.Name == "headers":
			for line := range strings.SplitSeq(v, "\n") {
				if _, value, ok := strings.Cut(line, ":"); ok {
					out = append(out, headerSecrets(strings.TrimSpace(value))...)
				}
			}
		case in.Name == "client_key":
			out = append(out, keySecrets(v)...)
		default:
			out = append(out, v)
		}
	}
	if name := strings.TrimSpace(lookup(environ, contract.Input{Name: "oidc_token"})); name != "" && environ[name] != "" {
		out = append(out, strings.TrimSpace(environ[name]))
	}
	if lookup(environ, contract.Input{Name: "oidc_audience"}) != "" && environ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] != "" {
		out = append(out, environ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"])
	}
	if u, err := url.Parse(strings.TrimSpace(lookup(environ, contract.Input{Name: "url"}))); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Secrets lists the values that must never be printed.
func (c *Config) Secrets() []string {
	var out []string
	for _, s := range []string{c.Token, c.BuildToken, c.urlPassword, c.IDToken, c.IDTokenRequest.Token, c.ClientKeyPassword} {
		if s != "" {
			out = append(out, s)
		}
	}
	if c.ClientKey != "" {
		out = append(out, keySecrets(c.ClientKey)...)
	}
	for _, vs := range c.Headers {
		for _, v := range vs {
			out = append(out, headerSecrets(v)...)
		}
	}
	return out
}

// WeakSecrets names each secret that is too short or too common to mask
// safely (secret.Weak), by the input or header that gives it, never by its
// value.
func (c *Config) WeakSecrets() []string {
	var out []string
	add := func(name, value string) {
		if value != "" && secret.Weak(value) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if c.Token != c.urlPassword {
		// Else the token is the password in url, named below.
		add(inputNamed("token"), c.Token)
	}
	add(inputNamed("build_token"), c.BuildToken)
	add("the password in "+inputNamed("url"), c.urlPassword)
	add(inputNamed("client_key_password"), c.ClientKeyPassword)
	for _, name := range slices.Sorted(maps.Keys(c.Headers)) {
		for _, v := range c.Headers[name] {
			for _, f := range headerSecrets(v) {
				add("the value of header "+name, f)
			}
		}
	}
	return out
}

func inputNamed(name string) string {
	return fmt.Sprintf("input %s (%s)", name, contract.Input{Name: name}.Env())
}

// headerSecrets are the forms in which a header's value may come back:
// whole, and for a credential with its scheme ("Bearer eyJ..."), without
// it; each only when it is long enough to mask.
func headerSecrets(value string) []string {
	forms := []string{value}
	if scheme, token, ok := strings.Cut(value, " "); ok && isToken(scheme) {
		forms = append(forms, strings.TrimSpace(token))
	}
	var out []string
	for _, f := range forms {
		if len(f) >= minHeaderSecret {
			out = append(out, f)
		}
	}
	return out
}

// minKeyLine is the shortest line of a PEM key masked on its own: each
// base64 line is 64 characters but the last.
const minKeyLine = 16

// keySecrets are the forms in which a client key given as PEM text may be
// printed: whole, and each line of its base64 body, since text is often
// printed a line at a time.
func keySecrets(value string) []string {
	out := []string{value}
	for line := range strings.SplitSeq(value, "\n") {
		line = strings.TrimSpace(line)
		if len(line) >= minKeyLine && !strings.HasPrefix(line, "-----") && !strings.Contains(line, ":") {
			out = append(out, line)
		}
	}
	return out
}
