package spell

import (
	"slices"
	"testing"
)

func TestNearest(t *testing.T) {
	t.Parallel()
	jobs := []string{"deploy-eu", "deploy-us", "build", "release-train"}
	tests := []struct {
		name string
		n    int
		want []string
	}{
		{"deploy-ue", 3, []string{"deploy-eu", "deploy-us"}},
		{"DEPLOY-EU", 3, []string{"deploy-eu", "deploy-us"}},
		{"deploy-eu", 1, []string{"deploy-eu"}},
		{"buld", 3, []string{"build"}},
		{"something-else", 3, []string{}},
		{"", 3, []string{}},
	}
	for _, tt := range tests {
		if got := Nearest(tt.name, jobs, tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("Nearest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"naïve", "naive", 1}, {"deploy-ue", "deploy-eu", 1}, {"ab", "ba", 1}} {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
