// Package secret knows the forms in which a secret value can come back in
// text (raw, HTML entities, percent-encoded, JSON-escaped), and replaces
// them all, in a string or in a stream as it passes. The reporter's masker
// and the Jenkins client's scrubbing both use it, so that what one hides
// the other hides too.
package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// Mask is what a secret is replaced with.
const Mask = "***"

// Forms returns the distinct forms of value that text may carry it in: as
// it is; HTML-escaped with named entities (&quot;, and &#39; or &apos;),
// as Go's html package does (&#34;), and with decimal and hex numeric
// entities, for the five characters HTML escapes or for every punctuation
// mark; percent-encoded for a query, a path, a URL's userinfo, and for
// everything but the unreserved characters, with upper- or lower-case hex;
// and JSON-escaped, with or without Go's \u003c for <, > and &, and with /
// as \/ or not. Each form is applied to the whole value: a page escapes
// all of a value the same way. It returns nil for "".
func Forms(value string) []string {
	if value == "" {
		return nil
	}
	var out []string
	add := func(f string) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	add(value)
	for _, r := range htmlNamed {
		add(r.Replace(value))
	}
	for _, format := range []string{"&#%d;", "&#x%x;", "&#x%X;", "&#X%X;"} {
		add(entities(value, format, isHTMLSpecial))
		add(entities(value, format, isPunct))
	}
	for _, f := range []string{url.QueryEscape(value), url.PathEscape(value), strings.TrimPrefix(url.UserPassword("", value).String(), ":"), percentAll(value)} {
		add(f)
		add(lowerHex(f))
	}
	for _, html := range []bool{true, false} {
		j := jsonString(value, html)
		add(j)
		add(strings.ReplaceAll(j, "/", `\/`))
	}
	return out
}

// htmlNamed are the ways HTML escapers write the five characters that
// need it with names where HTML has them.
var htmlNamed = []*strings.Replacer{
	strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;"),
	strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;"),
	strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;"),
}

func isHTMLSpecial(r rune) bool { return strings.ContainsRune(`&<>"'`, r) }

func isPunct(r rune) bool {
	return r < utf8.RuneSelf && !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
}

// entities writes each rune of s that escape picks as a numeric entity.
func entities(s, format string, escape func(rune) bool) string {
	var b strings.Builder
	for _, r := range s {
		if escape(r) {
			fmt.Fprintf(&b, format, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// percentAll percent-encodes every byte but the unreserved characters of
// RFC 3986, as JavaScript's encodeURIComponent nearly does.
func percentAll(s string) string {
	var b strings.Builder
	for i := range len(s) {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// lowerHex writes the hex digits of each %XX in lower case.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lower(b[i+1]), lower(b[i+2])
		}
	}
	return string(b)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// jsonString is s as the inside of a JSON string.
func jsonString(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s) // a string always encodes
	return string(bytes.TrimSuffix(bytes.TrimSpace(b.Bytes()), []byte(`"`))[1:])
}

// Weak reports whether value is too short or too common to mask safely:
// fewer than eight characters, or digits only. Masked, it would blank out
// ordinary text (numbers, words) in every line printed.
func Weak(value string) bool {
	if utf8.RuneCountInString(value) < 8 {
		return true
	}
	return strings.Trim(value, "0123456789") == ""
}

// Set is the forms of some secrets. Its zero value and nil hold none.
type Set struct {
	// byFirst are the forms by their first byte, longest first: where
	// two match at one place, the longer is replaced, so that no part of
	// it is left.
	byFirst [256][][]byte
	// pairs has a bit for the first two bytes of each form, and single
	// for the first byte of a one-byte form: most places that begin with
	// a form's first byte go on otherwise, and are passed at once.
	pairs   [1 << 16 / 64]uint64
	single  [256]bool
	forms   []string
	longest int
}

func (s *Set) mayBegin(src []byte, i int) bool {
	if len(s.byFirst[src[i]]) == 0 {
		return false
	}
	if i+1 == len(src) || s.single[src[i]] {
		return true
	}
	p := uint16(src[i])<<8 | uint16(src[i+1])
	return s.pairs[p/64]&(1<<(p%64)) != 0
}

// NewSet returns the set of every form of each value; empty values are
// left out.
func NewSet(values ...string) *Set {
	s := &Set{}
	for _, v := range values {
		for _, f := range Forms(v) {
			if !slices.Contains(s.forms, f) {
				s.forms = append(s.forms, f)
			}
		}
	}
	slices.SortStableFunc(s.forms, func(a, b string) int { return len(b) - len(a) })
	for _, f := range s.forms {
		s.byFirst[f[0]] = append(s.byFirst[f[0]], []byte(f))
		s.longest = max(s.longest, len(f))
		if len(f) == 1 {
			s.single[f[0]] = true
		} else {
			p := uint16(f[0])<<8 | uint16(f[1])
			s.pairs[p/64] |= 1 << (p % 64)
		}
	}
	return s
}

// Forms lists every form in the set, longest first.
func (s *Set) Forms() []string {
	if s == nil {
		return nil
	}
	return s.forms
}

// Longest is the length of the longest form, 0 for an empty set: a stream
// holds back fewer bytes than that.
func (s *Set) Longest() int {
	if s == nil {
		return 0
	}
	return s.longest
}

// Contains reports whether text holds any form of a secret.
func (s *Set) Contains(text string) bool {
	for _, f := range s.Forms() {
		if strings.Contains(text, f) {
			return true
		}
	}
	return false
}

// Replace returns text with every form replaced by Mask.
func (s *Set) Replace(text string) string {
	if s.Longest() == 0 {
		return text
	}
	out, _ := s.Scrub(nil, []byte(text), true)
	return string(out)
}

// Scrub appends src to dst with every form replaced by Mask, scanning from
// the left and replacing at each place the longest form found there. Unless
// final, it stops at the first place where a form could begin that src
// ends too early to tell, and returns how much of src it used: the caller
// holds the rest back until more comes, which then decides exactly as if
// it had come at once. At most Longest()-1 bytes are left.
func (s *Set) Scrub(dst, src []byte, final bool) (out []byte, used int) {
	if s.Longest() == 0 {
		return append(dst, src...), len(src)
	}
	copied := 0
	for i := 0; i < len(src); i++ {
		if !s.mayBegin(src, i) {
			continue
		}
		n, open := match(s.byFirst[src[i]], src[i:], final)
		switch {
		case open:
			return append(dst, src[copied:i]...), i
		case n > 0:
			dst = append(append(dst, src[copied:i]...), Mask...)
			i += n - 1
			copied = i + 1
		}
	}
	return append(dst, src[copied:]...), len(src)
}

// match returns the length of the longest of forms that rest begins with,
// or open when rest is too short to tell whether a longer one is there.
func match(forms [][]byte, rest []byte, final bool) (n int, open bool) {
	for _, f := range forms {
		if len(rest) >= len(f) {
			if bytes.HasPrefix(rest, f) {
				return len(f), false
			}
		} else if !final && bytes.HasPrefix(f, rest) {
			return 0, true
		}
	}
	return 0, false
}
