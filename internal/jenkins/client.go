// Package jenkins is a client for the parts of the Jenkins remote API that
// jenkins-trigger uses: triggering a job, reading its queue item, build and
// console, and stopping either. Every URL is built from the configured base
// URL, never from the absolute URLs Jenkins reports, which name its own
// configured root URL and may not be reachable from the runner.
package jenkins

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/clock"
)

// Options configure a Client. The zero value of each field has a default.
type Options struct {
	User       string
	Token      string // API token or password
	BuildToken string // the job's "Trigger builds remotely" token
	UserAgent  string
	Clock      clock.Clock
	// RequestTimeout bounds each request. A console read gets four times
	// as long; an upload gets it as an idle deadline while its body is
	// sent, and four times as long for the answer after that.
	RequestTimeout time.Duration
	// RetryBudget bounds how long one idempotent request is retried.
	RetryBudget time.Duration
	// OnRetry, when set, hears about each retry before its wait.
	OnRetry func(err error, wait time.Duration)
}

// maxBody bounds what is read of any JSON or error answer.
const maxBody = 4 << 20

// Client talks to one Jenkins.
type Client struct {
	base  *url.URL
	http  *http.Client
	opts  Options
	clock clock.Clock

	// secrets are the forms in which the credentials could come back in
	// an answer: plain, escaped, and as the Basic auth header value.
	secrets *strings.Replacer

	mu         sync.Mutex
	crumb      *crumb // nil until fetched
	serverDate time.Time
}

type crumb struct {
	field, value string // field empty: CSRF protection is off
}

// New returns a client for the Jenkins at base (scheme, host and context
// path). It uses a copy of hc with its own cookie jar, so that the session
// a crumb is bound to goes along, and with redirects restricted: a POST
// never follows one, and nothing follows one to another origin.
func New(base *url.URL, hc *http.Client, opts Options) *Client {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.RequestTimeout == 0 {
		opts.RequestTimeout = 30 * time.Second
	}
	if opts.RetryBudget == 0 {
		opts.RetryBudget = 10 * time.Minute
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "jenkins-trigger"
	}
	b := *base
	b.Path = strings.TrimRight(b.Path, "/")
	b.RawPath = strings.TrimRight(b.RawPath, "/")
	c := *hc
	jar, _ := cookiejar.New(nil) // never fails without options
	c.Jar = jar
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if via[0].Method != http.MethodGet || !sameOrigin(req.URL, &b) || len(via) >= 5 {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return &Client{base: &b, http: &c, opts: opts, clock: opts.Clock, secrets: secretForms(opts)}
}

// scrub hides the credentials, and the session cookies Jenkins bound to
// them, in text a server sent back. Short cookie values are left alone:
// they are no session, and hiding them would garble the text.
func (c *Client) scrub(s string) string {
	s = c.secrets.Replace(s)
	for _, ck := range c.http.Jar.Cookies(c.endpoint("/", nil)) {
		if len(ck.Value) >= 8 {
			s = strings.ReplaceAll(s, ck.Value, "***")
		}
	}
	return s
}

// secretForms builds the replacer that scrubs credentials out of what a
// server echoes back, such as an error page that dumps the request.
func secretForms(opts Options) *strings.Replacer {
	var pairs []string
	add := func(forms ...string) {
		for _, f := range forms {
			pairs = append(pairs, f, "***")
		}
	}
	if opts.User != "" || opts.Token != "" {
		add(base64.StdEncoding.EncodeToString([]byte(opts.User + ":" + opts.Token)))
	}
	for _, s := range []string{opts.Token, opts.BuildToken} {
		if s != "" {
			add(s, url.QueryEscape(s), url.PathEscape(s))
		}
	}
	return strings.NewReplacer(pairs...)
}

func sameOrigin(u, base *url.URL) bool {
	return strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Host, base.Host)
}

// URL returns the absolute URL of an escaped path below the base URL.
func (c *Client) URL(path string) string {
	return c.base.String() + path
}

func (c *Client) endpoint(path string, query url.Values) *url.URL {
	u := *c.base
	u.RawPath = c.base.EscapedPath() + path
	p, err := url.PathUnescape(u.RawPath)
	if err == nil {
		u.Path = p
	}
	u.RawQuery = query.Encode()
	return &u
}

// ServerDate returns the Date of Jenkins' latest answer, or the zero time.
func (c *Client) ServerDate() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.serverDate
}

// request is one HTTP exchange.
type request struct {
	method string
	path   string // escaped, below the base URL
	query  url.Values
	header http.Header
	body   func() (io.Reader, int64, error) // fresh body for each attempt
	// timeout overrides Options.RequestTimeout; negative makes it an idle
	// deadline instead (uploads, whose size says nothing about how long
	// they may take).
	timeout time.Duration
}

// longTimeout bounds requests that carry a large body: a console read, and
// the answer to an upload, which may wait for the socket's buffer to drain.
func (c *Client) longTimeout() time.Duration { return 4 * c.opts.RequestTimeout }

// do sends r once and hands a successful (2xx or 3xx) answer to handle
// while the request's deadline still holds. Other answers become an
// *HTTPError.
func (c *Client) do(ctx context.Context, r request, handle func(*http.Response) error) error {
	u := c.endpoint(r.path, r.query)
	timeout := c.opts.RequestTimeout
	if r.timeout > 0 {
		timeout = r.timeout
	}
	var reqCtx context.Context
	var cancel context.CancelFunc
	if r.timeout < 0 {
		reqCtx, cancel = context.WithCancel(ctx)
	} else {
		reqCtx, cancel = context.WithTimeout(ctx, timeout)
	}
	defer cancel()
	var body io.Reader
	var length int64
	if r.body != nil {
		var err error
		if body, length, err = r.body(); err != nil {
			return err
		}
		if r.timeout < 0 {
			idle := time.AfterFunc(timeout, cancel)
			defer idle.Stop()
			body = &progressBody{Reader: body, idle: idle, timeout: timeout, answer: c.longTimeout()}
		}
	}
	req, err := http.NewRequestWithContext(reqCtx, r.method, u.String(), body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", r.method, Redact(u), err)
	}
	if body != nil {
		req.ContentLength = length
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if c.opts.User != "" || c.opts.Token != "" {
		req.SetBasicAuth(c.opts.User, c.opts.Token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportError(ctx, reqCtx, r.method, u, err)
	}
	defer resp.Body.Close()
	c.noteDate(resp)
	if resp.StatusCode >= 400 {
		return c.statusError(r.method, u, resp)
	}
	if err := handle(resp); err != nil {
		var de *DecodeError
		if errors.As(err, &de) {
			return err // it names the request already
		}
		return c.transportError(ctx, reqCtx, r.method, u, err)
	}
	return nil
}

// progressBody renews an upload's idle deadline each time the transport
// takes more of it, so a large file may take as long as it needs while a
// server that stops reading is still given up on.
type progressBody struct {
	io.Reader
	idle    *time.Timer
	timeout time.Duration
	answer  time.Duration // the deadline once the whole body is taken
}

func (p *progressBody) Read(b []byte) (int, error) {
	n, err := p.Reader.Read(b)
	switch {
	case err == io.EOF:
		p.idle.Reset(p.answer)
	case n > 0:
		p.idle.Reset(p.timeout)
	}
	return n, err
}

func (p *progressBody) Close() error {
	if c, ok := p.Reader.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// transportError names the request and tells the client's own per-request
// deadline apart from the caller's.
func (c *Client) transportError(ctx, reqCtx context.Context, method string, u *url.URL, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case isCertificateError(err):
		err = &CertificateError{Host: u.Host, Err: err}
	case ctx.Err() == nil && (reqCtx.Err() != nil || errors.As(err, &ne) && ne.Timeout()):
		// The request's own deadline, or one of the transport's (dial,
		// TLS handshake, response headers), which Go reports as
		// context.DeadlineExceeded too: worth a retry, unlike the run's.
		err = &requestTimeoutError{err: err}
	}
	return fmt.Errorf("%s %s: %w", method, Redact(u), &scrubbed{err: err, scrub: c.scrub})
}

func (c *Client) statusError(method string, u *url.URL, resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	// Credentials are scrubbed before the excerpt is cut, which could
	// otherwise leave a prefix of one, and after, which undoes entities.
	return &HTTPError{
		Method:       method,
		URL:          Redact(u),
		Status:       resp.StatusCode,
		Body:         c.scrub(excerpt([]byte(c.scrub(string(body))))),
		RetryAfter:   parseRetryAfter(resp.Header.Get("Retry-After"), c.clock.Now()),
		NoValidCrumb: resp.StatusCode == http.StatusForbidden && strings.Contains(string(body), "No valid crumb"),
	}
}

func (c *Client) noteDate(resp *http.Response) {
	if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		c.mu.Lock()
		c.serverDate = t
		c.mu.Unlock()
	}
}

// getJSON reads a JSON document, retrying under the retry policy. tree names
// exactly the fields v reads.
func (c *Client) getJSON(ctx context.Context, path, tree string, v any) error {
	q := url.Values{}
	if tree != "" {
		q.Set("tree", tree)
	}
	r := request{method: http.MethodGet, path: path, query: q, header: http.Header{"Accept": {"application/json"}}}
	return c.withRetry(ctx, func() error {
		return c.do(ctx, r, func(resp *http.Response) error {
			return decodeJSON(resp, c.endpoint(path, q), v)
		})
	})
}

func decodeJSON(resp *http.Response, u *url.URL, v any) error {
	ct := resp.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if resp.StatusCode != http.StatusOK {
		return &DecodeError{URL: Redact(u), ContentType: ct, Err: fmt.Errorf("status %d instead of 200", resp.StatusCode)}
	}
	if mt != "application/json" {
		return &DecodeError{URL: Redact(u), ContentType: ct, Err: errors.New("not JSON; is a proxy or login page in the way?")}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return err
	}
	if len(data) > maxBody {
		return &DecodeError{URL: Redact(u), ContentType: ct, Err: errors.New("answer too large")}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &DecodeError{URL: Redact(u), ContentType: ct, Err: err}
	}
	if val, ok := v.(validator); ok {
		if err := val.validate(); err != nil {
			return &DecodeError{URL: Redact(u), ContentType: ct, Err: err}
		}
	}
	return nil
}

// ensureCrumb fetches the CSRF crumb once. Jenkins binds it to the session
// cookie, which the jar keeps. A 404 means CSRF protection is off.
func (c *Client) ensureCrumb(ctx context.Context, refresh bool) (*crumb, error) {
	c.mu.Lock()
	cur := c.crumb
	c.mu.Unlock()
	if cur != nil && !refresh {
		return cur, nil
	}
	if !refresh && c.opts.User != "" && LooksLikeAPIToken(c.opts.Token) {
		// Jenkins exempts API-token requests from the crumb check; if this
		// was a password after all, its 403 brings us back here.
		cur = &crumb{}
		c.mu.Lock()
		c.crumb = cur
		c.mu.Unlock()
		return cur, nil
	}
	var got struct {
		Crumb             string `json:"crumb"`
		CrumbRequestField string `json:"crumbRequestField"`
	}
	err := c.getJSON(ctx, "/crumbIssuer/api/json", "crumb,crumbRequestField", &got)
	var he *HTTPError
	switch {
	case errors.As(err, &he) && (he.Status == http.StatusNotFound || he.Status == http.StatusForbidden):
		// 404: CSRF protection is off. 403: this caller may not read
		// Jenkins (a build token alone); the trigger itself will tell.
		cur = &crumb{}
	case err != nil:
		return nil, fmt.Errorf("fetch CSRF crumb: %w", err)
	default:
		cur = &crumb{field: got.CrumbRequestField, value: got.Crumb}
	}
	c.mu.Lock()
	c.crumb = cur
	c.mu.Unlock()
	return cur, nil
}

// post sends a POST that must not be blindly repeated. It adds the crumb in
// a header (Jenkins ignores it in multipart fields) and, when Jenkins says
// the crumb is stale (its session died in a restart), fetches a new one and
// sends again once: that 403 proves nothing was done.
func (c *Client) post(ctx context.Context, r request, handle func(*http.Response) error) error {
	r.method = http.MethodPost
	for attempt := 0; ; attempt++ {
		cr, err := c.ensureCrumb(ctx, attempt > 0)
		if err != nil {
			return err
		}
		h := r.header.Clone()
		if h == nil {
			h = http.Header{}
		}
		if cr.field != "" {
			h.Set(cr.field, cr.value)
		}
		rr := r
		rr.header = h
		err = c.do(ctx, rr, handle)
		var he *HTTPError
		if attempt == 0 && errors.As(err, &he) && he.NoValidCrumb {
			continue
		}
		return err
	}
}

// LooksLikeAPIToken reports whether token has the shape of a Jenkins API
// token: 32 hex digits (legacy) or "11" and 32 more (since 2.129). A
// password of that exact shape only costs one refused POST and a crumb.
func LooksLikeAPIToken(token string) bool {
	if len(token) != 32 && !(len(token) == 34 && strings.HasPrefix(token, "11")) {
		return false
	}
	for _, c := range token {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
