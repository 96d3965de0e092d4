package jenkinstest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

// Issuer is an OIDC issuer like GitHub's token service: it signs RS256 ID
// tokens with a key of its own, serves that key as a JWKS, and mints a
// token for any audience at a request URL like the one GitHub hands a job
// in ACTIONS_ID_TOKEN_REQUEST_URL, to a caller that shows the request
// token, as GitHub's does.
type Issuer struct {
	opts IssuerOptions
	key  *rsa.PrivateKey
	ts   *httptest.Server

	mu      sync.Mutex
	minted  []string
	refused int
	// keyGen counts rotations; each names the key anew.
	keyGen int
}

// IssuerOptions configure an Issuer.
type IssuerOptions struct {
	// Net, when set, is the network it serves on instead of a loopback
	// port.
	Net *memnet.Network
	// Lifetime is how long a minted token holds; 0 means 5 minutes.
	Lifetime time.Duration
	// Subject is every token's sub claim; "" means GitHub's form for a
	// job on main.
	Subject string
	// Claims are added to every token's payload.
	Claims map[string]any
}

// issuerKey is every Issuer's signing key: making an RSA key takes long,
// and no test needs two issuers to differ in theirs (each has its own
// kid).
var issuerKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("jenkinstest: RSA key: " + err.Error())
	}
	return k
})

// issuerRequestToken is the bearer the token endpoint wants.
const issuerRequestToken = "ghs-oidc-request-token-of-the-job"

// NewIssuer starts an issuer over plain HTTP.
func NewIssuer(opts IssuerOptions) *Issuer {
	if opts.Lifetime <= 0 {
		opts.Lifetime = 5 * time.Minute
	}
	if opts.Subject == "" {
		opts.Subject = "repo:octo-org/app:ref:refs/heads/main"
	}
	i := &Issuer{opts: opts, key: issuerKey()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/jwks", i.serveJWKS)
	mux.HandleFunc("GET /_apis/token", i.serveToken)
	if opts.Net == nil {
		i.ts = httptest.NewServer(mux)
	} else {
		i.ts = opts.Net.NewServer(mux)
	}
	return i
}

// URL is the issuer's URL, its tokens' iss claim.
func (i *Issuer) URL() string { return i.ts.URL }

// JWKSURL is where its keys are.
func (i *Issuer) JWKSURL() string { return i.ts.URL + "/.well-known/jwks" }

// RequestURL and RequestToken are what GitHub hands a job with
// permissions: id-token: write, as ACTIONS_ID_TOKEN_REQUEST_URL and
// ACTIONS_ID_TOKEN_REQUEST_TOKEN.
func (i *Issuer) RequestURL() string   { return i.ts.URL + "/_apis/token?api-version=2.0" }
func (i *Issuer) RequestToken() string { return issuerRequestToken }

// Close stops the issuer.
func (i *Issuer) Close() { i.ts.Close() }

// Minted returns every token minted so far, in order.
func (i *Issuer) Minted() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]string(nil), i.minted...)
}

// Refused counts the token requests refused for a wrong request token.
func (i *Issuer) Refused() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.refused
}

// kid names the issuer's key in its JWKS and tokens.
func (i *Issuer) kid() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return fmt.Sprintf("jenkinstest-%d", i.keyGen)
}

// Rotate replaces the issuer's signing key (in name: the key stays, its
// kid changes), dropping the old one from its JWKS, so that a verifier no
// longer takes the tokens minted before, whatever their exp.
func (i *Issuer) Rotate() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keyGen++
}

// Mint signs a token for audience that holds for lifetime from now, as a CI's id_tokens: would hand a job.
func (i *Issuer) Mint(audience string, lifetime time.Duration) string {
	now := time.Now()
	claims := map[string]any{
		"iss": i.URL(), "aud": audience, "sub": i.opts.Subject,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(lifetime).Unix(),
		"jti": randomHex(16),
	}
	for k, v := range i.opts.Claims {
		claims[k] = v
	}
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": i.kid()}) // plain values: no error
	payload, _ := json.Marshal(claims)                                                         // plain values: no error
	input := b64(header) + "." + b64(payload)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, i.key, crypto.SHA256, sum[:])
	if err != nil {
		panic("jenkinstest: sign: " + err.Error())
	}
	token := input + "." + b64(sig)
	i.mu.Lock()
	i.minted = append(i.minted, token)
	i.mu.Unlock()
	return token
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// serveToken is the token endpoint: GitHub's answers {"value": "<jwt>"}
// to a GET with the job's request token as a bearer, for the audience in
// the query, or without one for its default, the repository owner's URL.
func (i *Issuer) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+issuerRequestToken {
		i.mu.Lock()
		i.refused++
		i.mu.Unlock()
		http.Error(w, `{"message":"Unable to authorize the request"}`, http.StatusUnauthorized)
		return
	}
	aud := r.URL.Query().Get("audience")
	if aud == "" {
		aud = "https://github.com/octo-org"
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"count": 1, "value": i.Mint(aud, i.opts.Lifetime)})
}

// serveJWKS serves the issuer's public key (RFC 7517).
func (i *Issuer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	pub := i.key.PublicKey
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": i.kid(),
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}
