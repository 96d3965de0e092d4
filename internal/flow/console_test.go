package flow

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// marksOf is what markTap should note of text, read line by line.
func marksOf(text string) (stage, input bool) {
	for line := range strings.SplitSeq(text, "\n") {
		for _, m := range stageMarks {
			stage = stage || strings.HasPrefix(line, string(m))
		}
		if strings.HasPrefix(line, string(inputMark)) {
			stage, input = true, true
		}
	}
	return stage, input
}

// linesOf are the lines markTap should hand to readers that want the lines
// holding a "#": each ended line short enough, read alone, up to maxLines.
func linesOf(text string) []string {
	var out []string
	lines := strings.Split(text, "\n")
	for _, line := range lines[:len(lines)-1] {
		if len(line) <= maxLine && len(out) < maxLines && strings.Contains(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// hashes reads the lines that hold a "#".
type hashes struct{}

func (hashes) wants(line []byte) bool { return bytes.IndexByte(line, '#') >= 0 }

// tapInPieces writes text through a markTap in pieces of the given sizes.
func tapInPieces(text string, sizes []int) (*markTap, string) {
	var out bytes.Buffer
	m := &markTap{w: &out, readers: []lineReader{hashes{}}}
	rest := []byte(text)
	for i := 0; len(rest) > 0; i++ {
		n := len(rest)
		if len(sizes) > 0 {
			n = min(max(sizes[i%len(sizes)], 1), len(rest))
		}
		m.Write(rest[:n])
		rest = rest[n:]
	}
	return m, out.String()
}

func TestMarkTap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		text         string
		stage, input bool
	}{
		{"plain", "+ make\nok\n", false, false},
		{"stage start", "[Pipeline] stage\n[Pipeline] { (Build)\n", true, false},
		{"block end", "x\n[Pipeline] }\n", true, false},
		{"block end without newline yet", "x\n[Pipeline] }", true, false},
		{"input", "[Pipeline] input\nDeploy?\nProceed or Abort\n", true, true},
		{"not at line start", "echo [Pipeline] stage\n", false, false},
		{"other steps", "[Pipeline] node\n[Pipeline] {\n[Pipeline] sh\n", false, false},
		{"long line", "[Pipeline] { (" + strings.Repeat("x", 500) + ")\n", true, false},
	}
	for _, tt := range tests {
		for _, sizes := range [][]int{nil, {1}, {3, 7}, {15, 16, 17}} {
			m, out := tapInPieces(tt.text, sizes)
			if m.seen.stage != tt.stage || m.seen.input != tt.input {
				t.Errorf("%s in pieces %v: stage %v input %v, want %v %v", tt.name, sizes, m.seen.stage, m.seen.input, tt.stage, tt.input)
			}
			if out != tt.text {
				t.Errorf("%s in pieces %v: passed on %q", tt.name, sizes, out)
			}
		}
	}
}

// FuzzMarkTap: however the console is cut into reads, the tap passes it on
// whole and notes the same marks as reading it line by line.
func FuzzMarkTap(f *testing.F) {
	f.Add("[Pipeline] stage\n[Pipeline] { (Build)\n+ make\n[Pipeline] }\n", 5, 11)
	f.Add("[Pipeline] input\nApprove?\n", 1, 1)
	f.Add("[Pipe\nline] stage\n", 3, 2)
	f.Fuzz(func(t *testing.T, text string, a, b int) {
		m, out := tapInPieces(text, []int{a % 64, b % 64})
		if out != text {
			t.Fatalf("passed on %q, not %q", out, text)
		}
		stage, input := marksOf(text)
		if m.seen.stage != stage || m.seen.input != input {
			t.Fatalf("%q: stage %v input %v, want %v %v", text, m.seen.stage, m.seen.input, stage, input)
		}
		if want := linesOf(text); !slices.Equal(m.seen.lines, want) {
			t.Fatalf("%q: lines %q, want %q", text, m.seen.lines, want)
		}
	})
}

// TestMarkTapLines: the tap hands over the whole lines a reader wants,
// however the console is cut, and passes over a line too long to read.
func TestMarkTapLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"wanted and not", "Starting building: f » child #3\n+ make\napp #7 started.\n", []string{"Starting building: f » child #3", "app #7 started."}},
		{"line not ended yet", "Starting building: app #1", nil},
		{"too long", "Starting building: " + strings.Repeat("x", maxLine) + " #1\nx #2\n", []string{"x #2"}},
		{"at most maxLines a take", strings.Repeat("#\n", maxLines+5), slices.Repeat([]string{"#"}, maxLines)},
	}
	for _, tt := range tests {
		for _, sizes := range [][]int{nil, {1}, {3, 7}, {4000, 200}} {
			m, _ := tapInPieces(tt.text, sizes)
			if got := m.take().lines; !slices.Equal(got, tt.want) {
				t.Errorf("%s in pieces %v: lines %q, want %q", tt.name, sizes, got, tt.want)
			}
		}
	}
}

// TestDownstreamWants: the downstream tracker reads the console lines that
// name a downstream build, and no other.
func TestDownstreamWants(t *testing.T) {
	t.Parallel()
	d := &downstreamTracker{}
	for line, want := range map[string]bool{
		"Scheduling project: f » child":      true,
		"Starting building: f » child #3":    true,
		"app #7 started.":                    true,
		"Triggering projects: a, b":          true,
		"+ make":                             false,
		"[Pipeline] build":                   false,
		"  Scheduling project: not at start": false,
	} {
		if got := d.wants([]byte(line)); got != want {
			t.Errorf("wants(%q) = %v, want %v", line, got, want)
		}
	}
}
