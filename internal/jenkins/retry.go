package jenkins

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/jenkins-trigger/jenkins-trigger/internal/wait"
)

// retryable is the retry policy for idempotent requests: whether err may go
// away if the same request is sent again, and the least wait the server
// asked for. It decides nothing about how long to wait.
func retryable(err error) (retry bool, wait time.Duration) {
	switch {
	case err == nil:
		return false, 0
	case isRequestTimeout(err):
		// The client's own deadline, which ends a request by cancelling it.
		return true, 0
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false, 0
	}
	var he *HTTPError
	if errors.As(err, &he) {
		switch {
		case he.Status == http.StatusTooManyRequests, he.Status == http.StatusRequestTimeout:
			return true, he.RetryAfter
		case he.Status == http.StatusNotImplemented:
			return false, 0
		case he.Status >= 500:
			return true, he.RetryAfter
		}
		return false, 0
	}
	var de *DecodeError
	var cce *ClientCertificateError
	if errors.As(err, &de) || isCertificateError(err) || errors.As(err, &cce) {
		return false, 0
	}
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) || isTransportError(err), 0
}

// NotSent reports whether err proves the request never reached Jenkins, so
// that even a trigger may be sent again.
func NotSent(err error) bool {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return true
	}
	// Jenkins answers 503 while it starts or restarts before any handler
	// runs; a rate limiter's 429 likewise means nothing was done.
	return errors.Is(err, errServiceUnavailable) || errors.Is(err, errTooManyRequests)
}

// CertificateError is a TLS certificate that could not be verified. It is
// never retried: the same certificate comes back every time.
type CertificateError struct {
	Host string
	Err  error
}

func (e *CertificateError) Error() string {
	var hn x509.HostnameError
	if errors.As(e.Err, &hn) {
		// No CA can fix a certificate made out to other names.
		return fmt.Sprintf("the TLS certificate of %s cannot be verified (%v); name Jenkins in url as its certificate does", e.Host, e.Err)
	}
	return fmt.Sprintf("the TLS certificate of %s cannot be verified (%v); if Jenkins' certificate comes from a private CA, give that CA in ca_cert (PEM text or a file)", e.Host, e.Err)
}

func (e *CertificateError) Unwrap() error { return e.Err }

// scrubbed hides credentials a server echoed into a transport error, such
// as a malformed status line that quotes the request back.
type scrubbed struct {
	err   error
	scrub func(string) string
}

func (s *scrubbed) Error() string { return s.scrub(s.err.Error()) }
func (s *scrubbed) Unwrap() error { return s.err }

func isCertificateError(err error) bool {
	var (
		ua  x509.UnknownAuthorityError
		ci  x509.CertificateInvalidError
		hn  x509.HostnameError
		cve *tls.CertificateVerificationError
	)
	return errors.As(err, &ua) || errors.As(err, &ci) || errors.As(err, &hn) || errors.As(err, &cve)
}

// ClientCertificateError is a TLS handshake that the server ended over the
// client certificate: it wants one, and got none it accepts. It is never
// retried: the same certificate goes every time.
type ClientCertificateError struct {
	Host string
	Err  error
}

func (e *ClientCertificateError) Error() string {
	return fmt.Sprintf("%s wants a TLS client certificate it accepts (%v): give client_cert and client_key, of a certificate whose CA it trusts", e.Host, e.Err)
}

func (e *ClientCertificateError) Unwrap() error { return e.Err }

// isClientCertRefused tells the alerts with which a TLS server ends a
// handshake over the client's certificate: certificate required (TLS
// 1.3), bad certificate, certificate unknown, unknown CA. Go reports a
// peer's alert as a "remote error" with the alert's text only.
func isClientCertRefused(err error) bool {
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "remote error" {
		return false
	}
	msg := oe.Err.Error()
	for _, a := range []string{"certificate required", "bad certificate", "certificate unknown", "unknown certificate authority"} {
		if strings.HasSuffix(msg, a) {
			return true
		}
	}
	return false
}

// requestTimeoutError marks the client's own per-request deadline, which is
// worth a retry, unlike the run's deadline.
type requestTimeoutError struct{ err error }

func (e *requestTimeoutError) Error() string { return "no answer in time: " + e.err.Error() }
func (e *requestTimeoutError) Unwrap() error { return e.err }
func (e *requestTimeoutError) Timeout() bool { return true }

func isRequestTimeout(err error) bool {
	var rt *requestTimeoutError
	return errors.As(err, &rt)
}

// isTransportError covers failures Go reports without a net error type, such
// as an unexpected EOF when a connection drops mid-answer.
func isTransportError(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// parseRetryAfter reads a Retry-After header given in seconds or as a date.
func parseRetryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// retryBackOff is the waiting schedule for retried requests. It never stops
// by itself: the retry loop ends it at the budget, so that the last attempt
// comes at the budget's end rather than up to one interval before it.
func (c *Client) retryBackOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 500 * time.Millisecond
	b.Multiplier = 2
	b.RandomizationFactor = 0.2
	b.MaxInterval = 15 * time.Second
	b.MaxElapsedTime = 0
	b.Reset()
	return b
}

// retry runs op until it succeeds, fails for good under policy, or the
// backoff gives up, and then says how many attempts it made over how long.
// Until Jenkins has answered once, a failure to reach it is retried only
// within Options.FirstContactBudget and then ends as an *UnreachableError.
func (c *Client) retry(ctx context.Context, policy func(error) (retry bool, wait time.Duration), op func() error) error {
	return c.retryProgress(ctx, policy, op, nil)
}

// retryProgress is retry for an op that resumes where it stopped: when
// progressed reports that the failed attempt moved forward, the backoff
// starts over, so that a long transfer that breaks now and then is not
// given up on for the time it spent moving.
func (c *Client) retryProgress(ctx context.Context, policy func(error) (bool, time.Duration), op func() error, progressed func() bool) error {
	b := c.retryBackOff()
	start := time.Now()
	budgetStart := start
	for attempt := 1; ; attempt++ {
		err := op()
		retry, least := policy(err)
		if !retry {
			return err
		}
		now := time.Now()
		if progressed != nil && progressed() {
			b.Reset()
			budgetStart = now
		}
		elapsed := now.Sub(start)
		budget := c.opts.RetryBudget - now.Sub(budgetStart)
		first := !c.answered.Load() && neverConnected(err)
		if first {
			budget = c.opts.FirstContactBudget - elapsed
		}
		// A server that asks for more time than the budget has left will
		// not be ready within it either.
		if budget <= 0 || least > budget {
			if first {
				return &UnreachableError{URL: Redact(c.base), Err: err, Attempts: attempt, Over: elapsed}
			}
			return &GiveUpError{Attempts: attempt, Over: elapsed, Err: err}
		}
		// The last attempt comes at the end of the budget.
		pause := min(max(b.NextBackOff(), least), budget)
		if c.opts.OnRetry != nil {
			c.opts.OnRetry(err, pause)
		}
		if serr := wait.Sleep(ctx, pause); serr != nil {
			return err
		}
	}
}

// notSentPolicy is the retry policy for a POST that must not be repeated
// unless Jenkins certainly did not act on it.
func notSentPolicy(err error) (bool, time.Duration) {
	if !NotSent(err) {
		return false, 0
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return true, he.RetryAfter
	}
	return true, 0
}

// GiveUpError is the last error of a request retried until its budget ran
// out.
type GiveUpError struct {
	Attempts int
	Over     time.Duration
	Err      error
}

func (e *GiveUpError) Error() string {
	return fmt.Sprintf("giving up after %d attempts over %s: %v", e.Attempts, roundDuration(e.Over), e.Err)
}

func (e *GiveUpError) Unwrap() error { return e.Err }

// UnreachableError is a Jenkins that never answered: nothing listens at
// its URL, its host name does not resolve, or the connection times out.
type UnreachableError struct {
	URL      string // the configured base URL, redacted
	Err      error  // the last attempt's error
	Attempts int
	Over     time.Duration
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach Jenkins at %s: %s (giving up after %d attempts over %s)", e.URL, cause(e.Err), e.Attempts, roundDuration(e.Over))
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// cause is err without the method and URL the client puts in front: the
// network's own words, such as "dial tcp 127.0.0.1:1: connect: connection
// refused".
func cause(err error) string {
	var s *scrubbed
	if errors.As(err, &s) {
		return s.Error()
	}
	return err.Error()
}

// unconnectedError marks a transport error before any connection to the
// server was made: refused, no such host, a dial or TLS handshake timeout.
type unconnectedError struct{ err error }

func (e *unconnectedError) Error() string { return e.err.Error() }
func (e *unconnectedError) Unwrap() error { return e.err }

func neverConnected(err error) bool {
	var u *unconnectedError
	return errors.As(err, &u)
}

func roundDuration(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
