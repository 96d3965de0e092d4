package jenkinstest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
)

// caller is who a request acts as.
type caller struct {
	user     string // "" = anonymous
	apiToken bool   // authenticated by API token or JWT: exempt from crumbs
	jwt      bool   // authenticated by jwt-auth-filter, which binds no session
	session  string // id of a live HTTP session the request carries, or ""
}

func (c caller) name() string {
	if c.user == "" {
		return "anonymous"
	}
	return c.user
}

// authenticate resolves Basic credentials (API token first, then password,
// as Jenkins' BasicHeaderProcessor does) or a session cookie. Wrong
// credentials are a 401 whatever the URL.
func (s *Server) authenticate(r *http.Request) (caller, *response) {
	var c caller
	if ck, err := r.Cookie(s.cookieName); err == nil {
		if user, ok := s.sessions[ck.Value]; ok {
			c.session = ck.Value
			c.user = user
		}
	}
	// Only Basic is Jenkins' business; other schemes pass as anonymous.
	if !strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "basic ") {
		return c, nil
	}
	name, secret, ok := r.BasicAuth()
	u, known := s.opts.Users[name]
	switch {
	case ok && known && u.APIToken != "" && equal(secret, u.APIToken):
		c.user, c.apiToken = name, true
	case ok && known && u.Password != "" && equal(secret, u.Password):
		c.user, c.apiToken = name, false
	default:
		resp := htmlResponse(http.StatusUnauthorized, "Unauthorized", "Invalid password/token for user: "+name)
		resp.header.Set("WWW-Authenticate", `Basic realm="Jenkins"`)
		return c, resp
	}
	return c, nil
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// Permissions: a user with an account may do everything; anonymous may read
// with AnonymousRead or AnonymousBuild and build with AnonymousBuild.
func (s *Server) canRead(c caller) bool {
	return c.user != "" || s.opts.AnonymousRead || s.opts.AnonymousBuild
}

func (s *Server) canBuild(c caller) bool { return c.user != "" || s.opts.AnonymousBuild }

// requireRead enforces Overall/Read.
func (s *Server) requireRead(rq *request) *response {
	if s.canRead(rq.c) {
		return nil
	}
	return s.forbidden(rq, "hudson.model.Hudson.Read")
}

// forbidden is the answer to a missing permission: for anonymous the
// "Authentication required" page of HudsonAuthenticationEntryPoint.
func (s *Server) forbidden(rq *request, permission string) *response {
	var resp *response
	if rq.c.user == "" {
		from := rq.r.URL.EscapedPath()
		if rq.r.Header.Get("X-Requested-With") == "XMLHttpRequest" {
			resp = newResponse(http.StatusForbidden, "", nil)
		} else {
			resp = newResponse(http.StatusForbidden, "text/html;charset=utf-8", []byte(
				`<html><head><meta http-equiv='refresh' content='1;url=`+s.ctx+`/login?from=`+from+`'/>`+
					`<script>window.location.replace('`+s.ctx+`/login?from=`+from+`');</script></head><body style='background-color:white; color:white;'>`+"\n\n"+
					"Authentication required\n<!--\n-->\n\n</body></html>\n"))
		}
	} else {
		resp = htmlResponse(http.StatusForbidden, "Access Denied", rq.c.user+" is missing the "+permission+" permission")
	}
	s.advertise(resp.header)
	resp.header.Set("X-You-Are-Authenticated-As", rq.c.name())
	resp.header.Set("X-You-Are-In-Group-Disabled", "JENKINS-39402: use -Dhudson.security.AccessDeniedException2.REPORT_GROUP_HEADERS=true or use /whoAmI to diagnose")
	resp.header.Set("X-Required-Permission", permission)
	resp.header.Set("X-Permission-Implied-By", "hudson.security.Permission.GenericRead")
	return resp
}

// crumbFor is DefaultCrumbIssuer's crumb: a hash of the user and the HTTP
// session id (plus a per-start secret), so it dies with either.
func (s *Server) crumbFor(user, session string) string {
	sum := sha256.Sum256([]byte(s.crumbSalt + ";" + user + ";" + session))
	return hex.EncodeToString(sum[:])
}

// crumbIssuer serves /crumbIssuer/api/json (and the legacy xpath form),
// creating an HTTP session when the request has none.
func (s *Server) crumbIssuer(rq *request) *response {
	if s.opts.DisableCSRF {
		return notFound()
	}
	if resp := s.requireRead(rq); resp != nil {
		return resp
	}
	json := isPath(rq.segs, "crumbIssuer", "api", "json")
	xml := isPath(rq.segs, "crumbIssuer", "api", "xml")
	if !json && !xml {
		if isPath(rq.segs, "crumbIssuer") {
			return objectPage(rq, "Crumb Issuer")
		}
		return notFound()
	}
	session := rq.c.session
	var cookie string
	if session == "" {
		session = "node0" + randomHex(12) + ".node0"
		s.sessions[session] = rq.c.user
		if rq.c.jwt {
			// The filter authenticates each request by its token
			// alone; the session it happens to open carries no user.
			s.sessions[session] = ""
		}
		cookie = (&http.Cookie{Name: s.cookieName, Value: session, Path: s.ctx + "/", HttpOnly: true}).String()
	}
	crumb := s.crumbFor(rq.c.user, session)
	var resp *response
	if json {
		o := newObj("hudson.security.csrf.DefaultCrumbIssuer").
			add("crumb", crumb).
			add("crumbRequestField", "Jenkins-Crumb")
		resp = s.jsonResponse(rq.r, o)
	} else {
		// Only the xpath old clients use is understood.
		if !strings.Contains(rq.r.URL.Query().Get("xpath"), "concat(") {
			return serverError("xpath is required")
		}
		resp = newResponse(http.StatusOK, "text/plain;charset=UTF-8", []byte("Jenkins-Crumb:"+crumb))
		s.apiHeaders(resp.header)
	}
	if cookie != "" {
		resp.header.Add("Set-Cookie", cookie)
	}
	return resp
}

// checkCrumb is CrumbFilter: every POST needs a valid crumb unless CSRF
// protection is off, the request authenticated with an API token, or the
// path is excluded (/buildByToken/). The crumb comes from the header or a
// query/urlencoded field, never from a multipart field.
func (s *Server) checkCrumb(r *http.Request, c caller, segs []string, f *form) *response {
	if r.Method != http.MethodPost || s.opts.DisableCSRF || c.apiToken {
		return nil
	}
	if len(segs) > 0 && segs[0] == "buildByToken" {
		return nil
	}
	crumb := r.Header.Get("Jenkins-Crumb")
	if crumb == "" {
		crumb = f.crumbField
	}
	if crumb != "" && c.session != "" && equal(crumb, s.crumbFor(c.user, c.session)) {
		return nil
	}
	return htmlResponse(http.StatusForbidden, "Error 403 No valid crumb was included in the request",
		"No valid crumb was included in the request")
}
