package main

import (
	"fmt"
	"strings"
)

// A file is one file the generator writes into, and its blocks.
type file struct {
	path   string
	syntax syntax
	blocks []block
}

// A block is one generated part of a file, found by its name in the line
// that begins it.
type block struct {
	name   string
	source string // the declaration's file in internal/contract, named in YAML markers
	render func(*doc)
}

// A syntax is how a file's markers are written: as YAML comments, or as
// HTML comments, which Markdown does not render.
type syntax int

const (
	yamlSyntax syntax = iota
	markdownSyntax
)

// key begins every begin marker of the syntax; the block's name follows.
func (s syntax) key() string {
	if s == markdownSyntax {
		return "<!-- generated: "
	}
	return "# generated: "
}

func (s syntax) begin(b block) string {
	if s == markdownSyntax {
		return s.key() + b.name + " (" + regenerate + ") -->"
	}
	return s.key() + b.name + " (" + regenerate + " from internal/contract/" + b.source + "); do not edit."
}

func (s syntax) end() string {
	if s == markdownSyntax {
		return "<!-- end generated -->"
	}
	return "# end generated"
}

// fill returns text with each block rewritten between its markers.
func (f file) fill(text []byte) ([]byte, error) {
	lines := strings.Split(string(text), "\n")
	for _, b := range f.blocks {
		var err error
		if lines, err = f.splice(lines, b); err != nil {
			return nil, err
		}
	}
	return []byte(strings.Join(lines, "\n")), nil
}

// splice replaces block b, its markers included, with b as the contract
// writes it, at the indentation of its begin marker.
func (f file) splice(lines []string, b block) ([]string, error) {
	begin, end, err := f.locate(lines, b)
	if err != nil {
		return nil, err
	}
	line := lines[begin]
	d := &doc{indent: line[:len(line)-len(strings.TrimLeft(line, " "))]}
	d.add(0, f.syntax.begin(b))
	b.render(d)
	d.add(0, f.syntax.end())
	if d.err != nil {
		return nil, fmt.Errorf("%s block: %w", b.name, d.err)
	}
	return append(lines[:begin:begin], append(d.lines, lines[end+1:]...)...), nil
}

// locate returns the lines of block b's markers. A marker missing, or one
// written twice, is an error: guessing where the block goes could
// overwrite what was written by hand.
func (f file) locate(lines []string, b block) (begin, end int, err error) {
	key := f.syntax.key() + b.name + " ("
	begin = -1
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), key) {
			if begin >= 0 {
				return 0, 0, fmt.Errorf("lines %d and %d both begin the %s block", begin+1, i+1, b.name)
			}
			begin = i
		}
	}
	if begin < 0 {
		return 0, 0, fmt.Errorf("no marker line %q begins the %s block", f.syntax.begin(b), b.name)
	}
	for i := begin + 1; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == f.syntax.end() {
			return begin, i, nil
		}
		if strings.HasPrefix(l, f.syntax.key()) {
			break // the next block begins before this one ends
		}
	}
	return 0, 0, fmt.Errorf("no marker line %q ends the %s block begun on line %d", f.syntax.end(), b.name, begin+1)
}
