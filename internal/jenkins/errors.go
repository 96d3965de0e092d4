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
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// DecodeError is a 2xx answer whose body is not what Jenkins sends, such as
// a proxy's HTML login page where JSON was expected.
type DecodeError struct {
	URL         string
	ContentType string
	Err         error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("GET %s: unusable answer (%s): %v", e.URL, e.ContentType, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Redact renders u without user info and with the value of any token query
// parameter hidden, for messages.
func Redact(u *url.URL) string {
	c := *u
	c.User = nil
	if q := c.Query(); q.Has("token") {
		q.Set("token", "***")
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
