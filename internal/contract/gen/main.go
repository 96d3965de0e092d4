// Command gen writes the blocks of action.yml, binary/action.yml,
// templates/trigger.yml and README.md that state the contract, from
// internal/contract's Inputs and Outputs, so that none of them can drift
// from what the code reads and writes. Each block lies between two marker
// lines; gen rewrites what is between them, and the rest of each file stays
// written by hand. go generate ./internal/contract runs it as
//
//	go run ./gen -root ../..
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
)

// regenerate is the command that brings the files up to date, for the
// markers and the messages that ask for it.
const regenerate = "go generate ./internal/contract"

func main() {
	root := flag.String("root", ".", "the repository's root directory")
	flag.Parse()
	if err := run(*root); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// run rewrites the files under root that the contract changes. Every file
// is generated before any is written, so a missing marker leaves them all
// as they were.
func run(root string) error {
	outs, err := generate(root, decl{contract.Inputs, contract.Outputs})
	if err != nil {
		return err
	}
	for _, o := range outs {
		if bytes.Equal(o.old, o.gen) {
			continue
		}
		// An existing file keeps its mode: WriteFile's applies to new ones.
		if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(o.path)), o.gen, 0o644); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	return nil
}

// decl is the contract as the generator reads it; tests give their own.
type decl struct {
	inputs  []contract.Input
	outputs []contract.Output
}

// output is one file as it is under the root and as the contract makes it.
type output struct {
	path     string // from the root, slash-separated
	old, gen []byte
}

// generate returns every file as c makes it from the files under root.
func generate(root string, c decl) ([]output, error) {
	if err := check(c); err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	var outs []output
	for _, f := range files(c) {
		old, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.path)))
		if err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
		gen, err := f.fill(old)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.path, err)
		}
		outs = append(outs, output{f.path, old, gen})
	}
	return outs, nil
}
