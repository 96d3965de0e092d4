package config

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
)

// resolve checks what no single input's parser can, and derives BaseURL,
// CA and Cause, the last from environ.
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
		return &InputError{Input: "url", Err: err}
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
		return &InputError{Input: "files", Err: err}
	}
	for _, f := range c.Files {
		for _, p := range c.Parameters {
			if p.Name == f.Name {
				return inputErr("files", "%s is also given in parameters", f.Name)
			}
		}
	}
	if c.CA, err = readCACert(c.CACert); err != nil {
		return &InputError{Input: "ca_cert", Err: err}
	}
	c.resolveCause(environ)
	return nil
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
