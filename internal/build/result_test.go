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

func TestCulprit(t *testing.T) {
	t.Parallel()
	const (
		S = Success
		F = Failure
		A = Aborted
		U = Unstable
		T = Timeout
	)
	tests := []struct {
		name   string
		i      int
		parent []int
		result []Result
		want   int
	}{
		{"alone", 0, []int{-1}, []Result{F}, -1},
		{"own build succeeded", 0, []int{-1, 0}, []Result{S, F}, -1},
		{"failed child", 0, []int{-1, 0}, []Result{F, F}, 1},
		{"aborted child counts", 0, []int{-1, 0}, []Result{F, A}, 1},
		{"unstable child does not", 0, []int{-1, 0}, []Result{F, U}, -1},
		{"timeout is not Jenkins' failure", 0, []int{-1, 0}, []Result{T, F}, -1},
		{"grandchild through a failed child", 0, []int{-1, 0, 1}, []Result{F, F, F}, 2},
		{"not through a child that succeeded", 0, []int{-1, 0, 1}, []Result{F, S, F}, -1},
		{"deepest wins", 0, []int{-1, 0, 0, 2}, []Result{F, F, F, F}, 3},
		{"first of equals", 0, []int{-1, 0, 0}, []Result{F, F, F}, 1},
		{"another own build's child", 0, []int{-1, -1, 1}, []Result{F, F, F}, -1},
		{"a loop ends", 0, []int{-1, 2, 1}, []Result{F, F, F}, -1},
	}
	for _, tt := range tests {
		if got := Culprit(tt.i, tt.parent, tt.result); got != tt.want {
			t.Errorf("%s: Culprit = %d, want %d", tt.name, got, tt.want)
		}
	}
}
