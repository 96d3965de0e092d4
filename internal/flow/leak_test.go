package flow

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// TestNoGoroutineOutlivesARun ends steps in every way they can end, and
// checks that no goroutine of theirs is left once Run has returned: the
// runs, the queue reads they shared, the deadlines on the clock and the
// trigger's settle time. Its cases run one after another, and before the
// package's parallel tests, so that only their own goroutines count.
func TestNoGoroutineOutlivesARun(t *testing.T) {
	stopOnConsole := func(cancel context.CancelCauseFunc) func(r *http.Request) jenkinstest.Fault {
		return func(r *http.Request) jenkinstest.Fault {
			if strings.Contains(r.URL.Path, "/job/b/1/logText") {
				cancel(errors.New("terminated signal received"))
			}
			return jenkinstest.FaultNone
		}
	}
	for _, tt := range []struct {
		name string
		end  End
		// fault, when set, makes the fake's faults, given the run's cancel.
		fault   func(context.CancelCauseFunc) func(*http.Request) jenkinstest.Fault
		refuse  int
		timeout time.Duration
		stopped bool
	}{
		{name: "success", end: EndOK},
		{name: "failure", end: EndFailed},
		{name: "timeout", end: EndTimedOut, timeout: 40 * time.Second},
		{name: "stopped by a signal", fault: stopOnConsole, stopped: true},
		{name: "trigger refused", end: EndUnusable, refuse: http.StatusInternalServerError},
		{name: "Jenkins unusable", end: EndUnusable, fault: func(context.CancelCauseFunc) func(*http.Request) jenkinstest.Fault {
			return func(r *http.Request) jenkinstest.Fault {
				if strings.Contains(r.URL.Path, "/logText") {
					return jenkinstest.FaultReset
				}
				return jenkinstest.FaultNone
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancelCause(t.Context())
				defer cancel(nil)
				opts := jenkinstest.Options{}
				if tt.fault != nil {
					opts.Fault = tt.fault(cancel)
				}
				h := newStepHarness(t, opts)
				result := "SUCCESS"
				if tt.end == EndFailed {
					result = "FAILURE"
				}
				a := h.job("a", script(result, 30*time.Second))
				b := h.job("b", script("SUCCESS", time.Minute), func(s *jenkinstest.JobSpec) { s.RefuseTrigger = tt.refuse })
				p := policy()
				if tt.timeout > 0 {
					p.Timeout = tt.timeout
				}
				before := goleak.IgnoreCurrent()
				out := Run(ctx, Options{Targets: []Target{{Job: a}, {Job: b}}, Policy: p}, Deps{Client: h.client, Report: h.rep})
				if tt.stopped != (out.Stopped != nil) || !tt.stopped && out.End() != tt.end {
					t.Fatalf("outcome %+v, want end %v", out, tt.end)
				}
				h.http.CloseIdleConnections()
				goleak.VerifyNone(t, before)
			})
		})
	}
}
