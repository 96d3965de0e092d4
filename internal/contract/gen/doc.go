package main

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// width is the column YAML text is folded at, as the files were written by
// hand.
const width = 78

// A doc collects a block's lines, each at the indentation of the block's
// begin marker. Its first error sticks, so that the writers need not each
// return one.
type doc struct {
	indent string
	lines  []string
	err    error
}

// add writes s, depth levels of two spaces further in; an empty s is an
// empty line, without trailing spaces.
func (d *doc) add(depth int, s string) {
	if s == "" {
		d.lines = append(d.lines, "")
		return
	}
	d.lines = append(d.lines, d.indent+strings.Repeat("  ", depth)+s)
}

// text writes key: s on one line when s fits there as a plain scalar, and
// otherwise as a folded block (>-), which needs no quoting and reads back
// as s since check keeps s on one line with single spaces.
func (d *doc) text(depth int, key, s string) {
	pad := d.indent + strings.Repeat("  ", depth)
	if line := pad + key + ": " + s; utf8.RuneCountInString(line) <= width && d.scalar(s) == s {
		d.lines = append(d.lines, line)
		return
	}
	d.lines = append(d.lines, pad+key+": >-")
	pad += "  "
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && utf8.RuneCountInString(pad+line+" "+w) > width {
			d.lines = append(d.lines, pad+line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	d.lines = append(d.lines, pad+line)
}

// scalar returns s as a YAML scalar on one line, quoted where YAML would
// read it as something else ("true", "1.0", "a: b") and plain elsewhere.
func (d *doc) scalar(s string) string {
	out, err := yaml.Marshal(s)
	v := strings.TrimSuffix(string(out), "\n")
	if err == nil && strings.Contains(v, "\n") {
		err = fmt.Errorf("%q does not fit on one line", s)
	}
	if err != nil && d.err == nil {
		d.err = fmt.Errorf("yaml: %w", err)
	}
	return v
}
