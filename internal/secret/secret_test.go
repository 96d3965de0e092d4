package secret

import (
	"slices"
	"strings"
	"testing"
)

// TestForms: each way a page or an API writes a value back is among its
// forms.
func TestForms(t *testing.T) {
	t.Parallel()
	const odd = `k"e<y>&'/ +%=`
	for _, tt := range []struct {
		name, value, form string
	}{
		{"raw", odd, odd},
		{"named entities", `a"b`, "a&quot;b"},
		{"Go html: decimal quote", `a"b`, "a&#34;b"},
		{"hex quote", `a"b`, "a&#x22;b"},
		{"upper-case hex", `a<b`, "a&#x3C;b"},
		{"apostrophe named", "a'b", "a&apos;b"},
		{"every punctuation mark as hex", "a/b-c", "a&#x2f;b&#x2d;c"},
		{"query escape", "a b/c+d", "a+b%2Fc%2Bd"},
		{"path escape", "a b/c", "a%20b%2Fc"},
		{"lower-case percent", "a/b", "a%2fb"},
		{"userinfo escape", "p@ss:w/rd", "p%40ss%3Aw%2Frd"},
		{"JSON, Go's HTML escaping", "a<b>&c", `a\u003cb\u003e\u0026c`},
		{"JSON quote and backslash", `a"b\c`, `a\"b\\c`},
		{"JSON slash escaped", "a/b", `a\/b`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if forms := Forms(tt.value); !slices.Contains(forms, tt.form) {
				t.Errorf("Forms(%q) = %q lacks %q", tt.value, forms, tt.form)
			}
		})
	}
	if forms := Forms("plainvalue123"); len(forms) != 1 {
		t.Errorf("a value with nothing to escape has forms %q", forms)
	}
	if Forms("") != nil {
		t.Error("the empty value has forms")
	}
}

// TestReplace: every form is replaced, and where two overlap the longer
// goes whole.
func TestReplace(t *testing.T) {
	t.Parallel()
	s := NewSet(`sk"live`, "abc", "abcdef")
	for _, tt := range []struct{ in, want string }{
		{`proxy echo: X-Key: sk&#34;live`, "proxy echo: X-Key: ***"},
		{`{"k":"sk\"live"}`, `{"k":"***"}`},
		{"?k=sk%22live", "?k=***"},
		{"abcdefg abc ab", "***g *** ab"},
		{"nothing here", "nothing here"},
	} {
		if got := s.Replace(tt.in); got != tt.want {
			t.Errorf("Replace(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := (*Set)(nil).Replace("abc"); got != "abc" {
		t.Errorf("nil set replaced: %q", got)
	}
}

// TestWeak: short and digit-only values are weak, a long random one not.
func TestWeak(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{"1": true, "http": true, "1000": true, "1234567890123": true, "sk_live_4f9a": false, "pa55w0rd": false, "ééééééé": true} {
		if got := Weak(v); got != want {
			t.Errorf("Weak(%q) = %v", v, got)
		}
	}
}

// scrubSplit runs text through Scrub in the pieces splits cut it into, as
// a stream does, holding back what Scrub leaves, and checks the bound on
// what is held.
func scrubSplit(t *testing.T, s *Set, text string, splits []int) string {
	var out, held []byte
	last := 0
	for _, cut := range append(splits, len(text)) {
		cut = min(max(cut, last), len(text))
		var used int
		data := append(held, text[last:cut]...)
		out, used = s.Scrub(out, data, false)
		held = append([]byte(nil), data[used:]...)
		if len(held) >= max(s.Longest(), 1) {
			t.Fatalf("held %d bytes, longest form %d", len(held), s.Longest())
		}
		last = cut
	}
	out, _ = s.Scrub(out, held, true)
	return string(out)
}

// TestScrubSplit: a secret cut across two writes is still replaced.
func TestScrubSplit(t *testing.T) {
	t.Parallel()
	s := NewSet("tok3n-s3cret", "tok3n-s3")
	text := "a tok3n-s3cret b tok3n-s3c tok3n-s3cret"
	want := "a *** b ***c ***"
	for cut := range len(text) {
		if got := scrubSplit(t, s, text, []int{cut}); got != want {
			t.Errorf("cut at %d: %q, want %q", cut, got, want)
		}
	}
}

// FuzzScrub: however a text with secrets in it is split, the stream gives
// what replacing in the whole text gives, as strings.Replacer does it with
// the longer forms first.
func FuzzScrub(f *testing.F) {
	f.Add("tok3n-s3cret", "ab", "x tok3n-s3cret y tok&#34;3n tok3n-s3cr", uint64(7), uint64(3))
	f.Add(`p"w&d`, "aaaa", `p&quot;w&amp;d p\"w\u0026d aaaaaa`, uint64(12), uint64(1))
	f.Fuzz(func(t *testing.T, secret1, secret2, text string, cut1, cut2 uint64) {
		s := NewSet(secret1, secret2)
		var pairs []string
		for _, form := range s.Forms() {
			pairs = append(pairs, form, Mask)
		}
		want := text
		if len(pairs) > 0 {
			want = strings.NewReplacer(pairs...).Replace(text)
		}
		if got := s.Replace(text); got != want {
			t.Fatalf("Replace = %q, want %q", got, want)
		}
		n := uint64(len(text) + 1)
		cuts := []int{int(cut1 % n), int(cut2 % n)}
		slices.Sort(cuts)
		if got := scrubSplit(t, s, text, cuts); got != want {
			t.Fatalf("split at %v: %q, want %q", cuts, got, want)
		}
	})
}
