package docs

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"

	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
)

// kind is what a YAML example is, told by its content: a block's info
// string says only "yaml".
type kind int

const (
	workflow   kind = iota // a GitHub workflow, whole or in part
	gitlabJobs             // GitLab jobs, or a job's variables
	gitlabInclude
)

// example is one YAML block of the docs, ready to check: a GitHub one
// made a whole workflow, prefix lines in front of the block's.
type example struct {
	block
	kind   kind
	yaml   string
	prefix int
}

// ourAction matches a use of this repository's actions, which actionlint
// checks only when they are local: ./ and ./binary are this checkout's
// action.yml and binary/action.yml.
var ourAction = regexp.MustCompile(`uses:\s*jenkins-trigger/jenkins-trigger(/binary)?@\S+`)

// examples returns every YAML block of the docs, each told apart by its
// shape: a sequence is a step list; a mapping with jobs is a workflow,
// with steps a job, with include an include; one with variables, or whose
// values are jobs with a script, is GitLab's. A block it cannot tell is
// one of the problems, which TestEveryExampleIsChecked reports.
func examples(t *testing.T) (out []example, problems []string) {
	t.Helper()
	for _, p := range pages(t) {
		for _, b := range p.walk(nil) {
			if lang, _, _ := strings.Cut(b.info, " "); lang != "yaml" && lang != "yml" {
				continue
			}
			text := dedent(b.text)
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(text), &doc); err != nil || len(doc.Content) == 0 {
				problems = append(problems, fmt.Sprintf("%s: not YAML: %v", b, err))
				continue
			}
			top := doc.Content[0]
			e := example{block: b, yaml: text}
			switch {
			case top.Kind == yaml.SequenceNode:
				e.wrap("on: workflow_dispatch\njobs:\n  example:\n    runs-on: ubuntu-latest\n    steps:\n", 6)
			case top.Kind != yaml.MappingNode:
				problems = append(problems, fmt.Sprintf("%s: a YAML example that is neither a mapping nor a list", b))
				continue
			case has(top, "jobs"):
				if !has(top, "on") {
					e.wrap("on: workflow_dispatch\n", 0)
				}
			case has(top, "steps"):
				prefix := "on: workflow_dispatch\njobs:\n  example:\n"
				if !has(top, "runs-on") {
					prefix += "    runs-on: ubuntu-latest\n"
				}
				e.wrap(prefix, 4)
			case has(top, "include"):
				e.kind = gitlabInclude
			case has(top, "variables") || gitlabJobMap(top):
				e.kind = gitlabJobs
			default:
				problems = append(problems, fmt.Sprintf("%s: a YAML example the docs tests cannot tell: make it a GitHub workflow, job or step list, GitLab jobs or a job's variables, or an include of the component", b))
				continue
			}
			if e.kind == workflow {
				e.yaml = ourAction.ReplaceAllStringFunc(e.yaml, func(s string) string {
					return "uses: ./" + strings.TrimPrefix(ourAction.FindStringSubmatch(s)[1], "/")
				})
			}
			out = append(out, e)
		}
	}
	return out, problems
}

// TestEveryExampleIsChecked fails on a YAML block that no other test here
// would check.
func TestEveryExampleIsChecked(t *testing.T) {
	t.Parallel()
	_, problems := examples(t)
	for _, p := range problems {
		t.Error(p)
	}
}

// wrap puts prefix in front of the example, indented by indent.
func (e *example) wrap(prefix string, indent int) {
	pad := strings.Repeat(" ", indent)
	var b strings.Builder
	b.WriteString(prefix)
	for line := range strings.Lines(e.yaml) {
		if strings.TrimSpace(line) != "" {
			b.WriteString(pad)
		}
		b.WriteString(line)
	}
	e.yaml = b.String()
	e.prefix = strings.Count(prefix, "\n")
}

// line is the Markdown line of the example's line n.
func (e example) line(n int) string {
	return fmt.Sprintf("%s:%d", e.page, e.block.line+n-1-e.prefix)
}

// dedent takes off the indentation every line of text shares.
func dedent(text string) string {
	common := -1
	for line := range strings.Lines(text) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		n := len(line) - len(strings.TrimLeft(line, " "))
		if common < 0 || n < common {
			common = n
		}
	}
	var b strings.Builder
	for line := range strings.Lines(text) {
		b.WriteString(line[min(max(common, 0), len(line)-len(strings.TrimLeft(line, " "))):])
	}
	return b.String()
}

func has(m *yaml.Node, key string) bool { return value(m, key) != nil }

// value returns the value of key in the mapping m, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// gitlabJobMap tells whether every value of m is a job with a script.
func gitlabJobMap(m *yaml.Node) bool {
	for i := 1; i < len(m.Content); i += 2 {
		if !has(m.Content[i], "script") {
			return false
		}
	}
	return len(m.Content) > 0
}

// TestGitHubExamples runs actionlint, as .ci/run pins it, on every GitHub
// example, with this repository's actions in place of their published
// names, so that an input they do not declare, a required one left out or
// an output they do not give is an error.
func TestGitHubExamples(t *testing.T) {
	t.Parallel()
	project, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	all, _ := examples(t)
	for _, e := range all {
		if e.kind != workflow {
			continue
		}
		n++
		// Shellcheck and pyflakes are off, as in .ci/run: the verdict must
		// not depend on what is installed.
		linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{WorkingDir: abs})
		if err != nil {
			t.Fatal(err)
		}
		errs, err := linter.Lint(e.page+".yml", []byte(e.yaml), project)
		if err != nil {
			t.Fatalf("%s: %v", e.block, err)
		}
		errs = slices.DeleteFunc(errs, actionlintWrongOfDocker)
		for _, le := range errs {
			t.Errorf("%s: %s [%s]", e.line(le.Line), le.Message, le.Kind)
		}
		if len(errs) > 0 {
			t.Logf("%s, as linted:\n%s", e.block, e.yaml)
		}
	}
	if n == 0 {
		t.Fatal("found no GitHub example")
	}
}

// actionlintWrongOfDocker drops what actionlint v1.7.12 says of action.yml
// that the runner, which decides, does not hold: its schema of a container
// action's runs (src/Runner.Worker/action_yaml.json) takes post-if beside
// post-entrypoint, and the entrypoint is a path in the image, not in the
// repository.
func actionlintWrongOfDocker(le *actionlint.Error) bool {
	return le.Kind == "action" && (strings.Contains(le.Message, `"post-if" is not allowed in "runs" section`) ||
		strings.Contains(le.Message, `it is specified at "post-entrypoint" key`))
}

// spec is the GitLab component's spec:inputs, from templates/trigger.yml.
type spec map[string]struct {
	Type    string    `yaml:"type"`
	Default yaml.Node `yaml:"default"`
	Options []string  `yaml:"options"`
}

func componentSpec(t *testing.T) spec {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "templates", "trigger.yml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var header struct {
		Spec struct {
			Inputs spec `yaml:"inputs"`
		} `yaml:"spec"`
	}
	// The first document is the spec; the job follows it.
	if err := yaml.NewDecoder(f).Decode(&header); err != nil {
		t.Fatal(err)
	}
	if len(header.Spec.Inputs) == 0 {
		t.Fatal("templates/trigger.yml has no spec:inputs")
	}
	return header.Spec.Inputs
}

// ourComponent matches the ways the docs include the component: from a
// CI/CD Catalog mirror, or from this repository at a tag.
var ourComponent = regexp.MustCompile(`(^|/)trigger@[^/]+$|/templates/trigger\.yml$`)

// checkInclude checks every include of the component in the example
// against the spec, as GitLab would when it expands it: each input one the
// spec declares, of its type and among its options, and none that is
// required left out.
func checkInclude(e example, s spec) []string {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(e.yaml), &doc); err != nil {
		return []string{err.Error()}
	}
	var problems []string
	includes := value(doc.Content[0], "include")
	if includes.Kind != yaml.SequenceNode {
		return []string{"include: is not a list"}
	}
	for _, inc := range includes.Content {
		where := value(inc, "component")
		if where == nil {
			where = value(inc, "remote")
		}
		if where == nil || !ourComponent.MatchString(where.Value) {
			problems = append(problems, fmt.Sprintf("%s: an include of something other than the component", e.line(inc.Line)))
			continue
		}
		given := map[string]bool{}
		inputs := value(inc, "inputs")
		if inputs == nil {
			inputs = &yaml.Node{Kind: yaml.MappingNode}
		}
		for i := 0; i+1 < len(inputs.Content); i += 2 {
			name, v := inputs.Content[i].Value, inputs.Content[i+1]
			given[name] = true
			in, ok := s[name]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: input %s is not in the component's spec", e.line(inputs.Content[i].Line), name))
				continue
			}
			typ := in.Type
			if typ == "" {
				typ = "string" // GitLab's default
			}
			want := map[string]string{"string": "!!str", "boolean": "!!bool", "number": "!!int", "array": "!!seq"}[typ]
			if v.Tag != want && !(typ == "number" && v.Tag == "!!float") {
				problems = append(problems, fmt.Sprintf("%s: input %s is %s, the spec wants a %s", e.line(v.Line), name, v.Tag, typ))
			}
			if len(in.Options) > 0 && !slices.Contains(in.Options, v.Value) {
				problems = append(problems, fmt.Sprintf("%s: input %s is %q, not one of %v", e.line(v.Line), name, v.Value, in.Options))
			}
		}
		for name, in := range s {
			if in.Default.Kind == 0 && !given[name] {
				problems = append(problems, fmt.Sprintf("%s: the include leaves out %s, which the spec requires", e.line(inc.Line), name))
			}
		}
	}
	return problems
}

// TestGitLabExamples checks each include of the component against its
// spec, and each GitLab job's JENKINS_* variables against the contract's
// inputs.
func TestGitLabExamples(t *testing.T) {
	t.Parallel()
	s := componentSpec(t)
	inputs := map[string]bool{}
	for _, in := range contract.Inputs {
		inputs[in.Env()] = true
	}
	includes, jobs := 0, 0
	all, _ := examples(t)
	for _, e := range all {
		switch e.kind {
		case gitlabInclude:
			includes++
			for _, p := range checkInclude(e, s) {
				t.Error(p)
			}
		case gitlabJobs:
			jobs++
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(e.yaml), &doc); err != nil {
				t.Fatal(err)
			}
			vars := []*yaml.Node{value(doc.Content[0], "variables")}
			for i := 1; i < len(doc.Content[0].Content); i += 2 {
				vars = append(vars, value(doc.Content[0].Content[i], "variables"))
			}
			for _, v := range vars {
				if v == nil {
					continue
				}
				for i := 0; i < len(v.Content); i += 2 {
					name := v.Content[i].Value
					if strings.HasPrefix(name, "JENKINS_") && !inputs[name] {
						t.Errorf("%s: variable %s is no input's (internal/contract)", e.line(v.Content[i].Line), name)
					}
				}
			}
		}
	}
	if includes == 0 || jobs == 0 {
		t.Fatalf("found %d includes of the component and %d GitLab jobs: the examples are not told apart", includes, jobs)
	}
}

var jenkinsName = regexp.MustCompile(`\bJENKINS_[A-Z][A-Z0-9_]*`)

// TestJenkinsNames holds every JENKINS_* name the pages use, in prose and
// in examples, to an input's variable, an output's dotenv name, or a
// variable the binary action itself reads.
func TestJenkinsNames(t *testing.T) {
	t.Parallel()
	binary, err := os.ReadFile(filepath.Join(root, "binary", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, in := range contract.Inputs {
		known[in.Env()] = true
	}
	for _, o := range contract.Outputs {
		known[o.DotenvName()] = true
	}
	for _, p := range pages(t) {
		for n, line := range p.lines {
			for _, name := range jenkinsName.FindAllString(line, -1) {
				if !known[name] && !regexp.MustCompile(`\b`+name+`\b`).Match(binary) {
					t.Errorf("%s:%d: %s is neither an input's variable nor an output's (internal/contract)", p.path, n+1, name)
				}
			}
		}
	}
}
