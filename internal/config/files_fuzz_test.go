package config

import (
	"strings"
	"testing"
)

// FuzzParseFiles checks that every accepted files input names each file
// once, with a name and a path that no line separator leaked into.
func FuzzParseFiles(f *testing.F) {
	for _, s := range []string{"PLAN=plan.txt", "A=a\nB=b\r\n", "A=", "=x", "A", "A=x\nA=y", "A=b=c", " \n\t\n", "A=C:\\dir\\f.txt"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		files, err := parseFiles(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, fl := range files {
			name := fl.Name
			if name == "" || name != strings.TrimSpace(name) || seen[name] {
				t.Fatalf("bad or repeated name %q in %q", name, files)
			}
			seen[name] = true
			if strings.ContainsAny(name, "=\n") || fl.Path == "" || strings.Contains(fl.Path, "\n") {
				t.Fatalf("line format leaked a separator: %q", files)
			}
			if strings.HasSuffix(fl.Path, "\r") && !strings.Contains(s, fl.Path+"\r") {
				t.Fatalf("CRLF line ending kept in path %q", fl.Path)
			}
		}
	})
}
