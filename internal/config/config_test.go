package config

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
)

func base() map[string]string {
	return map[string]string{"JENKINS_URL": "https://ci.example.com/jenkins/", "JENKINS_JOB": "team/app"}
}

func with(kv ...string) map[string]string {
	m := base()
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(base())
	if err != nil {
		t.Fatal(err)
	}
	if got := c.BaseURL.String(); got != "https://ci.example.com/jenkins" {
		t.Errorf("BaseURL = %q", got)
	}
	p := c.Policy
	if p.WaitFor != build.WaitCompletion || p.Timeout != time.Hour || p.AbortOnStop != nil || !p.FailOnUnstable || !p.Log || c.Insecure ||
		p.OnInput != build.InputWait || p.Downstream != build.DownstreamShow || p.ArtifactsDir != "jenkins-artifacts" || len(c.Follow) != 0 || len(p.Artifacts) != 0 || len(c.Headers) != 0 ||
		!slices.Equal(c.Job, Jobs{"team/app"}) {
		t.Errorf("defaults wrong: %+v", c)
	}
}

func TestLoadAbortOnStopGiven(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"false", "true"} {
		c, err := Load(with("JENKINS_ABORT_ON_STOP", v))
		if err != nil {
			t.Fatal(err)
		}
		if c.Policy.AbortOnStop == nil || *c.Policy.AbortOnStop != (v == "true") {
			t.Errorf("abort_on_stop %s: got %v", v, c.Policy.AbortOnStop)
		}
	}
}

func TestLoadFollow(t *testing.T) {
	t.Parallel()
	build := "https://ci.example.com/jenkins/job/deploy/42/"
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // "" for none
	}{
		{"follow without job", without(with("JENKINS_FOLLOW", build), "JENKINS_JOB"), ""},
		{"follow with job", with("JENKINS_FOLLOW", build), ""},
		{"neither job nor follow", without(base(), "JENKINS_JOB"), "input job (JENKINS_JOB): is required, unless follow is given"},
		{"follow with parameters", with("JENKINS_FOLLOW", build, "JENKINS_PARAMETERS", "A=1"), "input follow (JENKINS_FOLLOW): follows builds that are already queued or running, so parameters cannot be given with it"},
		{"follow with files", with("JENKINS_FOLLOW", build, "JENKINS_FILES", "F=/etc/hostname"), "input follow (JENKINS_FOLLOW): follows builds that are already queued or running, so files cannot be given with it"},
		{"follow twice", with("JENKINS_FOLLOW", build+"\n"+build), "input follow (JENKINS_FOLLOW): names URL " + build + " twice"},
		{"builds output", with("JENKINS_FOLLOW", `[{"job":"a","queue_url":"q","build_url":null}]`), ""},
		{"builds output without a URL", with("JENKINS_FOLLOW", `[{"job":"a","queue_url":null,"build_url":null}]`), `input follow (JENKINS_FOLLOW): names no build or queue item in its entry 1 (job "a"): the step that wrote it reached neither`},
		{"builds output broken", with("JENKINS_FOLLOW", `[{"job":"a"`), "input follow (JENKINS_FOLLOW): is not the builds output (a JSON array of builds): unexpected EOF"},
		{"job twice", with("JENKINS_JOB", "a\nb\n a "), "input job (JENKINS_JOB): names job a twice"},
		{"bad on_input", with("JENKINS_ON_INPUT", "maybe"), `input on_input (JENKINS_ON_INPUT): "maybe" is not one of wait, abort, proceed`},
		{"on_input any case", with("INPUT_ON_INPUT", "Proceed"), ""},
		{"bad downstream", with("JENKINS_DOWNSTREAM", "all"), `input downstream (JENKINS_DOWNSTREAM): "all" is not one of off, show, follow`},
		{"downstream any case", with("INPUT_DOWNSTREAM", "Follow"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(tt.env)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Load: %v", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("Load error = %v, want %s", err, tt.wantErr)
			}
		})
	}
}

func TestLoadPrecedence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"jenkins only", with("JENKINS_USER", "alice"), "alice"},
		{"input wins", with("JENKINS_USER", "alice", "INPUT_USER", "bob"), "bob"},
		{"empty input does not hide", with("JENKINS_USER", "alice", "INPUT_USER", ""), "alice"},
		{"input only", with("INPUT_USER", "bob"), "bob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if c.User != tt.want {
				t.Errorf("User = %q, want %q", c.User, tt.want)
			}
		})
	}
}

func TestLoadCredentialsInURL(t *testing.T) {
	t.Parallel()
	c, err := Load(with("JENKINS_URL", "https://alice:s3cret@ci.example.com/"))
	if err != nil {
		t.Fatal(err)
	}
	if c.User != "alice" || c.Token != "s3cret" || c.BaseURL.User != nil || c.BaseURL.String() != "https://ci.example.com" {
		t.Errorf("got user %q token %q base %q", c.User, c.Token, c.BaseURL)
	}
	if !reflect.DeepEqual(c.Secrets(), []string{"s3cret", "s3cret"}) {
		t.Errorf("Secrets = %q", c.Secrets())
	}
	c, err = Load(with("JENKINS_URL", "https://alice:fromurl@ci.example.com/", "JENKINS_TOKEN", "explicit"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Token != "explicit" || !strings.Contains(strings.Join(c.Secrets(), ","), "fromurl") {
		t.Errorf("explicit token should win and the URL password stay secret: %q %q", c.Token, c.Secrets())
	}
}

func TestLoadBools(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"true", "TRUE", "True", "1", "yes", "YES", "tRuE"} {
		c, err := Load(with("JENKINS_INSECURE", v))
		if err != nil || !c.Insecure {
			t.Errorf("%q: insecure=%v err=%v", v, c != nil && c.Insecure, err)
		}
	}
	for _, v := range []string{"false", "False", "0", "no", "NO"} {
		c, err := Load(with("JENKINS_LOG", v))
		if err != nil || c.Policy.Log {
			t.Errorf("%q: log=%v err=%v", v, c != nil && c.Policy.Log, err)
		}
	}
}

func TestLoadBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   map[string]string
		input string
		msg   string
	}{
		{"no url", map[string]string{"JENKINS_JOB": "x"}, "url", "is required"},
		{"blank url", with("JENKINS_URL", "  "), "url", "is required"},
		{"no job", map[string]string{"JENKINS_URL": "https://ci"}, "job", "is required"},
		{"ftp url", with("JENKINS_URL", "ftp://ci.example.com"), "url", "http:// or https://"},
		{"no host", with("JENKINS_URL", "https:///jenkins"), "url", "no host"},
		{"query", with("JENKINS_URL", "https://ci/?x=1"), "url", "query"},
		{"timeout", with("JENKINS_TIMEOUT", "ten minutes"), "timeout", "not a duration"},
		{"artifacts pattern", with("JENKINS_ARTIFACTS", "a\x01b"), "artifacts", "control character"},
		{"header without colon", with("JENKINS_HEADERS", "X-Token abc"), "headers", "line 1 has no ':'"},
		{"header name", with("JENKINS_HEADERS", "Bad Name: x"), "headers", "line 1: the name before ':' is not a header name: its character at column 4 is a space"},
		{"no header name", with("JENKINS_HEADERS", "X-A: a\n : b"), "headers", "line 2 has no header name before ':'"},
		{"header control", with("JENKINS_HEADERS", "\nX-A: a\x00b"), "headers", "line 2: the value of X-A has a control character"},
		{"header of the tool", with("JENKINS_HEADERS", "content-type: text/plain"), "headers", "Content-Type is set by jenkins-trigger itself"},
		{"crumb header", with("JENKINS_HEADERS", "Jenkins-Crumb: x"), "headers", "Jenkins-Crumb is set by jenkins-trigger itself"},
		{"authorization with a token", with("JENKINS_HEADERS", "Authorization: Bearer abc", "JENKINS_USER", "alice", "JENKINS_TOKEN", "t0ken"), "headers", "sets Authorization"},
		{"authorization with url credentials", with("JENKINS_HEADERS", "Authorization: Bearer abc", "JENKINS_URL", "https://alice:pw@ci/"), "headers", "sets Authorization"},
		{"negative timeout", with("JENKINS_TIMEOUT", "-5m"), "timeout", "positive"},
		{"queue_timeout", with("JENKINS_QUEUE_TIMEOUT", "10"), "queue_timeout", "not a duration"},
		{"zero queue_timeout", with("JENKINS_QUEUE_TIMEOUT", "0s"), "queue_timeout", "positive"},
		{"queue_timeout past timeout", with("JENKINS_QUEUE_TIMEOUT", "2h"), "queue_timeout", "is 2h0m0s, longer than timeout (1h0m0s)"},
		{"wait_for", with("JENKINS_WAIT_FOR", "forever"), "wait_for", "queue, start, completion"},
		{"bool", with("INPUT_FAIL_ON_UNSTABLE", "maybe"), "fail_on_unstable", "not a boolean"},
		{"param without =", with("JENKINS_PARAMETERS", "A=1\nB"), "parameters", "line 2 has no '='"},
		{"param without name", with("JENKINS_PARAMETERS", "=1"), "parameters", "no name"},
		{"param twice", with("JENKINS_PARAMETERS", "A=1\nA=2"), "parameters", "A is given twice"},
		{"bad json", with("JENKINS_PARAMETERS", `{"A": }`), "parameters", "not valid JSON"},
		{"json array value", with("JENKINS_PARAMETERS", `{"A": [1]}`), "parameters", "parameter A is an array or object"},
		{"json null", with("JENKINS_PARAMETERS", `{"A": null}`), "parameters", "parameter A is null"},
		{"json trailing", with("JENKINS_PARAMETERS", `{"A": 1} x`), "parameters", "after the JSON object"},
		{"json twice", with("JENKINS_PARAMETERS", `{"A": 1, "A": 2}`), "parameters", "A is given twice"},
		{"file missing", with("JENKINS_FILES", "F=/nonexistent/file"), "files", "/nonexistent/file"},
		{"file dir", with("JENKINS_FILES", "F="+os.TempDir()), "files", "not a regular file"},
		{"file no =", with("JENKINS_FILES", "plan.txt"), "files", "has no '='"},
		{"ca missing", with("JENKINS_CA_CERT", "/nonexistent.pem"), "ca_cert", "cannot read"},
		{"ca not pem", with("JENKINS_CA_CERT", "-----BEGIN NOTHING-----"), "ca_cert", "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(tt.env)
			var ie *contract.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an InputError", err)
			}
			if ie.Input != tt.input || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %q (input %q), want input %q and %q", err, ie.Input, tt.input, tt.msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestURLPasswordNeverInError(t *testing.T) {
	t.Parallel()
	_, err := Load(with("JENKINS_URL", "ftp://alice:hunter2@ci/"))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v", err)
	}
	_, err = Load(with("JENKINS_URL", "https://alice:hunter2@ci/%zz"))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v", err)
	}
}

func TestParseParameters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []build.Param
	}{
		{"", nil},
		{"A=1\r\nB=x=y\n\n  \nC=", []build.Param{{Name: "A", Value: "1"}, {Name: "B", Value: "x=y"}, {Name: "C", Value: ""}}},
		{"URL=https://x/?a=1&b=2#frag", []build.Param{{Name: "URL", Value: "https://x/?a=1&b=2#frag"}}},
		{"MSG= spaced value ", []build.Param{{Name: "MSG", Value: " spaced value "}}},
		{"  {\"B\": \"two\\nlines\", \"A\": 1.50, \"F\": true, \"N\": -3e2, \"U\": \"héllo\"}", []build.Param{{Name: "B", Value: "two\nlines"}, {Name: "A", Value: "1.50"}, {Name: "F", Value: "true"}, {Name: "N", Value: "-3e2"}, {Name: "U", Value: "héllo"}}},
	}
	for _, tt := range tests {
		got, err := parseParameters(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFilesAndParametersShareNoName(t *testing.T) {
	t.Parallel()
	f := filepath.Join(t.TempDir(), "plan.txt")
	if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(with("JENKINS_FILES", "PLAN="+f))
	if err != nil || len(c.Files) != 1 || c.Files[0] != (build.File{Name: "PLAN", Path: f}) {
		t.Fatalf("files = %v, err = %v", c, err)
	}
	if _, err := Load(with("JENKINS_FILES", "PLAN="+f, "JENKINS_PARAMETERS", "PLAN=x")); err == nil {
		t.Error("a name in both parameters and files should be bad input")
	}
}

// TestConfigDecodesTheContract holds Config to the declaration: each input
// of the contract is one field, decoded by name, and each field an input.
func TestConfigDecodesTheContract(t *testing.T) {
	t.Parallel()
	var declared []string
	for _, in := range contract.Inputs {
		declared = append(declared, in.Name)
	}
	got := fields()
	slices.Sort(got)
	slices.Sort(declared)
	if !slices.Equal(got, declared) {
		t.Errorf("Config decodes\n%q\nthe contract declares\n%q", got, declared)
	}
}

// Every input is read from INPUT_<NAME> and JENKINS_<NAME>, into its
// field: a value that input refuses is refused in its name.
func TestEveryInputReachesItsField(t *testing.T) {
	t.Parallel()
	for _, in := range contract.Inputs {
		if in.Name == "url" || in.Required {
			continue
		}
		for _, variable := range []string{in.Env(), in.GitHubEnv()} {
			_, err := Load(with(variable, "\x01 not a valid value for anything but text \x01"))
			var ie *contract.InputError
			refuses := in.Boolean || len(in.Choices) > 0 || in.Name == "timeout" || in.Name == "queue_timeout" || in.Name == "headers"
			switch {
			case err != nil && (!errors.As(err, &ie) || ie.Input != in.Name):
				t.Errorf("%s: %v, want an InputError naming %s", variable, err, in.Name)
			case err == nil && refuses:
				t.Errorf("%s: a bad value is taken", variable)
			}
		}
	}
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	c, err := Load(with("JENKINS_HEADERS", "proxy-authorization: Bearer eyJhbGciOi.payload.sig\n\n  CF-Access-Client-Id :  abc.access \r\nCookie: route=a\nX-Twice: 1\nx-twice: 2"))
	if err != nil {
		t.Fatal(err)
	}
	want := http.Header{
		"Proxy-Authorization": {"Bearer eyJhbGciOi.payload.sig"},
		"Cf-Access-Client-Id": {"abc.access"},
		"Cookie":              {"route=a"},
		"X-Twice":             {"1", "2"},
	}
	if !reflect.DeepEqual(c.Headers, want) {
		t.Errorf("headers = %q, want %q", c.Headers, want)
	}
	secrets := c.Secrets()
	for _, s := range []string{"Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi.payload.sig", "abc.access", "route=a"} {
		if !slices.Contains(secrets, s) {
			t.Errorf("Secrets() = %q lacks %q", secrets, s)
		}
	}
	for _, short := range []string{"1", "2"} {
		if slices.Contains(secrets, short) {
			t.Errorf("Secrets() masks %q, too short to hide anything", short)
		}
	}
	// The secret inputs are masked however short they are.
	c, err = Load(with("JENKINS_TOKEN", "abc", "JENKINS_BUILD_TOKEN", "xy"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Secrets(); !slices.Equal(got, []string{"abc", "xy"}) {
		t.Errorf("Secrets() = %q, want the short token and build token", got)
	}
	if got := Secrets(with("JENKINS_TOKEN", "abc", "JENKINS_BUILD_TOKEN", "xy")); !slices.Contains(got, "abc") || !slices.Contains(got, "xy") {
		t.Errorf("Secrets(environ) = %q lacks the short token or build token", got)
	}
	// Without a user or token, Authorization is the front door's to set.
	if _, err := Load(with("JENKINS_HEADERS", "Authorization: Bearer abc123")); err != nil {
		t.Errorf("Authorization without Jenkins credentials: %v", err)
	}
	early := Secrets(with("JENKINS_HEADERS", "not a header\nX-Key: Bearer s3cr3t-value", "INPUT_TOKEN", "tok3n"))
	for _, s := range []string{"Bearer s3cr3t-value", "s3cr3t-value", "tok3n"} {
		if !slices.Contains(early, s) {
			t.Errorf("Secrets(environ) = %q lacks %q", early, s)
		}
	}
}

// TestHeaderLineNeverEchoed: a headers line written wrong may be a secret
// whose "Name:" was forgotten, which nothing masks before its colon: the
// error says where it is wrong, never what the line says.
func TestHeaderLineNeverEchoed(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ headers, want string }{
		{"X-A: a\nX-Key sk_live_4f9a2b7c: tail", "line 2: the name before ':' is not a header name: its character at column 6"},
		{"  X-Key\tsk_live_4f9a2b7c:", "line 1: the name before ':' is not a header name: its character at column 8"},
		{"sk_live_4f9a2b7c€: x", "line 1: the name before ':' is not a header name: its character at column 17"},
		{"X-Key sk_live_4f9a2b7c", "line 1 has no ':'"},
	} {
		_, err := Load(with("JENKINS_HEADERS", tt.headers))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.headers, err, tt.want)
		}
		if err != nil && (strings.Contains(err.Error(), "sk_") || strings.Contains(err.Error(), "X-Key")) {
			t.Errorf("%q: the error echoes the line: %v", tt.headers, err)
		}
	}
}

// TestWeakSecrets: each secret too short or too common to mask safely is
// named, by where it comes from, never by its value.
func TestWeakSecrets(t *testing.T) {
	t.Parallel()
	c, err := Load(with("JENKINS_URL", "https://bob:1@ci/", "JENKINS_TOKEN", "", "JENKINS_BUILD_TOKEN", "short",
		"JENKINS_HEADERS", "X-Num: 1000\nX-Forwarded-Proto: http\nX-Env: qa\nProxy-Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.iap"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"input build_token (JENKINS_BUILD_TOKEN)", "the password in input url (JENKINS_URL)", "the value of header X-Forwarded-Proto", "the value of header X-Num"}
	if got := c.WeakSecrets(); !slices.Equal(got, want) {
		t.Errorf("WeakSecrets() = %q, want %q", got, want)
	}
	c, err = Load(with("JENKINS_TOKEN", "11be0c4a1f0d2e3b4c5d"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.WeakSecrets(); len(got) != 0 {
		t.Errorf("WeakSecrets() = %q for a strong token", got)
	}
	c, err = Load(with("JENKINS_CLIENT_CERT", keyFile("client.crt"), "JENKINS_CLIENT_KEY", keyFile("weak-password.key"), "JENKINS_CLIENT_KEY_PASSWORD", "pass1"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.WeakSecrets(), []string{"input client_key_password (JENKINS_CLIENT_KEY_PASSWORD)"}; !slices.Equal(got, want) {
		t.Errorf("WeakSecrets() = %q, want %q", got, want)
	}
}

func TestLoadJobsAndFollow(t *testing.T) {
	t.Parallel()
	c, err := Load(with("JENKINS_JOB", " team/deploy-eu \n\nteam/deploy-us\r\n"))
	if err != nil || !slices.Equal(c.Job, Jobs{"team/deploy-eu", "team/deploy-us"}) {
		t.Fatalf("jobs = %q, %v", c.Job, err)
	}
	builds := `[{"job":"a","queue_url":"https://ci/queue/item/1/","build_url":"https://ci/job/a/3/","result":"SUCCESS","build_number":3},` +
		`{"job":"b","queue_url":"https://ci/queue/item/2/","build_url":null,"build_number":null}]`
	c, err = Load(without(with("JENKINS_FOLLOW", builds), "JENKINS_JOB"))
	if err != nil || !slices.Equal(c.Follow, Follows{"https://ci/job/a/3/", "https://ci/queue/item/2/"}) {
		t.Fatalf("follow = %q, %v", c.Follow, err)
	}
}

func FuzzParseParameters(f *testing.F) {
	for _, s := range []string{"A=1\nB=2", `{"A":"x","B":true,"C":1.5}`, "=", "A", "{", `{"A":[1]}`, "A=b=c\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		params, err := parseParameters(s)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, p := range params {
			if strings.TrimSpace(p.Name) == "" || seen[p.Name] {
				t.Fatalf("bad name %q in %q", p.Name, params)
			}
			seen[p.Name] = true
			if !strings.HasPrefix(strings.TrimSpace(s), "{") && (strings.Contains(p.Name, "=") || strings.ContainsAny(p.Value, "\n")) {
				t.Fatalf("line format leaked a separator: %q", params)
			}
		}
	})
}

func without(m map[string]string, keys ...string) map[string]string {
	for _, k := range keys {
		delete(m, k)
	}
	return m
}

// FuzzParseFollow checks that every accepted follow input, URLs a line or
// the builds JSON, names each URL once, none empty or spanning lines.
func FuzzParseFollow(f *testing.F) {
	for _, s := range []string{
		"https://ci/job/a/1/\nhttps://ci/queue/item/2/",
		`[{"job":"a","queue_url":"https://ci/queue/item/1/","build_url":"https://ci/job/a/3/"}]`,
		`[{"build_url":null,"queue_url":"q"}]`, `[]`, `[{}]`, `[1]`, "[", " \n ", "a\na",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		urls, err := parseFollow(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, u := range urls {
			if u == "" || seen[u] || !strings.HasPrefix(strings.TrimSpace(s), "[") && (strings.ContainsAny(u, "\n") || u != strings.TrimSpace(u)) {
				t.Fatalf("bad or repeated URL %q in %q", u, urls)
			}
			seen[u] = true
		}
	})
}

// TestInputNameIsTheDecoders: inputName names a field as the decoder
// reads it, so that an error names the input the user set.
func TestInputNameIsTheDecoders(t *testing.T) {
	t.Parallel()
	var v struct {
		URL, BuildToken, CACert, ArtifactsDir, AbcD, OnInput, XYZValue string
	}
	params, err := env.GetFieldParamsWithOptions(&v, env.Options{UseFieldNameByDefault: true})
	if err != nil {
		t.Fatal(err)
	}
	typ := reflect.TypeOf(v)
	for i := range typ.NumField() {
		f := typ.Field(i)
		if got, want := strings.ToUpper(inputName(f.Name)), params[i].Key; got != want {
			t.Errorf("inputName(%s) = %s, the decoder reads %s", f.Name, got, want)
		}
	}
}

// TestQueueTimeout: queue_timeout up to timeout is taken; with wait_for
// queue, which ends the step before any wait, it is taken with a warning.
func TestQueueTimeout(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  map[string]string
		want time.Duration
		warn string
	}{
		{"not given", base(), 0, ""},
		{"shorter than timeout", with("INPUT_QUEUE_TIMEOUT", "10m"), 10 * time.Minute, ""},
		{"as long as timeout", with("JENKINS_QUEUE_TIMEOUT", "30m", "JENKINS_TIMEOUT", "30m"), 30 * time.Minute, ""},
		{"with wait_for queue", with("JENKINS_QUEUE_TIMEOUT", "10m", "JENKINS_WAIT_FOR", "queue"), 10 * time.Minute, "queue_timeout has no effect with wait_for: queue"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if c.Policy.QueueTimeout != tt.want {
				t.Errorf("queue timeout %v, want %v", c.Policy.QueueTimeout, tt.want)
			}
			if got := strings.Join(c.Warnings, "\n"); tt.warn == "" && got != "" || !strings.Contains(got, tt.warn) {
				t.Errorf("warnings %q, want %q", got, tt.warn)
			}
		})
	}
}

// TestCause: with a build token, the cause is the input as given or else
// the CI run, read from the variables GitHub and GitLab set; without one
// nothing is sent, and a cause given for nothing is warned of.
func TestCause(t *testing.T) {
	t.Parallel()
	const token = "JENKINS_BUILD_TOKEN"
	github := []string{"GITHUB_ACTIONS", "true", "GITHUB_SERVER_URL", "https://github.com", "GITHUB_REPOSITORY", "octo/app",
		"GITHUB_WORKFLOW", "Deploy to prod", "GITHUB_RUN_ID", "9876543210", "GITHUB_RUN_ATTEMPT", "2"}
	gitlab := []string{"GITLAB_CI", "true", "CI_PROJECT_PATH", "group/app", "CI_PIPELINE_URL", "https://gitlab.example.com/group/app/-/pipelines/77",
		"CI_JOB_URL", "https://gitlab.example.com/group/app/-/jobs/991"}
	for _, tt := range []struct {
		name    string
		env     []string
		want    string
		warnsOf bool
	}{
		{"github", append([]string{token, "t"}, github...),
			"GitHub Actions: octo/app, workflow Deploy to prod, run https://github.com/octo/app/actions/runs/9876543210/attempts/2", false},
		{"github enterprise without an attempt", []string{token, "t", "GITHUB_ACTIONS", "true", "GITHUB_SERVER_URL", "https://ghe.example.com/", "GITHUB_REPOSITORY", "o/r", "GITHUB_RUN_ID", "5"},
			"GitHub Actions: o/r, run https://ghe.example.com/o/r/actions/runs/5", false},
		{"gitlab", append([]string{token, "t"}, gitlab...),
			"GitLab CI: group/app, pipeline https://gitlab.example.com/group/app/-/pipelines/77, job https://gitlab.example.com/group/app/-/jobs/991", false},
		{"elsewhere", []string{token, "t"}, "", false},
		{"github variables outside GitHub mode", append([]string{token, "t", "GITHUB_ACTIONS", "false"}, github[2:]...), "", false},
		{"given", append([]string{token, "t", "INPUT_CAUSE", "release 1.2 & more"}, github...), "release 1.2 & more", false},
		{"given blank", append([]string{token, "t", "JENKINS_CAUSE", "  "}, gitlab...),
			"GitLab CI: group/app, pipeline https://gitlab.example.com/group/app/-/pipelines/77, job https://gitlab.example.com/group/app/-/jobs/991", false},
		{"no build token", github, "", false},
		{"given without a build token", []string{"JENKINS_CAUSE", "release"}, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(with(tt.env...))
			if err != nil {
				t.Fatal(err)
			}
			if c.Cause != tt.want {
				t.Errorf("cause %q, want %q", c.Cause, tt.want)
			}
			if warned := strings.Contains(strings.Join(c.Warnings, "\n"), "cause is given but build_token is not"); warned != tt.warnsOf {
				t.Errorf("warnings %q", c.Warnings)
			}
		})
	}
}

// TestEnvErrorNamesNoInputItCannot: a fault the decoder finds in no one
// input is reported as the inputs', not as an input that does not exist.
func TestEnvErrorNamesNoInputItCannot(t *testing.T) {
	t.Parallel()
	err := translateEnvError(errors.New("broken"))
	var ie *contract.InputError
	if !errors.As(err, &ie) || err.Error() != "inputs: broken" {
		t.Errorf("err = %v, want inputs: broken as an input error", err)
	}
}
