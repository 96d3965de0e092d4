package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
)

// check refuses a declaration the files could not state faithfully: a
// description folded in YAML reads back with single spaces on one line, a
// name is a key in YAML and a shell variable's suffix, and a choice is an
// item of a YAML flow sequence.
func check(c decl) error {
	names := map[string]bool{}
	for _, in := range c.inputs {
		if err := checkInput(in, names); err != nil {
			return fmt.Errorf("input %s: %w", in.Name, err)
		}
	}
	for name := range componentReports {
		i := slices.IndexFunc(c.inputs, func(in contract.Input) bool { return in.Name == name })
		switch {
		case i < 0:
			return fmt.Errorf("the component publishes input %s as a report, and there is no such input", name)
		case c.inputs[i].Default != "":
			return fmt.Errorf("input %s: the component's default is for an input the contract leaves empty, and it defaults to %q", name, c.inputs[i].Default)
		}
	}
	inputs := names
	names = map[string]bool{}
	for _, o := range c.outputs {
		if err := checkName(o.Name, names); err != nil {
			return fmt.Errorf("output %s: %w", o.Name, err)
		}
		if inputs[o.Name] {
			// GitLab hands a job's dotenv outputs to later jobs as
			// JENKINS_<NAME>, where a later step would read its input.
			return fmt.Errorf("output %s is named like an input", o.Name)
		}
		if err := checkText(o.Description); err != nil {
			return fmt.Errorf("output %s: %w", o.Name, err)
		}
	}
	return nil
}

func checkInput(in contract.Input, names map[string]bool) error {
	if err := checkName(in.Name, names); err != nil {
		return err
	}
	if err := checkText(in.Description, in.DefaultDoc, in.Default); err != nil {
		return err
	}
	for _, o := range in.Choices {
		if o == "" || strings.Trim(o, "abcdefghijklmnopqrstuvwxyz0123456789._-") != "" {
			return fmt.Errorf("choice %q is not a lower-case word", o)
		}
	}
	if in.Boolean && !slices.Contains([]string{"", "true", "false"}, in.Default) {
		return fmt.Errorf("a boolean defaults to true, false or nothing, not %q", in.Default)
	}
	return nil
}

// checkName accepts a new snake_case name.
func checkName(name string, seen map[string]bool) error {
	if name == "" || name[0] < 'a' || name[0] > 'z' || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		return fmt.Errorf("%q is not snake_case", name)
	}
	if seen[name] {
		return errors.New("declared twice")
	}
	seen[name] = true
	return nil
}

// checkText accepts texts on one line, single-spaced, without backticks,
// which would end the code spans the README sets words in. The first is a
// description, which must say something.
func checkText(texts ...string) error {
	if texts[0] == "" {
		return errors.New("no description")
	}
	for _, s := range texts {
		if strings.Join(strings.Fields(s), " ") != s || strings.Contains(s, "`") {
			return fmt.Errorf("%q is not one line of single-spaced text without backticks", s)
		}
	}
	return nil
}
