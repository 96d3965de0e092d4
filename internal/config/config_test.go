package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
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
	if c.WaitFor != WaitCompletion || c.Timeout != time.Hour || c.AbortOnStop != nil || !c.FailOnUnstable || !c.Log || c.Insecure ||
		c.OnInput != InputWait || c.ArtifactsDir != "jenkins-artifacts" || c.Follow != "" || c.Artifacts != "" {
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
		if c.AbortOnStop == nil || *c.AbortOnStop != (v == "true") {
			t.Errorf("abort_on_stop %s: got %v", v, c.AbortOnStop)
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
		{"follow with parameters", with("JENKINS_FOLLOW", build, "JENKINS_PARAMETERS", "A=1"), "input follow (JENKINS_FOLLOW): follows a build that is already queued or running, so parameters cannot be given with it"},
		{"follow with files", with("JENKINS_FOLLOW", build, "JENKINS_FILES", "F=/etc/hostname"), "input follow (JENKINS_FOLLOW): follows a build that is already queued or running, so files cannot be given with it"},
		{"bad on_input", with("JENKINS_ON_INPUT", "maybe"), `input on_input (JENKINS_ON_INPUT): "maybe" is not one of wait, abort, proceed`},
		{"on_input any case", with("INPUT_ON_INPUT", "Proceed"), ""},
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
	for _, v := range []string{"true", "TRUE", "True", "1", "yes", "YES"} {
		c, err := Load(with("JENKINS_INSECURE", v))
		if err != nil || !c.Insecure {
			t.Errorf("%q: insecure=%v err=%v", v, c != nil && c.Insecure, err)
		}
	}
	for _, v := range []string{"false", "False", "0", "no", "NO"} {
		c, err := Load(with("JENKINS_LOG", v))
		if err != nil || c.Log {
			t.Errorf("%q: log=%v err=%v", v, c != nil && c.Log, err)
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
		{"negative timeout", with("JENKINS_TIMEOUT", "-5m"), "timeout", "positive"},
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
			var ie *InputError
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
		want []Param
	}{
		{"", nil},
		{"A=1\r\nB=x=y\n\n  \nC=", []Param{{"A", "1"}, {"B", "x=y"}, {"C", ""}}},
		{"URL=https://x/?a=1&b=2#frag", []Param{{"URL", "https://x/?a=1&b=2#frag"}}},
		{"MSG= spaced value ", []Param{{"MSG", " spaced value "}}},
		{"  {\"B\": \"two\\nlines\", \"A\": 1.50, \"F\": true, \"N\": -3e2, \"U\": \"héllo\"}", []Param{{"B", "two\nlines"}, {"A", "1.50"}, {"F", "true"}, {"N", "-3e2"}, {"U", "héllo"}}},
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
	if err != nil || len(c.Files) != 1 || c.Files[0] != (File{"PLAN", f}) {
		t.Fatalf("files = %v, err = %v", c, err)
	}
	if _, err := Load(with("JENKINS_FILES", "PLAN="+f, "JENKINS_PARAMETERS", "PLAN=x")); err == nil {
		t.Error("a name in both parameters and files should be bad input")
	}
}

func TestInputsMatchContractNames(t *testing.T) {
	t.Parallel()
	for _, in := range Inputs() {
		if strings.ToUpper(in.Name) != strings.TrimPrefix(in.Env, "JENKINS_") || in.Description == "" {
			t.Errorf("input %+v: name and env disagree or no description", in)
		}
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
