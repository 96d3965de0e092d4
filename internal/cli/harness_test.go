package cli

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

// Secrets the scenarios use; no output may ever contain them.
const (
	secretToken      = "11tok3n5ecr3tf0rt3st1ngonly00000000"
	secretPassword   = "pa55w0rd-secret-xyz"
	secretBuildToken = "bu1ld-t0ken-secret-abc"
)

// harness runs the whole command against a fake Jenkins on an in-memory
// network. Make it inside a synctest bubble, whose time the fake and the
// command share.
type harness struct {
	t      *testing.T
	net    *memnet.Network
	srv    *jenkinstest.Server
	http   *http.Client
	dir    string
	env    map[string]string
	stdout syncBuffer
	stderr syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the flow and a fault hook at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// epoch is when every synctest bubble's clock starts.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, opts jenkinstest.Options) *harness {
	t.Helper()
	h := &harness{t: t, net: &memnet.Network{}, dir: t.TempDir()}
	opts.Net = h.net
	if opts.ContextPath == "" {
		opts.ContextPath = "/jenkins"
	}
	if opts.RootURL == "" {
		opts.RootURL = "http://localhost:8080/jenkins/"
	}
	if opts.Users == nil {
		opts.Users = map[string]jenkinstest.User{
			"alice": {APIToken: secretToken},
			"bob":   {Password: secretPassword},
		}
	}
	h.srv = jenkinstest.New(opts)
	t.Cleanup(h.srv.Close)
	transport := h.net.Transport()
	t.Cleanup(transport.CloseIdleConnections)
	h.http = &http.Client{Transport: transport}
	h.env = h.baseEnv()
	return h
}

// baseEnv is the environment every scenario starts from: alice's token and
// a dotenv file in the harness' own directory.
func (h *harness) baseEnv() map[string]string {
	return map[string]string{
		"JENKINS_URL":    h.srv.URL(),
		"JENKINS_USER":   "alice",
		"JENKINS_TOKEN":  secretToken,
		"JENKINS_DOTENV": filepath.Join(h.dir, "outputs.env"),
	}
}

// again returns a fresh harness on the same fake Jenkins, for a
// later step.
func (h *harness) again() *harness {
	h.t.Helper()
	n := &harness{t: h.t, net: h.net, srv: h.srv, http: h.http, dir: h.t.TempDir()}
	n.env = n.baseEnv()
	return n
}

// fronted puts a server in front of the fake, made by wrap, and points
// url at it.
func (h *harness) fronted(wrap func(next http.Handler) http.Handler) {
	ts := h.net.NewServer(wrap(h.srv.Handler()))
	h.t.Cleanup(ts.Close)
	h.env["JENKINS_URL"] = ts.URL + "/jenkins"
}

func (h *harness) set(kv ...string) *harness {
	for i := 0; i < len(kv); i += 2 {
		h.env[kv[i]] = kv[i+1]
	}
	return h
}

func (h *harness) run(ctx context.Context) int {
	return Run(ctx, Env{
		Environ:    h.env,
		Stdout:     &h.stdout,
		Stderr:     &h.stderr,
		HTTPClient: h.http,
	})
}

// outputs reads the dotenv file.
func (h *harness) outputs() map[string]string {
	h.t.Helper()
	data, err := os.ReadFile(h.env["JENKINS_DOTENV"])
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(data)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// everything is all the run wrote: streams and files.
func (h *harness) everything() string {
	var b strings.Builder
	b.WriteString(h.stdout.String())
	b.WriteString(h.stderr.String())
	filepath.WalkDir(h.dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(path)
			b.Write(data)
		}
		return nil
	})
	return b.String()
}

// assertNoSecrets fails if anything the run wrote carries one of the
// harness's secrets or extra. In GitHub mode, masking a secret means
// printing it once to the runner, so ::add-mask:: lines may carry one.
func (h *harness) assertNoSecrets(extra ...string) {
	h.t.Helper()
	github := h.env["GITHUB_ACTIONS"] == "true"
	secrets := append([]string{secretToken, secretPassword, secretBuildToken}, extra...)
	for i, line := range strings.Split(h.everything(), "\n") {
		if github && strings.HasPrefix(line, "::add-mask::") {
			continue
		}
		for _, s := range secrets {
			if strings.Contains(line, s) {
				h.t.Errorf("line %d carries a secret (%q): %q", i+1, s, line)
			}
		}
	}
}

func lines(n int, every time.Duration, prefix string) []jenkinstest.LogLine {
	out := make([]jenkinstest.LogLine, n)
	for i := range out {
		out[i] = jenkinstest.LogLine{At: time.Duration(i) * every, Text: prefix + " line " + strconv.Itoa(i+1)}
	}
	return out
}
