package cli

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/config"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

// Names under which the tests reach the fake. Go's proxy selection never
// proxies localhost or a loopback address (golang.org/x/net/http/httpproxy
// exempts them outright), so the fake is named by hosts that are not
// loopback; mapDial resolves them to the fake's loopback port. The
// fake's certificate is valid for example.com.
const (
	tlsHost   = "example.com"
	plainHost = "jenkins.test"
)

// mapDial connects to the loopback address for the tests' host names.
func mapDial(n *memnet.Network) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err == nil && (host == tlsHost || host == plainHost) {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return n.DialContext(ctx, network, addr)
	}
}

// forwardProxy is a small HTTP proxy: CONNECT tunnels for https, absolute
// URIs forwarded for http. It records what passed through it.
type forwardProxy struct {
	*httptest.Server
	mu       sync.Mutex
	seen     []string // "CONNECT host:port" or "GET http://..."
	proxyAut []string // Proxy-Authorization of each request
	auth     int      // requests that showed the proxy an Authorization header
}

func newForwardProxy(t *testing.T, n *memnet.Network) *forwardProxy {
	p := &forwardProxy{}
	upstream := &http.Transport{DialContext: mapDial(n)}
	t.Cleanup(upstream.CloseIdleConnections)
	p.Server = n.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		if r.Method == http.MethodConnect {
			p.seen = append(p.seen, "CONNECT "+r.Host)
		} else {
			p.seen = append(p.seen, r.Method+" "+r.URL.String())
		}
		p.proxyAut = append(p.proxyAut, r.Header.Get("Proxy-Authorization"))
		if r.Header.Get("Authorization") != "" {
			p.auth++
		}
		p.mu.Unlock()
		if r.Method == http.MethodConnect {
			tunnel(w, r, n)
			return
		}
		out := r.Clone(r.Context())
		out.RequestURI = ""
		out.Header.Del("Proxy-Authorization")
		out.Header.Del("Proxy-Connection")
		resp, err := upstream.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(p.Close)
	t.Cleanup(upstream.CloseIdleConnections)
	return p
}

func tunnel(w http.ResponseWriter, r *http.Request, n *memnet.Network) {
	dst, err := mapDial(n)(r.Context(), "tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	src, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		dst.Close()
		return
	}
	io.WriteString(src, "HTTP/1.1 200 Connection established\r\n\r\n")
	done := make(chan struct{}, 2)
	go func() { io.Copy(dst, buf); done <- struct{}{} }()
	go func() { io.Copy(src, dst); done <- struct{}{} }()
	<-done
	src.Close()
	dst.Close()
	<-done
}

func (p *forwardProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

func TestProxies(t *testing.T) {
	t.Parallel()
	const proxyUser, proxyPass = "proxyuser", "pr0xy-secret-pass"
	tests := []struct {
		name  string
		tls   bool
		env   func(proxy string) []string
		via   bool   // traffic must pass through the proxy
		auth  string // expected Proxy-Authorization
		warns bool   // the plain-http credentials warning
	}{
		{"HTTPS_PROXY tunnels https", true, func(p string) []string { return []string{"HTTPS_PROXY", p} }, true, "", false},
		{"https_proxy in lower case", true, func(p string) []string { return []string{"https_proxy", p} }, true, "", false},
		{"proxy credentials", true, func(p string) []string {
			return []string{"HTTPS_PROXY", strings.Replace(p, "://", "://"+proxyUser+":"+proxyPass+"@", 1)}
		}, true, "Basic " + base64.StdEncoding.EncodeToString([]byte(proxyUser+":"+proxyPass)), false},
		{"HTTP_PROXY forwards http", false, func(p string) []string { return []string{"HTTP_PROXY", p} }, true, "", true},
		{"http_proxy in lower case", false, func(p string) []string { return []string{"http_proxy", p} }, true, "", true},
		{"HTTP_PROXY leaves https alone", true, func(p string) []string { return []string{"HTTP_PROXY", p} }, false, "", false},
		{"NO_PROXY names the host", true, func(p string) []string { return []string{"HTTPS_PROXY", p, "NO_PROXY", "ci.internal," + tlsHost} }, false, "", false},
		{"NO_PROXY by domain suffix", false, func(p string) []string { return []string{"HTTP_PROXY", p, "no_proxy", ".test"} }, false, "", true},
		{"NO_PROXY star", true, func(p string) []string { return []string{"HTTPS_PROXY", p, "NO_PROXY", "*"} }, false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var h *harness
				var host string
				if tt.tls {
					h, host = newTLSHarness(t, jenkinstest.Options{}), tlsHost
					h.set("JENKINS_CA_CERT", string(h.srv.CAPEM()))
				} else {
					h, host = newHarness(t, jenkinstest.Options{}), plainHost
				}
				proxy := newForwardProxy(t, h.net)
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("SUCCESS", 10*time.Second, 3)})
				h.set("JENKINS_JOB", "deploy", "JENKINS_URL", strings.Replace(h.srv.URL(), "127.0.0.1", host, 1))
				h.set(tt.env(proxy.URL)...)
				code := Run(context.Background(), Env{Environ: h.env, Stdout: &h.stdout, Stderr: &h.stderr, HTTPClient: builtClient(t, h.net, h.env)})
				if code != ExitOK {
					t.Fatalf("exit %d\n%s%s", code, h.stdout.String(), h.stderr.String())
				}
				seen := proxy.requests()
				fake := len(h.srv.Requests())
				switch {
				case !tt.via && len(seen) > 0:
					t.Errorf("the proxy saw %d requests: %q", len(seen), seen)
				case tt.via && tt.tls && (len(seen) == 0 || seen[0] != "CONNECT "+host+":"+portOf(t, h.srv.URL())):
					t.Errorf("no tunnel through the proxy: %q", seen)
				case tt.via && !tt.tls && len(seen) != fake:
					t.Errorf("the proxy forwarded %d requests, the fake got %d: %q", len(seen), fake, seen)
				}
				if tt.via {
					for _, got := range proxy.proxyAut {
						if got != tt.auth {
							t.Errorf("Proxy-Authorization %q, want %q", got, tt.auth)
						}
					}
					if tt.tls && proxy.auth > 0 {
						t.Errorf("the proxy saw Jenkins credentials outside the tunnel")
					}
				}
				if got := strings.Contains(h.stderr.String(), "credentials are sent over plain http://"); got != tt.warns {
					t.Errorf("plain-http warning %v, want %v:\n%s", got, tt.warns, h.stderr.String())
				}
				if strings.Contains(h.everything(), proxyPass) {
					t.Error("the proxy's password was printed")
				}
				h.assertNoSecrets()
			})
		})
	}
}

func TestUnreachableProxy(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newTLSHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy"})
		h.set("JENKINS_JOB", "deploy", "JENKINS_CA_CERT", string(h.srv.CAPEM()),
			"JENKINS_URL", strings.Replace(h.srv.URL(), "127.0.0.1", tlsHost, 1), "HTTPS_PROXY", "http://user:pr0xy-secret-pass@127.0.0.1:1")
		code := Run(context.Background(), Env{Environ: h.env, Stdout: &h.stdout, Stderr: &h.stderr, HTTPClient: builtClient(t, h.net, h.env)})
		if code != ExitJenkins {
			t.Fatalf("exit %d\n%s", code, h.stderr.String())
		}
		if msg := h.stderr.String(); !strings.Contains(msg, "proxyconnect") || strings.Contains(msg, "pr0xy-secret-pass") {
			t.Errorf("stderr = %q", msg)
		}
		if n := len(h.srv.Requests()); n != 0 {
			t.Errorf("%d requests reached Jenkins", n)
		}
	})
}

func portOf(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

// builtClient is the client the command builds from environ, with host
// names resolved by mapDial.
func builtClient(t *testing.T, n *memnet.Network, environ map[string]string) *http.Client {
	t.Helper()
	cfg, err := config.Load(environ)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := newHTTPClient(cfg, environ, n)
	if err != nil {
		t.Fatal(err)
	}
	tr := hc.Transport.(*http.Transport)
	tr.DialContext = mapDial(n)
	t.Cleanup(tr.CloseIdleConnections)
	return hc
}

// TestProxyFunc pins down how proxies are chosen from the injected
// environment, including httpproxy's exemption of loopback hosts.
func TestProxyFunc(t *testing.T) {
	t.Parallel()
	env := map[string]string{"HTTPS_PROXY": "http://upper:3128", "https_proxy": "http://lower:3128", "http_proxy": "http://plain:3128", "NO_PROXY": "skip.example.com"}
	tests := []struct{ target, want string }{
		{"https://ci.example.com/jenkins", "http://upper:3128"},
		{"http://ci.example.com/jenkins", "http://plain:3128"},
		{"https://skip.example.com/", ""},
		{"https://a.skip.example.com/", ""},
		{"https://127.0.0.1:8443/", ""},
		{"https://localhost/", ""},
		{"https://[::1]:8443/", ""},
	}
	proxy := proxyFunc(env)
	for _, tt := range tests {
		u, _ := url.Parse(tt.target)
		got, err := proxy(u)
		if err != nil {
			t.Fatal(err)
		}
		via := ""
		if got != nil {
			via = got.String()
		}
		if via != tt.want {
			t.Errorf("%s: proxy %q, want %q", tt.target, via, tt.want)
		}
	}
}
