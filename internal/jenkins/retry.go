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
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Retryable is the retry policy for idempotent requests: whether err may go
// away if the same request is sent again, and the least wait the server
// asked for. It decides nothing about how long to wait.
func Retryable(err error) (retry bool, wait time.Duration) {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) && !isRequestTimeout(err) {
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
	if errors.As(err, &de) || isCertificateError(err) {
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
	var he *HTTPError
	// Jenkins answers 503 while it starts or restarts before any handler
	// runs; a rate limiter's 429 likewise means nothing was done.
	return errors.As(err, &he) && (he.Status == http.StatusServiceUnavailable || he.Status == http.StatusTooManyRequests)
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

// retryBackOff is the waiting schedule for retried requests. A Jenkins
// restart answers 503 for a minute or more, so the budget is generous; the
// run's timeout bounds it anyway.
func (c *Client) retryBackOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 500 * time.Millisecond
	b.Multiplier = 2
	b.RandomizationFactor = 0.2
	b.MaxInterval = 15 * time.Second
	b.MaxElapsedTime = c.opts.RetryBudget
	b.Clock = c.clock
	b.Reset()
	return b
}

// withRetry runs op until it succeeds, fails for good under the policy, or
// the backoff gives up.
func (c *Client) withRetry(ctx context.Context, op func() error) error {
	b := c.retryBackOff()
	for {
		err := op()
		retry, least := Retryable(err)
		if !retry {
			return err
		}
		wait := b.NextBackOff()
		if wait == backoff.Stop {
			return err
		}
		wait = max(wait, least)
		if c.opts.OnRetry != nil {
			c.opts.OnRetry(err, wait)
		}
		if serr := c.clock.Sleep(ctx, wait); serr != nil {
			return err
		}
	}
}
