package flow

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
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

// mentionsOf are the downstream mentions markTap should note of text: those
// of each ended line short enough, read alone.
func mentionsOf(text string) []jenkins.ConsoleMention {
	var out []jenkins.ConsoleMention
	lines := strings.Split(text, "\n")
	for _, line := range lines[:len(lines)-1] {
		if len(line) <= maxMentionLine && len(out) < maxMentions {
			out = append(out, jenkins.ParseConsoleMentions(line)...)
		}
	}
	return out
}

// tapInPieces writes text through a markTap in pieces of the given sizes.
func tapInPieces(text string, sizes []int) (*markTap, string) {
	var out bytes.Buffer
	m := &markTap{w: &out, mentions: true}
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
		if want := mentionsOf(text); !slices.Equal(m.seen.downstream, want) {
			t.Fatalf("%q: mentions %v, want %v", text, m.seen.downstream, want)
		}
	})
}

// TestMarkTapMentions: the tap notes the downstream builds that whole
// lines name, however the console is cut, and passes over a line too long
// to be one.
func TestMarkTapMentions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want []jenkins.ConsoleMention
	}{
		{"build step", "[Pipeline] build\nScheduling project: f » child\nStarting building: f » child #3\n",
			[]jenkins.ConsoleMention{{Name: "f » child"}, {Name: "f » child", Build: 3}}},
		{"parameterized trigger", "Waiting for the completion of app\napp #7 started.\napp #7 completed. Result was UNSTABLE\n",
			[]jenkins.ConsoleMention{{Name: "app"}, {Name: "app", Build: 7}, {Name: "app", Build: 7, Result: "UNSTABLE"}}},
		{"line not ended yet", "Starting building: app #1", nil},
		{"too long", "Starting building: " + strings.Repeat("x", maxMentionLine) + " #1\nScheduling project: app\n",
			[]jenkins.ConsoleMention{{Name: "app"}}},
	}
	for _, tt := range tests {
		for _, sizes := range [][]int{nil, {1}, {3, 7}, {4000, 200}} {
			m, _ := tapInPieces(tt.text, sizes)
			if !slices.Equal(m.take().downstream, tt.want) {
				t.Errorf("%s in pieces %v: mentions %v, want %v", tt.name, sizes, m.seen.downstream, tt.want)
			}
		}
	}
}
