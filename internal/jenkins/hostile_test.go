package jenkins

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

// Recognisable credentials that no error may carry, in any form.
const (
	hostileUser       = "alice"
	hostileToken      = "t0ken/with+odd&chars=secret"
	hostileBuildToken = "bu1ld token?secret"
)

var hostileForms = []string{
	hostileToken, url.QueryEscape(hostileToken), url.PathEscape(hostileToken),
	hostileBuildToken, url.QueryEscape(hostileBuildToken),
	base64.StdEncoding.EncodeToString([]byte(hostileUser + ":" + hostileToken)),
}

// testJob is the job every hostile test asks about.
var testJob = Job{Path: "/job/deploy/", Name: "deploy"}

// tally counts the requests a hostile server saw and the client's retries.
// A retry under a short deadline may give up before the server sees it, so
// retries are counted where they are made.
type tally struct{ requests, retries atomic.Int32 }

// check reports whether the client retried as expected, and a request
// reached the server exactly once when it should not have retried.
func (n *tally) check(t *testing.T, retried bool) {
	t.Helper()
	if r := n.retries.Load(); retried && r == 0 || !retried && (r != 0 || n.requests.Load() != 1) {
		t.Errorf("%d requests, %d retries; want retries: %v", n.requests.Load(), r, retried)
	}
}

// hostile serves h under a context path and returns a client for it with
// a retry budget, and a tally of what happened. Its
// request deadline is generous, so that only the tests that shorten it to
// short meet it, however loaded the machine.
func hostile(t *testing.T, h http.HandlerFunc) (*Client, *tally) {
	t.Helper()
	return hostileOn(t, &memnet.Network{}, h)
}

// hostileOn is hostile on nw, where other servers of the test listen.
func hostileOn(t *testing.T, nw *memnet.Network, h http.HandlerFunc) (*Client, *tally) {
	t.Helper()
	n := &tally{}
	// A server notices a client hanging up only once it has read the
	// request's body; stop ends the handlers that never do.
	stop := make(chan struct{})
	ts := nw.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/jenkins/crumbIssuer/") {
			http.NotFound(w, r)
			return
		}
		n.requests.Add(1)
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		go func() {
			select {
			case <-stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		h(w, r.WithContext(ctx))
	}))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(stop) })
	base, _ := url.Parse(ts.URL + "/jenkins")
	t.Cleanup(ts.Client().CloseIdleConnections)
	hc := &http.Client{Transport: readTakesTime{next: ts.Client().Transport, perRead: time.Millisecond}}
	return New(base, hc, Options{
		User: hostileUser, Token: hostileToken, BuildToken: hostileBuildToken,
		RequestTimeout: 5 * time.Second,
		RetryBudget:    1500 * time.Millisecond,
		OnRetry:        func(error, time.Duration) { n.retries.Add(1) },
	}), n
}

// short is the request deadline of the tests that wait for it to pass.
const short = 100 * time.Millisecond

func jsonAnswer(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		io.WriteString(w, body)
	}
}

// silent accepts the request and says nothing until the client gives up:
// the bubble's time then passes to the client's next timer, its deadline.
func silent(w http.ResponseWriter, r *http.Request) {
	<-r.Context().Done()
}

// cutShort promises a body and drops the connection halfway through it.
func cutShort(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", "1000")
	io.WriteString(w, `{"buildable":true,"prop`)
	w.(http.Flusher).Flush()
	conn, _, _ := http.NewResponseController(w).Hijack()
	conn.Close()
}

// endless streams text until the client hangs up, a little at a time so
// that the test stays cheap.
func endless(w http.ResponseWriter, r *http.Request) {
	chunk := bytes.Repeat([]byte("y\n"), 4096)
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
		w.(http.Flusher).Flush()
	}
}

// readTakesTime is a transport whose streamed answers (of no announced
// length) take perRead for each read of their body, as a slow
// link would: a body that never ends then meets the client's deadlines at
// a pace the client sets itself.
type readTakesTime struct {
	next    http.RoundTripper
	perRead time.Duration
}

func (t readTakesTime) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err == nil && resp.ContentLength < 0 {
		resp.Body = &slowRead{ReadCloser: resp.Body, t: t}
	}
	return resp, err
}

type slowRead struct {
	io.ReadCloser
	t readTakesTime
}

func (s *slowRead) Read(p []byte) (int, error) {
	time.Sleep(s.t.perRead)
	return s.ReadCloser.Read(p)
}

// echo is an error page that dumps the request, credentials included, as
// some proxies and debug pages do.
func echo(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<html><body><pre>%s %s\nAuthorization: %s\n</pre></body></html>", r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"))
	}
}

// malformed answers with a status line that quotes the credentials back.
func malformed(w http.ResponseWriter, r *http.Request) {
	conn, buf, _ := http.NewResponseController(w).Hijack()
	defer conn.Close()
	fmt.Fprintf(buf, "%s token=%s\r\n\r\n", r.Header.Get("Authorization"), r.URL.Query().Get("token"))
	buf.Flush()
}

func assertClean(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, s := range hostileForms {
		if strings.Contains(msg, s) {
			t.Errorf("error carries a credential (%q): %s", s, msg)
		}
	}
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("error is not one line: %q", msg)
	}
}

// TestHostileJSONAnswers feeds the JSON reads answers a broken proxy or a
// misbehaving server gives: each must end in a clear error, after at most
// a bounded number of retries, and never in a panic or a hang.
func TestHostileJSONAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
		retried bool
		// timeout, when set, replaces the request deadline.
		timeout time.Duration
	}{
		{"login page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, "<html><form action=/login>Sign in</form></html>")
		}, "a page that is not Jenkins' (a login page?) came from something in front of Jenkins", false, 0},
		{"Jenkins' page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Jenkins", "2.528.1")
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, "<html><h1>Dashboard</h1></html>")
		}, "unusable answer (text/html; charset=utf-8): not JSON", false, 0},
		{"no content type", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Jenkins", "2.528.1")
			w.Header()["Content-Type"] = nil
			io.WriteString(w, `{"buildable":true}`)
		}, "not JSON", false, 0},
		{"truncated JSON", jsonAnswer(`{"buildable":true,"property":[{"parameterDefinitions":[{"name":"A"`), "unexpected end of JSON input", false, 0},
		{"wrong types", jsonAnswer(`{"buildable":"yes"}`), "cannot unmarshal", false, 0},
		{"huge number", jsonAnswer(`{"property":[{"parameterDefinitions":[{"name":1e999}]}]}`), "cannot unmarshal", false, 0},
		{"JSON array", jsonAnswer(`[1,2,3]`), "cannot unmarshal array", false, 0},
		{"too large", jsonAnswer(`{"x":"` + strings.Repeat("a", maxBody) + `"}`), "answer too large", false, time.Minute},
		{"endless JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			endless(w, r)
		}, "answer too large", false, time.Minute},
		{"dropped halfway", cutShort, "unexpected EOF", true, 0},
		{"silent", silent, "no answer in time", true, short},
		{"redirect elsewhere", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusFound)
		}, "302 Found to http://127.0.0.1:1/elsewhere came from something in front of Jenkins", false, 0},
		{"error page echoing credentials", echo(http.StatusForbidden), "403 Forbidden", false, 0},
		{"proxy error echoing credentials", echo(http.StatusBadGateway), "502 Bad Gateway", true, 0},
		{"malformed status line", malformed, "malformed HTTP", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, n := hostile(t, tt.handler)
				if tt.timeout > 0 {
					c.opts.RequestTimeout = tt.timeout
				}
				_, err := c.JobInfo(context.Background(), testJob)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
				n.check(t, tt.retried)
				if strings.Count(err.Error(), "GET http") != 1 {
					t.Errorf("the request should be named once: %v", err)
				}
				assertClean(t, err)
			})
		})
	}
}

// TestHostileConsoleAnswers covers progressiveText answers that cannot be
// followed: a bad X-Text-Size, a body that never ends, and silence.
func TestHostileConsoleAnswers(t *testing.T) {
	t.Parallel()
	text := func(size string, body http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
			w.Header().Set("X-More-Data", "true")
			if size != "" {
				w.Header().Set("X-Text-Size", size)
			}
			if body != nil {
				body(w, r)
			}
		}
	}
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		want     string
		retried  bool
		maxBytes int64
	}{
		{"negative size", text("-5", nil), `bad X-Text-Size "-5"`, false, 0},
		{"huge size", text("1152921504606846976", nil), "bad X-Text-Size", false, 0},
		{"overflowing size", text("99999999999999999999", nil), "bad X-Text-Size", false, 0},
		{"no size", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Jenkins", "2.528.1") // Jenkins' own, but not the console
			text("", nil)(w, r)
		}, "no X-Text-Size, so not a console answer", false, 0},
		{"no size, not Jenkins", text("", nil), "a page that is not Jenkins' (a login page?) came from something in front of Jenkins", false, 0},
		{"endless body", text("10", endless), "goes on past", false, consoleLimit(10)},
		{"endless body, large size", text("1099511627776", endless), "no answer in time", true, -1},
		{"silent", silent, "no answer in time", true, 0},
		{"login page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html><form action=/login>Sign in</form></html>")
		}, "a page that is not Jenkins' (a login page?) came from something in front of Jenkins", false, 0},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/login", http.StatusFound)
		}, "302 Found to http://127.0.0.1:1/login came from something in front of Jenkins", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, n := hostile(t, tt.handler)
				if tt.retried { // the retried ones wait for the deadline
					c.opts.RequestTimeout = short
				}
				var out countingWriter
				_, err := c.ProgressiveText(context.Background(), testJob, 1, 0, &out)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
				n.check(t, tt.retried)
				if tt.maxBytes >= 0 && out.n > tt.maxBytes {
					t.Errorf("wrote %d bytes, more than %d", out.n, tt.maxBytes)
				}
				assertClean(t, err)
			})
		})
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// TestUploadIdleDeadline shows that an upload is given up on when the
// server stops taking it, however large it is, but not while it moves.
func TestUploadIdleDeadline(t *testing.T) {
	t.Parallel()
	t.Run("server stops reading", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			// Large enough to fill the sockets' buffers on most machines; where
			// it does not, the deadline for the answer ends it instead.
			big := filepath.Join(t.TempDir(), "big.bin")
			if err := os.WriteFile(big, make([]byte, 16<<20), 0o600); err != nil {
				t.Fatal(err)
			}
			c, _ := hostile(t, silent)
			c.opts.RequestTimeout = short
			_, err := c.Trigger(context.Background(), testJob, TriggerRequest{Files: []build.File{{Name: "F", Path: big}}})
			var lost *AnswerLostError
			if !errors.As(err, &lost) || !isRequestTimeout(err) {
				t.Fatalf("err = %v, want a lost answer after the idle deadline", err)
			}
			assertClean(t, err)
		})
	})
	t.Run("slow but moving", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			var got atomic.Int64
			c, _ := hostile(t, func(w http.ResponseWriter, r *http.Request) {
				n, _ := io.Copy(io.Discard, r.Body)
				got.Store(n)
				w.Header().Set("Location", "/jenkins/queue/item/7/")
				w.WriteHeader(http.StatusCreated)
			})
			// 25 pieces 20 ms apart: longer than the 400 ms deadline in all.
			c.opts.RequestTimeout = 400 * time.Millisecond
			err := c.do(context.Background(), request{method: http.MethodPost, path: "/job/deploy/buildWithParameters", deadline: c.streamDeadline(),
				body: func() (io.Reader, int64, error) {
					return &trickle{left: 25, every: 20 * time.Millisecond}, 25, nil
				},
			}, discard)
			if err != nil || got.Load() != 25 {
				t.Fatalf("err = %v, server got %d bytes", err, got.Load())
			}
		})
	})
}

// trickle yields one byte every so often.
type trickle struct {
	left  int
	every time.Duration
}

func (r *trickle) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.every)
	r.left--
	p[0] = 'x'
	return 1, nil
}

// TestCertificateErrorNamesHostAndIsNotRetried uses a server whose
// certificate the client does not trust.
func TestCertificateErrorNamesHostAndIsNotRetried(t *testing.T) {
	t.Parallel()
	ts := httptest.NewUnstartedServer(jsonAnswer(`{"buildable":true}`))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake error is expected
	ts.StartTLS()
	t.Cleanup(ts.Close)
	base, _ := url.Parse(ts.URL + "/jenkins")
	var retries atomic.Int32
	c := New(base, &http.Client{Transport: &http.Transport{}}, Options{Token: hostileToken, RequestTimeout: 5 * time.Second,
		OnRetry: func(error, time.Duration) { retries.Add(1) }})
	_, err := c.JobInfo(context.Background(), testJob)
	var ce *CertificateError
	if !errors.As(err, &ce) || ce.Host != base.Host {
		t.Fatalf("err = %v, want a *CertificateError for %s", err, base.Host)
	}
	if !strings.Contains(err.Error(), "ca_cert") || !strings.Contains(err.Error(), base.Host) {
		t.Errorf("message should name the host and ca_cert: %v", err)
	}
	if n := retries.Load(); n != 0 {
		t.Errorf("%d retries; a certificate error must not be retried", n)
	}
}

// TestTransportTimeoutIsRetried: a network timeout (here the transport's
// own for response headers, on the wall clock, which the product's
// transport leaves to the request's deadline) is the request's failure,
// and retried.
func TestTransportTimeoutIsRetried(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, n := hostile(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		tr := c.http.Transport.(readTakesTime).next.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = 50 * time.Millisecond
		c.http.Transport = tr
		c.opts.RequestTimeout = 10 * time.Second
		_, err := c.JobInfo(context.Background(), testJob)
		if err == nil || !strings.Contains(err.Error(), "timeout awaiting response headers") || n.retries.Load() == 0 {
			t.Fatalf("err = %v after %d retries, want some", err, n.retries.Load())
		}
	})
}
