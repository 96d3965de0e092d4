package artifacts

import "context"

// StepDownloads is how many artifact downloads a step runs at once, over
// all its builds: a controller serves each from its disk, and a step of
// many builds that end together should not open one transfer per build.
const StepDownloads = 2

// Limiter bounds the downloads in flight among the fetches that share it.
type Limiter struct{ slots chan struct{} }

// NewLimiter returns a limiter of n downloads at once.
func NewLimiter(n int) *Limiter { return &Limiter{slots: make(chan struct{}, n)} }

// acquire waits for a free slot, or for ctx to end.
func (l *Limiter) acquire(ctx context.Context) error {
	if l == nil {
		return nil
	}
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release frees the slot acquire took.
func (l *Limiter) release() {
	if l != nil {
		<-l.slots
	}
}
