package jenkins

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
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
		retry, wait := Retryable(tt.err)
		if retry != tt.retry || wait != tt.wait {
			t.Errorf("%s: Retryable = %v %v, want %v %v", tt.name, retry, wait, tt.retry, tt.wait)
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
		if got := LooksLikeAPIToken(token); got != want {
			t.Errorf("LooksLikeAPIToken(%q) = %v", token, got)
		}
	}
}
