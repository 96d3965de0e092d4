package jenkins

import (
	"bytes"
	"strings"
	"testing"
)

const note = "\x1b[8mha:////4D0Ks5C+Gj2H1fXq/AAAAlx+LCAAAAAAAAP9b85aBtbiIQTGjNKU4P08vOT+vOD8nVc8DzHWtSMwtyMm0/AAAAAA==\x1b[0m"

func TestConsoleFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"crlf", "a\r\nb\r\n", "a\nb\n"},
		{"lone cr kept", "50%\r100%\r\n", "50%\r100%\n"},
		{"note stripped", "[Pipeline] " + note + "sh\r\n", "[Pipeline] sh\n"},
		{"colours kept", "\x1b[32mok\x1b[0m\r\n", "\x1b[32mok\x1b[0m\n"},
		{"not a note", "\x1b[8mhidden\x1b[0m", "\x1b[8mhidden\x1b[0m"},
		{"bad note body", "\x1b[8mha:ab cd\x1b[0m", "\x1b[8mha:ab cd\x1b[0m"},
		{"note then colour", note + "\x1b[1mbold\x1b[0m\r\n", "\x1b[1mbold\x1b[0m\n"},
		{"two notes", note + "x" + note + "y", "xy"},
		{"unterminated at end", "x\x1b[8mha:abc", "x\x1b[8mha:abc"},
		{"cr at end", "x\r", "x\r"},
		{"non-ascii", "héllo ✓\r\n", "héllo ✓\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Every split of the input into two reads gives the same output.
			for cut := 0; cut <= len(tt.in); cut++ {
				var out bytes.Buffer
				f := NewConsoleFilter(&out)
				f.Write([]byte(tt.in[:cut]))
				f.Write([]byte(tt.in[cut:]))
				f.Flush()
				if out.String() != tt.want {
					t.Fatalf("cut at %d: got %q, want %q", cut, out.String(), tt.want)
				}
			}
		})
	}
}

func FuzzConsoleFilter(f *testing.F) {
	f.Add("a\r\nb", 1)
	f.Add(note+"x\r\n", 5)
	f.Add("\x1b[8mha:\x1b[0", 3)
	f.Fuzz(func(t *testing.T, s string, cut int) {
		if cut < 0 || cut > len(s) {
			cut = len(s) / 2
		}
		var whole, split bytes.Buffer
		w := NewConsoleFilter(&whole)
		w.Write([]byte(s))
		w.Flush()
		p := NewConsoleFilter(&split)
		p.Write([]byte(s[:cut]))
		p.Write([]byte(s[cut:]))
		p.Flush()
		if whole.String() != split.String() {
			t.Fatalf("split at %d changes output: %q vs %q", cut, whole.String(), split.String())
		}
		if strings.Contains(whole.String(), "\r\n") && !strings.Contains(s, "\r\r\n") {
			t.Fatalf("CRLF left in %q", whole.String())
		}
		if len(whole.String()) > len(s) {
			t.Fatalf("output longer than input")
		}
	})
}
