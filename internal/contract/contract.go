// Package contract declares jenkins-trigger's public contract once: every
// input, with its environment names, default, choices, whether it is a
// secret or a boolean, and its description; every output; and InputError,
// the one error that names an input the run cannot take. config decodes the
// inputs from this declaration, the command's help and the reporter read
// it, and `go generate ./...` writes action.yml, binary/action.yml,
// templates/trigger.yml and README.md's tables from it (see gen/). Users
// script against what it says: changing a name, a default or a meaning is a
// breaking change.
package contract

//go:generate go run ./gen -root ../..

import (
	"fmt"
	"strings"
)

// Input declares one input.
type Input struct {
	// Name is the input's snake_case name, as in action.yml.
	Name string
	// Default is the value of an input not given; "" for none.
	Default string
	// DefaultDoc states a default that depends on other inputs, as the
	// docs say it; "" when Default says it all.
	DefaultDoc string
	Required   bool
	// Secret inputs are masked, never printed, and never inputs of the
	// GitLab component, whose inputs anyone who reads the project reads.
	Secret bool
	// Boolean inputs take true/false (any case), 1/0, yes/no.
	Boolean bool
	// Choices are the values an input that names one of a few takes.
	Choices []string
	// Description says what it does, in sentences; its first is the
	// summary --help shows.
	Description string
}

// Env is the input's variable everywhere but on GitHub: JENKINS_<NAME>.
func (in Input) Env() string { return "JENKINS_" + in.suffix() }

// GitHubEnv is the variable the GitHub runner passes the input in:
// INPUT_<NAME>. A non-empty one wins over Env.
func (in Input) GitHubEnv() string { return "INPUT_" + in.suffix() }

func (in Input) suffix() string { return strings.ToUpper(in.Name) }

// InputError is bad input, wrong on its own or against what Jenkins says
// of the job: the run stops before anything is triggered. Bad input of
// every kind is this one type, so that each reads the same, naming the
// input, and has the one exit code cli gives it.
type InputError struct {
	// Input is the input's name, e.g. "timeout"; "" when the fault is in
	// the inputs as a whole.
	Input string
	Err   error
}

func (e *InputError) Error() string {
	if e.Input == "" {
		return fmt.Sprintf("inputs: %v", e.Err)
	}
	return fmt.Sprintf("input %s (%s): %v", e.Input, Input{Name: e.Input}.Env(), e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// Output declares one step output.
type Output struct {
	Name        string
	Description string
	// Text is where the value holds free text, the only place where
	// Jenkins could have echoed a secret into it; the rest is never taken
	// for such an echo.
	Text Text
}

// Text says which part of an output's value is free text: names that come
// from Jenkins or from the inputs, such as a stage's or a job's. The zero
// Text says all of it is.
type Text struct {
	// None is set for a value the step makes itself: a URL, a number or
	// a result.
	None bool
	// Fields, for a JSON value, are the keys whose string values, in
	// objects at any depth, are text; the rest of it is the step's own.
	Fields []string
}

// DotenvName is the output's variable in a dotenv file: JENKINS_<NAME>.
func (o Output) DotenvName() string { return "JENKINS_" + strings.ToUpper(o.Name) }

// LookupOutput returns the output called name.
func LookupOutput(name string) (Output, bool) {
	for _, o := range Outputs {
		if o.Name == name {
			return o, true
		}
	}
	return Output{}, false
}

// Lookup returns the input called name.
func Lookup(name string) (Input, bool) {
	for _, in := range Inputs {
		if in.Name == name {
			return in, true
		}
	}
	return Input{}, false
}

func names[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}
