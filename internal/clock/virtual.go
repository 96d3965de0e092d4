package clock

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// Virtual is a clock for tests and benchmarks whose time moves only when
// every goroutine it knows of waits on it: then it jumps to the earliest
// timer or wake-up. It knows of the goroutine that made it and of those a
// Group starts. One of them busy with a request holds time still, as if the
// request took no time at all; a fake server that should take time moves it
// with Advance. The count is of places, not of goroutines: one started
// outside a Group may take the place of the goroutine that made the clock
// while that one blocks elsewhere, as a test that runs the command in a
// goroutine and selects on its end does.
//
// Unlike time.AfterFunc, a virtual timer's function runs in the goroutine
// that moves time, before time moves on, so that a context it cancels is
// seen as cancelled at that instant. It must not wait on the clock.
type Virtual struct {
	mu      sync.Mutex
	now     time.Time
	seq     uint64
	pending waits
	// running counts the goroutines the clock knows of that are not
	// asleep on it.
	running int
}

// NewVirtual returns a virtual clock that starts at start.
func NewVirtual(start time.Time) *Virtual { return &Virtual{now: start, running: 1} }

// wait is a sleeper or a timer.
type wait struct {
	at    time.Time
	seq   uint64 // ties go to the earlier wait
	index int    // in pending; -1 once out of it
	// A sleeper has ctx and wake, closed once it may go on, with err its
	// return value. A timer has fn.
	ctx  context.Context
	wake chan struct{}
	err  error
	fn   func()
}

// Now returns the virtual time.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

// Sleep waits until the clock reaches d from now, or until ctx is done.
func (v *Virtual) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	w := &wait{ctx: ctx, wake: make(chan struct{})}
	v.mu.Lock()
	w.at = v.now.Add(d)
	v.push(w)
	v.running--
	v.mu.Unlock()
	v.settle()
	select {
	case <-w.wake:
		return w.err
	case <-ctx.Done():
		v.mu.Lock()
		if w.index >= 0 {
			heap.Remove(&v.pending, w.index)
			v.running++
		} // else the clock woke it and counted it as running
		v.mu.Unlock()
		return ctx.Err()
	}
}

// AfterFunc calls f once the clock has moved d past now.
func (v *Virtual) AfterFunc(d time.Duration, f func()) Timer {
	w := &wait{fn: f}
	v.mu.Lock()
	w.at = v.now.Add(max(d, 0))
	v.push(w)
	v.mu.Unlock()
	return &virtualTimer{v: v, w: w}
}

// Advance moves the time forward by d at once, firing the timers and
// waking the sleepers due by then in their order. Time never runs
// backwards.
func (v *Virtual) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	v.mu.Lock()
	target := v.now.Add(d)
	v.mu.Unlock()
	for {
		v.mu.Lock()
		if len(v.pending) == 0 || v.pending[0].at.After(target) {
			v.now = maxTime(v.now, target)
			v.mu.Unlock()
			return
		}
		v.fireNext()
	}
}

// AdvanceToNext moves the time to the earliest timer or sleeper and fires
// or wakes it, as for a fake server that stays silent until the client
// gives up on it. It does nothing when nothing waits on the clock.
func (v *Virtual) AdvanceToNext() {
	v.mu.Lock()
	if len(v.pending) == 0 {
		v.mu.Unlock()
		return
	}
	v.fireNext()
}

// fireNext takes the earliest timer or sleeper off the clock, with v.mu
// held, and releases v.mu: a timer's function then runs in this goroutine,
// a sleeper is woken. It reports whether it ran a timer.
func (v *Virtual) fireNext() (timer bool) {
	w := v.next()
	if w.fn != nil {
		v.mu.Unlock()
		w.fn()
		return true
	}
	v.wakeUp(w, nil)
	v.mu.Unlock()
	return false
}

// settle moves time while no goroutine the clock knows of runs: it wakes
// the sleepers whose context ended, or else fires the earliest timer, or
// wakes the earliest sleeper.
func (v *Virtual) settle() {
	for {
		v.mu.Lock()
		if v.running > 0 || len(v.pending) == 0 || v.wakeCancelled() {
			v.mu.Unlock()
			return
		}
		if !v.fireNext() {
			return
		}
	}
}

// wakeCancelled wakes every sleeper whose context ended, which a timer
// that just fired may have done, and reports whether there was one.
func (v *Virtual) wakeCancelled() bool {
	var done []*wait
	for _, w := range v.pending {
		if w.ctx != nil && w.ctx.Err() != nil {
			done = append(done, w)
		}
	}
	for _, w := range done {
		heap.Remove(&v.pending, w.index)
		v.wakeUp(w, w.ctx.Err())
	}
	return len(done) > 0
}

// next takes the earliest wait out and moves the time to it.
func (v *Virtual) next() *wait {
	w := heap.Pop(&v.pending).(*wait)
	v.now = maxTime(v.now, w.at)
	return w
}

// wakeUp lets a sleeper that is out of pending go on.
func (v *Virtual) wakeUp(w *wait, err error) {
	w.err = err
	v.running++
	close(w.wake)
}

func (v *Virtual) push(w *wait) {
	v.seq++
	w.seq = v.seq
	heap.Push(&v.pending, w)
}

// join counts one more running goroutine; leave one fewer.
func (v *Virtual) join() {
	v.mu.Lock()
	v.running++
	v.mu.Unlock()
}

func (v *Virtual) leave() {
	v.mu.Lock()
	v.running--
	v.mu.Unlock()
	v.settle()
}

type virtualTimer struct {
	v *Virtual
	w *wait
}

func (t *virtualTimer) Stop() bool {
	t.v.mu.Lock()
	defer t.v.mu.Unlock()
	if t.w.index < 0 {
		return false
	}
	heap.Remove(&t.v.pending, t.w.index)
	return true
}

func (t *virtualTimer) Reset(d time.Duration) bool {
	t.v.mu.Lock()
	defer t.v.mu.Unlock()
	was := t.w.index >= 0
	if was {
		heap.Remove(&t.v.pending, t.w.index)
	}
	t.w.at = t.v.now.Add(max(d, 0))
	t.v.push(t.w)
	return was
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// waits is a min-heap of waits by time, then by arrival.
type waits []*wait

func (h waits) Len() int { return len(h) }
func (h waits) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h waits) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *waits) Push(x any) {
	w := x.(*wait)
	w.index = len(*h)
	*h = append(*h, w)
}
func (h *waits) Pop() any {
	old := *h
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	w.index = -1
	return w
}
