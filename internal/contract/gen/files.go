package main

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
)

// files are the files the contract is written into, and their blocks in
// the order they appear.
func files(c decl) []file {
	return []file{
		{"action.yml", yamlSyntax, []block{
			{"inputs", "inputs.go", actionInputs(c)},
			{"outputs", "outputs.go", actionOutputs(c, false)},
		}},
		{"binary/action.yml", yamlSyntax, []block{
			{"inputs", "inputs.go", actionInputs(c)},
			{"outputs", "outputs.go", actionOutputs(c, true)},
			{"env", "inputs.go", binaryEnv(c)},
		}},
		{"templates/trigger.yml", yamlSyntax, []block{
			{"inputs", "inputs.go", componentInputs(c)},
			{"variables", "inputs.go", componentVariables(c)},
			{"booleans", "inputs.go", componentBooleans(c)},
		}},
		{"README.md", markdownSyntax, []block{
			{"inputs", "inputs.go", readmeInputs(c)},
			{"outputs", "outputs.go", readmeOutputs(c)},
		}},
	}
}

// componentReports are the inputs whose files the component's job
// publishes as reports, with the default the component gives them: the
// contract leaves them empty, which writes no file.
var componentReports = map[string]string{
	"dotenv": "jenkins-trigger.env",
	"junit":  "jenkins-trigger-junit.xml",
}

// actionInputs writes the inputs of a GitHub action, every one of them:
// secrets are inputs there, masked by the runner and by the program.
func actionInputs(c decl) func(*doc) {
	return func(d *doc) {
		for _, in := range c.inputs {
			d.add(0, in.Name+":")
			d.text(1, "description", describe(in))
			d.add(1, "required: "+strconv.FormatBool(in.Required))
			if in.Default != "" {
				d.add(1, "default: "+d.scalar(in.Default))
			}
		}
	}
}

// actionOutputs writes the outputs of a GitHub action; a composite one
// (value) passes on those of its step that runs the binary, whose id is
// run.
func actionOutputs(c decl, value bool) func(*doc) {
	return func(d *doc) {
		for _, o := range c.outputs {
			d.add(0, o.Name+":")
			d.text(1, "description", sentence(o.Description))
			if value {
				d.add(1, "value: ${{ steps.run.outputs."+o.Name+" }}")
			}
		}
	}
}

// binaryEnv writes the run step's environment in the composite action:
// the runner hands a composite action's inputs to nothing, so the step
// passes each one as the runner does to a container, INPUT_<NAME>.
func binaryEnv(c decl) func(*doc) {
	return func(d *doc) {
		for _, in := range c.inputs {
			d.add(0, in.GitHubEnv()+": ${{ inputs."+in.Name+" }}")
		}
	}
}

// componentInputs writes the GitLab component's spec:inputs that are the
// contract's: all but the secrets, since a component's inputs are written
// into the pipeline's configuration, which anyone who reads the project
// reads. GitLab requires an input that has no default.
func componentInputs(c decl) func(*doc) {
	return func(d *doc) {
		for _, in := range componentInputsOf(c) {
			d.add(0, in.Name+":")
			if gitlabBoolean(in) {
				d.add(1, "type: boolean")
			}
			d.text(1, "description", componentDescribe(in))
			switch {
			case in.Required:
			case gitlabBoolean(in):
				d.add(1, "default: "+in.Default) // true or false, a YAML boolean
			default:
				d.add(1, "default: "+d.scalar(componentDefault(in)))
			}
			if len(in.Choices) > 0 {
				opts := make([]string, len(in.Choices))
				for i, o := range in.Choices {
					opts[i] = d.scalar(o)
				}
				d.add(1, "options: ["+strings.Join(opts, ", ")+"]")
			}
		}
	}
}

// componentVariables writes the job's variables, one INPUT_<NAME> for each
// input but the booleans, which componentBooleans sets. INPUT_<NAME>, not
// JENKINS_<NAME>: a project's CI/CD variable outranks a job's in GitLab,
// and the program reads a non-empty INPUT_<NAME> first.
func componentVariables(c decl) func(*doc) {
	return func(d *doc) {
		for _, in := range componentInputsOf(c) {
			if !gitlabBoolean(in) {
				d.add(0, in.GitHubEnv()+`: "$[[ inputs.`+in.Name+` ]]"`)
			}
		}
	}
}

// componentBooleans writes the script line that sets the booleans: in the
// middle of a line they become the text true or false, while as a
// variable's whole value they would stay YAML booleans, which a variable
// cannot hold.
func componentBooleans(c decl) func(*doc) {
	return func(d *doc) {
		var sets []string
		for _, in := range componentInputsOf(c) {
			if gitlabBoolean(in) {
				sets = append(sets, in.GitHubEnv()+"=$[[ inputs."+in.Name+" ]]")
			}
		}
		if len(sets) > 0 {
			d.add(0, "- export "+strings.Join(sets, " "))
		}
	}
}

func componentInputsOf(c decl) []contract.Input {
	var out []contract.Input
	for _, in := range c.inputs {
		if !in.Secret {
			out = append(out, in)
		}
	}
	return out
}

// gitlabBoolean says whether the component declares in as a boolean. One
// without a default (abort_on_stop, whose default depends on other inputs)
// is a string left empty: a GitLab boolean input always has a value.
func gitlabBoolean(in contract.Input) bool { return in.Boolean && in.Default != "" }

func componentDefault(in contract.Input) string {
	if def, ok := componentReports[in.Name]; ok {
		return def
	}
	return in.Default
}

func componentDescribe(in contract.Input) string {
	if _, ok := componentReports[in.Name]; ok {
		return describe(in) + " The job publishes it as a report; this is its path."
	}
	return describe(in)
}

// describe is an input's description in the actions and the component,
// which have no column for a default that is not a value: DefaultDoc
// becomes a sentence of its own.
func describe(in contract.Input) string {
	switch {
	case in.DefaultDoc == "":
		return in.Description
	case strings.HasPrefix(in.DefaultDoc, "required"):
		return in.Description + " " + sentence(in.DefaultDoc)
	default:
		return in.Description + " Left empty: " + strings.TrimSuffix(in.DefaultDoc, ".") + "."
	}
}

// sentence makes a table cell's text a sentence, as a YAML description
// reads: capitalized, with a full stop.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
