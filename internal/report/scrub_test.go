package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestPlainConsolesScrubbed: outside GitHub, a build's console, the step's
// only one or one of several, never shows a secret in any form, even cut
// across two writes; a partial line that cannot begin one goes through at
// once, and what is held back comes out on Close.
func TestPlainConsolesScrubbed(t *testing.T) {
	t.Parallel()
	const tok = "sk_live_4f9a2b7c"
	for _, label := range []string{"", "deploy #7"} {
		t.Run(fmt.Sprintf("label=%q", label), func(t *testing.T) {
			t.Parallel()
			r, stdout, _ := newTestReporter(t, map[string]string{})
			r.Mask(tok)
			c := r.Console("deploy #7 console", label)
			prefix := ""
			if label != "" {
				prefix = label + " | "
			}
			stdout.Reset()
			io.WriteString(c, "token "+tok+"\nproxy said X-Key: sk&#95;live&#95;4f9a2b7c\nsplit sk_li")
			io.WriteString(c, "ve_4f9a2b7c end\nprogress 10%")
			if label == "" && !strings.HasSuffix(stdout.String(), "progress 10%") {
				t.Errorf("a partial line that begins no secret is held back: %q", stdout.String())
			}
			io.WriteString(c, " 20% sk_")
			c.Close()
			want := prefix + "token ***\n" + prefix + "proxy said X-Key: ***\n" + prefix + "split *** end\n" + prefix + "progress 10% 20% sk_"
			if label != "" {
				want += "\n"
			}
			if got := stdout.String(); got != want {
				t.Errorf("console:\n%q\nwant:\n%q", got, want)
			}
		})
	}
}

// BenchmarkScrubbedConsole streams a console with two secrets to mask
// through the plain reporter's only console, in 32 KiB writes.
func BenchmarkScrubbedConsole(b *testing.B) {
	for _, secrets := range [][]string{nil, {"sk_live_4f9a2b7c", `p@ss"w/rd-9`}} {
		b.Run(fmt.Sprintf("secrets=%d", len(secrets)), func(b *testing.B) {
			var line bytes.Buffer
			for line.Len() < 32<<10 {
				line.WriteString("[2026-11-23T09:00:00Z] step 42: compiling internal/report/console.go, sk_ok\n")
			}
			chunk := line.Bytes()
			r, err := New(Env{Getenv: func(string) string { return "" }, Stdout: io.Discard, Stderr: io.Discard})
			if err != nil {
				b.Fatal(err)
			}
			for _, s := range secrets {
				r.Mask(s)
			}
			c := r.Console("deploy #7 console", "")
			b.SetBytes(int64(len(chunk)))
			b.ReportAllocs()
			for b.Loop() {
				c.Write(chunk)
			}
			c.Close()
		})
	}
}

// FuzzPlainConsoleScrub: however a build's console that carries secrets
// is cut into writes, the plain reporter's console prints what replacing
// them in the whole text gives.
func FuzzPlainConsoleScrub(f *testing.F) {
	f.Add("sk_live_4f9a2b7c", "a sk_live_4f9a2b7c b sk&#95;live&#95;4f9a2b7c c sk_live_4f", uint64(5), uint64(21))
	f.Fuzz(func(t *testing.T, secret, text string, cut1, cut2 uint64) {
		r, stdout, _ := newTestReporter(t, map[string]string{})
		r.Mask(secret)
		c := r.Console("deploy #7 console", "")
		stdout.Reset()
		n := uint64(len(text) + 1)
		a, b := int(cut1%n), int(cut2%n)
		a, b = min(a, b), max(a, b)
		for _, piece := range []string{text[:a], text[a:b], text[b:]} {
			io.WriteString(c, piece)
		}
		c.Close()
		if want := r.(*plain).masks.apply(text); stdout.String() != want {
			t.Fatalf("console %q, want %q", stdout.String(), want)
		}
	})
}

// TestPlainConsoleLabelMasked: outside GitHub, where no runner masks, a
// labelled console's label (a job's name, which a downstream build's
// Jenkins gives) is masked as the title of the only console is.
func TestPlainConsoleLabelMasked(t *testing.T) {
	t.Parallel()
	const tok = "sk_live_4f9a2b7c"
	r, stdout, _ := newTestReporter(t, map[string]string{})
	r.Mask(tok)
	c := r.Console("", "team/"+tok+" #1")
	io.WriteString(c, "line\n")
	c.Close()
	if got, want := stdout.String(), "team/*** #1 | line\n"; got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
}
