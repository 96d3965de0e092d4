package cli

import (
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

// The client certificate of internal/config's fixtures, whose keys are
// encrypted with keyPassword.
const (
	clientKeys  = "../config/testdata/clientkey"
	keyPassword = "s3cret-key-pass"
)

// newClientPEM makes a self-signed client certificate and its key, which
// no server trusts.
func newClientPEM(t *testing.T) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "stranger"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(clientKeys, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestMutualTLS: Jenkins' origin wants a client certificate; the step
// presents client_cert there, and to the object store an artifact is
// redirected to it presents none.
func TestMutualTLS(t *testing.T) {
	t.Parallel()
	strangerCert, strangerKey := newClientPEM(t)
	tests := []struct {
		name   string
		env    func(h *harness) []string
		code   int
		stderr []string
	}{
		{"PEM text", func(*harness) []string {
			return []string{"JENKINS_CLIENT_CERT", readFixture(t, "client.crt"), "JENKINS_CLIENT_KEY", readFixture(t, "plain.key")}
		}, ExitOK, nil},
		{"files, the key encrypted", func(*harness) []string {
			return []string{"JENKINS_CLIENT_CERT", filepath.Join(clientKeys, "client.crt"), "JENKINS_CLIENT_KEY", filepath.Join(clientKeys, "aes256-sha256.key"), "JENKINS_CLIENT_KEY_PASSWORD", keyPassword}
		}, ExitOK, nil},
		{"no certificate", nil, ExitJenkins, []string{"client certificate", "client_cert"}},
		{"a certificate Jenkins does not trust", func(*harness) []string {
			return []string{"JENKINS_CLIENT_CERT", strangerCert, "JENKINS_CLIENT_KEY", strangerKey}
		}, ExitJenkins, []string{"client certificate", "client_cert"}},
		{"a wrong password", func(*harness) []string {
			return []string{"JENKINS_CLIENT_CERT", readFixture(t, "client.crt"), "JENKINS_CLIENT_KEY", readFixture(t, "aes128-sha1.key"), "JENKINS_CLIENT_KEY_PASSWORD", "wrong-" + keyPassword}
		}, ExitBadInput, []string{"input client_key_password", "does not decrypt client_key"}},
		{"a key of another certificate", func(*harness) []string {
			return []string{"JENKINS_CLIENT_CERT", readFixture(t, "other.crt"), "JENKINS_CLIENT_KEY", readFixture(t, "plain.key")}
		}, ExitBadInput, []string{"input client_key", "does not match client_cert"}},
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(readFixture(t, "client.crt")))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newTLSHarness(t, jenkinstest.Options{})
				h.srv.Close()
				h.srv = jenkinstest.NewTLS(jenkinstest.Options{Net: h.net, ContextPath: "/jenkins", RootURL: "https://localhost:8443/jenkins/",
					Users: map[string]jenkinstest.User{"alice": {APIToken: secretToken}}, ClientCAs: pool, ArtifactRedirect: jenkinstest.ArtifactRedirectObjectStore})
				t.Cleanup(h.srv.Close)
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: func(map[string]string) jenkinstest.Script {
					return jenkinstest.Script{QuietPeriod: time.Second, Duration: 10 * time.Second, Result: "SUCCESS", Log: lines(3, 2*time.Second, "step"),
						Artifacts: []jenkinstest.Artifact{{RelativePath: "dist/app.bin", Size: 64 << 10}}}
				}})
				h.set("JENKINS_URL", h.srv.URL(), "JENKINS_JOB", "deploy", "JENKINS_CA_CERT", string(h.srv.CAPEM()),
					"JENKINS_ARTIFACTS", "dist/*", "JENKINS_ARTIFACTS_DIR", filepath.Join(h.dir, "arts"))
				if tt.env != nil {
					h.set(tt.env(h)...)
				}
				h.runBuilt(tt.code)
				stderr := strings.TrimSpace(h.stderr.String())
				for _, w := range tt.stderr {
					if !strings.Contains(stderr, w) {
						t.Errorf("stderr lacks %q: %s", w, stderr)
					}
				}
				if tt.code != ExitOK && strings.Contains(stderr, "\n") {
					t.Errorf("want one line:\n%s", stderr)
				}
				if tt.code == ExitOK {
					foreign := h.srv.ArtifactOriginRequests()
					if len(foreign) == 0 {
						t.Error("no download went to the object store")
					}
					for _, d := range foreign {
						if d.ClientCert {
							t.Error("the object store got the client certificate")
						}
					}
				}
				secrets := []string{keyPassword, strangerKey}
				for _, name := range []string{"plain.key", "aes256-sha256.key", "aes128-sha1.key"} {
					for _, line := range strings.Split(readFixture(t, name), "\n") {
						if len(line) > 20 && !strings.HasPrefix(line, "-----") {
							secrets = append(secrets, line)
						}
					}
				}
				h.assertNoSecrets(secrets...)
			})
		})
	}
}
