package runnertest

import (
	"slices"
	"testing"
)

// TestCommands holds the model to the runner's rules: a command at the
// start of a line after white space, "##[" anywhere, lines ended by CR
// too, and nothing acted on while commands are stopped.
func TestCommands(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		stdout string
		want   [][2]string // nil: refused
	}{
		{"::error::x\nplain\n", [][2]string{{"error", "x"}}},
		{"::warning::a%0Ab%25\n", [][2]string{{"warning", "a\nb%"}}},
		{"  ::error::x\n", nil},
		{"\u2028::error::x\n", nil},
		{"ok\r::error::x\n", [][2]string{{"error", "x"}}},
		{"Stage ##[error]x\n", nil},
		{"::set-output name=a::b\n", nil},
		{"::error::a%0D::notice::b\n", nil},
		{"::error::a ##[group]b\n", nil},
		{"\u200b::error::x ##\u200b[group]\n", [][2]string{}},
		{"::stop-commands::T\n::error::x\n##[group]\n::T::\n", [][2]string{{"stop-commands", "T"}, {"resume", ""}}},
		{"::stop-commands::T\n", nil},
	} {
		got, err := Commands(tt.stdout)
		if tt.want == nil {
			if err == nil {
				t.Errorf("Commands(%q) = %q, want an error", tt.stdout, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Commands(%q) = %q, %v; want %q", tt.stdout, got, err, tt.want)
		}
	}
}

// TestParseOutputs: the runner's heredoc ends at the first line equal to
// its delimiter; a line after it that is no output fails the step.
func TestParseOutputs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		file string
		want [][2]string // nil: refused
	}{
		{"a=1\nb<<EOF\nx\ny\nEOF\n", [][2]string{{"a", "1"}, {"b", "x\ny"}}},
		{"b<<EOF\nEOF\n", [][2]string{{"b", ""}}},
		{"b<<D\nD\nD\n", nil},
		{"b<<D\nx\n", nil},
		{"b<<D\nx\nD", nil},
		{"<<D\nD\n", nil},
	} {
		got, err := ParseOutputs(tt.file)
		if tt.want == nil {
			if err == nil {
				t.Errorf("ParseOutputs(%q) = %q, want an error", tt.file, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseOutputs(%q) = %q, %v; want %q", tt.file, got, err, tt.want)
		}
	}
}
