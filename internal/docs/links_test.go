package docs

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	codeSpan = regexp.MustCompile("(`+)[^`]*?(`+)")
	link     = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	refDef   = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s+(\S+)`)
	scheme   = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// links returns each relative link of the page, outside code, with its
// line.
func (p page) links() map[int][]string {
	out := map[int][]string{}
	p.walk(func(n int, line string) {
		line = codeSpan.ReplaceAllString(line, "")
		var targets []string
		for _, m := range link.FindAllStringSubmatch(line, -1) {
			targets = append(targets, m[1])
		}
		if m := refDef.FindStringSubmatch(line); m != nil {
			targets = append(targets, m[1])
		}
		for _, t := range targets {
			if !scheme.MatchString(t) {
				out[n] = append(out[n], t)
			}
		}
	})
	return out
}

// TestLinks follows every relative link of README.md, SECURITY.md and
// docs/ to a file that exists and, for a #fragment, to one of the
// target page's headings.
func TestLinks(t *testing.T) {
	t.Parallel()
	all := pages(t)
	byPath := map[string]page{}
	for _, p := range all {
		byPath[p.path] = p
	}
	count := 0
	for _, p := range all {
		for n, targets := range p.links() {
			for _, target := range targets {
				count++
				file, fragment, _ := strings.Cut(target, "#")
				dest := p.path
				if file != "" {
					dest = path.Clean(path.Join(path.Dir(p.path), file))
				}
				if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(dest))); err != nil {
					t.Errorf("%s:%d: link %s: no file %s", p.path, n, target, dest)
					continue
				}
				if fragment == "" {
					continue
				}
				to, ok := byPath[dest]
				if !ok {
					t.Errorf("%s:%d: link %s: a #fragment into %s, which is not a page checked here", p.path, n, target, dest)
					continue
				}
				if !to.anchors()[fragment] {
					t.Errorf("%s:%d: link %s: %s has no heading #%s", p.path, n, target, dest, fragment)
				}
			}
		}
	}
	if count == 0 {
		t.Fatal("found no relative link at all: the link pattern is broken")
	}
}

// TestREADMEIsShort holds README.md to a guide's length: what does not fit
// belongs on a page of docs/.
func TestREADMEIsShort(t *testing.T) {
	t.Parallel()
	const most = 300
	for _, p := range pages(t) {
		if p.path != "README.md" {
			continue
		}
		// The file ends with a new line, which Split counts as an empty last one.
		if n := len(p.lines) - 1; n > most {
			t.Errorf("README.md has %d lines, more than %d: move a topic to docs/ and link it", n, most)
		}
	}
}
