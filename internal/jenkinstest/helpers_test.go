package jenkinstest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

// epoch is when every synctest bubble's clock starts.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	alicePassword = "alice-password"
	aliceToken    = "11aa22bb33cc44dd55ee66ff77889900aa"
)

// fixture is a fake on an in-memory network and a client that keeps
// cookies and does not follow redirects. Make it inside a synctest bubble:
// the fake's time is then the bubble's, moved by time.Sleep.
type fixture struct {
	t      *testing.T
	net    *memnet.Network
	srv    *Server
	client *http.Client
}

func newFixture(t *testing.T, opts Options, jobs ...JobSpec) *fixture {
	t.Helper()
	if opts.Net == nil {
		opts.Net = &memnet.Network{}
	}
	n := opts.Net
	if opts.Users == nil {
		opts.Users = map[string]User{"alice": {Password: alicePassword, APIToken: aliceToken}}
	}
	if opts.ContextPath == "" {
		opts.ContextPath = "/jenkins"
	}
	srv := New(opts)
	t.Cleanup(srv.Close)
	for _, j := range jobs {
		srv.AddJob(j)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	transport := n.Transport()
	t.Cleanup(transport.CloseIdleConnections)
	return &fixture{t: t, net: n, srv: srv, client: &http.Client{
		Transport:     transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// call describes a request; the zero auth is alice's API token.
type call struct {
	method, path string
	anonymous    bool
	password     bool // authenticate with alice's password instead
	form         url.Values
	multipart    func(*multipart.Writer)
	body         string // raw body with contentType
	contentType  string
	header       map[string]string
	host         string
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (f *fixture) do(c call) reply {
	f.t.Helper()
	var body io.Reader
	ct := c.contentType
	switch {
	case c.form != nil:
		body, ct = strings.NewReader(c.form.Encode()), "application/x-www-form-urlencoded"
	case c.multipart != nil:
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		c.multipart(mw)
		if err := mw.Close(); err != nil {
			f.t.Fatal(err)
		}
		body, ct = &buf, mw.FormDataContentType()
	case c.body != "":
		body = strings.NewReader(c.body)
	}
	if c.method == "" {
		c.method = http.MethodGet
	}
	req, err := http.NewRequest(c.method, f.srv.URL()+c.path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	switch {
	case c.anonymous:
	case c.password:
		req.SetBasicAuth("alice", alicePassword)
	default:
		req.SetBasicAuth("alice", aliceToken)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	if c.host != "" {
		req.Host = c.host
	}
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (f *fixture) get(path string) reply { return f.do(call{path: path}) }

func (f *fixture) post(path string) reply { return f.do(call{method: http.MethodPost, path: path}) }

// json GETs path and decodes the answer, failing unless it is a 200.
func (f *fixture) json(path string) map[string]any {
	f.t.Helper()
	r := f.get(path)
	if r.status != http.StatusOK {
		f.t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		f.t.Fatalf("GET %s: %v in %s", path, err, r.body)
	}
	return m
}

// wantStatus fails unless r has the status.
func wantStatus(t *testing.T, what string, r reply, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body %q", what, r.status, status, r.body)
	}
}

func fixed(s Script) func(map[string]string) Script {
	return func(map[string]string) Script { return s }
}
