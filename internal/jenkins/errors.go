package jenkins

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// HTTPError is an answer from Jenkins (or a proxy in front of it) that the
// client cannot use.
type HTTPError struct {
	Method     string
	URL        string // redacted: no user info, no token value
	Status     int
	Body       string // a short, tag-free excerpt
	RetryAfter time.Duration
	// NoValidCrumb is set on Jenkins' 403 for a missing or stale crumb.
	NoValidCrumb bool
	// XError is the X-Error header, with which Jenkins says why it refused
	// a form (hudson.model.Failure); "" when none.
	XError string
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Is lets errors.Is match an HTTPError to the sentinel for its status.
func (e *HTTPError) Is(target error) bool {
	s, ok := target.(statusError)
	return ok && int(s) == e.Status
}

// statusError is a sentinel for one status, which only an HTTPError with
// that status matches: "Jenkins answered N" is errors.Is(err, sentinel)
// whatever wraps the answer.
type statusError int

func (s statusError) Error() string {
	return fmt.Sprintf("%s (%d)", strings.ToLower(http.StatusText(int(s))), int(s))
}

// Sentinels for the statuses other packages tell apart.
var (
	ErrUnauthorized error = statusError(http.StatusUnauthorized)
	ErrForbidden    error = statusError(http.StatusForbidden)
	ErrNotFound     error = statusError(http.StatusNotFound)
)

// Sentinels for the statuses only this package tells apart.
var (
	errBadRequest         error = statusError(http.StatusBadRequest)
	errMethodNotAllowed   error = statusError(http.StatusMethodNotAllowed)
	errTooManyRequests    error = statusError(http.StatusTooManyRequests)
	errInternal           error = statusError(http.StatusInternalServerError)
	errServiceUnavailable error = statusError(http.StatusServiceUnavailable)
)

// DecodeError is an answer of Jenkins' that is not what was asked for,
// such as a page where JSON was expected. The same from something in
// front of Jenkins is a *FrontDoorError.
type DecodeError struct {
	URL         string
	ContentType string
	Err         error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("GET %s: unusable answer (%s): %v", e.URL, e.ContentType, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Redact renders u for messages: without user info, with the value of any
// token query parameter hidden, and without the tree parameter, which says
// which fields were read and is noise to a reader.
func Redact(u *url.URL) string {
	c := *u
	c.User = nil
	if q := c.Query(); q.Has("token") || q.Has("tree") {
		if q.Has("token") {
			q.Set("token", "***")
		}
		q.Del("tree")
		c.RawQuery = q.Encode()
	}
	return c.String()
}

var (
	tags   = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>|<[^>]*>`)
	spaces = regexp.MustCompile(`\s+`)
)

// excerpt turns an error body, often an HTML page, into one short line.
func excerpt(body []byte) string {
	s := tags.ReplaceAllString(string(body), " ")
	s = strings.NewReplacer("&quot;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	const limit = 200
	if len(s) > limit {
		cut := limit
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
