package jenkins

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

func TestRetryable(t *testing.T) {
	t.Parallel()
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	read := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	tests := []struct {
		name    string
		err     error
		retry   bool
		wait    time.Duration
		notSent bool
	}{
		{"nil", nil, false, 0, false},
		{"refused", fmt.Errorf("GET x: %w", dial), true, 0, true},
		{"reset", fmt.Errorf("GET x: %w", read), true, 0, false},
		{"eof", fmt.Errorf("GET x: %w", io.EOF), true, 0, false},
		{"truncated", io.ErrUnexpectedEOF, true, 0, false},
		{"request timeout", &requestTimeoutError{err: context.DeadlineExceeded}, true, 0, false},
		{"run deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), false, 0, false},
		{"cancelled", context.Canceled, false, 0, false},
		{"502", &HTTPError{Status: 502}, true, 0, false},
		{"503", &HTTPError{Status: 503}, true, 0, true},
		{"504", &HTTPError{Status: 504}, true, 0, false},
		{"500", &HTTPError{Status: 500}, true, 0, false},
		{"501", &HTTPError{Status: 501}, false, 0, false},
		{"429", &HTTPError{Status: 429, RetryAfter: 7 * time.Second}, true, 7 * time.Second, true},
		{"401", &HTTPError{Status: 401}, false, 0, false},
		{"403", &HTTPError{Status: 403}, false, 0, false},
		{"404", &HTTPError{Status: 404}, false, 0, false},
		{"html", &DecodeError{Err: errors.New("not JSON")}, false, 0, false},
		{"cert", fmt.Errorf("GET x: %w", x509.UnknownAuthorityError{}), false, 0, false},
	}
	for _, tt := range tests {
		retry, wait := retryable(tt.err)
		if retry != tt.retry || wait != tt.wait {
			t.Errorf("%s: retryable = %v %v, want %v %v", tt.name, retry, wait, tt.retry, tt.wait)
		}
		if got := NotSent(tt.err); got != tt.notSent {
			t.Errorf("%s: NotSent = %v, want %v", tt.name, got, tt.notSent)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"5":                             5 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Mon, 23 Nov 2026 12:00:30 GMT": 30 * time.Second,
		"Mon, 23 Nov 2026 11:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}

func TestExcerpt(t *testing.T) {
	t.Parallel()
	got := excerpt([]byte("<html><head><style>p{}</style></head><body><h2>HTTP ERROR 409</h2>\n<p>team/app is not buildable &amp; disabled</p></body></html>"))
	if got != "HTTP ERROR 409 team/app is not buildable & disabled" {
		t.Errorf("excerpt = %q", got)
	}
	if long := excerpt([]byte(strings.Repeat("é", 300))); len(long) > 204 || !utf8.ValidString(long) {
		t.Errorf("excerpt not bounded: %d bytes", len(long))
	}
}

func TestLooksLikeAPIToken(t *testing.T) {
	t.Parallel()
	for token, want := range map[string]bool{
		"11a1b2c3d4e5f60718293a4b5c6d7e8f90": true,
		"0123456789abcdef0123456789abcdef":   true,
		"0123456789ABCDEF0123456789ABCDEF":   false,
		"22a1b2c3d4e5f60718293a4b5c6d7e8f90": false,
		"hunter2":                            false,
		"":                                   false,
	} {
		if got := looksLikeAPIToken(token); got != want {
			t.Errorf("looksLikeAPIToken(%q) = %v", token, got)
		}
	}
}

// TestFirstContact: until Jenkins has answered once, a Jenkins that cannot
// be reached is given up on after FirstContactBudget with one line naming
// the URL and the cause; the budget is spent in the bubble's time.
func TestFirstContact(t *testing.T) {
	t.Parallel()
	const closed = "127.0.0.1:1" // nothing listens there on the network
	tests := []struct {
		name, base, cause, end string
	}{
		{"connection refused", "http://" + closed + "/jenkins", "dial tcp " + closed + ": connect: connection refused", ""},
		{"no such host", "https://ci.invalid/jenkins", "dial tcp: lookup ci.invalid", "no such host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				base, _ := url.Parse(tt.base)
				start := time.Now()
				var retries int
				c := New(base, &http.Client{Transport: (&memnet.Network{}).Transport()}, Options{
					User: hostileUser, Token: hostileToken,
					OnRetry: func(error, time.Duration) { retries++ },
				})
				_, err := c.JobInfo(context.Background(), testJob)
				var ue *UnreachableError
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v, want an *UnreachableError", err)
				}
				head := fmt.Sprintf("cannot reach Jenkins at %s: %s", tt.base, tt.cause)
				end := fmt.Sprintf("%s (giving up after %d attempts over 45s)", tt.end, retries+1)
				if msg := err.Error(); !strings.Contains(msg, head) || !strings.HasSuffix(msg, end) {
					t.Errorf("err = %q\nwant %q … %q", err, head, end)
				}
				if got := time.Since(start); got != 45*time.Second {
					t.Errorf("gave up after %v of virtual time, want 45s", got)
				}
				assertClean(t, err)
			})
		})
	}
}

// TestFaultsAfterFirstAnswer: once Jenkins has answered, the same fault is
// survived with the whole RetryBudget, since a restart takes minutes.
func TestFaultsAfterFirstAnswer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const closed = "127.0.0.1:1" // nothing listens there on n
		n := &memnet.Network{}
		ts := n.NewServer(jsonAnswer(`{"buildable":true}`))
		t.Cleanup(ts.Close)
		base, _ := url.Parse(ts.URL + "/jenkins")
		// Jenkins goes away after its first answer: later dials go where
		// nothing listens. Closing the server instead would free its port for
		// a parallel test's server to take.
		var gone atomic.Bool
		transport := &http.Transport{DisableKeepAlives: true, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if gone.Load() {
				addr = closed
			}
			return n.DialContext(ctx, network, addr)
		}}
		c := New(base, &http.Client{Transport: transport}, Options{RetryBudget: 3 * time.Minute})
		if _, err := c.JobInfo(context.Background(), testJob); err != nil {
			t.Fatal(err)
		}
		gone.Store(true)
		start := time.Now()
		_, err := c.JobInfo(context.Background(), testJob)
		var ue *UnreachableError
		if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "giving up after") || !strings.Contains(err.Error(), "connection refused") {
			t.Fatalf("err = %v, want the whole retry budget spent", err)
		}
		if got := time.Since(start); got != 3*time.Minute {
			t.Errorf("gave up after %v of virtual time, want the 3m budget", got)
		}
	})
}

// TestRetryAfterWithinBudget: a Retry-After the budget can hold is waited
// for; one longer than the budget has left ends the retries at once, since
// Jenkins said it will not be ready within it.
func TestRetryAfterWithinBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		retryAfter string
		wantWaits  []time.Duration
		wantErr    string
	}{
		{"held", "20", []time.Duration{20 * time.Second}, ""},
		{"longer than the budget", "120", nil, "giving up after 1 attempts over 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var calls atomic.Int32
				var waits []time.Duration
				c, _ := hostile(t, func(w http.ResponseWriter, r *http.Request) {
					if calls.Add(1) == 1 {
						w.Header().Set("Retry-After", tt.retryAfter)
						w.WriteHeader(http.StatusServiceUnavailable)
						return
					}
					jsonAnswer(`{"buildable":true}`)(w, r)
				})
				c.opts.RetryBudget = time.Minute
				c.opts.OnRetry = func(_ error, d time.Duration) { waits = append(waits, d) }
				_, err := c.JobInfo(context.Background(), testJob)
				if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if !slices.Equal(waits, tt.wantWaits) {
					t.Errorf("waits %v, want %v", waits, tt.wantWaits)
				}
			})
		})
	}
}

// TestGivingUpNamesAttempts: an error retried to the end of the budget says
// how often and how long, and keeps the typed error inside.
func TestGivingUpNamesAttempts(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, n := hostile(t, echo(http.StatusBadGateway))
		_, err := c.JobInfo(context.Background(), testJob)
		var he *HTTPError
		if !errors.As(err, &he) || he.Status != http.StatusBadGateway {
			t.Fatalf("err = %v, want a 502 *HTTPError inside", err)
		}
		want := fmt.Sprintf("giving up after %d attempts over ", n.requests.Load())
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want %q", err, want)
		}
		if strings.Contains(he.URL, "tree=") {
			t.Errorf("the URL should be named without its tree: %v", err)
		}
		assertClean(t, err)
	})
}

// TestTriggerRetriesWhatWasNotSent: the trigger is sent again after a 503,
// which proves nothing was queued, and never after a 502.
func TestTriggerRetriesWhatWasNotSent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		answers []int
		want    string
		posts   int32
	}{
		{"503 then queued", []int{503, 503, 201}, "", 3},
		{"502 is not resent", []int{502, 201}, "answer was lost", 1},
		{"503 until the budget ends", []int{503}, "giving up after", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var posts atomic.Int32
				c, _ := hostile(t, func(w http.ResponseWriter, r *http.Request) {
					i := int(posts.Add(1)) - 1
					status := tt.answers[min(i, len(tt.answers)-1)]
					if status == http.StatusCreated {
						w.Header().Set("Location", "/jenkins/queue/item/7/")
					}
					w.WriteHeader(status)
				})
				c.opts.RetryBudget = time.Minute
				id, err := c.Trigger(context.Background(), testJob, TriggerRequest{Parameterized: true})
				if tt.want == "" && (err != nil || id != 7) || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
					t.Fatalf("id %d, err = %v, want %q", id, err, tt.want)
				}
				if tt.posts > 0 && posts.Load() != tt.posts {
					t.Errorf("%d POSTs, want %d", posts.Load(), tt.posts)
				}
				assertClean(t, err)
			})
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	u, _ := url.Parse("https://bob:pw@ci.example.com/jenkins/job/a/api/json?tree=x%5By%5D&token=s3cret&start=5")
	if got, want := Redact(u), "https://ci.example.com/jenkins/job/a/api/json?start=5&token=%2A%2A%2A"; got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
}
