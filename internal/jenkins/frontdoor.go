package jenkins

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
)

// FrontDoorError is an answer to a request for Jenkins that Jenkins did not
// give: something in front of it (an identity-aware proxy, Cloudflare
// Access, a WAF or an SSO gateway) turned the request away. Sending it
// again, or other Jenkins credentials, cannot help; the front door's own
// headers can.
type FrontDoorError struct {
	Method string
	URL    string // redacted
	Status int
	// Location is where a redirect pointed, without its query; "" for
	// none.
	Location string
	// Server is the answer's Server header, which often names the proxy.
	Server string
	Body   string // a short, tag-free excerpt
}

func (e *FrontDoorError) Error() string {
	what := fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
	switch {
	case e.Location != "":
		what += " to " + e.Location
	case e.Status == http.StatusOK:
		what = "a page that is not Jenkins' (a login page?)"
	}
	msg := fmt.Sprintf("%s %s: %s came from something in front of Jenkins, not from Jenkins", e.Method, e.URL, what)
	if e.Server != "" {
		msg += fmt.Sprintf(" (Server: %s)", e.Server)
	}
	if e.Body != "" && e.Status != http.StatusOK {
		msg += ": " + e.Body
	}
	return msg + "; give the headers the front door wants (an identity-aware proxy's token, Cloudflare Access' service token) in the headers input (" + contract.Input{Name: "headers"}.Env() + ")"
}

// fromJenkins tells whether an answer came from Jenkins itself, by the
// marks only Jenkins puts on its answers. Read in Jenkins' source (2.5xx):
//   - X-Jenkins, with X-Jenkins-Session: every api/* answer
//     (hudson.model.Api#setHeaders), every page on the standard layout,
//     Jenkins' own 404 page (since 2.421), and the 403 "Authentication
//     required" (Functions.advertiseHeaders, called from
//     HudsonAuthenticationEntryPoint);
//   - X-You-Are-Authenticated-As: every 403 for a missing permission
//     (AccessDeniedException3#reportAsHeaders);
//   - WWW-Authenticate: Basic realm="Jenkins": the 401 for wrong Basic
//     credentials, which Spring's BasicAuthenticationEntryPoint writes with
//     the realm SecurityRealm#createFilterImpl names, and no X-Jenkins;
//     and WWW-Authenticate: Bearer resource_metadata=".../.well-known/
//     oauth-protected-resource/...": jwt-auth-filter's 401 for a bearer
//     token it refused on a protected resource;
//   - the text of the container's error pages that Jenkins' filters send
//     without any header of their own: CrumbFilter's "No valid crumb" 403,
//     and the "Invalid token" 403 of a wrong build token.
//
// Triggers, the console and the 503 while Jenkins starts carry none of
// these, so only a refusal (401, 403), an answer that should have been
// JSON, and a trigger answered with a page of 200 (Jenkins answers 201,
// 303 or 302) are judged by them.
func fromJenkins(resp *http.Response, body []byte) bool {
	h := resp.Header
	if h.Get("X-Jenkins") != "" || h.Get("X-Jenkins-Session") != "" || h.Get("X-You-Are-Authenticated-As") != "" {
		return true
	}
	for _, v := range h.Values("WWW-Authenticate") {
		// jwt-auth-filter's challenge for a bearer token it refused
		// (ProtectedResourceChallengeFilter) names Jenkins' metadata.
		if strings.HasPrefix(v, `Basic realm="Jenkins`) || strings.HasPrefix(v, `Bearer resource_metadata=`) && strings.Contains(v, "/.well-known/oauth-protected-resource/") {
			return true
		}
	}
	return resp.StatusCode == http.StatusForbidden && (strings.Contains(string(body), "No valid crumb") || strings.Contains(string(body), "Invalid token"))
}

// frontDoor describes an answer that did not come from Jenkins. body is
// what was read of it.
func (c *Client) frontDoor(method, shown string, resp *http.Response, body []byte) *FrontDoorError {
	e := &FrontDoorError{Method: method, URL: shown, Status: resp.StatusCode, Server: c.scrub(excerpt([]byte(resp.Header.Get("Server"))))}
	if loc, err := resp.Request.URL.Parse(resp.Header.Get("Location")); err == nil && resp.Header.Get("Location") != "" {
		e.Location = redactForeign(loc)
	}
	e.Body = c.scrub(excerpt([]byte(c.scrub(string(body)))))
	return e
}

// leavesJenkins reports whether a redirect answer points away from
// Jenkins: to another host, or out of its context path. Jenkins redirects
// only to itself, but builds the Location from the request it received,
// whose scheme and port a proxy in front may have changed (one that ends
// TLS makes it http://), so those do not tell; a front door redirects to
// its login page, on a host of its own.
func (c *Client) leavesJenkins(resp *http.Response) bool {
	raw := resp.Header.Get("Location")
	loc, err := resp.Request.URL.Parse(raw)
	if raw == "" || err != nil {
		return false
	}
	base := c.base.EscapedPath()
	under := loc.EscapedPath() == base || strings.HasPrefix(loc.EscapedPath(), strings.TrimSuffix(base, "/")+"/")
	return !strings.EqualFold(loc.Hostname(), c.base.Hostname()) || !under
}
