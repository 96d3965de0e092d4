package jenkinstest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// JWTAuth is jwt-auth-filter (jenkinsci/jwt-auth-filter-plugin) with one
// issuer. On a request whose URI (context path included) matches one of
// ProtectedPaths, it checks an "Authorization: Bearer <JWT>": RS256
// signature against the issuer's JWKS, iss, aud, exp and nbf, and a
// username claim. A token that passes authenticates the request as that
// user and exempts it from the CSRF crumb (JwtBearerTokenCrumbExclusion).
// One that fails is ignored, as the plugin's README says, so the request
// goes on as anonymous, unless Challenge is set. A bearer token on any
// other path is ignored as well: the plugin's default path, /**/api/**,
// leaves out triggers, stops, the console and artifacts.
type JWTAuth struct {
	JWKSURL  string
	Issuer   string
	Audience string
	// UsernameClaim names the claim that holds the user id; "" is sub.
	UsernameClaim string
	// ProtectedPaths are Ant patterns, comma-separated in the plugin's
	// form; nil means its default, DefaultJWTPaths.
	ProtectedPaths []string
	// Challenge models a protected resource (RFC 9728) configured over
	// the paths: a refused token is then answered as the plugin's
	// ProtectedResourceChallengeFilter does, 401 with a Bearer
	// challenge that names the resource's metadata.
	Challenge bool
}

// DefaultJWTPaths is the plugin's default protected path.
var DefaultJWTPaths = []string{"/**/api/**"}

// jwks caches the issuer's keys by kid, fetched on the first token with
// an unknown kid, as the plugin's JWK source does.
type jwks struct {
	keys map[string]*rsa.PublicKey
}

// bearer checks the request's bearer token. It returns the user the token
// names, or "" and whether a token was there and refused. It fetches the
// JWKS when it must, so it runs without the server's lock.
func (s *Server) bearer(r *http.Request) (user string, refused bool) {
	a := s.opts.JWT
	h := r.Header.Get("Authorization")
	if a == nil || !strings.HasPrefix(h, "Bearer ") || !a.protects(r.URL.EscapedPath()) {
		return "", false
	}
	claims, ok := s.verifyJWT(strings.TrimPrefix(h, "Bearer "))
	if !ok {
		return "", true
	}
	now := time.Now().Unix()
	claim := a.UsernameClaim
	if claim == "" {
		claim = "sub"
	}
	name, _ := claims[claim].(string)
	exp, _ := claims["exp"].(float64)
	nbf, hasNBF := claims["nbf"].(float64)
	switch {
	case claims["iss"] != a.Issuer, !audienceHas(claims["aud"], a.Audience),
		int64(exp) <= now, hasNBF && int64(nbf) > now, name == "":
		return "", true
	}
	return name, false
}

func (a *JWTAuth) protects(uri string) bool {
	paths := a.ProtectedPaths
	if paths == nil {
		paths = DefaultJWTPaths
	}
	return slices.ContainsFunc(paths, func(p string) bool {
		ok, _ := doublestar.Match(p, uri)
		return ok
	})
}

func audienceHas(aud any, want string) bool {
	switch v := aud.(type) {
	case string:
		return v == want
	case []any:
		return slices.Contains(v, any(want))
	}
	return false
}

// verifyJWT checks an RS256 signature and returns the claims.
func (s *Server) verifyJWT(token string) (map[string]any, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, false
	}
	var header struct{ Alg, Kid string }
	if !decodeSegment(parts[0], &header) || header.Alg != "RS256" {
		return nil, false
	}
	key := s.jwtKey(header.Kid)
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if key == nil || err != nil {
		return nil, false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) != nil {
		return nil, false
	}
	var claims map[string]any
	return claims, decodeSegment(parts[1], &claims)
}

func decodeSegment(seg string, v any) bool {
	data, err := base64.RawURLEncoding.DecodeString(seg)
	return err == nil && json.Unmarshal(data, v) == nil
}

// jwtKey returns the issuer's key kid, fetching the JWKS if it is not
// known yet.
func (s *Server) jwtKey(kid string) *rsa.PublicKey {
	s.jwtMu.Lock()
	defer s.jwtMu.Unlock()
	if k := s.jwks.keys[kid]; k != nil {
		return k
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	if s.opts.Net != nil {
		hc.Transport = s.opts.Net.Transport()
		defer hc.CloseIdleConnections()
	}
	resp, err := hc.Get(s.opts.JWT.JWKSURL)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct{ Kty, Kid, N, E string }
	}
	if json.NewDecoder(resp.Body).Decode(&set) != nil {
		return nil
	}
	s.jwks.keys = map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		n, errN := base64.RawURLEncoding.DecodeString(k.N)
		e, errE := base64.RawURLEncoding.DecodeString(k.E)
		if k.Kty == "RSA" && errN == nil && errE == nil {
			s.jwks.keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		}
	}
	return s.jwks.keys[kid]
}

// jwtChallenge is ProtectedResourceChallengeFilter's answer to a refused
// token.
func (s *Server) jwtChallenge(r *http.Request) *response {
	const desc = "The access token is expired or invalid"
	resp := newResponse(http.StatusUnauthorized, "application/json;charset=UTF-8",
		[]byte(`{"error":"invalid_token","error_description":"`+desc+`"}`))
	metadata := strings.TrimSuffix(s.rootURL, "/") + "/.well-known/oauth-protected-resource" + strings.TrimPrefix(r.URL.EscapedPath(), s.ctx)
	resp.header.Set("WWW-Authenticate", `Bearer resource_metadata="`+metadata+`", error="invalid_token", error_description="`+desc+`"`)
	return resp
}

// ForgetJWKS drops the issuer keys jwt-auth-filter cached, as its cache
// does when it expires: the next token is checked against the JWKS as the
// issuer serves it then.
func (s *Server) ForgetJWKS() {
	s.jwtMu.Lock()
	defer s.jwtMu.Unlock()
	s.jwks.keys = nil
}
