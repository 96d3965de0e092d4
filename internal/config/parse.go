package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/textproto"
	"net/url"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/caarlos0/env/v11"

	"github.com/jenkins-trigger/jenkins-trigger/internal/artifacts"
	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
)

// parsers read each type of input into the type the field has; env calls
// them by the field's type. Choices are read by the build types' own
// UnmarshalText.
func parsers() map[reflect.Type]env.ParserFunc {
	return map[reflect.Type]env.ParserFunc{
		reflect.TypeFor[bool]():          func(s string) (any, error) { return parseBool(s) },
		reflect.TypeFor[time.Duration](): func(s string) (any, error) { return parseDuration(s) },
		reflect.TypeFor[Jobs]():          func(s string) (any, error) { return parseJobs(s) },
		reflect.TypeFor[Follows]():       func(s string) (any, error) { return parseFollow(s) },
		reflect.TypeFor[[]build.Param](): func(s string) (any, error) { return parseParameters(s) },
		reflect.TypeFor[[]build.File]():  func(s string) (any, error) { return parseFiles(s) },
		// The one []string is build.Policy.Artifacts.
		reflect.TypeFor[[]string]():    func(s string) (any, error) { return artifacts.ParsePatterns(s) },
		reflect.TypeFor[http.Header](): func(s string) (any, error) { return parseHeaders(s) },
	}
}

// parseBool reads the contract's boolean spellings: true/false in any
// case, 1/0, yes/no.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (true/false, 1/0, yes/no)", s)
}

// parseDuration reads a positive Go duration such as 90s, 30m or 2h.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 90s, 30m or 2h", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration", s)
	}
	return d, nil
}

// nonEmptyLines are the lines of s, trimmed, without the blank ones.
func nonEmptyLines(s string) []string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// numberedLines yields the lines of s that are not blank, with their
// number from 1 for messages, each without a CR from a CRLF.
func numberedLines(s string) iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		n := 0
		for line := range strings.SplitSeq(s, "\n") {
			n++
			line = strings.TrimSuffix(line, "\r")
			if strings.TrimSpace(line) != "" && !yield(n, line) {
				return
			}
		}
	}
}

// parseJobs reads one job a line. A job name never holds a new line, so a
// line is always one job; the same line twice is bad input.
func parseJobs(s string) (Jobs, error) {
	jobs := Jobs(nonEmptyLines(s))
	if err := unique(jobs, "job"); err != nil {
		return nil, err
	}
	return jobs, nil
}

// parseFollow reads the follow input: URLs one a line, or the builds
// output of an earlier step as it is, a JSON array of objects, from each
// of which the build_url is followed, or the queue_url when the build had
// not started.
func parseFollow(s string) (Follows, error) {
	trimmed := strings.TrimSpace(s)
	var urls []string
	if strings.HasPrefix(trimmed, "[") {
		var err error
		if urls, err = parseBuildsJSON(trimmed); err != nil {
			return nil, err
		}
	} else {
		urls = nonEmptyLines(s)
	}
	if err := unique(urls, "URL"); err != nil {
		return nil, err
	}
	return urls, nil
}

// parseBuildsJSON reads the builds output.
func parseBuildsJSON(s string) ([]string, error) {
	var entries []struct {
		Job      string  `json:"job"`
		QueueURL *string `json:"queue_url"`
		BuildURL *string `json:"build_url"`
	}
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("is not the builds output (a JSON array of builds): %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("has text after the builds JSON")
	}
	if len(entries) == 0 {
		return nil, errors.New("is an empty builds list")
	}
	urls := make([]string, 0, len(entries))
	for i, e := range entries {
		switch {
		case e.BuildURL != nil && *e.BuildURL != "":
			urls = append(urls, *e.BuildURL)
		case e.QueueURL != nil && *e.QueueURL != "":
			urls = append(urls, *e.QueueURL)
		default:
			return nil, fmt.Errorf("names no build or queue item in its entry %d (job %q): the step that wrote it reached neither", i+1, e.Job)
		}
	}
	return urls, nil
}

func unique(values []string, what string) error {
	seen := make(map[string]bool, len(values))
	for _, v := range values {
		if seen[v] {
			return fmt.Errorf("names %s %s twice", what, v)
		}
		seen[v] = true
	}
	return nil
}

// parseParameters reads NAME=value lines or one JSON object.
func parseParameters(s string) ([]build.Param, error) {
	trimmed := strings.TrimSpace(s)
	if trimmed == "" {
		return nil, nil
	}
	var params []build.Param
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
func parseFiles(s string) ([]build.File, error) {
	pairs, err := parseLines(s, "path")
	if err != nil {
		return nil, err
	}
	if err := uniqueNames(pairs); err != nil {
		return nil, err
	}
	files := make([]build.File, 0, len(pairs))
	for _, p := range pairs {
		if p.Value == "" {
			return nil, fmt.Errorf("line for %s has an empty path", p.Name)
		}
		files = append(files, build.File{Name: p.Name, Path: p.Value})
	}
	return files, nil
}

func parseLines(s, what string) ([]build.Param, error) {
	var out []build.Param
	for n, line := range numberedLines(s) {
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d has no '=': write NAME=%s", n, what)
		}
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, fmt.Errorf("line %d has no name before '='", n)
		}
		out = append(out, build.Param{Name: name, Value: value})
	}
	return out, nil
}

// parseJSONParameters reads one flat JSON object, keeping the key order and
// the exact text of numbers.
func parseJSONParameters(s string) ([]build.Param, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("is not a JSON object")
	}
	var out []build.Param
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
		out = append(out, build.Param{Name: name, Value: value})
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
func uniqueNames(params []build.Param) error {
	seen := make(map[string]bool, len(params))
	for _, p := range params {
		if seen[p.Name] {
			return fmt.Errorf("%s is given twice", p.Name)
		}
		seen[p.Name] = true
	}
	return nil
}

// toolHeaders are the headers the tool sets itself, which the headers
// input may not set: the transport's own, and Jenkins' crumb.
var toolHeaders = []string{"Host", "Content-Length", "Content-Type", "Transfer-Encoding", "Connection", "Jenkins-Crumb"}

// parseHeaders reads one Name: value a line, blank lines ignored. A name
// must be an HTTP token and a value hold no control character, which
// would otherwise split the request.
func parseHeaders(s string) (http.Header, error) {
	h := http.Header{}
	for n, line := range numberedLines(s) {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d has no ':': write Name: value", n)
		}
		if col := badNameColumn(name); col > 0 {
			// Where, never what: a line written wrong may be a secret
			// whose "Name:" was forgotten, and its value is masked only
			// after its colon.
			return nil, fmt.Errorf(`line %d: the name before ':' is not a header name: its character at column %d is a space, a control or non-ASCII character, or one of "(),/:;<=>?@[\]{}`, n, col)
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if name == "" {
			return nil, fmt.Errorf("line %d has no header name before ':'", n)
		}
		if strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			return nil, fmt.Errorf("line %d: the value of %s has a control character", n, name)
		}
		canonical := textproto.CanonicalMIMEHeaderKey(name)
		for _, own := range toolHeaders {
			if canonical == own {
				return nil, fmt.Errorf("line %d: %s is set by jenkins-trigger itself", n, canonical)
			}
		}
		h.Add(canonical, value)
	}
	return h, nil
}

// isToken reports whether s is an HTTP token (RFC 9110, 5.6.2).
func isToken(s string) bool { return s != "" && strings.IndexFunc(s, notTokenRune) < 0 }

func notTokenRune(r rune) bool {
	return r >= 0x7f || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
}

// badNameColumn is the column, from 1 and in characters, of the first rune
// of a header line's name (before its colon) that cannot be in one, space
// around it aside; 0 when there is none.
func badNameColumn(name string) int {
	trimmed := strings.TrimSpace(name)
	i := strings.IndexFunc(trimmed, notTokenRune)
	if i < 0 {
		return 0
	}
	return utf8.RuneCountInString(name[:strings.Index(name, trimmed)+i]) + 1
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

// readCACert accepts PEM text or the path of a PEM file.
func readCACert(s string) ([]byte, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	data, err := readPEM(s)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(data, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, errors.New("holds no PEM certificate")
	}
	return data, nil
}
