// Package wait holds the one pause every poll and retry of the product
// takes: for a while, or until the step is stopped. It reads the time
// package's clock, which a testing/synctest bubble makes virtual.
package wait

import (
	"context"
	"time"
)

// Sleep waits for d or until ctx ends, and then returns ctx's error.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
