package jenkinstest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Artifact is a file a build archives, as Run.getArtifacts lists it and
// <build>/artifact/<path> serves it.
type Artifact struct {
	// RelativePath is listed verbatim. The standard artifact manager never
	// lists an empty, "." or ".." segment, but a custom one (S3) could, so
	// the fake lists whatever it is given; a download of such a path gets
	// Jenkins' 400, as does one with a backslash-separated "..".
	RelativePath string
	// Content is the file; when nil, the file is Size bytes generated from
	// RelativePath and the offset, so a 512 MiB artifact costs no memory.
	Content []byte
	Size    int64
	// ModTime is its Last-Modified; zero means when it was archived.
	ModTime time.Time
	// At, if > 0, archives the file this long into the script (input
	// pauses push it back, as they do log lines); otherwise it is archived
	// when the building phase ends (not if the build was stopped). A later
	// archive of the same path replaces it.
	At time.Duration
	// BreakAt, if > 0, cuts the first transfer of the file's bytes, from any
	// origin: the connection is closed after BreakAt bytes of that
	// response's body. Later transfers are whole.
	BreakAt int64
}

// ArtifactDownload is one request for an artifact file, on Jenkins or on
// the origin it redirects to; ArtifactOriginRequests also lists requests
// to that origin that named no file.
type ArtifactDownload struct {
	// Origin is "jenkins", ArtifactRedirectObjectStore or
	// ArtifactRedirectResourceDomain.
	Origin string
	Method string
	Range  string // the Range header as sent
	Status int
	Bytes  int64 // body bytes written, counted before the client sees them
	// Authorization and Cookie say whether the request carried an
	// Authorization header or a Jenkins session (JSESSIONID.*) cookie.
	Authorization, Cookie bool
	// ClientCert says whether the client presented a TLS client
	// certificate (asked for with Options.ClientCAs).
	ClientCert bool
	// Header is a copy of the request's headers as the origin got them: on
	// Jenkins without those a front door took, elsewhere all the client
	// sent, so a test can tell what credentials reached another origin.
	Header http.Header
}

// Options.ArtifactRedirect values.
const (
	// ArtifactRedirectObjectStore models an artifact manager on an object
	// store (artifact-manager-s3): Jenkins answers a file download with a
	// 302 to a presigned GET URL on another host, valid for an hour: over
	// HTTP 127.0.0.2 (or "localhost" where only 127.0.0.1 is loopback),
	// over TLS [::1], which New/NewTLS panic without.
	ArtifactRedirectObjectStore = "object-store"
	// ArtifactRedirectResourceDomain models a configured Resource Root URL
	// on the same host but another port: Jenkins answers a file download
	// with a 302 to <resourceRoot>static-files/<token>/<path>, the token
	// valid for 30 minutes.
	ArtifactRedirectResourceDomain = "resource-domain"

	originJenkins = "jenkins"
)

const (
	// listCutoff is Run.ArtifactList.LIST_CUTOFF: above it, displayPath is
	// null.
	listCutoff = 20
	// presignTTL is the S3 presigned URL lifetime (S3BlobStore).
	presignTTL = time.Hour
	// resourceTokenTTL is ResourceDomainRootAction.VALID_FOR_MINUTES.
	resourceTokenTTL = 30 * time.Minute
	// directoryCSP is DirectoryBrowserSupport.DEFAULT_CSP_VALUE.
	directoryCSP = "sandbox allow-same-origin; default-src 'none'; img-src 'self'; style-src 'self';"
	bucket       = "jenkins-artifacts"
	// resourceOnly is ResourceDomainFilter.ERROR_RESPONSE.
	resourceOnly = "Jenkins serves only static files on this domain."
)

// Len is the file's size.
func (a Artifact) Len() int64 {
	if a.Content != nil {
		return int64(len(a.Content))
	}
	return a.Size
}

// Reader reads the file's bytes, generating them on the fly for a Size
// artifact, so a test can hash a big one without holding it.
func (a Artifact) Reader() *io.SectionReader {
	if a.Content != nil {
		return io.NewSectionReader(bytes.NewReader(a.Content), 0, a.Len())
	}
	return io.NewSectionReader(newGenerator(a.RelativePath), 0, a.Size)
}

// Bytes returns the file's bytes; meant for small artifacts.
func (a Artifact) Bytes() []byte {
	b := make([]byte, a.Len())
	_, _ = a.Reader().ReadAt(b, 0) // reads from memory or a generator: no error
	return b
}

// generator is the content of a Size artifact: a page of pseudo-random
// bytes seeded by the path, each page-sized block XORed with a key of its
// own, so that reading from a wrong offset (even a whole number of pages
// off) gives different bytes.
type generator struct {
	seed uint64
	page [genPage]byte
}

const genPage = 4096

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func newGenerator(relativePath string) *generator {
	sum := sha256.Sum256([]byte(relativePath))
	g := &generator{seed: binary.LittleEndian.Uint64(sum[:])}
	for i := 0; i < genPage; i += 8 {
		binary.LittleEndian.PutUint64(g.page[i:], splitmix(g.seed+uint64(i)))
	}
	return g
}

// ReadAt fills p with the bytes at off; the section reader bounds it.
func (g *generator) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("jenkinstest: negative offset")
	}
	n := 0
	for n < len(p) {
		o := off + int64(n)
		block, in := o/genPage, int(o%genPage)
		key := splitmix(g.seed ^ uint64(block)*0x2545f4914f6cdd1d)
		var kb [8]byte
		binary.LittleEndian.PutUint64(kb[:], key)
		m := copy(p[n:], g.page[in:])
		dst := p[n : n+m]
		// Byte by byte up to a multiple of 8 in the page, then a word at a
		// time: the key lines up with the page's words.
		i := 0
		for ; i < m && (in+i)%8 != 0; i++ {
			dst[i] ^= kb[(in+i)%8]
		}
		for ; i+8 <= m; i += 8 {
			binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(dst[i:])^key)
		}
		for ; i < m; i++ {
			dst[i] ^= kb[(in+i)%8]
		}
		n += m
	}
	return n, nil
}

// archived is an artifact as a build has it at some instant.
type archived struct {
	Artifact
	modTime time.Time
}

// artifacts returns the build's archived files at now, one per path (the
// latest archive wins), in Run.getArtifacts order: depth first, each
// directory sorted by case-insensitive name.
func (b *build) artifacts(now time.Time) []archived {
	endBuilding, _ := b.phases()
	type entry struct {
		archived
		at time.Duration
	}
	byPath := map[string]entry{}
	rel := now.Sub(b.start)
	for _, a := range b.script.Artifacts {
		at := endBuilding
		if a.At <= 0 {
			if b.stopped {
				continue
			}
		} else if at = b.wallOffset(a.At); b.stopped && at > b.stopAt.Sub(b.start) {
			continue
		}
		if rel < at {
			continue
		}
		if old, ok := byPath[a.RelativePath]; ok && old.at > at {
			continue
		}
		mod := a.ModTime
		if mod.IsZero() {
			mod = b.start.Add(at)
		}
		byPath[a.RelativePath] = entry{archived{a, mod}, at}
	}
	out := make([]archived, 0, len(byPath))
	for _, e := range byPath {
		out = append(out, e.archived)
	}
	slices.SortFunc(out, func(x, y archived) int { return comparePaths(x.RelativePath, y.RelativePath) })
	return out
}

// comparePaths orders paths as Run.addArtifacts walks them: segment by
// segment, by VirtualFile.compareTo (case-insensitive); names equal but for
// case, which Jenkins leaves in directory order, go in byte order.
func comparePaths(a, b string) int {
	sa, sb := strings.Split(a, "/"), strings.Split(b, "/")
	for i := range min(len(sa), len(sb)) {
		if c := compareFold(sa[i], sb[i]); c != 0 {
			return c
		}
		if c := strings.Compare(sa[i], sb[i]); c != 0 {
			return c
		}
	}
	return len(sa) - len(sb)
}

// compareFold is String.compareToIgnoreCase, by rune.
func compareFold(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		fa, fb := unicode.ToLower(unicode.ToUpper(ra)), unicode.ToLower(unicode.ToUpper(rb))
		if fa != fb {
			return int(fa) - int(fb)
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) - len(b)
}

// artifactsJSON is the build's artifacts property: Run.Artifact has no
// _class (its declared type) and exports with visibility 3.
func artifactsJSON(files []archived) []any {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.RelativePath
	}
	display := displayPaths(paths)
	out := make([]any, len(files))
	for i, f := range files {
		name := f.RelativePath[strings.LastIndexByte(f.RelativePath, '/')+1:]
		out[i] = newObj("").
			addVis("displayPath", 3, display[i]).
			addVis("fileName", 3, name).
			addVis("relativePath", 3, f.RelativePath)
	}
	return out
}

var javaSeparators = regexp.MustCompile(`[\\/]+`)

// displayPaths is Run.ArtifactList.computeDisplayName: each path's
// shortest unique suffix, or null for all above listCutoff artifacts.
func displayPaths(paths []string) []any {
	out := make([]any, len(paths))
	if len(paths) > listCutoff {
		return out
	}
	tokens := make([][]string, len(paths))
	lens := make([]int, len(paths))
	maxDepth := 0
	for i, p := range paths {
		tokens[i] = javaSplit(p)
		maxDepth = max(maxDepth, len(tokens[i]))
		lens[i] = 1
	}
	for depth := 0; ; depth++ {
		collision := false
		names := map[string]int{}
		for i, tok := range tokens {
			name := combineLast(tok, lens[i])
			j, seen := names[name]
			names[name] = i
			if seen {
				collision = true
				if j >= 0 {
					lens[j]++
				}
				lens[i]++
				names[name] = -1
			}
		}
		if !collision || depth >= maxDepth {
			break
		}
	}
	for i, tok := range tokens {
		out[i] = combineLast(tok, lens[i])
	}
	return out
}

// javaSplit is String.split("[\\\\/]+"): a leading empty token is kept,
// trailing ones are dropped.
func javaSplit(s string) []string {
	parts := javaSeparators.Split(s, -1)
	if len(parts) == 1 {
		return parts
	}
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

func combineLast(tokens []string, n int) string {
	return strings.Join(tokens[max(0, len(tokens)-n):], "/")
}

// artifactState is the fake's bookkeeping for artifact downloads: the
// other origins, the presigned keys, and the record of every download.
type artifactState struct {
	objectStore, resourceDomain *httptest.Server
	objectURL                   string // scheme://host:port of the object store
	resourceHost                string // host:port of the resource domain
	key                         []byte // signs presigned URLs and resource tokens

	// objects maps presigned object keys to the files; under Server.mu.
	objects map[string]artifactRef

	mu        sync.Mutex // guards downloads, transfers and foreign, written outside Server.mu
	downloads map[artifactRef][]*ArtifactDownload
	transfers map[artifactRef]int
	foreign   []*ArtifactDownload // every request the other origins got
}

type artifactRef struct {
	job          string
	number       int
	relativePath string
}

// startArtifactOrigins starts the origin Options.ArtifactRedirect sends
// downloads to, over TLS when Jenkins uses it.
func (s *Server) startArtifactOrigins(useTLS bool) {
	s.art.key = []byte(randomHex(32))
	s.art.objects = map[string]artifactRef{}
	s.art.downloads = map[artifactRef][]*ArtifactDownload{}
	s.art.transfers = map[artifactRef]int{}
	start := func(host string, h http.HandlerFunc) *httptest.Server {
		ts := s.unstarted(h, host)
		if useTLS {
			if s.opts.ClientCAs != nil {
				ts.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
			}
			ts.StartTLS()
		} else {
			ts.Start()
		}
		return ts
	}
	switch s.opts.ArtifactRedirect {
	case "":
	case ArtifactRedirectObjectStore:
		// Another host name than Jenkins' 127.0.0.1. Over TLS it is [::1],
		// which httptest's certificate covers; over HTTP 127.0.0.2 (loopback
		// on Linux), or else "localhost" on 127.0.0.1 (macOS).
		host, name := "127.0.0.2", ""
		if useTLS {
			host = "::1"
		}
		if s.opts.Net == nil && !useTLS {
			if l, err := net.Listen("tcp", "127.0.0.2:0"); err != nil {
				host, name = "127.0.0.1", "localhost"
			} else {
				_ = l.Close()
			}
		}
		s.art.objectStore = start(host, s.serveOrigin(ArtifactRedirectObjectStore, s.decideObject))
		s.art.objectURL = s.art.objectStore.URL
		if name != "" {
			_, port, _ := net.SplitHostPort(s.art.objectStore.Listener.Addr().String())
			s.art.objectURL = "http://" + net.JoinHostPort(name, port)
		}
	case ArtifactRedirectResourceDomain:
		// The same host as Jenkins, another port.
		host, _, _ := net.SplitHostPort(s.ts.Listener.Addr().String())
		s.art.resourceDomain = start(host, s.serveOrigin(ArtifactRedirectResourceDomain, s.decideResource))
		s.art.resourceHost = s.art.resourceDomain.Listener.Addr().String()
	default:
		panic("jenkinstest: unknown Options.ArtifactRedirect " + strconv.Quote(s.opts.ArtifactRedirect))
	}
}

func (s *Server) closeArtifactOrigins() {
	for _, ts := range []*httptest.Server{s.art.objectStore, s.art.resourceDomain} {
		if ts != nil {
			ts.Close()
		}
	}
}

// ArtifactDownloads returns every request for one artifact file so far, on
// any origin, in order.
func (s *Server) ArtifactDownloads(fullName string, number int, relativePath string) []ArtifactDownload {
	s.art.mu.Lock()
	defer s.art.mu.Unlock()
	return copyDownloads(s.art.downloads[artifactRef{fullName, number, relativePath}])
}

// ArtifactOriginRequests returns every request the object store and the
// resource domain received so far, in order, also those that named no
// artifact file (an unknown key, a forged token, another path).
func (s *Server) ArtifactOriginRequests() []ArtifactDownload {
	s.art.mu.Lock()
	defer s.art.mu.Unlock()
	return copyDownloads(s.art.foreign)
}

// copyDownloads copies records under art.mu, headers included, so that a
// caller can keep them.
func copyDownloads(list []*ArtifactDownload) []ArtifactDownload {
	out := make([]ArtifactDownload, 0, len(list))
	for _, d := range list {
		c := *d
		c.Header = d.Header.Clone()
		out = append(out, c)
	}
	return out
}

func newDownload(origin string, r *http.Request) *ArtifactDownload {
	return &ArtifactDownload{
		Origin: origin, Method: r.Method, Range: r.Header.Get("Range"),
		Authorization: r.Header.Get("Authorization") != "", Cookie: hasSessionCookie(r),
		ClientCert: r.TLS != nil && len(r.TLS.PeerCertificates) > 0,
		Header:     r.Header.Clone(),
	}
}

// arrivalKey is the context key of the record a request to another origin
// got on arrival (see serveOrigin).
type arrivalKey struct{}

// serveOrigin serves an origin other than Jenkins. Each request is recorded
// as it arrives, and a file it names is recorded in that same record, so
// every request the origin got is listed once.
func (s *Server) serveOrigin(origin string, decide func(*http.Request) *response) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
		d := newDownload(origin, r)
		s.art.mu.Lock()
		s.art.foreign = append(s.art.foreign, d)
		s.art.mu.Unlock()
		r = r.WithContext(context.WithValue(r.Context(), arrivalKey{}, d))
		resp := decide(r)
		s.art.mu.Lock()
		if d.Status == 0 {
			d.Status = resp.status
		}
		s.art.mu.Unlock()
		writeResponse(w, r, resp)
	}
}

// record records a download of a file (in the request's arrival record on
// another origin) and decides whether it is the file's transfer that
// breaks.
func (s *Server) record(ref artifactRef, origin string, r *http.Request, status int, f *archived) (*ArtifactDownload, bool) {
	d, _ := r.Context().Value(arrivalKey{}).(*ArtifactDownload)
	if d == nil {
		d = newDownload(origin, r)
	}
	s.art.mu.Lock()
	defer s.art.mu.Unlock()
	d.Status = status
	if s.art.downloads == nil { // a server used through Handler only
		s.art.downloads, s.art.transfers = map[artifactRef][]*ArtifactDownload{}, map[artifactRef]int{}
	}
	s.art.downloads[ref] = append(s.art.downloads[ref], d)
	transfer := f != nil && r.Method != http.MethodHead && (status == http.StatusOK || status == http.StatusPartialContent)
	if !transfer {
		return d, false
	}
	s.art.transfers[ref]++
	return d, f.BreakAt > 0 && s.art.transfers[ref] == 1
}

func hasSessionCookie(r *http.Request) bool {
	for _, c := range r.Cookies() {
		if strings.HasPrefix(c.Name, "JSESSIONID") {
			return true
		}
	}
	return false
}

// requestPath is the raw request URI without its query, as
// HttpServletRequest.getRequestURI gives it.
func requestPath(r *http.Request) string {
	if r.RequestURI == "" {
		return r.URL.EscapedPath()
	}
	p, _, _ := strings.Cut(r.RequestURI, "?")
	return p
}

func badRequest(msg string) *response { return htmlResponse(http.StatusBadRequest, "Bad Request", msg) }

// serveArtifact is Run.doArtifact's DirectoryBrowserSupport for the path
// segments after artifact/, on the main domain or, for a request the
// resource domain forwards, on that.
func (s *Server) serveArtifact(rq *request, b *build, segs []string) *response {
	r := rq.r
	// SuspiciousRequestFilter, before anything else in Jenkins.
	if strings.Contains(requestPath(r), ";") {
		return badRequest("Semicolons are not allowed in the request URI")
	}
	rest := "/" + strings.Join(segs, "/")
	// TokenList refuses a ".." token; DirectoryBrowserSupport refuses
	// "/../" once backslashes are slashes.
	if slices.Contains(segs, "..") || strings.Contains(strings.ReplaceAll(rest, `\`, "/"), "/../") {
		return badRequest("Bad Request")
	}
	files := b.artifacts(rq.now)
	if len(files) == 0 { // no archive directory
		return notFound()
	}
	var base []string
	zip, plain, glob := false, false, false
	var tail []string
	for i, seg := range segs {
		if seg == "*zip*" {
			zip = true
			break
		}
		if seg == "*plain*" {
			plain = true
			break
		}
		if !glob && strings.ContainsAny(seg, "*?") && lookup(files, strings.Join(append(slices.Clone(base), seg), "/")) == nil &&
			!isDir(files, strings.Join(append(slices.Clone(base), seg), "/")) {
			glob = true
		}
		if glob {
			tail = segs[i:]
			break
		}
		base = append(base, seg)
	}
	basePath := strings.Join(base, "/")
	if strings.HasPrefix(basePath, "/") { // SECURITY-2481: absolute
		return notFound()
	}
	if basePath == "" || isDir(files, basePath) {
		switch {
		case zip:
			return notFound() // *zip* is not modelled
		case plain:
			return plainListing(files, basePath)
		case len(tail) > 0:
			return notFound() // Ant-glob listings are not modelled
		case !rq.trailing:
			return emptyResponse(http.StatusFound, requestBase(r)+r.URL.EscapedPath()+"/")
		}
		return dirListing(files, basePath)
	}
	f := lookup(files, basePath)
	if f == nil {
		return notFound()
	}
	ref := artifactRef{b.job.fullName(), b.number, f.RelativePath}
	view := len(tail) == 1 && tail[0] == "*view*"
	resource := s.art.resourceHost != "" && r.Host == s.art.resourceHost
	// The external URL wins over everything, *view* included; the
	// resource domain only takes plain files.
	switch {
	case s.art.objectStore != nil:
		resp := emptyResponse(http.StatusFound, s.presign(ref, rq.now))
		_, _ = s.record(ref, originJenkins, r, resp.status, nil)
		return resp
	case s.art.resourceDomain != nil && !resource && !view:
		dbs := strings.TrimSuffix(b.job.node.path(), "/") + "/" + strconv.Itoa(b.number) + "/artifact"
		resp := emptyResponse(http.StatusFound, s.resourceURL(dbs, rq.c.user, rest, rq.now))
		_, _ = s.record(ref, originJenkins, r, resp.status, nil)
		return resp
	}
	origin := originJenkins
	if resource {
		origin = ArtifactRedirectResourceDomain
	}
	resp := s.serveFile(ref, origin, r, f, view)
	if !resource && !view {
		for _, h := range []string{"Content-Security-Policy", "X-WebKit-CSP", "X-Content-Security-Policy"} {
			resp.header.Set(h, directoryCSP)
		}
	}
	if view {
		resp.header.Set("Content-Disposition", "inline; filename="+path.Base("/"+f.RelativePath))
	}
	return resp
}

func lookup(files []archived, p string) *archived {
	for i := range files {
		if files[i].RelativePath == p {
			return &files[i]
		}
	}
	return nil
}

func isDir(files []archived, p string) bool {
	if p == "" {
		return true
	}
	for _, f := range files {
		if strings.HasPrefix(f.RelativePath, p+"/") {
			return true
		}
	}
	return false
}

// children lists a directory's entries in listing order, directories with
// a trailing '/'.
func children(files []archived, dir string) []string {
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	var out []string
	for _, f := range files {
		rest, ok := strings.CutPrefix(f.RelativePath, prefix)
		if !ok {
			continue
		}
		name, _, sub := strings.Cut(rest, "/")
		if sub {
			name += "/"
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// plainListing is the *plain* listing: one child per line.
func plainListing(files []archived, dir string) *response {
	var buf bytes.Buffer
	for _, name := range children(files, dir) {
		buf.WriteString(name + "\n")
	}
	return newResponse(http.StatusOK, "text/plain;charset=UTF-8", buf.Bytes())
}

// dirListing is a minimal dir.jelly: one link per child.
func dirListing(files []archived, dir string) *response {
	var buf bytes.Buffer
	buf.WriteString("<!DOCTYPE html><html><head><title>Artifacts [Jenkins]</title></head><body><table class=\"fileList\">\n")
	for _, name := range children(files, dir) {
		href := rawEncode(strings.TrimSuffix(name, "/"))
		if strings.HasSuffix(name, "/") {
			href += "/"
		}
		fmt.Fprintf(&buf, "<tr><td><a href=\"%s\">%s</a></td></tr>\n", html.EscapeString(href), html.EscapeString(name))
	}
	buf.WriteString("</table></body></html>\n")
	resp := newResponse(http.StatusOK, "text/html;charset=utf-8", buf.Bytes())
	resp.header.Set("X-Content-Type-Options", "nosniff")
	return resp
}

// mimeTypes is a part of the servlet container's MIME map.
var mimeTypes = map[string]string{
	"css": "text/css", "gif": "image/gif", "gz": "application/gzip", "htm": "text/html", "html": "text/html",
	"jar": "application/java-archive", "jpeg": "image/jpeg", "jpg": "image/jpeg", "js": "text/javascript",
	"json": "application/json", "pdf": "application/pdf", "png": "image/png", "svg": "image/svg+xml",
	"tar": "application/x-tar", "txt": "text/plain", "xml": "application/xml", "zip": "application/zip",
}

// contentType is Stapler's getMimeType: by extension, octet-stream when
// unknown, text/* with the UTF-8 charset.
func contentType(name string) string {
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	t := "application/octet-stream"
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		if m, ok := mimeTypes[strings.ToLower(name[i+1:])]; ok {
			t = m
		}
	}
	if strings.HasPrefix(t, "text/") {
		t += ";charset=UTF-8"
	}
	return t
}

var rangeSpec = regexp.MustCompile(`^bytes=([0-9]+)-([0-9]*)$`)

// serveFile is Stapler's serveStaticResource: If-Modified-Since gives a
// bare 304; a single "bytes=S-" or "bytes=S-E" range gives 206; anything
// else in Range is ignored. The body is generated while it is written.
func (s *Server) serveFile(ref artifactRef, origin string, r *http.Request, f *archived, view bool) *response {
	mod := f.modTime
	if since, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && mod.Before(since.Add(time.Second)) {
		resp := newResponse(http.StatusNotModified, "", nil)
		_, _ = s.record(ref, origin, r, resp.status, nil)
		return resp
	}
	size := f.Len()
	from, to := int64(0), size
	status := http.StatusOK
	resp := newResponse(status, "", nil)
	if m := rangeSpec.FindStringSubmatch(r.Header.Get("Range")); m != nil {
		start, err1 := strconv.ParseInt(m[1], 10, 64)
		end := size
		var err2 error
		if m[2] != "" {
			end, err2 = strconv.ParseInt(m[2], 10, 64)
			end++
		}
		end = min(end, size)
		if err1 != nil || err2 != nil || start > end {
			// Stapler would send a negative length here; a client
			// should never ask, and gets a plain 416.
			resp := newResponse(http.StatusRequestedRangeNotSatisfiable, "", nil)
			resp.header.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
			_, _ = s.record(ref, origin, r, resp.status, nil)
			return resp
		}
		from, to, status = start, end, http.StatusPartialContent
		resp.header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, to-1, size))
	}
	resp.status = status
	lm := mod.UTC().Format(http.TimeFormat)
	resp.header.Set("Last-Modified", lm)
	resp.header.Set("Expires", lm)
	resp.header.Set("Accept-Ranges", "bytes")
	if view {
		resp.header.Set("Content-Type", contentType("plain.txt"))
	} else {
		resp.header.Set("Content-Type", contentType(f.RelativePath))
	}
	resp.header.Set("X-Content-Type-Options", "nosniff")
	resp.header.Set("Content-Length", strconv.FormatInt(to-from, 10))
	d, breaks := s.record(ref, origin, r, status, f)
	body := io.NewSectionReader(f.Reader(), from, to-from)
	resp.stream = func(w io.Writer, flush func()) error {
		cw := &downloadWriter{w: w, srv: s, d: d}
		if !breaks || f.BreakAt >= to-from {
			_, err := io.CopyBuffer(cw, body, make([]byte, 64<<10))
			return err
		}
		if _, err := io.CopyN(cw, body, f.BreakAt); err != nil {
			return err
		}
		flush()
		// net/http closes the connection without finishing the body.
		panic(http.ErrAbortHandler)
	}
	return resp
}

// downloadWriter counts body bytes into a download record before writing
// them.
type downloadWriter struct {
	w   io.Writer
	srv *Server
	d   *ArtifactDownload
}

func (c *downloadWriter) Write(p []byte) (int, error) {
	c.srv.art.mu.Lock()
	c.d.Bytes += int64(len(p))
	c.srv.art.mu.Unlock()
	n, err := c.w.Write(p)
	if n < len(p) {
		c.srv.art.mu.Lock()
		c.d.Bytes -= int64(len(p) - n)
		c.srv.art.mu.Unlock()
	}
	return n, err
}

// escapeSegments escapes each '/'-separated segment with rawEncode.
func escapeSegments(p string) string {
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		segs[i] = rawEncode(seg)
	}
	return strings.Join(segs, "/")
}

func (s *Server) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, s.art.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// presign returns an S3-like presigned GET URL for the file, valid for
// presignTTL from now; the key is <job>/<number>/artifacts/<path>, as
// artifact-manager-s3 lays it out.
func (s *Server) presign(ref artifactRef, now time.Time) string {
	key := ref.job + "/" + strconv.Itoa(ref.number) + "/artifacts/" + ref.relativePath
	s.art.objects[key] = ref
	objPath := "/" + bucket + "/" + escapeSegments(key)
	date := now.UTC().Format("20060102T150405Z")
	expires := strconv.Itoa(int(presignTTL.Seconds()))
	q := url.Values{
		"X-Amz-Algorithm":     {"AWS4-HMAC-SHA256"},
		"X-Amz-Credential":    {"AKIAFAKEJENKINSTEST/" + date[:8] + "/us-east-1/s3/aws4_request"},
		"X-Amz-Date":          {date},
		"X-Amz-Expires":       {expires},
		"X-Amz-SignedHeaders": {"host"},
		"X-Amz-Signature":     {hex.EncodeToString(s.mac(http.MethodGet, objPath, date, expires))},
	}
	return s.art.objectURL + objPath + "?" + q.Encode()
}

// s3Error is an S3 error document.
func s3Error(status int, code, msg string, now time.Time) *response {
	body := `<?xml version="1.0" encoding="UTF-8"?>` + "\n<Error><Code>" + code + "</Code><Message>" + html.EscapeString(msg) +
		"</Message><RequestId>" + randomHex(8) + "</RequestId><HostId>jenkinstest</HostId></Error>"
	resp := newResponse(status, "application/xml", []byte(body))
	resp.header.Set("Server", "AmazonS3")
	resp.header.Set("Date", now.UTC().Format(http.TimeFormat))
	return resp
}

// decideObject is the object store behind presigned URLs. A request with
// an Authorization header (or a Jenkins session cookie) is a 400, as S3
// allows one auth mechanism only; an expired URL is a 403.
func (s *Server) decideObject(r *http.Request) *response {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	q := r.URL.Query()
	objPath := r.URL.EscapedPath()
	key, err := url.PathUnescape(strings.TrimPrefix(objPath, "/"+bucket+"/"))
	ref, known := s.art.objects[key]
	var f *archived
	if known && err == nil {
		if b := s.findBuildOf(ref); b != nil {
			f = lookup(b.artifacts(now), ref.relativePath)
		}
	}
	refuse := func(resp *response) *response {
		if f != nil {
			_, _ = s.record(ref, ArtifactRedirectObjectStore, r, resp.status, nil)
		}
		return resp
	}
	if r.Header.Get("Authorization") != "" || hasSessionCookie(r) {
		return refuse(s3Error(http.StatusBadRequest, "InvalidArgument",
			"Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified", now))
	}
	date, expires := q.Get("X-Amz-Date"), q.Get("X-Amz-Expires")
	sig, _ := hex.DecodeString(q.Get("X-Amz-Signature"))
	// The URL is signed for GET, so a HEAD does not match, as on S3.
	if !hmac.Equal(sig, s.mac(r.Method, objPath, date, expires)) {
		return refuse(s3Error(http.StatusForbidden, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your key and signing method.", now))
	}
	signed, err1 := time.Parse("20060102T150405Z", date)
	secs, err2 := strconv.Atoi(expires)
	if err1 != nil || err2 != nil || now.After(signed.Add(time.Duration(secs)*time.Second)) {
		return refuse(s3Error(http.StatusForbidden, "AccessDenied", "Request has expired", now))
	}
	if f == nil {
		return s3Error(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", now)
	}
	resp := s.serveFile(ref, ArtifactRedirectObjectStore, r, f, false)
	resp.header.Del("Expires")
	resp.header.Set("Server", "AmazonS3")
	resp.header.Set("Date", now.UTC().Format(http.TimeFormat))
	if resp.status != http.StatusNotModified {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d", f.RelativePath, f.Len())))
		resp.header.Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
	}
	return resp
}

func (s *Server) findBuildOf(ref artifactRef) *build {
	j := s.lookup(ref.job)
	if j == nil {
		return nil
	}
	for _, b := range j.builds {
		if b.number == ref.number {
			return b
		}
	}
	return nil
}

// resourceURL is ResourceDomainRootAction.getRedirectUrl: the token holds
// the directory browser's URL (relative to the root), the user and the
// time, signed; the rest of the path is rawEncoded per segment.
func (s *Server) resourceURL(dbs, user, rest string, now time.Time) string {
	value := strconv.FormatInt(now.UnixMilli(), 10) + ":" + strconv.Itoa(len(user)) + ":" + user + ":" + dbs
	token := base64.URLEncoding.EncodeToString(append(s.mac(value), value...))
	return s.art.resourceDomain.URL + s.ctx + "/static-files/" + token + escapeSegments(rest)
}

// decodeToken returns the token's directory browser URL, user and time.
func (s *Server) decodeToken(token string) (dbs, user string, at time.Time, ok bool) {
	raw, err := base64.URLEncoding.DecodeString(token)
	if err != nil || len(raw) < sha256.Size {
		return "", "", time.Time{}, false
	}
	value := string(raw[sha256.Size:])
	if !hmac.Equal(raw[:sha256.Size], s.mac(value)) {
		return "", "", time.Time{}, false
	}
	ms, rest, _ := strings.Cut(value, ":")
	n, rest, _ := strings.Cut(rest, ":")
	millis, err1 := strconv.ParseInt(ms, 10, 64)
	length, err2 := strconv.Atoi(n)
	if err1 != nil || err2 != nil || length > len(rest) || !strings.HasPrefix(rest[length:], ":") {
		return "", "", time.Time{}, false
	}
	return rest[length+1:], rest[:length], time.UnixMilli(millis), true
}

// decideResource is Jenkins reached through its Resource Root URL: only
// static-files/<token>/... is served, as the token's user, and any
// authenticated request is a 400 (ALLOW_AUTHENTICATED_USER=false). An
// expired token redirects back to Jenkins.
func (s *Server) decideResource(r *http.Request) *response {
	now := time.Now()
	if strings.Contains(requestPath(r), ";") {
		return badRequest("Semicolons are not allowed in the request URI")
	}
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), s.ctx+"/static-files/")
	if !ok {
		return htmlResponse(http.StatusNotFound, "Not Found", resourceOnly)
	}
	token, restPath, _ := strings.Cut(rest, "/")
	segs, trailing, err := splitPath(restPath)
	if err != nil {
		return badRequest(err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	if now.Before(s.downUntil) {
		return loadingPage()
	}
	dbs, user, at, ok := s.decodeToken(token)
	if !ok {
		return htmlResponse(http.StatusNotFound, "Not Found", resourceOnly)
	}
	if r.Header.Get("Authorization") != "" || hasSessionCookie(r) {
		resp := badRequest("authenticated requests are not allowed on the resource domain")
		s.recordResourceRefusal(dbs, user, segs, r, resp.status, now)
		return resp
	}
	if at.After(now) || !now.Before(at.Add(resourceTokenTTL)) {
		root := s.opts.RootURL
		if root == "" || s.opts.NoRootURL {
			root = s.URL() + "/"
		}
		if !strings.HasSuffix(root, "/") {
			root += "/"
		}
		resp := emptyResponse(http.StatusFound, root+dbs+"/"+escapeSegments(strings.Join(segs, "/")))
		s.recordResourceRefusal(dbs, user, segs, r, resp.status, now)
		return resp
	}
	dbsSegs, _, err := splitPath(dbs)
	if err != nil {
		return notFound()
	}
	c := caller{user: user}
	if _, known := s.opts.Users[user]; !known {
		c.user = ""
	}
	return s.route(&request{r: r, c: c, segs: append(dbsSegs, segs...), trailing: trailing, now: now})
}

// recordResourceRefusal records a resource-domain answer that serves no
// bytes, when the token names a file.
func (s *Server) recordResourceRefusal(dbs, user string, segs []string, r *http.Request, status int, now time.Time) {
	dbsSegs, _, err := splitPath(dbs)
	if err != nil {
		return
	}
	rq := &request{r: r, c: caller{user: user}, segs: append(dbsSegs, segs...), now: now}
	n, rest := s.resolve(rq)
	if n == nil || n.job == nil || len(rest) < 3 || rest[1] != "artifact" {
		return
	}
	b := n.job.findBuild(rest[0], now)
	if b == nil {
		return
	}
	if f := lookup(b.artifacts(now), strings.Join(rest[2:], "/")); f != nil {
		_, _ = s.record(artifactRef{b.job.fullName(), b.number, f.RelativePath}, ArtifactRedirectResourceDomain, r, status, nil)
	}
}
