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
	"net/http/httptrace"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/secret"
)

// Options configure a Client. The zero value of each field has a default.
type Options struct {
	User       string
	Token      string // API token or password
	BuildToken string // the job's "Trigger builds remotely" token
	UserAgent  string
	// RequestTimeout bounds each request. A console read gets four times
	// as long in all, and this long without progress; an upload or an
	// artifact download gets it only as an idle deadline while its body
	// moves (see deadline).
	RequestTimeout time.Duration
	// RetryBudget bounds how long one idempotent request is retried.
	RetryBudget time.Duration
	// FirstContactBudget bounds how long a request that cannot reach
	// Jenkins at all is retried, until Jenkins has answered once: a wrong
	// URL should fail within a minute, while a Jenkins that answered
	// before and then restarts is waited for under RetryBudget.
	FirstContactBudget time.Duration
	// SettleTimeout is how long a trigger already sent is given to be
	// answered once its context ends, so that the caller learns which
	// queue item it made and can cancel it.
	SettleTimeout time.Duration
	// OnRetry, when set, hears about each retry before its wait.
	OnRetry func(err error, wait time.Duration)
	// Headers go with every request to Jenkins' origin (scheme, host and
	// port of the base URL) and with no other: a front door's, such as
	// an identity-aware proxy's token.
	Headers http.Header
	// Secrets are the values, besides Token and BuildToken, that the
	// client keeps out of what it says, in every form the secret package
	// knows: those of Headers (config.Config.Secrets).
	Secrets []string
	// OIDC, when set, gives the OIDC token sent with every request to
	// Jenkins' origin, in OIDCHeader: as "Bearer <token>" in
	// Authorization (the default) and Proxy-Authorization, bare in any
	// other. The client keeps every token it sent out of what it says.
	OIDC       TokenSource
	OIDCHeader string
}

// TokenSource hands out the OIDC token to send (oidc.Source).
type TokenSource interface {
	// Token is the token to send now.
	Token(ctx context.Context) (string, error)
	// Renew gives a token other than stale, which was refused, if it can.
	Renew(ctx context.Context, stale string) (fresh string, ok bool, err error)
}

// maxBody bounds what is read of any JSON or error answer.
const maxBody = 4 << 20

// Client talks to one Jenkins.
type Client struct {
	base *url.URL
	http *http.Client
	// direct is http without redirects, for the artifact downloads that
	// follow theirs by hand; foreign is that without the cookie jar, for
	// the hops that have left Jenkins' origin.
	direct, foreign *http.Client
	opts            Options
	// answered turns true at Jenkins' first HTTP answer, whatever its
	// status; see Options.FirstContactBudget.
	answered atomic.Bool

	// secrets are the credentials, and the Basic auth header value, in
	// every form they could come back in an answer.
	secrets *secret.Set

	// plugins is what the client learnt of the Pipeline plugins Jenkins
	// has, so that each absent one is asked for once.
	plugins pipelineMemory

	mu    sync.Mutex
	crumb *crumb // nil until fetched
	// sent are the OIDC tokens sent so far, which scrub hides.
	sent []string
}

type crumb struct {
	field, value string // field empty: CSRF protection is off
}

// New returns a client for the Jenkins at base (scheme, host and context
// path). It uses a copy of hc with its own cookie jar, so that the session
// a crumb is bound to goes along, and with redirects restricted: a POST
// never follows one, and nothing follows one to another origin.
func New(base *url.URL, hc *http.Client, opts Options) *Client {
	if opts.RequestTimeout == 0 {
		opts.RequestTimeout = 30 * time.Second
	}
	if opts.RetryBudget == 0 {
		opts.RetryBudget = 10 * time.Minute
	}
	if opts.FirstContactBudget == 0 {
		opts.FirstContactBudget = 45 * time.Second
	}
	if opts.SettleTimeout == 0 {
		opts.SettleTimeout = 15 * time.Second
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
	direct := c
	direct.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	foreign := direct
	foreign.Jar = nil
	foreign.Transport = withoutClientCert(hc.Transport)
	return &Client{base: &b, http: &c, direct: &direct, foreign: &foreign, opts: opts, secrets: secretForms(opts)}
}

// scrub hides the credentials, and the session cookies Jenkins bound to
// them, in text a server sent back. Short cookie values are left alone:
// they are no session, and hiding them would garble the text.
func (c *Client) scrub(s string) string {
	s = c.secrets.Replace(s)
	c.mu.Lock()
	for _, t := range c.sent {
		s = strings.ReplaceAll(s, t, "***")
	}
	c.mu.Unlock()
	for _, ck := range c.http.Jar.Cookies(c.endpoint("/", nil)) {
		if len(ck.Value) >= 8 {
			s = strings.ReplaceAll(s, ck.Value, "***")
		}
	}
	return s
}

// secretForms is what scrub hides of what a server echoes back, such as an
// error page that dumps the request.
func secretForms(opts Options) *secret.Set {
	values := append([]string{opts.Token, opts.BuildToken}, opts.Secrets...)
	if opts.User != "" || opts.Token != "" {
		values = append(values, base64.StdEncoding.EncodeToString([]byte(opts.User+":"+opts.Token)))
	}
	return secret.NewSet(values...)
}

// withoutClientCert is rt without the TLS client certificate it may
// present, for the hops that leave Jenkins' origin: an object store has no
// business knowing who Jenkins' client is.
func withoutClientCert(rt http.RoundTripper) http.RoundTripper {
	t, ok := rt.(*http.Transport)
	if !ok || t.TLSClientConfig == nil || len(t.TLSClientConfig.Certificates) == 0 && t.TLSClientConfig.GetClientCertificate == nil {
		return rt
	}
	t = t.Clone()
	t.TLSClientConfig.Certificates = nil
	t.TLSClientConfig.GetClientCertificate = nil
	return t
}

// sameOrigin compares scheme, host name and port, a missing port being the
// scheme's default.
func sameOrigin(u, base *url.URL) bool {
	return strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Hostname(), base.Hostname()) && port(u) == port(base)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
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

// request is one HTTP exchange.
type request struct {
	method string
	path   string // escaped, below the base URL
	query  url.Values
	header http.Header
	body   func() (io.Reader, int64, error) // fresh body for each attempt
	// deadline bounds the exchange; the zero value is the default one,
	// Options.RequestTimeout for the whole exchange.
	deadline deadline
}

// deadline names how long an exchange may take. With total set, the whole
// exchange, body included, must end within it. With idle set, no stretch
// without progress may last longer: the wait for the answer, and each wait
// for more of a request or response body; once an upload's body is sent,
// the server gets four times as long to answer, since it may store a large
// file first. A body that keeps moving is then never cut.
type deadline struct {
	total time.Duration
	idle  time.Duration
}

// consoleDeadline suits a console read: its answer may be large, and an
// endless one must still end.
func (c *Client) consoleDeadline() deadline {
	return deadline{total: 4 * c.opts.RequestTimeout, idle: c.opts.RequestTimeout}
}

// streamDeadline suits an upload or a download, whose size says nothing
// about how long it may take.
func (c *Client) streamDeadline() deadline { return deadline{idle: c.opts.RequestTimeout} }

// do sends r to Jenkins once and hands a successful (2xx or 3xx) answer to
// handle while the request's deadline still holds. Other answers become an
// *HTTPError.
func (c *Client) do(ctx context.Context, r request, handle func(*http.Response) error) error {
	u := c.endpoint(r.path, r.query)
	return c.exchange(ctx, c.http, u, Redact(u), true, r, handle)
}

// exchange sends r to u through hc. own says u is Jenkins, which gets the
// credentials; shown is how errors name u.
func (c *Client) exchange(ctx context.Context, hc *http.Client, u *url.URL, shown string, own bool, r request, handle func(*http.Response) error) error {
	if r.deadline == (deadline{}) {
		r.deadline.total = c.opts.RequestTimeout
	}
	reqCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(context.Canceled)
	if r.deadline.total > 0 {
		t := time.AfterFunc(r.deadline.total, func() { cancel(errRequestDeadline) })
		defer t.Stop()
	}
	var idle *idleTimer
	if r.deadline.idle > 0 {
		idle = &idleTimer{t: time.AfterFunc(r.deadline.idle, func() { cancel(errRequestDeadline) }), d: r.deadline.idle}
		defer idle.t.Stop()
	}
	var connected atomic.Bool
	traced := httptrace.WithClientTrace(reqCtx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { connected.Store(true) }})
	var resp *http.Response
	for renewed := false; ; renewed = true {
		req, token, err := c.newHTTPRequest(traced, u, own, r, idle)
		if err != nil {
			return fmt.Errorf("%s %s: %w", r.method, shown, err)
		}
		if resp, err = hc.Do(req); err != nil {
			return c.transportError(ctx, reqCtx, r.method, shown, u.Host, err, !connected.Load())
		}
		// An OIDC token refused is minted again, and the request sent
		// once more with the new one, even a trigger or a stop: a 401 is
		// the answer of an authentication layer (Jenkins' filters, or a
		// front door in front of it) before any of Jenkins' handlers ran,
		// and Jenkins' 403 to anonymous (the token it ignored) comes from
		// the permission check that a trigger, a stop or a cancel makes
		// before it acts. So the POST was not taken, and this second send
		// cannot queue a second build; no other answer leads here.
		if renewed || token == "" || !refusesToken(resp) {
			break
		}
		if _, ok, err := c.opts.OIDC.Renew(reqCtx, token); err != nil || !ok {
			break
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}
	defer resp.Body.Close()
	if own {
		c.answered.Store(true)
	}
	if resp.StatusCode >= 400 {
		return c.statusError(r.method, shown, resp, own)
	}
	if idle != nil {
		idle.reset(idle.d)
		resp.Body = &progressBody{ReadCloser: resp.Body, idle: idle}
	}
	if err := handle(resp); err != nil {
		var de *DecodeError
		var fd *FrontDoorError
		if errors.As(err, &de) || errors.As(err, &fd) {
			return err // it names the request already
		}
		return c.transportError(ctx, reqCtx, r.method, shown, u.Host, err, false)
	}
	return nil
}

// errRequestDeadline is the cause with which a request's own deadline ends
// it.
var errRequestDeadline = errors.New("the request's deadline passed")

// refusesToken tells an answer that refused the OIDC token: a 401, or
// Jenkins' 403 to anonymous, which is how Jenkins answers a token its
// filter ignored (jwt-auth-filter lets a token it cannot verify pass as
// no credential at all).
func refusesToken(resp *http.Response) bool {
	return resp.StatusCode == http.StatusUnauthorized ||
		resp.StatusCode == http.StatusForbidden && resp.Header.Get("X-You-Are-Authenticated-As") == "anonymous"
}

// newHTTPRequest builds the HTTP request for r at u, with the credentials
// when own, and with an upload body that renews idle as it is taken. It
// returns the OIDC token it carries, if any.
func (c *Client) newHTTPRequest(ctx context.Context, u *url.URL, own bool, r request, idle *idleTimer) (*http.Request, string, error) {
	var token string
	if own && c.opts.OIDC != nil {
		var err error
		if token, err = c.opts.OIDC.Token(ctx); err != nil {
			return nil, "", err
		}
		c.remember(token)
	}
	var body io.Reader
	var length int64
	if r.body != nil {
		var err error
		if body, length, err = r.body(); err != nil {
			return nil, "", err
		}
		if idle != nil {
			body = &uploadBody{Reader: body, idle: idle}
		}
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		if c, ok := body.(io.Closer); ok {
			c.Close()
		}
		return nil, "", err
	}
	if body != nil {
		req.ContentLength = length
	}
	if own {
		// The front door's first, so that the request's own win.
		for k, v := range c.opts.Headers {
			req.Header[k] = v
		}
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.opts.UserAgent)
	}
	if own && (c.opts.User != "" || c.opts.Token != "") {
		req.SetBasicAuth(c.opts.User, c.opts.Token)
	}
	if token != "" {
		req.Header.Set(c.oidcHeader(), c.oidcValue(token))
	}
	return req, token, nil
}

func (c *Client) oidcHeader() string {
	if c.opts.OIDCHeader == "" {
		return "Authorization"
	}
	return c.opts.OIDCHeader
}

// oidcValue is what the OIDC header carries: a bearer credential in the
// headers made for credentials, the bare token in any other.
func (c *Client) oidcValue(token string) string {
	switch http.CanonicalHeaderKey(c.oidcHeader()) {
	case "Authorization", "Proxy-Authorization":
		return "Bearer " + token
	}
	return token
}

// remember adds token to those scrub hides.
func (c *Client) remember(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if token != "" && !slices.Contains(c.sent, token) {
		c.sent = append(c.sent, token)
	}
}

// idleTimer cancels an exchange that makes no progress for d.
type idleTimer struct {
	t *time.Timer
	d time.Duration
}

func (i *idleTimer) reset(d time.Duration) { i.t.Reset(d) }

// uploadBody renews the idle deadline each time the transport takes more of
// an upload, and gives the server four times as long to answer once it has
// it all.
type uploadBody struct {
	io.Reader
	idle *idleTimer
}

func (p *uploadBody) Read(b []byte) (int, error) {
	n, err := p.Reader.Read(b)
	switch {
	case err == io.EOF:
		p.idle.reset(4 * p.idle.d)
	case n > 0:
		p.idle.reset(p.idle.d)
	}
	return n, err
}

func (p *uploadBody) Close() error {
	if c, ok := p.Reader.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// progressBody renews the idle deadline each time more of an answer
// arrives, so that a large one may take as long as it needs while one that
// stalls is still given up on.
type progressBody struct {
	io.ReadCloser
	idle *idleTimer
}

func (p *progressBody) Read(b []byte) (int, error) {
	n, err := p.ReadCloser.Read(b)
	if n > 0 {
		p.idle.reset(p.idle.d)
	}
	return n, err
}

// transportError names the request and tells the client's own per-request
// deadline apart from the caller's, and a server never connected to.
func (c *Client) transportError(ctx, reqCtx context.Context, method, shown, host string, err error, unconnected bool) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case isCertificateError(err):
		err = &CertificateError{Host: host, Err: err}
	case isClientCertRefused(err):
		err = &ClientCertificateError{Host: host, Err: err}
	case ctx.Err() == nil && (context.Cause(reqCtx) == errRequestDeadline || errors.As(err, &ne) && ne.Timeout()):
		// The request's own deadline, or a network timeout: worth a
		// retry, unlike the run's.
		err = &requestTimeoutError{err: err}
	}
	if unconnected && !isCertificateError(err) {
		err = &unconnectedError{err: err}
	}
	return fmt.Errorf("%s %s: %w", method, shown, &scrubbed{err: err, scrub: c.scrub})
}

func (c *Client) statusError(method, shown string, resp *http.Response, own bool) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	refused := resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden
	if own && refused && !fromJenkins(resp, body) {
		return c.frontDoor(method, shown, resp, body)
	}
	// Credentials are scrubbed before the excerpt is cut, which could
	// otherwise leave a prefix of one, and after, which undoes entities.
	return &HTTPError{
		Method:       method,
		URL:          shown,
		Status:       resp.StatusCode,
		Body:         c.scrub(excerpt([]byte(c.scrub(string(body))))),
		RetryAfter:   parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		NoValidCrumb: resp.StatusCode == http.StatusForbidden && strings.Contains(string(body), "No valid crumb"),
		XError:       c.scrub(resp.Header.Get("X-Error")),
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
	return c.retry(ctx, retryable, func() error {
		return c.do(ctx, r, func(resp *http.Response) error {
			return c.decodeJSON(resp, c.endpoint(path, q), v)
		})
	})
}

// decodeJSON reads a JSON answer into v. An answer that is not JSON, or a
// redirect, is a *FrontDoorError when it does not come from Jenkins, and a
// *DecodeError otherwise.
func (c *Client) decodeJSON(resp *http.Response, u *url.URL, v any) error {
	ct := resp.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if resp.StatusCode != http.StatusOK || mt != "application/json" {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if c.leavesJenkins(resp) || !fromJenkins(resp, body) {
			return c.frontDoor(http.MethodGet, Redact(u), resp, body)
		}
		if resp.StatusCode != http.StatusOK {
			return &DecodeError{URL: Redact(u), ContentType: ct, Err: fmt.Errorf("status %d instead of 200", resp.StatusCode)}
		}
		return &DecodeError{URL: Redact(u), ContentType: ct, Err: errors.New("not JSON")}
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
	if d, ok := v.(dated); ok {
		if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			d.setDate(t)
		}
	}
	return nil
}

// dated is implemented by answers that keep the Date Jenkins sent them
// with: Jenkins' clock as of that answer, which several requests in flight
// at once would otherwise mix up.
type dated interface{ setDate(time.Time) }

// Date is Jenkins' clock as an answer's Date header told it, to the
// second; zero when the answer had none.
type Date struct {
	Date time.Time `json:"-"`
}

func (d *Date) setDate(t time.Time) { d.Date = t }

// ensureCrumb fetches the CSRF crumb once. Jenkins binds it to the session
// cookie, which the jar keeps. A 404 means CSRF protection is off.
func (c *Client) ensureCrumb(ctx context.Context, refresh bool) (*crumb, error) {
	c.mu.Lock()
	cur := c.crumb
	c.mu.Unlock()
	if cur != nil && !refresh {
		return cur, nil
	}
	if !refresh && c.opts.User != "" && looksLikeAPIToken(c.opts.Token) {
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
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrForbidden):
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
		err = c.do(ctx, rr, func(resp *http.Response) error {
			// A POST follows no redirect: one that leaves Jenkins is a
			// front door's way to its login, and nothing was done.
			if isRedirect(resp.StatusCode) && c.leavesJenkins(resp) {
				body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
				return c.frontDoor(http.MethodPost, Redact(resp.Request.URL), resp, body)
			}
			return handle(resp)
		})
		var he *HTTPError
		if attempt == 0 && errors.As(err, &he) && he.NoValidCrumb {
			continue
		}
		return err
	}
}

// looksLikeAPIToken reports whether token has the shape of a Jenkins API
// token: 32 hex digits (legacy) or "11" and 32 more (since 2.129). A
// password of that exact shape only costs one refused POST and a crumb.
func looksLikeAPIToken(token string) bool {
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
