package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// root is the repository, seen from this package's directory, where go
// test runs.
const root = "../.."

// page is one Markdown file, by its path from the repository's root.
type page struct {
	path  string
	lines []string
}

// block is one fenced code block of a page.
type block struct {
	page string
	line int // of the block's first line of content, from 1
	info string
	text string
}

func (b block) String() string { return b.page + ":" + strconv.Itoa(b.line) }

// pages reads README.md, SECURITY.md and every page under docs/.
func pages(t *testing.T) []page {
	t.Helper()
	paths := []string{"README.md", "SECURITY.md"}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range more {
		paths = append(paths, "docs/"+filepath.Base(m))
	}
	var out []page
	for _, p := range paths {
		data, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page{p, strings.Split(string(data), "\n")})
	}
	return out
}

// fence returns the fence a line opens or closes (its character repeated,
// three or more times), its info string and its indentation.
func fence(line string) (marker, info string, indent int) {
	trimmed := strings.TrimLeft(line, " ")
	indent = len(line) - len(trimmed)
	for _, c := range []string{"`", "~"} {
		n := len(trimmed) - len(strings.TrimLeft(trimmed, c))
		if n >= 3 {
			return trimmed[:n], strings.TrimSpace(trimmed[n:]), indent
		}
	}
	return "", "", 0
}

// walk calls text for each line outside code blocks and returns the code
// blocks. A block closes, as in CommonMark, at a fence of its character at
// least as long, with no info string: a ```` block may hold ``` ones.
func (p page) walk(text func(n int, line string)) []block {
	var (
		out    []block
		open   string
		indent int
		cur    *block
		body   []string
	)
	for i, line := range p.lines {
		marker, info, in := fence(line)
		switch {
		case open == "" && marker != "":
			open, indent = marker, in
			cur, body = &block{page: p.path, line: i + 2, info: info}, nil
		case open != "" && marker != "" && info == "" && marker[0] == open[0] && len(marker) >= len(open):
			cur.text = strings.Join(body, "\n") + "\n"
			out = append(out, *cur)
			open = ""
		case open != "":
			// A block in a list item is indented as its fence is.
			body = append(body, line[min(indent, len(line)-len(strings.TrimLeft(line, " "))):])
		default:
			if text != nil {
				text(i+1, line)
			}
		}
	}
	return out
}

var heading = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)

// anchors returns the ids GitHub gives the page's headings: lower case,
// punctuation dropped, spaces made hyphens, and -1, -2 on repeats.
func (p page) anchors() map[string]bool {
	ids := map[string]bool{}
	seen := map[string]int{}
	p.walk(func(_ int, line string) {
		m := heading.FindStringSubmatch(line)
		if m == nil {
			return
		}
		var b strings.Builder
		for _, r := range strings.ToLower(m[2]) {
			switch {
			case unicode.IsLetter(r), unicode.IsNumber(r), unicode.IsMark(r), r == '-', r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteByte('-')
			}
		}
		id := b.String()
		if n := seen[id]; n > 0 {
			ids[id+"-"+strconv.Itoa(n)] = true
		} else {
			ids[id] = true
		}
		seen[id]++
	})
	return ids
}
