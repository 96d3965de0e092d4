package artifacts

import (
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// ParsePatterns splits the artifacts input into its patterns: separated by
// commas or new lines, each trimmed, empty ones dropped. A pattern is
// Ant-style, as Jenkins' archiveArtifacts takes it.
func ParsePatterns(s string) ([]string, error) {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if _, err := compile(p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// compile turns an Ant pattern into a doublestar one. Ant knows only '*',
// '?' and '**', takes '\' as a separator, and reads a pattern ending in a
// separator as that directory's whole tree; doublestar's other specials
// are literal characters to Ant.
func compile(ant string) (string, error) {
	if strings.ContainsFunc(ant, isControl) {
		return "", fmt.Errorf("artifact pattern %q has a control character", ant)
	}
	p := strings.ReplaceAll(ant, `\`, "/")
	p = strings.NewReplacer("[", `\[`, "]", `\]`, "{", `\{`, "}", `\}`).Replace(p)
	if strings.HasSuffix(p, "/") {
		p += "**"
	}
	if !doublestar.ValidatePattern(p) {
		return "", fmt.Errorf("artifact pattern %q is not valid", ant)
	}
	return p, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// choose returns the paths that match any of the patterns, in the order
// given, and the patterns that matched none.
func choose(patterns, paths []string) (chosen []string, unmatched []string, err error) {
	compiled := make([]string, len(patterns))
	for i, p := range patterns {
		if compiled[i], err = compile(p); err != nil {
			return nil, nil, err
		}
	}
	used := make([]bool, len(patterns))
	seen := map[string]bool{}
	for _, path := range paths {
		if seen[path] {
			continue
		}
		seen[path] = true
		hit := false
		for i, p := range compiled {
			if doublestar.MatchUnvalidated(p, path) {
				used[i], hit = true, true
			}
		}
		if hit {
			chosen = append(chosen, path)
		}
	}
	for i, p := range patterns {
		if !used[i] {
			unmatched = append(unmatched, p)
		}
	}
	return chosen, unmatched, nil
}
