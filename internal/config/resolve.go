package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"reflect"
	"strings"
	"time"
)

// Config is the validated configuration of one run.
type Config struct {
	BaseURL    *url.URL // scheme, host and context path; no user info, no trailing slash
	Job        string   // as given: a full name or a URL under BaseURL; "" with Follow
	Follow     string   // a build or queue item URL to follow instead of triggering
	User       string
	Token      string
	BuildToken string
	Parameters []Param
	Files      []File
	WaitFor    WaitFor
	Timeout    time.Duration
	// AbortOnStop is nil when not given: then a build this step
	// triggers is stopped, and one it follows is left alone.
	AbortOnStop    *bool
	FailOnUnstable bool
	Log            bool
	OnInput        OnInput
	Artifacts      string // patterns as given
	ArtifactsDir   string
	Dotenv         string
	JUnit          string
	CACert         []byte // PEM
	Insecure       bool

	urlPassword string
}

// Param is one build parameter, in the order given.
type Param struct {
	Name, Value string
}

// File is one file parameter: the file at Path is uploaded as Name.
type File struct {
	Name, Path string
}

// Secrets lists the values that must never be printed.
func (c *Config) Secrets() []string {
	var out []string
	for _, s := range []string{c.Token, c.BuildToken, c.urlPassword} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func resolve(raw inputs) (*Config, error) {
	for _, in := range Inputs() {
		if in.Required && strings.TrimSpace(reflect.ValueOf(raw).FieldByName(in.field).String()) == "" {
			return nil, inputErr(in.Name, "is required")
		}
	}
	c := &Config{
		User:           raw.User,
		Token:          raw.Token,
		BuildToken:     raw.BuildToken,
		WaitFor:        raw.WaitFor,
		Timeout:        time.Duration(raw.Timeout),
		Follow:         strings.TrimSpace(raw.Follow),
		FailOnUnstable: bool(raw.FailOnUnstable),
		Log:            bool(raw.Log),
		OnInput:        raw.OnInput,
		Artifacts:      raw.Artifacts,
		ArtifactsDir:   strings.TrimSpace(raw.ArtifactsDir),
		Dotenv:         raw.Dotenv,
		JUnit:          raw.JUnit,
		Insecure:       bool(raw.Insecure),
		Job:            strings.TrimSpace(raw.Job),
	}
	if raw.AbortOnStop != nil {
		v := bool(*raw.AbortOnStop)
		c.AbortOnStop = &v
	}
	if c.Job == "" && c.Follow == "" {
		return nil, inputErr("job", "is required, unless follow is given")
	}
	if c.Follow != "" {
		if strings.TrimSpace(raw.Parameters) != "" {
			return nil, inputErr("follow", "follows a build that is already queued or running, so parameters cannot be given with it")
		}
		if strings.TrimSpace(raw.Files) != "" {
			return nil, inputErr("follow", "follows a build that is already queued or running, so files cannot be given with it")
		}
	}
	if c.ArtifactsDir == "" {
		return nil, inputErr("artifacts_dir", "is empty")
	}
	base, user, pass, err := parseBaseURL(raw.URL)
	if err != nil {
		return nil, &InputError{Input: "url", Err: err}
	}
	c.BaseURL = base
	c.urlPassword = pass
	if c.User == "" {
		c.User = user
	}
	if c.Token == "" {
		c.Token = pass
	}
	if c.Parameters, err = parseParameters(raw.Parameters); err != nil {
		return nil, &InputError{Input: "parameters", Err: err}
	}
	if c.Files, err = parseFiles(raw.Files); err != nil {
		return nil, &InputError{Input: "files", Err: err}
	}
	if err := checkFiles(c.Files); err != nil {
		return nil, &InputError{Input: "files", Err: err}
	}
	if err := checkDuplicates(c.Parameters, c.Files); err != nil {
		return nil, err
	}
	if c.CACert, err = readCACert(raw.CACert); err != nil {
		return nil, &InputError{Input: "ca_cert", Err: err}
	}
	return c, nil
}

// parseBaseURL validates the url input and takes credentials out of it.
func parseBaseURL(s string) (base *url.URL, user, password string, err error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		// url.Parse quotes the whole input, which may hold a password.
		return nil, "", "", errors.New("is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, "", "", errors.New("must start with http:// or https://")
	}
	if u.Host == "" {
		return nil, "", "", errors.New("has no host")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, "", "", errors.New("must not have a query or fragment")
	}
	if u.User != nil {
		user = u.User.Username()
		password, _ = u.User.Password()
		u.User = nil
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, user, password, nil
}

// parseParameters reads NAME=value lines or one JSON object.
func parseParameters(s string) ([]Param, error) {
	trimmed := strings.TrimSpace(s)
	if trimmed == "" {
		return nil, nil
	}
	var params []Param
	var err error
	if strings.HasPrefix(trimmed, "{") {
		params, err = parseJSONParameters(trimmed)
	} else {
		params, err = parseLines(s, "value")
	}
	if err != nil {
		return nil, err
	}
	return params, uniqueNames(params)
}

// parseFiles reads NAME=path lines.
func parseFiles(s string) ([]File, error) {
	pairs, err := parseLines(s, "path")
	if err != nil {
		return nil, err
	}
	if err := uniqueNames(pairs); err != nil {
		return nil, err
	}
	files := make([]File, 0, len(pairs))
	for _, p := range pairs {
		if p.Value == "" {
			return nil, fmt.Errorf("line for %s has an empty path", p.Name)
		}
		files = append(files, File{Name: p.Name, Path: p.Value})
	}
	return files, nil
}

func parseLines(s, what string) ([]Param, error) {
	var out []Param
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d has no '=': write NAME=%s", i+1, what)
		}
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, fmt.Errorf("line %d has no name before '='", i+1)
		}
		out = append(out, Param{Name: name, Value: value})
	}
	return out, nil
}

// parseJSONParameters reads one flat JSON object, keeping the key order and
// the exact text of numbers.
func parseJSONParameters(s string) ([]Param, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("is not a JSON object")
	}
	var out []Param
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("is not valid JSON: %w", err)
		}
		name := tok.(string)
		if strings.TrimSpace(name) == "" {
			return nil, errors.New("has an empty parameter name")
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("is not valid JSON: %w", err)
		}
		var value string
		switch v := v.(type) {
		case string:
			value = v
		case json.Number:
			value = v.String()
		case bool:
			value = fmt.Sprint(v)
		case nil:
			return nil, fmt.Errorf("parameter %s is null: give a string, number or boolean", name)
		default:
			return nil, fmt.Errorf("parameter %s is an array or object: give a string, number or boolean", name)
		}
		out = append(out, Param{Name: name, Value: value})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("has text after the JSON object")
	}
	return out, nil
}

// uniqueNames rejects a name given twice: Jenkins answers 500 to that.
func uniqueNames(params []Param) error {
	seen := make(map[string]bool, len(params))
	for _, p := range params {
		if seen[p.Name] {
			return fmt.Errorf("%s is given twice", p.Name)
		}
		seen[p.Name] = true
	}
	return nil
}

func checkDuplicates(params []Param, files []File) error {
	for _, f := range files {
		for _, p := range params {
			if p.Name == f.Name {
				return inputErr("files", "%s is also given in parameters", f.Name)
			}
		}
	}
	return nil
}

// checkFiles makes sure every file can be uploaded before anything is sent.
func checkFiles(files []File) error {
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

// readCACert accepts PEM text or the path of a PEM file.
func readCACert(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	data := []byte(s)
	if !strings.HasPrefix(s, "-----BEGIN") {
		var err error
		if data, err = os.ReadFile(s); err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", s, errors.Unwrap(err))
		}
	}
	if !bytes.Contains(data, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, errors.New("holds no PEM certificate")
	}
	return data, nil
}
