package artifacts

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// TestLedger: a path is written for one build only, whichever way another
// build would reach it.
func TestLedger(t *testing.T) {
	t.Parallel()
	type claim struct{ dir, rel, build string }
	for _, tt := range []struct {
		name    string
		claims  []claim
		wantErr string // of the last claim; "" when every claim holds
	}{
		{"apart", []claim{{"out/a/1", "x", "a #1"}, {"out/a/2", "x", "a #2"}, {"out/b", "b/x", "b #1"}}, ""},
		{"the same file", []claim{{"out/a", "b/x", "a #1"}, {"out/a/b", "x", "a/b #3"}}, `it would overwrite a #1's "b/x"`},
		{"the same file, by case", []claim{{"out/App", "x", "App #1"}, {"out/app", "X", "app #1"}}, `it would overwrite App #1's "x"`},
		{"the same file, by normalization", []claim{{"out/caf\u00e9", "x", "a #1"}, {"out/cafe\u0301", "x", "b #1"}}, `it would overwrite a #1's "x"`},
		{"a file where a directory is needed", []claim{{"out/a", "b/x", "a #1"}, {"out/a", "b", "c #2"}}, `it would be written where a #1 needs a directory for its "b/x"`},
		{"a directory where a file is", []claim{{"out/a", "b", "a #1"}, {"out/a/b/c", "x", "c #2"}}, `it needs a directory where a #1's "b" is written`},
		{"files beside each other", []claim{{"out/a", "b/x", "a #1"}, {"out/a", "b/y", "a #1"}, {"out/a/b", "z", "b #1"}}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := NewLedger()
			for i, c := range tt.claims {
				err := l.claim(filepath.Join(filepath.FromSlash(c.dir), filepath.FromSlash(c.rel)), c.rel, c.build)
				last := i == len(tt.claims)-1
				switch {
				case last && tt.wantErr != "":
					if err == nil || err.Error() != tt.wantErr {
						t.Errorf("error %v, want %q", err, tt.wantErr)
					}
				case err != nil:
					t.Errorf("claim %d: %v", i+1, err)
				}
			}
		})
	}
}

// TestLedgerRefusedLeavesNoTrace: a refused claim records nothing, not
// even the directories above it.
func TestLedgerRefusedLeavesNoTrace(t *testing.T) {
	t.Parallel()
	l := NewLedger()
	if err := l.claim(filepath.Join("out", "a", "x"), "x", "a #1"); err != nil {
		t.Fatal(err)
	}
	if err := l.claim(filepath.Join("out", "a", "x", "y", "z"), "x/y/z", "b #1"); err == nil {
		t.Fatal("a file below another was not refused")
	}
	if err := l.claim(filepath.Join("out", "a", "x2", "y"), "x2/y", "b #1"); err != nil {
		t.Fatal(err)
	}
	if err := l.claim(filepath.Join("out", "a", "x", "y"), "x/y", "c #1"); err == nil || !strings.Contains(err.Error(), "a #1") {
		t.Errorf("error %v, want one naming a #1", err)
	}
}

// TestLedgerConcurrent: of builds claiming one path at once, one gets it.
func TestLedgerConcurrent(t *testing.T) {
	t.Parallel()
	l := NewLedger()
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() { errs[i] = l.claim(filepath.Join("out", "a", "x"), "x", fmt.Sprintf("a #%d", i+1)) })
	}
	wg.Wait()
	held := 0
	for _, err := range errs {
		if err == nil {
			held++
		}
	}
	if held != 1 {
		t.Errorf("%d builds hold the path", held)
	}
}

// TestFetchWritesNothingTwice: with a ledger, a build whose file another
// build of the step wrote writes the rest of its files, and not that one,
// and the error names both builds.
func TestFetchWritesNothingTwice(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		first := &fakeJenkins{list: []string{"b/x"}, files: map[string][]byte{"b/x": []byte("first")}}
		second := &fakeJenkins{list: []string{"x", "y"}, files: map[string][]byte{"x": []byte("second"), "y": []byte("y")}}
		out := filepath.Join(t.TempDir(), "out")
		l := NewLedger()
		ctx := context.Background()
		if _, _, err := Fetch(ctx, newClient(t, first), Options{Patterns: []string{"**"}, Dir: filepath.Join(out, "a"), Ledger: l, Build: "a #1"}); err != nil {
			t.Fatal(err)
		}
		got, _, err := Fetch(ctx, newClient(t, second), Options{Patterns: []string{"**"}, Dir: filepath.Join(out, "a", "b"), Ledger: l, Build: "a/b #3"})
		if want := `refused 1 artifact(s), nothing written for them: "x" (it would overwrite a #1's "b/x")`; err == nil || err.Error() != want {
			t.Errorf("error %v, want %q", err, want)
		}
		if len(got) != 1 || got[0].Path != "y" {
			t.Errorf("fetched %v, want y only", got)
		}
		if data, _ := os.ReadFile(filepath.Join(out, "a", "b", "x")); string(data) != "first" {
			t.Errorf("a #1's b/x holds %q", data)
		}
		if n := second.downloads.Load(); n != 1 {
			t.Errorf("%d downloads of a/b #3's files, want 1", n)
		}
	})
}
