// Package clock abstracts time so that the client, the flow and the fake
// Jenkins can run on a virtual timeline in tests and benchmarks: a ten-minute
// build then takes milliseconds, and no test sleeps for real. Every wait and
// every deadline of the product goes through a Clock; this package is the one
// place that starts a timer on the wall clock.
package clock

import (
	"context"
	"time"
)

// Clock tells the time, waits, and runs functions later. It satisfies
// backoff.Clock.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, whichever comes first, and
	// returns ctx's error in the latter case.
	Sleep(ctx context.Context, d time.Duration) error
	// AfterFunc calls f in its own goroutine once d has passed, unless the
	// timer is stopped first.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call. *time.Timer satisfies it.
type Timer interface {
	// Stop cancels the call; it reports whether the call was still pending.
	Stop() bool
	// Reset makes the call happen d from now instead; it reports whether
	// the call was still pending.
	Reset(d time.Duration) bool
}

// Real is the wall clock.
type Real struct{}

// Now returns the current wall-clock time.
func (Real) Now() time.Time { return time.Now() }

// Sleep waits on a real timer.
func (Real) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// AfterFunc starts a real timer.
func (Real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// WithTimeout is context.WithTimeout on c: the context ends d from now on
// c, with context.DeadlineExceeded as its cause. Its Err is then
// context.Canceled; callers that tell a deadline apart read the cause.
func WithTimeout(ctx context.Context, c Clock, d time.Duration) (context.Context, context.CancelFunc) {
	return WithTimeoutCause(ctx, c, d, context.DeadlineExceeded)
}

// WithTimeoutCause is WithTimeout with the given cause.
func WithTimeoutCause(ctx context.Context, c Clock, d time.Duration, cause error) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	t := c.AfterFunc(d, func() { cancel(cause) })
	return ctx, func() {
		t.Stop()
		cancel(context.Canceled)
	}
}
