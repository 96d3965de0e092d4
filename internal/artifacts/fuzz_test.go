package artifacts

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLocalPath: a relativePath the check lets through is written inside
// the directory, as the file system resolves it, and nowhere else.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"dist/app.zip", "../x", "a/../../x", "/etc/passwd", `C:\x`, `a\..\x`, "a//b", "C:/x", "a/./b", "..", "CON", "a:b", ".hidden/x", "x/..."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rel string) {
		local, err := localPath(rel)
		if err != nil {
			return
		}
		parent := t.TempDir()
		dir := filepath.Join(parent, "out")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		root, err := os.OpenRoot(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		if _, err := save(root, local, func(w Writer) (int64, error) {
			n, err := w.Write([]byte("data"))
			return int64(n), err
		}); err != nil {
			// The system may refuse a name (too long, reserved); what
			// matters is that nothing lands outside.
			if entries, _ := os.ReadDir(parent); len(entries) != 1 {
				t.Fatalf("%q: a failed write left %d entries beside the directory", rel, len(entries))
			}
			return
		}
		real, err := filepath.EvalSymlinks(filepath.Join(dir, local))
		if err != nil {
			t.Fatalf("%q: written but not found: %v", rel, err)
		}
		inside, err := filepath.Rel(dir, real)
		if err != nil || !filepath.IsLocal(inside) {
			t.Fatalf("%q resolved to %s, outside %s", rel, real, dir)
		}
		if data, _ := os.ReadFile(real); !bytes.Equal(data, []byte("data")) {
			t.Fatalf("%q: wrong content", rel)
		}
		entries, _ := os.ReadDir(parent)
		if len(entries) != 1 {
			t.Fatalf("%q: %d entries beside the directory", rel, len(entries))
		}
	})
}

// FuzzChoose: patterns never panic the matcher, and a plain path chooses
// itself, its directory's tree chooses it, and ** chooses everything.
func FuzzChoose(f *testing.F) {
	for _, s := range [][2]string{{"dist/*.zip", "dist/a.zip"}, {"**/*.xml", "r/x.xml"}, {"reports/", "reports/a/b"}, {"a[1]{b}", "a[1]{b}"}, {`a\b`, "a/b"}, {"***", "x"}, {"[", "["}, {"**/", "a"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		choose([]string{pattern}, []string{path})
		if _, err := localPath(path); err != nil || strings.ContainsAny(path, "*?") || strings.TrimSpace(path) != path {
			return
		}
		for _, p := range []string{path, "**"} {
			got, _, err := choose([]string{p}, []string{path})
			if err != nil || len(got) != 1 {
				t.Fatalf("%q does not choose %q: %v", p, path, err)
			}
		}
		if i := strings.LastIndex(path, "/"); i > 0 {
			if got, _, _ := choose([]string{path[:i+1]}, []string{path}); len(got) != 1 {
				t.Fatalf("%q does not choose %q", path[:i+1], path)
			}
		}
	})
}

// FuzzParsePatterns: every pattern returned is trimmed, non-empty, free of
// separators, and compiles.
func FuzzParsePatterns(f *testing.F) {
	for _, s := range []string{"dist/*.zip", " a/** , b/*.xml\n c/", ",,\n", "a\r\nb", "[", "{a,b}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePatterns(s)
		if err != nil {
			return
		}
		for _, p := range ps {
			if p == "" || strings.TrimSpace(p) != p || strings.ContainsAny(p, ",\n\r") {
				t.Fatalf("ParsePatterns(%q) gave %q", s, p)
			}
			if _, err := compile(p); err != nil {
				t.Fatalf("ParsePatterns(%q) gave %q, which does not compile: %v", s, p, err)
			}
		}
	})
}
