package config

import (
	"errors"
	"fmt"
	"net/textproto"
	"os"
	"slices"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
	"github.com/jenkins-trigger/jenkins-trigger/internal/oidc"
)

// resolve checks what no single input's parser can, and derives BaseURL,
// CA, Cause (from environ), the OIDC token or where to mint one, and the
// client certificate.
func (c *Config) resolve(environ map[string]string) error {
	if len(c.Job) == 0 && len(c.Follow) == 0 {
		return inputErr("job", "is required, unless follow is given")
	}
	if len(c.Follow) > 0 {
		if len(c.Parameters) > 0 {
			return inputErr("follow", "follows builds that are already queued or running, so parameters cannot be given with it")
		}
		if len(c.Files) > 0 {
			return inputErr("follow", "follows builds that are already queued or running, so files cannot be given with it")
		}
	}
	if err := c.checkQueueTimeout(); err != nil {
		return err
	}
	c.Policy.ArtifactsDir = strings.TrimSpace(c.Policy.ArtifactsDir)
	if c.Policy.ArtifactsDir == "" {
		return inputErr("artifacts_dir", "is empty")
	}
	base, user, pass, err := parseBaseURL(c.URL)
	if err != nil {
		return &contract.InputError{Input: "url", Err: err}
	}
	c.BaseURL, c.urlPassword = base, pass
	if c.User == "" {
		c.User = user
	}
	if c.Token == "" {
		c.Token = pass
	}
	if c.Headers.Get("Authorization") != "" && (c.User != "" || c.Token != "") {
		return inputErr("headers", "sets Authorization, which carries the user and token Jenkins is given: give the front door's credential in its own header (Proxy-Authorization for an identity-aware proxy)")
	}
	if err := checkFiles(c.Files); err != nil {
		return &contract.InputError{Input: "files", Err: err}
	}
	for _, f := range c.Files {
		for _, p := range c.Parameters {
			if p.Name == f.Name {
				return inputErr("files", "%s is also given in parameters", f.Name)
			}
		}
	}
	if c.CA, err = readCACert(c.CACert); err != nil {
		return &contract.InputError{Input: "ca_cert", Err: err}
	}
	c.resolveCause(environ)
	if err := c.resolveOIDC(environ); err != nil {
		return err
	}
	c.Certificate, err = loadClientCert(c.ClientCert, c.ClientKey, c.ClientKeyPassword)
	return err
}

// checkQueueTimeout refuses a queue_timeout that timeout, which bounds the
// whole step, would always cut short, and warns of one nothing waits for.
func (c *Config) checkQueueTimeout() error {
	p := c.Policy
	if p.QueueTimeout > p.Timeout {
		return inputErr("queue_timeout", "is %s, longer than timeout (%s), which bounds the whole step, queue included: give a shorter queue_timeout or a longer timeout", p.QueueTimeout, p.Timeout)
	}
	if p.QueueTimeout > 0 && p.WaitFor == build.WaitQueue {
		c.Warnings = append(c.Warnings, "queue_timeout has no effect with wait_for: queue, which ends the step as soon as the build is queued")
	}
	return nil
}

// UsesOIDC reports whether an OIDC token stands for the user.
func (c *Config) UsesOIDC() bool { return c.OIDCAudience != "" || c.OIDCToken != "" }

// resolveOIDC refuses what cannot go with an OIDC token, and finds the
// token, or where GitHub mints one.
func (c *Config) resolveOIDC(environ map[string]string) error {
	c.OIDCAudience, c.OIDCToken = strings.TrimSpace(c.OIDCAudience), strings.TrimSpace(c.OIDCToken)
	input := "oidc_audience"
	switch {
	case c.OIDCAudience != "" && c.OIDCToken != "":
		return inputErr("oidc_token", "cannot be given with oidc_audience: give one token")
	case c.OIDCToken != "":
		input = "oidc_token"
	case c.OIDCAudience == "":
		return nil
	}
	header := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(c.OIDCHeader))
	if !isToken(header) || slices.Contains(toolHeaders, header) {
		return inputErr("oidc_header", "%q is not a header jenkins-trigger can send the token in", header)
	}
	c.OIDCHeader = header
	if c.Token != "" {
		return inputErr(input, "cannot be given with token: the OIDC token stands for the user")
	}
	if header == "Authorization" && c.User != "" {
		return inputErr(input, "cannot be given with user: the OIDC token names the user, in Authorization")
	}
	for _, h := range []string{"Authorization", header} {
		if c.Headers.Get(h) != "" {
			return inputErr("headers", "sets %s, which carries the OIDC token of %s", h, input)
		}
	}
	if input == "oidc_token" {
		c.IDToken = strings.TrimSpace(environ[c.OIDCToken])
		if c.IDToken == "" {
			return inputErr("oidc_token", "names the variable %s, which is not set or empty (GitLab sets it from id_tokens:)", c.OIDCToken)
		}
		if _, err := oidc.Expiry(c.IDToken); err != nil {
			return inputErr("oidc_token", "names the variable %s, whose value %v", c.OIDCToken, err)
		}
		return nil
	}
	c.IDTokenRequest = oidc.GitHubRequest{URL: environ["ACTIONS_ID_TOKEN_REQUEST_URL"], Token: environ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]}
	if c.IDTokenRequest.URL == "" || c.IDTokenRequest.Token == "" {
		return inputErr("oidc_audience", "needs ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN, which GitHub sets only for a job with permissions: id-token: write")
	}
	return nil
}

// checkFiles makes sure every file can be uploaded before anything is sent.
func checkFiles(files []build.File) error {
	for _, f := range files {
		fh, err := os.Open(f.Path)
		if err != nil {
			return fmt.Errorf("%s: cannot read %s: %w", f.Name, f.Path, errors.Unwrap(err))
		}
		st, err := fh.Stat()
		fh.Close()
		if err != nil {
			return fmt.Errorf("%s: cannot read %s: %w", f.Name, f.Path, err)
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("%s: %s is not a regular file", f.Name, f.Path)
		}
	}
	return nil
}
