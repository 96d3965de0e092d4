package jenkinstest

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"html"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

// Options configure a fake Jenkins. The zero value is a secured Jenkins with
// no users, CSRF protection on and the current (2.5xx) behaviour.
type Options struct {
	// Net, when set, is the network the fake and its artifact origins
	// serve on, instead of loopback ports: a test in a synctest bubble
	// needs one.
	Net *memnet.Network
	// ContextPath is the servlet context path, e.g. "/jenkins"; "" serves at
	// the root.
	ContextPath string
	// RootURL is the configured "Jenkins URL" written in every absolute url
	// field; "" means "http://localhost:8080"+ContextPath+"/", deliberately
	// not the served address, as behind a proxy.
	RootURL string
	// NoRootURL models a Jenkins whose URL was never configured: root
	// /api/json reports url null, and every absolute url is built from
	// the request instead (see rootOf). RootURL is then ignored.
	NoRootURL bool
	// Users maps user ids to their password and API token.
	Users map[string]User
	// AnonymousRead lets anonymous callers read jobs, queue items and builds.
	AnonymousRead bool
	// AnonymousBuild lets anonymous callers trigger and stop builds (and
	// implies read: a job that cannot be read cannot be built).
	AnonymousBuild bool
	// DisableCSRF turns crumbs off: /crumbIssuer/ answers 404.
	DisableCSRF bool
	// Legacy models an old Jenkins (2.303.x LTS): buildWithParameters on a
	// non-parameterized job is a 500, a coalesced buildWithParameters is a
	// 201, /queue/item/N/ (no api) is a 404, builds do not export inProgress,
	// and progressiveText never sends raw console notes.
	Legacy bool
	// RawConsoleNotes models 2.509+: progressiveText bodies contain the
	// ConsoleNote sequences ESC[8mha:<base64>ESC[0m of the raw log file.
	RawConsoleNotes bool
	// QueueItemTTL is how long a LeftItem stays readable after it left the
	// queue; 0 means 5 minutes.
	QueueItemTTL time.Duration
	// Fault, when set, is consulted before each request is handled.
	Fault func(r *http.Request) Fault
	// WFAPI installs pipeline-rest-api: <build>/wfapi/... on Pipeline
	// builds; without it those are plain 404s.
	WFAPI bool
	// GraphView installs pipeline-graph-view under this URL name ("stages",
	// or the older "pipeline-overview", "pipeline-console",
	// "pipeline-graph"); "" means not installed.
	GraphView string
	// GraphViewVersion is the installed pipeline-graph-view's release, e.g.
	// 876; 0 means a current one. Before 877 allSteps has no buildStep.
	GraphViewVersion int
	// LegacyInputAction models input-step before 466: the InputAction
	// exports nothing but its _class.
	LegacyInputAction bool
	// ArtifactRedirect sends artifact file downloads to another origin:
	// "" serves them from Jenkins, ArtifactRedirectObjectStore and
	// ArtifactRedirectResourceDomain start that origin (with New or NewTLS).
	ArtifactRedirect string
	// FrontDoor, if set, guards Jenkins' origin (not the artifact origins):
	// it is checked before faults, restarts and Jenkins' own auth.
	FrontDoor *FrontDoor
	// JWT installs jwt-auth-filter; nil means not installed.
	JWT *JWTAuth
	// ClientCAs, with NewTLS, makes Jenkins' origin require a TLS client
	// certificate that this pool verifies (mutual TLS). The artifact
	// origins then ask for one without requiring it, so that a test can
	// see whether the client presents it there too.
	ClientCAs *x509.CertPool
}

// User is a Jenkins account. Either secret authenticates it; only the
// API token is exempt from CSRF crumbs.
type User struct{ Password, APIToken string }

// Fault is an injected failure for one request.
type Fault int

const (
	FaultNone Fault = iota
	// Fault502 answers a proxy's 502 HTML page without handling the request.
	Fault502
	// Fault503 answers Jenkins' "getting ready to work" 503 page.
	Fault503
	// Fault504 answers a proxy's 504 HTML page.
	Fault504
	// FaultReset closes the connection without a response and without
	// acting on the request.
	FaultReset
	// FaultResetAfter acts on the request (a trigger really queues the
	// build) and then closes the connection without a response: the answer
	// is lost.
	FaultResetAfter
)

func (f Fault) String() string {
	names := [...]string{"FaultNone", "Fault502", "Fault503", "Fault504", "FaultReset", "FaultResetAfter"}
	if f >= 0 && int(f) < len(names) {
		return names[f]
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

// RequestRecord describes one request the fake received.
type RequestRecord struct {
	Method        string
	Path          string // the raw, escaped path as sent
	RawQuery      string
	Status        int // 0 when the connection was reset
	ResponseBytes int64
	Fault         Fault
	FrontDoor     bool // the front door turned the request away
}

// Server is a running fake Jenkins.
type Server struct {
	opts    Options
	ctx     string // context path without a trailing slash
	rootURL string // configured root URL with a trailing slash; "" with NoRootURL
	version string // X-Jenkins
	ts      *httptest.Server

	mu       sync.Mutex
	root     *node
	items    map[int]*queueItem // every readable queue item by id
	queue    []*queueItem       // waiting, blocked and buildable items in order
	starting []*queueItem       // left the queue, build not created yet
	left     []*queueItem       // left items in the order they left, for expiry
	running  []*build           // builds not yet completed
	lastID   int                // the global queue id counter
	entries  int                // counts items entering the blocked or buildable state
	// Per "JVM start" state, rotated by Restart.
	sessionHash string            // X-Jenkins-Session
	cookieName  string            // JSESSIONID.<8 hex>
	crumbSalt   string            // secret mixed into crumbs
	sessions    map[string]string // session id -> user id ("" = anonymous)
	downUntil   time.Time
	// reqMu guards requests apart from mu, since a response is written,
	// and counted into its record, without mu held.
	reqMu    sync.Mutex
	requests []RequestRecord
	art      artifactState
	// jwtMu guards jwks apart from mu: a JWKS is fetched without mu held.
	jwtMu sync.Mutex
	jwks  jwks
}

// New starts a fake Jenkins over plain HTTP.
func New(opts Options) *Server {
	s := newServer(opts)
	s.ts = s.unstarted(s.Handler(), "127.0.0.1")
	s.ts.Start()
	if opts.Net != nil {
		s.ts.Client().Transport.(*http.Transport).DialContext = opts.Net.DialContext
	}
	s.startArtifactOrigins(false)
	return s
}

// NewTLS starts a fake Jenkins over HTTPS with httptest's self-signed
// certificate; see CertPool and CAPEM.
func NewTLS(opts Options) *Server {
	s := newServer(opts)
	s.ts = s.unstarted(s.Handler(), "127.0.0.1")
	if opts.ClientCAs != nil {
		s.ts.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: opts.ClientCAs}
		// A handshake refused is what the tests want to see; the server
		// need not log each.
		s.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	}
	s.ts.StartTLS()
	if opts.Net != nil {
		s.ts.Client().Transport.(*http.Transport).DialContext = opts.Net.DialContext
	}
	s.startArtifactOrigins(true)
	return s
}

// unstarted is an httptest server of h on host, on Options.Net if set.
func (s *Server) unstarted(h http.Handler, host string) *httptest.Server {
	if s.opts.Net == nil {
		ts := httptest.NewUnstartedServer(h)
		if host != "127.0.0.1" {
			_ = ts.Listener.Close()
			l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
			if err != nil {
				panic("jenkinstest: listen on " + host + ": " + err.Error())
			}
			ts.Listener = l
		}
		return ts
	}
	return &httptest.Server{Listener: s.opts.Net.Listen(host), Config: &http.Server{Handler: h}}
}

func newServer(opts Options) *Server {
	s := &Server{
		opts:     opts,
		ctx:      strings.TrimSuffix(opts.ContextPath, "/"),
		root:     &node{children: map[string]*node{}},
		items:    map[int]*queueItem{},
		sessions: map[string]string{},
	}
	if s.ctx != "" && !strings.HasPrefix(s.ctx, "/") {
		s.ctx = "/" + s.ctx
	}
	s.rootURL = opts.RootURL
	switch {
	case opts.NoRootURL:
		s.rootURL = ""
	case s.rootURL == "":
		s.rootURL = "http://localhost:8080" + s.ctx + "/"
	}
	if s.rootURL != "" && !strings.HasSuffix(s.rootURL, "/") {
		s.rootURL += "/"
	}
	switch {
	case opts.Legacy:
		s.version = "2.303.3"
	case opts.RawConsoleNotes:
		s.version = "2.541.1"
	default:
		s.version = "2.528.1"
	}
	if s.opts.QueueItemTTL <= 0 {
		s.opts.QueueItemTTL = 5 * time.Minute
	}
	if d := opts.FrontDoor; d != nil && (d.Refusal < RefuseIAP || d.Refusal > RefuseWAFLoginPage) {
		panic("jenkinstest: unknown FrontDoor.Refusal " + d.Refusal.String())
	}
	s.rotate()
	return s
}

// rotate starts a new "JVM": new session hash, cookie name and crumb salt,
// and no HTTP sessions.
func (s *Server) rotate() {
	s.sessionHash = randomHex(4)
	s.cookieName = "JSESSIONID." + randomHex(4)
	s.crumbSalt = randomHex(16)
	clear(s.sessions)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// URL is the base URL including the context path, without a trailing slash.
func (s *Server) URL() string { return s.ts.URL + s.ctx }

// Client returns an http.Client that trusts the server (for NewTLS).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// CertPool returns a pool holding the TLS certificate; nil over plain HTTP.
func (s *Server) CertPool() *x509.CertPool {
	if s.ts.Certificate() == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.ts.Certificate())
	return pool
}

// CAPEM returns the TLS certificate as PEM, as a user would pass it in
// ca_cert; nil over plain HTTP.
func (s *Server) CAPEM() []byte {
	if s.ts.Certificate() == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.ts.Certificate().Raw})
}

// Close shuts the server down.
func (s *Server) Close() {
	s.ts.Close()
	s.closeArtifactOrigins()
}

// Handler returns the fake as an http.Handler, front door, faults and
// request recording included, for use without the listener.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Requests returns every request received so far, in order.
func (s *Server) Requests() []RequestRecord {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	return append([]RequestRecord(nil), s.requests...)
}

// Restart models a Jenkins restart: for down (clock time) every request gets
// the 503 "getting ready" page; queue items that already left are forgotten
// (404); X-Jenkins-Session, the session cookie name and crumbs change.
// Queued items survive, running builds resume and the queue id counter
// carries on, as in current Jenkins.
func (s *Server) Restart(down time.Duration) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	s.downUntil = now.Add(down)
	for _, it := range s.left {
		delete(s.items, it.id)
	}
	s.left = nil
	s.rotate()
}

// response is what a handler decided, written after the lock is released so
// that a slow client never holds up the fake.
type response struct {
	status int
	header http.Header
	body   []byte
	// stream, if set, writes the body instead; flush pushes what was written
	// so far to the client.
	stream func(w io.Writer, flush func()) error
}

func newResponse(status int, contentType string, body []byte) *response {
	r := &response{status: status, header: http.Header{}, body: body}
	if contentType != "" {
		r.header.Set("Content-Type", contentType)
	}
	return r
}

func textResponse(status int, msg string) *response {
	return newResponse(status, "text/plain;charset=UTF-8", []byte(msg))
}

// htmlResponse is a minimal Jenkins-looking HTML page.
func htmlResponse(status int, title, msg string) *response {
	body := fmt.Sprintf("<!DOCTYPE html><html><head><title>%s [Jenkins]</title></head><body><h1>%s</h1><p>%s</p></body></html>\n",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(msg))
	return newResponse(status, "text/html;charset=utf-8", []byte(body))
}

// emptyResponse is a trigger-style answer: status, maybe a Location, no body.
func emptyResponse(status int, location string) *response {
	r := newResponse(status, "", nil)
	if location != "" {
		r.header.Set("Location", location)
	}
	return r
}

// methodNotAllowed is Stapler's @RequirePOST answer for a GET.
func methodNotAllowed() *response {
	r := htmlResponse(http.StatusMethodNotAllowed, "This URL requires POST",
		"The URL you're trying to access requires that requests be sent using POST (like a form submission).")
	r.header.Set("Allow", "POST")
	return r
}

func notFound() *response { return htmlResponse(http.StatusNotFound, "Not Found", "Not Found") }

func serverError(msg string) *response {
	return htmlResponse(http.StatusInternalServerError, "Oops!", msg)
}

// oops is Jenkins' own 500 page (oops.jelly), which shows no stack trace,
// only an id to find it in the log by.
func oops() *response {
	id := randomHex(4) + "-" + randomHex(2) + "-" + randomHex(2) + "-" + randomHex(2) + "-" + randomHex(6)
	return serverError("A problem occurred while processing the request. Logging ID=" + id)
}

// advertise adds the headers Functions.advertiseHeaders puts on pages
// rendered in Jenkins' layout.
func (s *Server) advertise(h http.Header) {
	h.Set("X-Hudson", "1.395")
	h.Set("X-Jenkins", s.version)
	h.Set("X-Jenkins-Session", s.sessionHash)
}

// apiHeaders are the headers Api.setHeaders adds to every api/* answer.
func (s *Server) apiHeaders(h http.Header) {
	h.Set("X-Jenkins", s.version)
	h.Set("X-Jenkins-Session", s.sessionHash)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "deny")
}

// jsonResponse prunes o per the request's tree= or depth= and serializes it.
func (s *Server) jsonResponse(r *http.Request, o *jobj) *response {
	q := r.URL.Query()
	_, hasTree := q["tree"]
	p, err := pruneFor(q.Get("tree"), q.Get("depth"), hasTree)
	if err != nil {
		return serverError("javax.servlet.ServletException: " + err.Error())
	}
	var buf bytes.Buffer
	encode(&buf, o, p)
	resp := newResponse(http.StatusOK, "application/json;charset=UTF-8", buf.Bytes())
	s.apiHeaders(resp.header)
	return resp
}

// redirect answers with an absolute Location on the request's own host, as
// the servlet container does.
func redirect(r *http.Request, status int, path string) *response {
	return emptyResponse(status, requestBase(r)+path)
}

// rootOf is the root URL the absolute urls of rq's answer are written
// under: the configured one, or without one, as Jenkins.getRootUrlFromRequest
// builds it: X-Forwarded-Proto, X-Forwarded-Host (which may carry a port)
// and X-Forwarded-Port over the request's own scheme and host, then the
// context path.
func (s *Server) rootOf(rq *request) string {
	if s.rootURL != "" {
		return s.rootURL
	}
	r := rq.r
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if proto := r.Header.Get("X-Forwarded-Proto"); proto != "" {
		scheme = proto
	}
	host := r.Host
	if fwd := r.Header.Get("X-Forwarded-Host"); fwd != "" {
		first, _, _ := strings.Cut(fwd, ",")
		host = strings.TrimSpace(first)
	}
	if port := r.Header.Get("X-Forwarded-Port"); port != "" {
		host = net.JoinHostPort(hostOnly(host), port)
	}
	return scheme + "://" + host + s.ctx + "/"
}

// hostOnly is host without its port.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// configuredRoot is root /api/json's url: the configured root URL, or null
// (since 2.215, Jenkins.getConfiguredRootUrl).
func (s *Server) configuredRoot() any {
	if s.rootURL == "" {
		return nil
	}
	return s.rootURL
}

// requestBase is scheme://host of the request, as seen by the servlet.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// serveHTTP passes the front door, applies faults, records the request and
// handles it.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	// Jenkins' Date header comes from its own clock; so does the fake's.
	w.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
	if door := s.opts.FrontDoor; door != nil {
		if !door.admits(r) {
			// The door answers for itself: no fault, no Jenkins.
			writeResponse(s.recordRequest(w, r, FaultNone, true), r, door.refuse(r))
			return
		}
		r = door.pass(r)
	}
	fault := FaultNone
	if s.opts.Fault != nil {
		fault = s.opts.Fault(r)
	}
	cw := s.recordRequest(w, r, fault, false)
	if fault == FaultReset || fault == FaultResetAfter {
		if fault == FaultResetAfter {
			s.handle(discardWriter{header: http.Header{}}, r)
		}
		reset(w)
		return
	}
	switch fault {
	case Fault502:
		writeResponse(cw, r, proxyPage(http.StatusBadGateway, "502 Bad Gateway"))
	case Fault503:
		writeResponse(cw, r, loadingPage())
	case Fault504:
		writeResponse(cw, r, proxyPage(http.StatusGatewayTimeout, "504 Gateway Time-out"))
	default:
		s.handle(cw, r)
	}
}

// recordRequest records r and returns the writer that counts its answer
// into the record. The record is made before the client can see any answer
// (or the end of the connection), and the status and bytes are counted
// into it before they are written, so Requests never lags behind a client.
func (s *Server) recordRequest(w http.ResponseWriter, r *http.Request, fault Fault, door bool) *countingWriter {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	s.requests = append(s.requests, RequestRecord{
		Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Fault: fault, FrontDoor: door,
	})
	return &countingWriter{ResponseWriter: w, srv: s, index: len(s.requests) - 1}
}

func proxyPage(status int, title string) *response {
	body := "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	r := newResponse(status, "text/html", []byte(body))
	r.header.Set("Server", "nginx")
	return r
}

// loadingPage is hudson/util/HudsonIsLoading, served while Jenkins starts.
func loadingPage() *response {
	body := `<!DOCTYPE html><html><head><title>Starting Jenkins</title><meta http-equiv="refresh" content="10"></head>` +
		`<body><h1>Please wait while Jenkins is getting ready to work<span class="loading-dots"></span></h1>` +
		`<p>Your browser will reload automatically when Jenkins is ready.</p></body></html>`
	return newResponse(http.StatusServiceUnavailable, "text/html;charset=UTF-8", []byte(body))
}

// reset drops the connection without a response, with a TCP RST when it can.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (e.g. HTTP/2 or a recorder): let net/http abort.
		panic(http.ErrAbortHandler)
	}
	c := conn
	if nc, ok := c.(interface{ NetConn() net.Conn }); ok {
		c = nc.NetConn()
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// countingWriter counts the status and body size of a response into its
// request's record, each before the client can see it.
type countingWriter struct {
	http.ResponseWriter
	srv   *Server
	index int
}

func (c *countingWriter) count(status int, n int64) {
	c.srv.reqMu.Lock()
	rec := &c.srv.requests[c.index]
	if rec.Status == 0 {
		rec.Status = status
	}
	rec.ResponseBytes += n
	c.srv.reqMu.Unlock()
}

func (c *countingWriter) WriteHeader(code int) {
	c.count(code, 0)
	c.ResponseWriter.WriteHeader(code)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.count(http.StatusOK, int64(len(p)))
	n, err := c.ResponseWriter.Write(p)
	if n < len(p) {
		c.count(http.StatusOK, int64(n-len(p)))
	}
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and Hijack.
func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// discardWriter swallows the answer of a request whose response is lost.
type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header       { return d.header }
func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) WriteHeader(int)             {}

// handle serves one request: parse what can be parsed without the lock,
// decide under the lock, write after it.
func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	writeResponse(w, r, s.decide(r))
}

func writeResponse(w http.ResponseWriter, r *http.Request, resp *response) {
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	if resp.stream == nil {
		if resp.body != nil {
			w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
		}
		w.WriteHeader(resp.status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(resp.body)
		}
		return
	}
	w.WriteHeader(resp.status)
	if r.Method == http.MethodHead {
		return
	}
	rc := http.NewResponseController(w)
	// A client that goes away mid-stream is not an error of the fake.
	_ = resp.stream(w, func() { _ = rc.Flush() })
}

// decide computes the response for r.
func (s *Server) decide(r *http.Request) *response {
	now := time.Now()
	raw := r.URL.EscapedPath()
	if raw == s.ctx {
		return redirect(r, http.StatusFound, s.ctx+"/")
	}
	if !strings.HasPrefix(raw, s.ctx+"/") {
		return notFound()
	}
	segs, trailing, err := splitPath(raw[len(s.ctx)+1:])
	if err != nil {
		return htmlResponse(http.StatusBadRequest, "Bad Request", err.Error())
	}
	form, ferr := parseForm(r, isTriggerPath(segs))
	jwtUser, jwtRefused := s.bearer(r)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	if now.Before(s.downUntil) {
		return loadingPage()
	}
	c, resp := s.authenticate(r)
	if resp != nil {
		return resp
	}
	switch {
	case jwtUser != "":
		c.user, c.apiToken, c.jwt = jwtUser, true, true
	case jwtRefused && s.opts.JWT.Challenge:
		return s.jwtChallenge(r)
	}
	if ferr != nil {
		return htmlResponse(http.StatusBadRequest, "Bad Request", ferr.Error())
	}
	if resp := s.checkCrumb(r, c, segs, form); resp != nil {
		return resp
	}
	rq := &request{r: r, c: c, segs: segs, trailing: trailing, form: form, now: now}
	return s.route(rq)
}

// request is one request being decided.
type request struct {
	r        *http.Request
	c        caller
	segs     []string // unescaped path segments after the context path
	trailing bool     // the path ended with '/'
	form     *form
	now      time.Time
}

// splitPath splits the raw escaped path on '/' and '\' before unescaping
// each segment, like Stapler's TokenList: "feature%252Ffoo" is the segment
// "feature%2Ffoo", and "a%2Fb" is the single segment "a/b".
func splitPath(raw string) (segs []string, trailing bool, err error) {
	if raw == "" {
		return nil, true, nil
	}
	parts := strings.FieldsFunc(raw, func(r rune) bool { return r == '/' || r == '\\' })
	trailing = strings.HasSuffix(raw, "/")
	for _, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil {
			return nil, false, err
		}
		segs = append(segs, u)
	}
	return segs, trailing, nil
}

// route dispatches to the object the path names.
func (s *Server) route(rq *request) *response {
	segs := rq.segs
	if len(segs) == 0 {
		if resp := s.requireRead(rq); resp != nil {
			return resp
		}
		return htmlResponse(http.StatusOK, "Dashboard", "Jenkins")
	}
	switch segs[0] {
	case "buildByToken":
		return s.buildByToken(rq)
	case "crumbIssuer":
		return s.crumbIssuer(rq)
	}
	if resp := s.requireRead(rq); resp != nil {
		return resp
	}
	switch {
	case isPath(segs, "api", "json"):
		return s.jsonResponse(rq.r, s.rootJSON(rq))
	case segs[0] == "queue":
		return s.routeQueue(rq)
	case segs[0] == "job":
		return s.routeJob(rq)
	}
	return notFound()
}

func isPath(segs []string, want ...string) bool {
	if len(segs) != len(want) {
		return false
	}
	for i := range want {
		if segs[i] != want[i] {
			return false
		}
	}
	return true
}

// objectPage serves an object's HTML index, or redirects a GET without the
// trailing slash to the same path plus '/', keeping the query (Stapler's
// DirectoryishDispatcher).
func objectPage(rq *request, title string) *response {
	if !rq.trailing {
		u := rq.r.URL.EscapedPath() + "/"
		if rq.r.URL.RawQuery != "" {
			u += "?" + rq.r.URL.RawQuery
		}
		return redirect(rq.r, http.StatusFound, u)
	}
	resp := htmlResponse(http.StatusOK, title, title)
	resp.header.Set("X-Hudson", "1.395")
	return resp
}
