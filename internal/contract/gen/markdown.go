package main

import (
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
)

// readmeInputs writes README.md's table of inputs. The empty lines around
// it keep Markdown from reading a marker as a row.
func readmeInputs(c decl) func(*doc) {
	return func(d *doc) {
		d.add(0, "")
		d.add(0, "| input | environment (non-GitHub) | default | meaning |")
		d.add(0, "|---|---|---|---|")
		for _, in := range c.inputs {
			d.add(0, "| "+code(in.Name)+" | "+code(in.Env())+" | "+defaultCell(c, in)+" | "+markdown(in.Description, nil)+" |")
		}
		d.add(0, "")
	}
}

func readmeOutputs(c decl) func(*doc) {
	return func(d *doc) {
		d.add(0, "")
		d.add(0, "| output | value |")
		d.add(0, "|---|---|")
		for _, o := range c.outputs {
			d.add(0, "| "+code(o.Name)+" | "+markdown(o.Description, nil)+" |")
		}
		d.add(0, "")
	}
}

// defaultCell says an input's default as the README's column does: the
// value, required, empty, or DefaultDoc with the inputs and the booleans it
// names set as code.
func defaultCell(c decl, in contract.Input) string {
	switch {
	case in.DefaultDoc != "":
		names := map[string]bool{"true": true, "false": true}
		for _, in := range c.inputs {
			names[in.Name] = true
		}
		return markdown(in.DefaultDoc, names)
	case in.Required:
		return "required"
	case in.Default == "":
		return "empty"
	default:
		return code(in.Default)
	}
}

// markdown writes plain text for a table cell. A word that reads as code
// (codeLike, or one of names) is set in backticks, which also keeps
// Markdown from reading a * as emphasis or a URL as a link; anything else
// Markdown would read is escaped.
func markdown(s string, names map[string]bool) string {
	words := strings.Split(s, " ")
	for i, w := range words {
		core := strings.TrimLeft(w, "(")
		lead := w[:len(w)-len(core)]
		core = strings.TrimRight(core, "),.;:")
		trail := w[len(lead)+len(core):]
		if codeLike(core) || names[core] {
			core = code(core)
		} else {
			core = escape(core)
		}
		words[i] = lead + core + trail
	}
	return strings.Join(words, " ")
}

// codeLike says whether a word reads as code: a URL, a path or a pattern
// (/, *), NAME=value, a key:path, a snake_case name. Quoted words are
// parts of a JSON example, which reads as it is.
func codeLike(w string) bool {
	if w == "" || strings.ContainsAny(w, "\"`") {
		return false
	}
	return strings.ContainsAny(w, "/=*") || strings.Contains(strings.Trim(w, ":"), ":") || snakeCase(w)
}

func snakeCase(w string) bool {
	parts := strings.Split(w, "_")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			return false
		}
	}
	return true
}

// code sets s in backticks; check keeps backticks out of what it is given.
// A | must be escaped even there, or it ends the table's cell.
func code(s string) string { return "`" + strings.ReplaceAll(s, "|", `\|`) + "`" }

// escape keeps Markdown from reading s as anything but text. An _ inside a
// word is text already.
func escape(s string) string {
	var b strings.Builder
	for i, r := range s {
		if strings.ContainsRune("\\`*[]<>|~", r) || r == '_' && (i == 0 || i == len(s)-1) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
