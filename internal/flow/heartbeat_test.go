package flow

import (
	"testing"
	"time"
)

func TestStillRunning(t *testing.T) {
	t.Parallel()
	tests := []struct {
		elapsed     time.Duration
		estimatedMS int64
		want        string
	}{
		{130 * time.Second, 300_000, "still running: 2m10s of about 5m"},
		{130*time.Second + 400*time.Millisecond, -1, "still running: 2m10s"},
		{0, 0, "still running: 0s"},
		{-2 * time.Second, 90_500, "still running: 0s of about 1m31s"},
		{3*time.Hour + 30*time.Second, 3_600_000, "still running: 3h0m30s of about 1h"},
		{2 * time.Hour, 7_260_000, "still running: 2h of about 2h1m"},
	}
	for _, tt := range tests {
		if got := stillRunning(tt.elapsed, tt.estimatedMS); got != tt.want {
			t.Errorf("stillRunning(%v, %d) = %q, want %q", tt.elapsed, tt.estimatedMS, got, tt.want)
		}
	}
}
