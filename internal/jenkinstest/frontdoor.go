package jenkinstest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html"
	"net"
	"net/http"
	"net/url"
	"strconv"
)

// FrontDoor is an access proxy in front of Jenkins (Google's Identity-Aware
// Proxy, Cloudflare Access, a corporate WAF): it wants its own headers on
// every request to Jenkins' origin, and answers like a proxy, not like
// Jenkins, when they are missing.
type FrontDoor struct {
	// Headers maps each header the door requires (any case) to its exact value.
	Headers map[string]string
	// Refusal is how it turns a request away.
	Refusal Refusal
}

// Refusal is how a front door answers a request without its headers. None
// of them carries X-Jenkins, and none is a Basic challenge.
type Refusal int

const (
	// RefuseIAP is Google IAP to a programmatic client: 401 with a bare
	// sentence ("Invalid IAP credentials: empty token", as clients behind
	// IAP report it) labelled text/html, X-Goog-IAP-Generated-Response:
	// true (IAP's documented marker on the responses it generates) and no
	// WWW-Authenticate.
	RefuseIAP Refusal = iota
	// RefuseCloudflareLogin is Cloudflare Access to a browser-style request:
	// a 302 to the team's login page on another origin,
	// https://<team>.cloudflareaccess.com/cdn-cgi/access/login/<host>?kid=<aud>&redirect_url=<path>,
	// as Cloudflare's pages-plugin-cloudflare-access builds it, from
	// Server: cloudflare with a CF-RAY id.
	RefuseCloudflareLogin
	// RefuseCloudflareForbidden is Cloudflare Access when the application
	// admits service tokens only: a 403 HTML page "Forbidden. You don't have
	// permission to view this. Please contact your system administrator."
	// carrying its json_data (message, status_code, aud, ray_id), from
	// Server: cloudflare with a CF-RAY id and Cloudflare's no-cache headers.
	RefuseCloudflareForbidden
	// RefuseWAFLoginPage is a corporate SSO gateway that serves its login
	// form in place of the page: 200 text/html, the answer that looks like
	// success.
	RefuseWAFLoginPage
)

func (r Refusal) String() string {
	names := [...]string{"RefuseIAP", "RefuseCloudflareLogin", "RefuseCloudflareForbidden", "RefuseWAFLoginPage"}
	if r >= 0 && int(r) < len(names) {
		return names[r]
	}
	return "Refusal(" + strconv.Itoa(int(r)) + ")"
}

const (
	// cfTeam is the fake's Cloudflare Zero Trust team name.
	cfTeam = "jenkinstest"
	// cfColo is the data centre code that ends every CF-RAY.
	cfColo = "FRA"
)

// cfAud is the Access application's audience tag, 64 hex digits.
var cfAud = func() string {
	sum := sha256.Sum256([]byte("jenkinstest access application"))
	return hex.EncodeToString(sum[:])
}()

// admits reports whether r carries every header the door wants, each with
// its value (the first one, if sent several times).
func (d *FrontDoor) admits(r *http.Request) bool {
	for k, v := range d.Headers {
		if got := r.Header.Values(k); len(got) == 0 || got[0] != v {
			return false
		}
	}
	return true
}

// pass returns r as Jenkins gets it through the door: without the door's
// headers, which the door consumes, since a credential meant for the door
// is none of Jenkins' business (IAP, for one, documents that it strips the
// client's x-goog-* headers before the request reaches the application).
func (d *FrontDoor) pass(r *http.Request) *http.Request {
	if len(d.Headers) == 0 {
		return r
	}
	r = r.Clone(r.Context())
	for k := range d.Headers {
		r.Header.Del(k)
	}
	return r
}

// refuse is the door's answer to r.
func (d *FrontDoor) refuse(r *http.Request) *response {
	switch d.Refusal {
	case RefuseIAP:
		return d.iap(r)
	case RefuseCloudflareLogin:
		return cloudflareLogin(r)
	case RefuseCloudflareForbidden:
		return cloudflareForbidden()
	}
	return wafLoginPage(r)
}

// iap is IAP's 401: "empty token" when a header is missing; a token it
// cannot use gets another reason after the same prefix.
func (d *FrontDoor) iap(r *http.Request) *response {
	reason := "Unable to parse JWT"
	for k := range d.Headers {
		if len(r.Header.Values(k)) == 0 {
			reason = "empty token"
		}
	}
	resp := newResponse(http.StatusUnauthorized, "text/html; charset=UTF-8", []byte("Invalid IAP credentials: "+reason))
	resp.header.Set("X-Goog-IAP-Generated-Response", "true")
	resp.header.Set("Via", "1.1 google") // IAP sits on Google's load balancer
	return resp
}

// cloudflareHeaders marks an answer Cloudflare's edge makes itself and
// returns its ray id.
func cloudflareHeaders(resp *response) string {
	ray := randomHex(8)
	resp.header.Set("Server", "cloudflare")
	resp.header.Set("CF-RAY", ray+"-"+cfColo)
	return ray
}

// cloudflareLogin sends the client to the Access login page, which names
// the application's host (without the port) and the path to come back to.
func cloudflareLogin(r *http.Request) *response {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	q := url.Values{"kid": {cfAud}, "redirect_url": {r.URL.RequestURI()}}
	resp := emptyResponse(http.StatusFound, "https://"+cfTeam+".cloudflareaccess.com/cdn-cgi/access/login/"+host+"?"+q.Encode())
	cloudflareHeaders(resp)
	return resp
}

// cloudflareForbidden is Access' block page for a request without the
// service token its policy requires.
func cloudflareForbidden() *response {
	const msg = "Forbidden. You don't have permission to view this. Please contact your system administrator."
	resp := newResponse(http.StatusForbidden, "text/html; charset=UTF-8", nil)
	ray := cloudflareHeaders(resp)
	data, _ := json.Marshal(map[string]any{"message": msg, "status_code": http.StatusForbidden, "aud": cfAud, "ray_id": ray}) // plain values: no error
	resp.body = []byte(`<!DOCTYPE html><html><head><title>Forbidden</title></head><body>` +
		`<h1>Forbidden</h1><p>You don't have permission to view this. Please contact your system administrator.</p>` +
		`<input type="hidden" id="json_data" value="` + html.EscapeString(string(data)) + `"></body></html>` + "\n")
	resp.header.Set("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0")
	resp.header.Set("Expires", "Thu, 01 Jan 1970 00:00:01 GMT")
	return resp
}

// wafLoginPage is an SSO gateway's sign-in form, served with a 200 at the
// URL asked for, whatever the method.
func wafLoginPage(r *http.Request) *response {
	back := url.QueryEscape(requestBase(r) + r.URL.RequestURI())
	body := `<!DOCTYPE html><html><head><title>Sign in</title></head><body>` +
		`<form method="post" action="https://sso.example.com/login?return=` + html.EscapeString(back) + `">` +
		`<label>User name <input name="username"></label><label>Password <input name="password" type="password"></label>` +
		`<button type="submit">Sign in</button></form></body></html>` + "\n"
	resp := newResponse(http.StatusOK, "text/html; charset=utf-8", []byte(body))
	resp.header.Set("Cache-Control", "no-store")
	return resp
}
