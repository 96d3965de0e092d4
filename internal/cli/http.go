package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/net/http/httpproxy"

	"github.com/jenkins-trigger/jenkins-trigger/internal/config"
	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

// maxConnsPerHost bounds the connections to Jenkins: the builds of a step
// are followed at once, but a controller should not see a crowd.
const maxConnsPerHost = 4

// newHTTPClient builds the HTTP client for cfg: proxies from the injected
// environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), extra CAs, and a bound
// on the connections to one host. It sets no deadline of its own: every
// request has one, which also ends a dial or a TLS handshake that hangs.
// It dials on n when set, else on the machine's network.
func newHTTPClient(cfg *config.Config, environ map[string]string, n *memnet.Network) (*http.Client, error) {
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(cfg.CA) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(cfg.CA) {
			return nil, &contract.InputError{Input: "ca_cert", Err: errors.New("holds no usable PEM certificate")}
		}
		tlsConf.RootCAs = pool
	}
	if cfg.Insecure {
		tlsConf.InsecureSkipVerify = true
	}
	proxy := proxyFunc(environ)
	// KeepAlive is the kernel's TCP probe interval, not a timer of ours.
	dialer := &net.Dialer{KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:               func(r *http.Request) (*url.URL, error) { return proxy(r.URL) },
		DialContext:         dialer.DialContext,
		TLSClientConfig:     tlsConf,
		MaxIdleConnsPerHost: maxConnsPerHost,
		MaxConnsPerHost:     maxConnsPerHost,
		ForceAttemptHTTP2:   true,
	}
	if n != nil {
		transport.DialContext = n.DialContext
	}
	return &http.Client{Transport: transport}, nil
}

// proxyFunc reads the proxy settings from environ rather than from the
// process, upper or lower case as curl accepts them.
func proxyFunc(environ map[string]string) func(*url.URL) (*url.URL, error) {
	pick := func(names ...string) string {
		for _, n := range names {
			if v := environ[n]; v != "" {
				return v
			}
		}
		return ""
	}
	c := httpproxy.Config{
		HTTPProxy:  pick("HTTP_PROXY", "http_proxy"),
		HTTPSProxy: pick("HTTPS_PROXY", "https_proxy"),
		NoProxy:    pick("NO_PROXY", "no_proxy"),
	}
	return c.ProxyFunc()
}

// withClientCert is hc presenting cert in its TLS handshakes. Only the
// Jenkins client gets it, and it presents it to Jenkins' origin alone
// (jenkins.New); the client that mints OIDC tokens never has it. A client
// whose transport is not an *http.Transport is hc as it is.
func withClientCert(hc *http.Client, cert *tls.Certificate) *http.Client {
	t, ok := hc.Transport.(*http.Transport)
	if cert == nil || !ok {
		return hc
	}
	t = t.Clone()
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	t.TLSClientConfig.Certificates = []tls.Certificate{*cert}
	c := *hc
	c.Transport = t
	return &c
}
