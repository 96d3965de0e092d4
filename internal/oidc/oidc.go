// Package oidc hands out the OIDC ID token that stands for the CI job's
// identity before Jenkins: one minted by GitHub's token service for an
// audience, minted again before it expires and after it is refused, or one
// the CI minted (GitLab's id_tokens:), which cannot be.
package oidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Expiry reads the exp claim of a JWT without checking its signature:
// Jenkins checks that, and the step only needs to know when to mint again.
// A token that is not a JWT with an exp is an error.
func Expiry(token string) (time.Time, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return time.Time{}, errors.New("is not a JWT (three dot-separated parts)")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, errors.New("is not a JWT: its payload is not base64url")
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return time.Time{}, errors.New("is not a JWT: its payload is not a JSON object")
	}
	if claims.Exp == nil {
		return time.Time{}, errors.New("is a JWT without exp")
	}
	exp, err := claims.Exp.Float64()
	if err != nil || exp <= 0 || exp > 1<<40 {
		return time.Time{}, errors.New("is a JWT whose exp is not a time")
	}
	return time.Unix(int64(exp), 0), nil
}

// GitHubRequest is where a GitHub job mints its ID tokens:
// ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN, which
// the runner sets only for a job with permissions: id-token: write.
type GitHubRequest struct {
	URL, Token string
}

// maxAnswer bounds the token service's answer; a JWT is a few kilobytes.
const maxAnswer = 64 << 10

// Mint asks GitHub's token service for an ID token for audience, as
// @actions/core's getIDToken does: a GET of the request URL with
// &audience= appended, the request token as a bearer, and the token in
// the value field of the JSON answer. A failure the service may get over
// (mintRetryable) is tried again, backed off, for up to mintBudget, as
// @actions/core's client retries its own.
func (g GitHubRequest) Mint(ctx context.Context, hc *http.Client, audience string) (string, error) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = time.Second, 8*time.Second, mintBudget
	return backoff.RetryWithData(func() (string, error) {
		token, status, err := g.mintOnce(ctx, hc, audience)
		if err != nil && !mintRetryable(status, err) {
			return "", backoff.Permanent(err)
		}
		return token, err
	}, backoff.WithContext(b, ctx))
}

// mintBudget bounds the tries of one mint.
const mintBudget = 30 * time.Second

// mintRetryable is the retry policy of a mint, apart from the waiting:
// a failure to reach the service (status 0), its 5xx and its 429 may pass;
// any other answer, such as a refused request token, will not.
func mintRetryable(status int, err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return status == 0 || status == http.StatusTooManyRequests || status >= 500
}

// mintOnce is one try of Mint, with the status the service answered (0
// when it answered none, -1 when its answer was not a token).
func (g GitHubRequest) mintOnce(ctx context.Context, hc *http.Client, audience string) (string, int, error) {
	// The runner's URL has a query already (api-version=...).
	u := g.URL + "&audience=" + url.QueryEscape(audience)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", -1, errors.New("mint an OIDC token: ACTIONS_ID_TOKEN_REQUEST_URL is not a URL")
	}
	req.Header.Set("Authorization", "Bearer "+g.Token)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may carry a signature
		}
		return "", 0, fmt.Errorf("mint an OIDC token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return "", 0, fmt.Errorf("mint an OIDC token: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", resp.StatusCode, fmt.Errorf("mint an OIDC token: GitHub's token service answered %d", resp.StatusCode)
	}
	var answer struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.Value == "" {
		return "", -1, errors.New("mint an OIDC token: GitHub's token service answered no token")
	}
	if _, err := Expiry(answer.Value); err != nil {
		return "", -1, fmt.Errorf("mint an OIDC token: the token GitHub's service answered %w", err)
	}
	return answer.Value, http.StatusOK, nil
}

// Source hands out the token to send. It is safe for concurrent use.
type Source struct {
	mint func(context.Context) (string, error) // nil: the token cannot be minted again
	// onToken hears of each token before it is handed out, to mask it.
	onToken func(string)

	mu     sync.Mutex
	token  string
	exp    time.Time
	minted time.Time // when token was minted; zero for a static one
}

// Static is a Source of a token minted elsewhere, which it hands out as
// it is until the end.
func Static(token string) *Source {
	return &Source{token: token}
}

// Minting is a Source that mints with mint, first when a token is first
// asked for; onToken hears of each new token before anyone else.
func Minting(mint func(context.Context) (string, error), onToken func(string)) *Source {
	return &Source{mint: mint, onToken: onToken}
}

// maxMargin is how long before its exp a token is minted again at most;
// a short-lived token is minted again when half its life is left, so that
// a request sent with it arrives before it expires.
const maxMargin = 2 * time.Minute

// Token returns the token to send now, minting a new one when the one it
// has is near its end. When minting fails while the old token still
// holds, the old one is sent, and minting is tried again on the next
// request.
func (s *Source) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mint == nil {
		return s.token, nil
	}
	now := time.Now()
	if s.token != "" && now.Before(s.exp.Add(-s.margin())) {
		return s.token, nil
	}
	err := s.mintLocked(ctx, now)
	if err != nil && s.token != "" && now.Before(s.exp) {
		return s.token, nil
	}
	return s.token, err
}

// Renew mints a token again after stale was refused, unless one newer than
// stale was minted meanwhile. It reports whether there is a token other
// than stale to send: never for a static token.
func (s *Source) Renew(ctx context.Context, stale string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mint == nil {
		return stale, false, nil
	}
	if s.token != stale && s.token != "" {
		return s.token, true, nil
	}
	if err := s.mintLocked(ctx, time.Now()); err != nil {
		return stale, false, err
	}
	return s.token, s.token != stale, nil
}

func (s *Source) margin() time.Duration {
	return min(maxMargin, s.exp.Sub(s.minted)/2)
}

func (s *Source) mintLocked(ctx context.Context, now time.Time) error {
	t, err := s.mint(ctx)
	if err != nil {
		return err
	}
	exp, err := Expiry(t)
	if err != nil {
		return fmt.Errorf("mint an OIDC token: %w", err)
	}
	if s.onToken != nil {
		s.onToken(t)
	}
	s.token, s.exp, s.minted = t, exp, now
	return nil
}
