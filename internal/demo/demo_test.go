package demo

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOnlyTheDemoLinksTheFake holds the package doc to its word: of the
// product's own code, only this package imports the test fake.
func TestOnlyTheDemoLinksTheFake(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../*.go")
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob("../*/*.go")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, more...)
	const fake = "github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
	var checked int
	for _, name := range files {
		dir := filepath.Base(filepath.Dir(name))
		if strings.HasSuffix(name, "_test.go") || dir == "demo" || dir == "jenkinstest" || dir == "benchmark" {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); path == fake {
				t.Errorf("%s imports the test fake; only internal/demo may", name)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d files; the globs no longer find the product's code", checked)
	}
}
