package jenkins

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

// TestHTTPErrorIs: "Jenkins answered N" is errors.Is against N's sentinel,
// through any wrapping, and never true of another status or of an answer
// that did not come from Jenkins.
func TestHTTPErrorIs(t *testing.T) {
	t.Parallel()
	answered := func(status int) error {
		return fmt.Errorf("read job x: %w", &GiveUpError{Attempts: 3, Err: &HTTPError{Method: http.MethodGet, Status: status}})
	}
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"400", answered(http.StatusBadRequest), errBadRequest, true},
		{"401", answered(http.StatusUnauthorized), ErrUnauthorized, true},
		{"403", answered(http.StatusForbidden), ErrForbidden, true},
		{"404", answered(http.StatusNotFound), ErrNotFound, true},
		{"405", answered(http.StatusMethodNotAllowed), errMethodNotAllowed, true},
		{"429", answered(http.StatusTooManyRequests), errTooManyRequests, true},
		{"500", answered(http.StatusInternalServerError), errInternal, true},
		{"503", answered(http.StatusServiceUnavailable), errServiceUnavailable, true},
		{"unwrapped", &HTTPError{Status: http.StatusNotFound}, ErrNotFound, true},
		{"401 is not 403", answered(http.StatusUnauthorized), ErrForbidden, false},
		{"403 is not 401", answered(http.StatusForbidden), ErrUnauthorized, false},
		{"500 is not 404", answered(http.StatusInternalServerError), ErrNotFound, false},
		{"502 is not 503", answered(http.StatusBadGateway), errServiceUnavailable, false},
		{"a front door's 401", &FrontDoorError{Status: http.StatusUnauthorized}, ErrUnauthorized, false},
		{"a front door's 403", fmt.Errorf("trigger: %w", &FrontDoorError{Status: http.StatusForbidden}), ErrForbidden, false},
		{"a transport error", fmt.Errorf("GET x: %w", errors.New("connection reset")), ErrNotFound, false},
		{"no error", nil, ErrNotFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := errors.Is(tt.err, tt.target); got != tt.want {
				t.Errorf("errors.Is(%v, %v) = %v, want %v", tt.err, tt.target, got, tt.want)
			}
		})
	}
}
