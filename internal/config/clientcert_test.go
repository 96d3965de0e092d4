package config

import (
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
)

const keyPassword = "s3cret-key-pass"

func keyFile(name string) string { return filepath.Join("testdata", "clientkey", name) }

// TestClientCert reads the fixtures OpenSSL made (testdata/clientkey/README):
// plain and PBES2-encrypted keys make a pair with their certificate;
// every other case is bad input naming the input at fault.
func TestClientCert(t *testing.T) {
	t.Parallel()
	plain, err := os.ReadFile(keyFile("plain.key"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		cert, key, pwd string
		input          string // the input the error names; "" for none
		says           string
	}{
		{"plain key as a path", keyFile("client.crt"), keyFile("plain.key"), "", "", ""},
		{"plain key as PEM text", keyFile("client.crt"), string(plain), "", "", ""},
		{"AES-256 and HMAC-SHA256", keyFile("client.crt"), keyFile("aes256-sha256.key"), keyPassword, "", ""},
		{"AES-128 and HMAC-SHA1", keyFile("client.crt"), keyFile("aes128-sha1.key"), keyPassword, "", ""},
		{"wrong password", keyFile("client.crt"), keyFile("aes256-sha256.key"), "wrong", "client_key_password", "does not decrypt client_key"},
		{"no password", keyFile("client.crt"), keyFile("aes256-sha256.key"), "", "client_key_password", "is required"},
		{"password for a plain key", keyFile("client.crt"), keyFile("plain.key"), keyPassword, "client_key_password", "not encrypted"},
		{"scrypt", keyFile("client.crt"), keyFile("scrypt.key"), keyPassword, "client_key", "does not read"},
		{"legacy encryption", keyFile("client.crt"), keyFile("legacy.key"), keyPassword, "client_key", "openssl pkcs8 -topk8"},
		{"another certificate's key", keyFile("other.crt"), keyFile("plain.key"), "", "client_key", "does not match client_cert"},
		{"certificate alone", keyFile("client.crt"), "", "", "client_key", "is required with client_cert"},
		{"key alone", "", keyFile("plain.key"), "", "client_cert", "is required with client_key"},
		{"password alone", "", "", keyPassword, "client_key_password", "without client_key"},
		{"a key for a certificate", keyFile("client.crt"), keyFile("client.crt"), "", "client_key", "no PEM private key"},
		{"a key that is no file", keyFile("client.crt"), keyFile("absent.key"), "", "client_key", "cannot read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(with("JENKINS_CLIENT_CERT", tt.cert, "JENKINS_CLIENT_KEY", tt.key, "JENKINS_CLIENT_KEY_PASSWORD", tt.pwd))
			var ie *contract.InputError
			switch {
			case tt.input == "" && (err != nil || c.Certificate == nil):
				t.Fatalf("err %v", err)
			case tt.input == "":
			case !errors.As(err, &ie) || ie.Input != tt.input || !strings.Contains(err.Error(), tt.says):
				t.Fatalf("err %v, want one of %s saying %q", err, tt.input, tt.says)
			case strings.Contains(err.Error(), keyPassword):
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}

// TestClientKeySecrets: the key's password, and the key given as text,
// whole and a line at a time, are secrets.
func TestClientKeySecrets(t *testing.T) {
	t.Parallel()
	key, err := os.ReadFile(keyFile("aes256-sha256.key"))
	if err != nil {
		t.Fatal(err)
	}
	env := with("JENKINS_CLIENT_CERT", keyFile("client.crt"), "JENKINS_CLIENT_KEY", string(key), "JENKINS_CLIENT_KEY_PASSWORD", keyPassword)
	c, err := Load(env)
	if err != nil {
		t.Fatal(err)
	}
	for _, secrets := range [][]string{Secrets(env), c.Secrets()} {
		for _, want := range append(strings.Split(strings.TrimSpace(string(key)), "\n")[1:3], keyPassword, string(key)) {
			if !slices.Contains(secrets, want) {
				t.Errorf("%q is not among the secrets", want)
			}
		}
		for _, s := range secrets {
			if strings.HasPrefix(s, "-----") && !strings.Contains(s, "\n") {
				t.Errorf("%q is no secret", s)
			}
		}
	}
}

// FuzzClientKey checks that no key text makes the key reader panic or
// answer an error of more than one line, and that a key it takes is one.
func FuzzClientKey(f *testing.F) {
	for _, name := range []string{"plain.key", "aes256-sha256.key", "aes128-sha1.key", "scrypt.key", "legacy.key"} {
		data, err := os.ReadFile(keyFile(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, keyPassword)
	}
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		der, err := privateKeyDER(data, password)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if _, err := parsePrivateKey(&pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
			t.Fatalf("taken, but no key: %v", err)
		}
	})
}
