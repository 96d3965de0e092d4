package oidc

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func jwt(payload string) string {
	return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		token string
		want  time.Time
		err   string
	}{
		{jwt(`{"exp":1795424400,"sub":"x"}`), time.Unix(1795424400, 0), ""},
		{jwt(`{"exp":1795424400.5}`), time.Unix(1795424400, 0), ""},
		{strings.TrimSuffix(jwt(`{"exp":1}`), ".c2ln") + ".", time.Unix(1, 0), ""},
		{"not-a-jwt", time.Time{}, "not a JWT"},
		{"a.b", time.Time{}, "not a JWT"},
		{"a.!!!.c", time.Time{}, "base64url"},
		{jwt(`[1]`), time.Time{}, "JSON object"},
		{jwt(`{"sub":"x"}`), time.Time{}, "without exp"},
		{jwt(`{"exp":"soon"}`), time.Time{}, "JSON object"},
		{jwt(`{"exp":-5}`), time.Time{}, "not a time"},
	} {
		got, err := Expiry(tt.token)
		switch {
		case tt.err == "" && (err != nil || !got.Equal(tt.want)):
			t.Errorf("%s: %v, %v; want %v", tt.token, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: %v, want an error saying %q", tt.token, err, tt.err)
		}
	}
}

func FuzzExpiry(f *testing.F) {
	for _, s := range []string{jwt(`{"exp":1795424400}`), "a.b.c", "..", jwt(`{"exp":1e300}`)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		exp, err := Expiry(s)
		if err == nil && (exp.Unix() <= 0 || strings.Count(s, ".") != 2) {
			t.Fatalf("%q taken with exp %v", s, exp)
		}
		if err != nil && len(s) >= 8 && strings.Contains(err.Error(), s) {
			t.Fatalf("the error quotes the token: %v", err)
		}
	})
}

// minter mints tokens of lifetime, numbered; fail makes it fail.
type minter struct {
	lifetime time.Duration
	n        int
	fail     bool
}

func (m *minter) mint(context.Context) (string, error) {
	if m.fail {
		return "", errors.New("mint an OIDC token: the service is down")
	}
	m.n++
	return jwt(fmt.Sprintf(`{"n":%d,"exp":%d}`, m.n, time.Now().Add(m.lifetime).Unix())), nil
}

// TestSourceMintsBeforeExpiry: a token of 60 s is used for its first 30 s,
// then minted again; one that cannot be is used while it holds.
func TestSourceMintsBeforeExpiry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		m := &minter{lifetime: time.Minute}
		var heard []string
		s := Minting(m.mint, func(tok string) { heard = append(heard, tok) })
		ctx := context.Background()
		first, err := s.Token(ctx)
		if err != nil || m.n != 1 || len(heard) != 1 || heard[0] != first {
			t.Fatalf("%v, %d minted, heard %d", err, m.n, len(heard))
		}
		time.Sleep(29 * time.Second)
		if tok, _ := s.Token(ctx); tok != first || m.n != 1 {
			t.Errorf("minted again with 31 s left")
		}
		time.Sleep(time.Second)
		second, _ := s.Token(ctx)
		if second == first || m.n != 2 || len(heard) != 2 {
			t.Errorf("not minted again with 30 s left")
		}
		m.fail = true
		time.Sleep(40 * time.Second)
		if tok, err := s.Token(ctx); tok != second || err != nil {
			t.Errorf("with 20 s left and the service down: %q, %v; want the old token", tok, err)
		}
		time.Sleep(30 * time.Second)
		if _, err := s.Token(ctx); err == nil {
			t.Error("an expired token was handed out")
		}
	})
}

// TestSourceRenew: a refused token is minted again once; a request that
// saw the same refusal later gets the new one without a third mint.
func TestSourceRenew(t *testing.T) {
	t.Parallel()
	m := &minter{lifetime: time.Hour}
	s := Minting(m.mint, nil)
	ctx := context.Background()
	stale, _ := s.Token(ctx)
	fresh, ok, err := s.Renew(ctx, stale)
	if !ok || err != nil || fresh == stale || m.n != 2 {
		t.Fatalf("%v %v, %d minted", ok, err, m.n)
	}
	if again, ok, _ := s.Renew(ctx, stale); !ok || again != fresh || m.n != 2 {
		t.Errorf("a second refusal of the stale token minted again")
	}
	static := Static(stale)
	if tok, ok, err := static.Renew(ctx, stale); ok || err != nil || tok != stale {
		t.Errorf("a static token renewed: %v %v", ok, err)
	}
}

// TestMintLikeGitHub: the audience is appended to the request URL, the
// request token sent as a bearer, and the value of the answer taken.
func TestMintLikeGitHub(t *testing.T) {
	t.Parallel()
	token := jwt(`{"exp":1795424400}`)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Authorization") != "Bearer req-token":
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.RawQuery != "api-version=2.0&audience=https%3A%2F%2Fci.example.com%2Fjenkins":
			http.Error(w, r.URL.RawQuery, http.StatusBadRequest)
		default:
			fmt.Fprintf(w, `{"count":1,"value":%q}`, token)
		}
	}))
	t.Cleanup(ts.Close)
	hc := &http.Client{Transport: &http.Transport{}}
	g := GitHubRequest{URL: ts.URL + "/token?api-version=2.0", Token: "req-token"}
	got, err := g.Mint(context.Background(), hc, "https://ci.example.com/jenkins")
	if err != nil || got != token {
		t.Fatalf("%q, %v", got, err)
	}
	g.Token = "wrong"
	if _, err := g.Mint(context.Background(), hc, "x"); err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("a refusal: %v", err)
	}
}
