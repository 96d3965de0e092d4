package clock

import (
	"context"
	"testing"
	"time"
)

func TestVirtual(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	v := NewVirtual(start)
	if err := v.Sleep(context.Background(), 90*time.Second); err != nil {
		t.Fatal(err)
	}
	v.Advance(-time.Hour) // time never runs backwards
	if got := v.Now().Sub(start); got != 90*time.Second {
		t.Errorf("advanced %v, want 90s", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := v.Sleep(ctx, time.Minute); err != context.Canceled || v.Now().Sub(start) != 90*time.Second {
		t.Errorf("a cancelled sleep must neither wait nor move time: %v", err)
	}
}

func TestRealSleepStopsOnCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (Real{}).Sleep(ctx, time.Hour); err != context.Canceled {
		t.Errorf("err = %v", err)
	}
	if err := (Real{}).Sleep(context.Background(), 0); err != nil {
		t.Errorf("zero sleep: %v", err)
	}
}
