package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// newTLSHarness is newHarness with the fake served over HTTPS, with a
// certificate of its own that no system pool trusts.
func newTLSHarness(t *testing.T, opts jenkinstest.Options) *harness {
	t.Helper()
	h := newHarness(t, opts)
	opts.Net = h.net
	opts.ContextPath = "/jenkins"
	opts.RootURL = "https://localhost:8443/jenkins/"
	opts.Users = map[string]jenkinstest.User{"alice": {APIToken: secretToken}}
	h.srv = jenkinstest.NewTLS(opts)
	t.Cleanup(h.srv.Close)
	h.env["JENKINS_URL"] = h.srv.URL()
	return h
}

// runBuilt runs the command with the HTTP client it builds from the inputs
// (ca_cert, insecure, proxies), as in production.
func (h *harness) runBuilt(want int) {
	h.t.Helper()
	code := Run(context.Background(), Env{Environ: h.env, Stdout: &h.stdout, Stderr: &h.stderr, Net: h.net})
	if code != want {
		h.t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, h.stdout.String(), h.stderr.String())
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	otherPEM := newCAPEM(t)
	tests := []struct {
		name   string
		env    func(h *harness) []string
		code   int
		stderr []string // each must appear
		builds int
	}{
		{"untrusted", nil, ExitJenkins, []string{"TLS certificate of 127.0.0.1:", "cannot be verified", "ca_cert"}, 0},
		{"ca_cert as PEM text", func(h *harness) []string {
			return []string{"JENKINS_CA_CERT", string(h.srv.CAPEM())}
		}, ExitOK, nil, 1},
		{"ca_cert as a file", func(h *harness) []string {
			path := filepath.Join(h.dir, "ca.pem")
			if err := os.WriteFile(path, h.srv.CAPEM(), 0o600); err != nil {
				h.t.Fatal(err)
			}
			return []string{"JENKINS_CA_CERT", path}
		}, ExitOK, nil, 1},
		{"ca_cert of another CA", func(*harness) []string {
			return []string{"JENKINS_CA_CERT", otherPEM}
		}, ExitJenkins, []string{"cannot be verified", "ca_cert"}, 0},
		{"ca_cert that is no certificate", func(*harness) []string {
			return []string{"JENKINS_CA_CERT", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"}
		}, ExitBadInput, []string{"input ca_cert"}, 0},
		{"certificate for other names", func(h *harness) []string {
			return []string{"JENKINS_CA_CERT", string(h.srv.CAPEM()), "JENKINS_URL", strings.Replace(h.srv.URL(), "127.0.0.1", "localhost", 1)}
		}, ExitJenkins, []string{"TLS certificate of localhost:", "not localhost", "name Jenkins in url as its certificate does"}, 0},
		{"insecure", func(*harness) []string {
			return []string{"JENKINS_INSECURE", "true"}
		}, ExitOK, []string{"warning: insecure is true: TLS certificates of 127.0.0.1:"}, 1},
		{"insecure wins over a wrong ca_cert", func(*harness) []string {
			return []string{"JENKINS_INSECURE", "yes", "JENKINS_CA_CERT", otherPEM}
		}, ExitOK, []string{"warning: insecure is true"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newTLSHarness(t, jenkinstest.Options{})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("SUCCESS", 10*time.Second, 3)})
				h.set("JENKINS_JOB", "deploy")
				if tt.env != nil {
					h.set(tt.env(h)...)
				}
				h.runBuilt(tt.code)
				stderr := h.stderr.String()
				for _, want := range tt.stderr {
					if !strings.Contains(stderr, want) {
						t.Errorf("stderr lacks %q:\n%s", want, stderr)
					}
				}
				if tt.code != ExitOK && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
					t.Errorf("want one line on stderr:\n%s", stderr)
				}
				if n := len(h.srv.Builds("deploy")); n != tt.builds {
					t.Errorf("%d builds, want %d", n, tt.builds)
				}
				if tt.code == ExitOK && !strings.HasPrefix(h.outputs()["JENKINS_BUILD_URL"], "https://127.0.0.1:") {
					t.Errorf("build_url = %q", h.outputs()["JENKINS_BUILD_URL"])
				}
				h.assertNoSecrets()
			})
		})
	}
}

// TestInsecureWarnsOnEveryRun runs twice with the same inputs.
func TestInsecureWarnsOnEveryRun(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newTLSHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("SUCCESS", 5*time.Second, 2)})
		h.set("JENKINS_JOB", "deploy", "JENKINS_INSECURE", "true")
		h.runBuilt(ExitOK)
		h.runBuilt(ExitOK)
		if n := strings.Count(h.stderr.String(), "warning: insecure is true"); n != 2 {
			t.Errorf("%d warnings in two runs:\n%s", n, h.stderr.String())
		}
	})
}

// newCAPEM makes a CA certificate that signed nothing the fake serves.
func newCAPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "another CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
