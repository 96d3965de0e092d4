package build

import "testing"

func TestFails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		r              Result
		failOnUnstable bool
		want           bool
	}{
		{None, true, false},
		{Success, true, false},
		{Unstable, true, true},
		{Unstable, false, false},
		{Failure, false, true},
		{Aborted, false, true},
		{NotBuilt, false, true},
		{Cancelled, false, true},
		{Timeout, false, true},
		{"SOMETHING_NEW", false, true},
	}
	for _, tt := range tests {
		if got := tt.r.Fails(tt.failOnUnstable); got != tt.want {
			t.Errorf("%q.Fails(%v) = %v, want %v", tt.r, tt.failOnUnstable, got, tt.want)
		}
	}
}

func TestKnown(t *testing.T) {
	t.Parallel()
	for _, r := range []Result{None, Success, Unstable, Failure, Aborted, NotBuilt, Cancelled, Timeout} {
		if !r.Known() {
			t.Errorf("%q.Known() = false", r)
		}
	}
	if Result("success").Known() {
		t.Error(`"success".Known() = true; results are upper case`)
	}
}
