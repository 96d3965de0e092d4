package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The inputs and outputs are generated into action.yml, binary/action.yml,
// templates/trigger.yml and README.md from internal/contract, whose gen
// tests hold them there. The exit codes are this package's, and README.md
// states them by hand: this test holds the two together.

// readmeTable returns the rows of the README table that follows heading.
func readmeTable(t *testing.T, heading string) [][]string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", heading)
	}
	var rows [][]string
	inTable := false
	for line := range strings.SplitSeq(rest, "\n") {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if strings.HasPrefix(cells[0], "---") {
			continue
		}
		rows = append(rows, cells)
	}
	if len(rows) == 0 {
		t.Fatalf("README.md has no table under %q", heading)
	}
	return rows[1:] // the header
}

var codeSpan = regexp.MustCompile("`([^`]*)`")

func unquote(s string) string { return codeSpan.ReplaceAllString(s, "$1") }

func TestREADMEExitCodes(t *testing.T) {
	t.Parallel()
	rows := readmeTable(t, "## Exit codes")
	if len(rows) != len(ExitCodes) {
		t.Fatalf("README lists %d exit codes, the code %d", len(rows), len(ExitCodes))
	}
	for i, c := range ExitCodes {
		if rows[i][0] != c.Code || unquote(rows[i][1]) != c.Meaning {
			t.Errorf("README row %q, code %q %q", rows[i], c.Code, c.Meaning)
		}
	}
}
