package oidc

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
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

// TestMintRetries: a token service that fails as a service may get over
// (unreachable, 5xx, 429) is asked again, backed off; one that refuses
// the request, or answers no token, is asked once.
func TestMintRetries(t *testing.T) {
	t.Parallel()
	token := jwt(`{"exp":1795424400}`)
	for _, tt := range []struct {
		name     string
		failures []int // the statuses answered before the token; 0 resets the connection
		wantErr  string
		asked    int
	}{
		{"503 twice", []int{503, 503}, "", 3},
		{"429 then a reset", []int{429, 0}, "", 3},
		{"refused", []int{403}, "answered 403", 1},
		{"no token", []int{-1}, "answered no token", 1},
		{"down for good", slices.Repeat([]int{502}, 100), "answered 502", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var asked atomic.Int32
				n := &memnet.Network{}
				ts := n.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					i := int(asked.Add(1)) - 1
					switch {
					case i >= len(tt.failures):
						fmt.Fprintf(w, `{"value":%q}`, token)
					case tt.failures[i] == 0:
						panic(http.ErrAbortHandler)
					case tt.failures[i] == -1:
						fmt.Fprint(w, `{"value":""}`)
					default:
						w.WriteHeader(tt.failures[i])
					}
				}))
				t.Cleanup(ts.Close)
				transport := n.Transport()
				t.Cleanup(transport.CloseIdleConnections)
				g := GitHubRequest{URL: ts.URL + "/token?api-version=2.0", Token: "req-token"}
				start := time.Now()
				got, err := g.Mint(t.Context(), &http.Client{Transport: transport}, "aud")
				if tt.wantErr == "" && (err != nil || got != token) || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
					t.Errorf("Mint = %q, %v; want error %q", got, err, tt.wantErr)
				}
				if tt.asked > 0 && int(asked.Load()) != tt.asked {
					t.Errorf("asked %d times, want %d", asked.Load(), tt.asked)
				}
				if took := time.Since(start); took > mintBudget+10*time.Second {
					t.Errorf("gave up after %v, beyond the budget %v", took, mintBudget)
				}
			})
		})
	}
}
