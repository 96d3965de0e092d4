package clock

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

var start = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func TestVirtualSleepAloneMovesAtOnce(t *testing.T) {
	t.Parallel()
	v := NewVirtual(start)
	if err := v.Sleep(t.Context(), 90*time.Second); err != nil {
		t.Fatal(err)
	}
	v.Advance(-time.Hour) // time never runs backwards
	if got := v.Now().Sub(start); got != 90*time.Second {
		t.Errorf("advanced %v, want 90s", got)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := v.Sleep(ctx, time.Minute); err != context.Canceled || v.Now().Sub(start) != 90*time.Second {
		t.Errorf("a cancelled sleep must neither wait nor move time: %v", err)
	}
}

// Goroutines of a group each wake at their own time, whatever order they
// run in: time moves only when all of them sleep.
func TestVirtualGroupWakesEachInTime(t *testing.T) {
	t.Parallel()
	v := NewVirtual(start)
	g := NewGroup(v)
	var mu sync.Mutex
	var woke []time.Duration
	for _, every := range []time.Duration{3 * time.Second, 5 * time.Second} {
		g.Go(func() {
			for range 4 {
				if err := v.Sleep(t.Context(), every); err != nil {
					t.Error(err)
				}
				mu.Lock()
				woke = append(woke, v.Now().Sub(start))
				mu.Unlock()
			}
		})
	}
	g.Wait()
	slices.Sort(woke)
	want := []time.Duration{3, 5, 6, 9, 10, 12, 15, 20}
	for i := range want {
		want[i] *= time.Second
	}
	if !slices.Equal(woke, want) {
		t.Errorf("woke at %v, want %v", woke, want)
	}
	if got := v.Now().Sub(start); got != 20*time.Second {
		t.Errorf("ended at %v, want 20s", got)
	}
}

// A goroutine of the group that is busy (here, spinning, as on a request)
// holds time still for the others, once the goroutine that made the clock
// waits for the group.
func TestVirtualBusyGoroutineHoldsTime(t *testing.T) {
	t.Parallel()
	v := NewVirtual(start)
	g := NewGroup(v)
	var busyAt, sleeperWoke time.Time
	g.Go(func() {
		// Busy until it alone runs: the maker waits, the sleeper sleeps.
		if !until(v, func() bool { return v.running == 1 && len(v.pending) == 1 }) {
			t.Error("the maker never waited, or the sleeper never slept")
		}
		busyAt = v.Now()
		_ = v.Sleep(t.Context(), time.Second)
	})
	g.Go(func() {
		_ = v.Sleep(t.Context(), 10*time.Second)
		sleeperWoke = v.Now()
	})
	g.Wait()
	if got := busyAt.Sub(start); got != 0 {
		t.Errorf("time moved to %v while a goroutine was busy", got)
	}
	if got := sleeperWoke.Sub(start); got != 10*time.Second {
		t.Errorf("sleeper woke at %v, want 10s", got)
	}
}

func TestVirtualTimers(t *testing.T) {
	t.Parallel()
	v := NewVirtual(start)
	var fired []string
	at := func(name string) func() {
		return func() { fired = append(fired, name+"@"+v.Now().Sub(start).String()) }
	}
	v.AfterFunc(2*time.Second, at("a"))
	stopped := v.AfterFunc(3*time.Second, at("stopped"))
	reset := v.AfterFunc(time.Second, at("reset"))
	if !stopped.Stop() || stopped.Stop() {
		t.Error("Stop must report the first stop only")
	}
	if !reset.Reset(4 * time.Second) {
		t.Error("Reset of a pending timer must say it was pending")
	}
	if err := v.Sleep(t.Context(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a@2s", "reset@4s"}; !slices.Equal(fired, want) {
		t.Errorf("fired %v, want %v", fired, want)
	}
}

// A deadline on the virtual clock ends a sleep at its instant, and its
// cause says it was the deadline.
func TestVirtualWithTimeout(t *testing.T) {
	t.Parallel()
	v := NewVirtual(start)
	errLate := errors.New("late")
	ctx, cancel := WithTimeoutCause(t.Context(), v, 30*time.Second, errLate)
	defer cancel()
	err := v.Sleep(ctx, time.Hour)
	if !errors.Is(err, context.Canceled) || context.Cause(ctx) != errLate {
		t.Errorf("err %v, cause %v", err, context.Cause(ctx))
	}
	if got := v.Now().Sub(start); got != 30*time.Second {
		t.Errorf("woke at %v, want 30s", got)
	}
}

// Advance, as a fake server that takes time calls it, fires what is due
// and wakes the sleepers due, leaving later ones asleep.
func TestVirtualAdvance(t *testing.T) {
	t.Parallel()
	v := NewVirtual(start)
	g := NewGroup(v)
	fired := false
	v.AfterFunc(5*time.Second, func() { fired = true })
	var woke time.Duration
	g.Go(func() {
		_ = v.Sleep(t.Context(), 7*time.Second)
		woke = v.Now().Sub(start)
	})
	// The goroutine that made the clock runs until it waits for the
	// group: the clock moves only by Advance till then.
	waitPending(t, v, 2)
	v.Advance(6 * time.Second)
	if !fired {
		t.Error("the timer due at 5s did not fire")
	}
	v.Advance(6 * time.Second)
	g.Wait()
	// It runs once Advance passed 7s, by which time Advance may be done.
	if woke < 7*time.Second || woke > 12*time.Second {
		t.Errorf("the sleeper woke at %v, want between 7s and 12s", woke)
	}
}

// AdvanceToNext lets time pass until the next timer, as a silent server
// lets a client's deadline pass.
func TestVirtualAdvanceToNext(t *testing.T) {
	t.Parallel()
	v := NewVirtual(start)
	v.AdvanceToNext() // nothing waits: nothing moves
	ctx, cancel := WithTimeout(t.Context(), v, 30*time.Second)
	defer cancel()
	v.AfterFunc(time.Hour, func() { t.Error("the later timer fired") })
	v.AdvanceToNext()
	if ctx.Err() == nil || v.Now().Sub(start) != 30*time.Second {
		t.Errorf("after AdvanceToNext: ctx %v at %v", ctx.Err(), v.Now().Sub(start))
	}
}

// A stop from outside wakes a sleeper at once and leaves time where it
// is: the goroutine that made the clock runs throughout, so nothing but
// the cancel can wake the sleeper.
func TestVirtualCancelFromOutside(t *testing.T) {
	t.Parallel()
	v := NewVirtual(start)
	g := NewGroup(v)
	ctx, cancel := context.WithCancel(t.Context())
	var err error
	woke := make(chan struct{})
	g.Go(func() {
		err = v.Sleep(ctx, time.Hour)
		close(woke)
	})
	waitPending(t, v, 1)
	cancel()
	select {
	case <-woke:
	case <-time.After(10 * time.Second): // a watchdog: only a failure waits it out
		t.Fatal("the cancel did not wake the sleeper")
	}
	g.Wait()
	if err != context.Canceled || !v.Now().Equal(start) {
		t.Errorf("err %v at %v", err, v.Now().Sub(start))
	}
}

func TestRealSleepStopsOnCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := (Real{}).Sleep(ctx, time.Hour); err != context.Canceled {
		t.Errorf("err = %v", err)
	}
	if err := (Real{}).Sleep(t.Context(), 0); err != nil {
		t.Errorf("zero sleep: %v", err)
	}
}

// waitPending waits until n sleepers or timers are registered.
// until spins until cond holds under v's lock, and reports whether it did.
func until(v *Virtual, cond func() bool) bool {
	for range 1_000_000 {
		v.mu.Lock()
		ok := cond()
		v.mu.Unlock()
		if ok {
			return true
		}
		runtime.Gosched()
	}
	return false
}

func waitPending(t *testing.T, v *Virtual, n int) {
	t.Helper()
	if !until(v, func() bool { return len(v.pending) >= n }) {
		t.Fatalf("never saw %d pending waits", n)
	}
}
