package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/jenkins-trigger/jenkins-trigger/internal/config"
	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
)

// root is the repository, from this package's directory.
const root = "../../.."

func theContract() decl { return decl{contract.Inputs, contract.Outputs} }

// The files users read and run state the contract as internal/contract
// declares it: each is what the generator makes of it.
func TestFilesAreCurrent(t *testing.T) {
	t.Parallel()
	outs, err := generate(root, theContract())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		if !bytes.Equal(o.old, o.gen) {
			t.Errorf("%s is not what internal/contract declares; run: %s", o.path, regenerate)
		}
	}
}

func TestGeneratingTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	c := theContract()
	outs, err := generate(root, c)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files(c) {
		again, err := f.fill(outs[i].gen)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, outs[i].gen) {
			t.Errorf("%s changes when generated again", f.path)
		}
	}
}

func TestMarkers(t *testing.T) {
	t.Parallel()
	f := file{"x.yml", yamlSyntax, []block{
		{"a", "inputs.go", func(d *doc) { d.add(0, "a: 1") }},
		{"b", "inputs.go", func(d *doc) { d.add(0, "b: 2") }},
	}}
	begin := func(name string) string { return f.syntax.begin(block{name: name, source: "inputs.go"}) }
	for _, tc := range []struct {
		name, text, want string // want: the output, or an error's text
	}{
		{"filled", "top:\n  " + begin("a") + "\n  old: 0\n  # end generated\nb:\n" + begin("b") + "\n# end generated\n",
			"top:\n  " + begin("a") + "\n  a: 1\n  # end generated\nb:\n" + begin("b") + "\nb: 2\n# end generated\n"},
		{"no begin", begin("a") + "\n# end generated\n", "no marker line " + `"` + begin("b") + `"` + " begins the b block"},
		{"no end", begin("a") + "\n" + begin("b") + "\n# end generated\n", "no marker line \"# end generated\" ends the a block begun on line 1"},
		{"twice", begin("a") + "\n# end generated\n" + begin("a") + "\n# end generated\n", "lines 1 and 3 both begin the a block"},
	} {
		got, err := f.fill([]byte(tc.text))
		if err != nil && err.Error() != tc.want || err == nil && string(got) != tc.want {
			t.Errorf("%s: got %q, %v\nwant %q", tc.name, got, err, tc.want)
		}
	}
}

// A missing marker changes no file: every file is generated before any is
// written.
func TestRunWritesNothingUnlessAllGenerate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, f := range files(theContract()) {
		data, err := os.ReadFile(filepath.Join(root, f.path))
		if err != nil {
			t.Fatal(err)
		}
		switch f.path {
		case "action.yml":
			data = bytes.Replace(data, []byte("  url:\n"), []byte("  stale:\n"), 1)
		case "README.md":
			data = bytes.ReplaceAll(data, []byte("<!-- end generated -->"), nil)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f.path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.path), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err := run(dir)
	if err == nil || !strings.HasPrefix(err.Error(), "README.md: no marker line") {
		t.Errorf("run = %v, want README.md's missing end marker", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "action.yml")); !bytes.Contains(data, []byte("  stale:\n")) {
		t.Error("action.yml was written")
	}
}

// entry is any generated entry of a YAML mapping, read back.
type entry struct {
	Type        string    `yaml:"type"`
	Description string    `yaml:"description"`
	Required    bool      `yaml:"required"`
	Default     yaml.Node `yaml:"default"`
	Options     []string  `yaml:"options"`
	Value       string    `yaml:"value"`
}

// entries returns a YAML mapping's keys in the order written, and their
// entries by key.
func entries(t *testing.T, n yaml.Node) ([]string, map[string]entry) {
	t.Helper()
	var keys []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	var m map[string]entry
	if err := n.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return keys, m
}

type action struct {
	Inputs  yaml.Node `yaml:"inputs"`
	Outputs yaml.Node `yaml:"outputs"`
	Runs    struct {
		Using string `yaml:"using"`
		Image string `yaml:"image"`
		Steps []struct {
			ID    string            `yaml:"id"`
			Shell string            `yaml:"shell"`
			Env   map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

type component struct {
	inputs yaml.Node
	jobs   map[string]componentJob
}

type componentJob struct {
	Stage string `yaml:"stage"`
	Image struct {
		Name       string   `yaml:"name"`
		Entrypoint []string `yaml:"entrypoint"`
	} `yaml:"image"`
	Variables map[string]string `yaml:"variables"`
	Script    []string          `yaml:"script"`
	Artifacts struct {
		When    string            `yaml:"when"`
		Paths   []string          `yaml:"paths"`
		Reports map[string]string `yaml:"reports"`
	} `yaml:"artifacts"`
}

func readAction(t *testing.T, data []byte) action {
	t.Helper()
	var a action
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// readComponent reads a component file's two YAML documents: the spec,
// then the jobs.
func readComponent(t *testing.T, data []byte) component {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var spec struct {
		Spec struct {
			Inputs yaml.Node `yaml:"inputs"`
		} `yaml:"spec"`
	}
	var c component
	if err := dec.Decode(&spec); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&c.jobs); err != nil {
		t.Fatal(err)
	}
	c.inputs = spec.Spec.Inputs
	return c
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// awkward is a contract whose text YAML would misread unquoted, and
// Markdown as emphasis, a link or a cell's end.
func awkward() decl {
	return decl{
		inputs: []contract.Input{
			{Name: "url", Required: true, Description: "Key: value # not a comment, **/*.xml | a|b"},
			{Name: "job", Default: "true", Description: "true"},
			{Name: "files", Default: "1.0", Choices: []string{"1.0", "yes", "no"}, Description: "- a list? [not] {a map}"},
			{Name: "token", Secret: true, Default: "#x", Description: "@at the start"},
			{Name: "log", Boolean: true, Default: "false", Description: "'quoted' \"twice\""},
			{Name: "dotenv", Description: "A path."},
			{Name: "junit", Description: strings.Repeat("Long words, ", 30) + "end."},
		},
		outputs: []contract.Output{{Name: "result", Description: "x: y"}, {Name: "builds", Description: `one line: {"a": null}`}},
	}
}

// What the generator writes reads back, as YAML, as the declaration: in
// its order, with its text, defaults, types and options.
func TestYAMLReadsAsDeclared(t *testing.T) {
	t.Parallel()
	for _, c := range []decl{theContract(), awkward()} {
		outs, err := generate(root, c)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range outs[:2] {
			a := readAction(t, o.gen)
			checkActionInputs(t, o.path, c, a.Inputs)
			checkActionOutputs(t, o.path, c, a.Outputs, o.path == "binary/action.yml")
		}
		checkComponentInputs(t, c, readComponent(t, outs[2].gen))
	}
}

func checkActionInputs(t *testing.T, path string, c decl, n yaml.Node) {
	names, got := entries(t, n)
	if want := inputNames(c.inputs); !slices.Equal(names, want) {
		t.Errorf("%s: inputs %q, want %q", path, names, want)
	}
	for _, in := range c.inputs {
		e := got[in.Name]
		if e.Description != describe(in) || e.Required != in.Required || e.Default.Value != in.Default || in.Default != "" && e.Default.ShortTag() != "!!str" {
			t.Errorf("%s: input %s reads %+v", path, in.Name, e)
		}
	}
}

func checkActionOutputs(t *testing.T, path string, c decl, n yaml.Node, composite bool) {
	names, got := entries(t, n)
	var want []string
	for _, o := range c.outputs {
		want = append(want, o.Name)
		value := ""
		if composite {
			value = "${{ steps.run.outputs." + o.Name + " }}"
		}
		if e := got[o.Name]; e.Description != sentence(o.Description) || e.Value != value {
			t.Errorf("%s: output %s reads %+v", path, o.Name, e)
		}
	}
	if !slices.Equal(names, want) {
		t.Errorf("%s: outputs %q, want %q", path, names, want)
	}
}

func checkComponentInputs(t *testing.T, c decl, comp component) {
	names, got := entries(t, comp.inputs)
	inputs := componentInputsOf(c)
	if want := append([]string{"stage", "job_name", "image"}, inputNames(inputs)...); !slices.Equal(names, want) {
		t.Errorf("templates/trigger.yml: inputs %q, want %q", names, want)
	}
	var job componentJob
	for _, j := range comp.jobs {
		job = j
	}
	for _, in := range inputs {
		e := got[in.Name]
		typ, tag := "", "!!str"
		if gitlabBoolean(in) {
			typ, tag = "boolean", "!!bool"
		}
		// GitLab requires an input that has no default.
		hasDefault := !e.Default.IsZero()
		if e.Type != typ || e.Description != componentDescribe(in) || !slices.Equal(e.Options, in.Choices) ||
			hasDefault == in.Required || hasDefault && (e.Default.Value != componentDefault(in) || e.Default.ShortTag() != tag) {
			t.Errorf("templates/trigger.yml: input %s reads %+v", in.Name, e)
		}
		ref := "$[[ inputs." + in.Name + " ]]"
		if v, ok := job.Variables[in.GitHubEnv()]; gitlabBoolean(in) == ok || ok && v != ref {
			t.Errorf("templates/trigger.yml: variable %s = %q, want it set to %s unless a boolean", in.GitHubEnv(), v, ref)
		}
		if set := " " + in.GitHubEnv() + "=" + ref; gitlabBoolean(in) != strings.Contains(strings.Join(job.Script, "\n"), set) {
			t.Errorf("templates/trigger.yml: the script sets%s: %v, want it for a boolean", set, !gitlabBoolean(in))
		}
	}
}

func inputNames(inputs []contract.Input) []string {
	var names []string
	for _, in := range inputs {
		names = append(names, in.Name)
	}
	return names
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Jenkins base URL (https://ci.example.com/jenkins). May carry user:token@, never printed.": "Jenkins base URL (`https://ci.example.com/jenkins`). May carry `user:token@`, never printed.",
		"patterns (dist/*.zip, **/*.xml), or a|b [x] <y> _z_":                                      "patterns (`dist/*.zip`, `**/*.xml`), or a\\|b \\[x\\] \\<y\\> \\_z\\_",
		"as the build_url output, or NOT_BUILT, {\"job\", \"queue_url\"}":                          "as the `build_url` output, or NOT_BUILT, {\"job\", \"queue_url\"}",
		"one NAME=value a line (after the first =), separated by /":                                "one `NAME=value` a line (after the first `=`), separated by `/`",
	} {
		if got := markdown(in, nil); got != want {
			t.Errorf("markdown(%q)\n= %q\nwant %q", in, got, want)
		}
	}
	got := defaultCell(theContract(), contract.Input{DefaultDoc: "true for a build it triggers; false for one it follows through follow"})
	if want := "`true` for a build it triggers; `false` for one it follows through `follow`"; got != want {
		t.Errorf("defaultCell = %q, want %q", got, want)
	}
}

func TestCheckRefuses(t *testing.T) {
	t.Parallel()
	for _, in := range []contract.Input{
		{Name: "Bad-Name", Description: "x"},
		{Name: "x", Description: "two  spaces"},
		{Name: "x", Description: "a\nline"},
		{Name: "x", Description: "a `code` span"},
		{Name: "x"},
		{Name: "x", Description: "x", Choices: []string{"a b"}},
		{Name: "x", Description: "x", Boolean: true, Default: "yes"},
	} {
		c := theContract()
		c.inputs = append(slices.Clone(c.inputs), in)
		if err := check(c); err == nil {
			t.Errorf("check accepts %+v", in)
		}
	}
	c := theContract()
	c.inputs = append(slices.Clone(c.inputs), c.inputs[0])
	if err := check(c); err == nil {
		t.Error("check accepts an input declared twice")
	}
	c = theContract()
	c.outputs = append(slices.Clone(c.outputs), contract.Output{Name: c.inputs[0].Name, Description: "x"})
	if err := check(c); err == nil || !strings.Contains(err.Error(), "named like an input") {
		t.Errorf("check of an output named like an input: %v", err)
	}
}

// What follows holds the hand-written parts around the generated blocks
// to what the contract needs of them.

// action.yml runs the released image, which release.yml checks against the
// tag; building a Dockerfile on every run would not be the release.
func TestActionRunsADockerImage(t *testing.T) {
	t.Parallel()
	a := readAction(t, readFile(t, "action.yml"))
	if a.Runs.Using != "docker" || !strings.HasPrefix(a.Runs.Image, "docker://") {
		t.Errorf("action.yml runs %q %q, want a prebuilt docker:// image", a.Runs.Using, a.Runs.Image)
	}
}

// The binary action runs on Linux, macOS and Windows runners: bash is the
// one shell they all have.
func TestBinaryActionStepsUseBash(t *testing.T) {
	t.Parallel()
	a := readAction(t, readFile(t, "binary/action.yml"))
	if a.Runs.Using != "composite" || len(a.Runs.Steps) == 0 {
		t.Fatalf("binary/action.yml runs %q with %d steps, want a composite action", a.Runs.Using, len(a.Runs.Steps))
	}
	for _, s := range a.Runs.Steps {
		if s.Shell != "bash" {
			t.Errorf("step %q runs with shell %q, want bash", s.ID, s.Shell)
		}
	}
}

// The component runs the image of the release action.yml names: the one
// release.yml checks against the tag.
func TestComponentRunsTheActionsImage(t *testing.T) {
	t.Parallel()
	_, inputs := entries(t, readComponent(t, readFile(t, "templates/trigger.yml")).inputs)
	want := strings.TrimPrefix(readAction(t, readFile(t, "action.yml")).Runs.Image, "docker://")
	if got := inputs["image"].Default.Value; got != want {
		t.Errorf("templates/trigger.yml's image input defaults to %q, action.yml runs %q", got, want)
	}
}

// A component's inputs are written into the pipeline's configuration,
// which anyone who can read the project can read: a secret stays a masked
// CI/CD variable, never an input, and nothing hand-written uses one.
func TestComponentHasNoSecretInput(t *testing.T) {
	t.Parallel()
	data := readFile(t, "templates/trigger.yml")
	names, _ := entries(t, readComponent(t, data).inputs)
	for _, in := range contract.Inputs {
		if !in.Secret {
			continue
		}
		if slices.Contains(names, in.Name) {
			t.Errorf("templates/trigger.yml has the secret %s as an input", in.Name)
		}
		if regexp.MustCompile(`inputs\.` + in.Name + `\b`).Match(data) {
			t.Errorf("templates/trigger.yml uses the secret input %s", in.Name)
		}
	}
}

// Each option GitLab offers is a value the program takes, and a value
// that is none is refused, so the test can tell.
func TestComponentOptionsAreAccepted(t *testing.T) {
	t.Parallel()
	_, inputs := entries(t, readComponent(t, readFile(t, "templates/trigger.yml")).inputs)
	for name, e := range inputs {
		if len(e.Options) == 0 {
			continue
		}
		in, _ := contract.Lookup(name)
		for _, opt := range append(slices.Clone(e.Options), "bogus") {
			_, err := config.Load(map[string]string{
				"JENKINS_URL": "https://ci.example.com/jenkins", "JENKINS_JOB": "app", in.Env(): opt,
			})
			if (err == nil) != (opt != "bogus") {
				t.Errorf("input %s=%s: config.Load says %v", name, opt, err)
			}
		}
	}
}

// The component's job, around its generated variables and script line:
// named, staged and imaged by its own inputs, run in the image's shell,
// and publishing the reports whose paths componentReports defaults.
func TestComponentJob(t *testing.T) {
	t.Parallel()
	jobs := readComponent(t, readFile(t, "templates/trigger.yml")).jobs
	job, ok := jobs["$[[ inputs.job_name ]]"]
	if len(jobs) != 1 || !ok {
		t.Fatalf("templates/trigger.yml has the jobs %v, want one named by the job_name input", jobs)
	}
	if job.Stage != "$[[ inputs.stage ]]" || job.Image.Name != "$[[ inputs.image ]]" ||
		!slices.Equal(job.Image.Entrypoint, []string{""}) || !slices.Contains(job.Script, "jenkins-trigger") {
		t.Errorf("job = %+v, want the stage and image inputs, entrypoint [\"\"] and jenkins-trigger in the script", job)
	}
	a := job.Artifacts
	if a.When != "always" || !slices.Equal(a.Paths, []string{"$[[ inputs.artifacts_dir ]]/"}) || len(a.Reports) != len(componentReports) {
		t.Errorf("artifacts = %+v, want always the artifacts_dir and the reports", a)
	}
	for name := range componentReports {
		if got, want := a.Reports[name], "$[[ inputs."+name+" ]]"; got != want {
			t.Errorf("report %s = %q, want %q", name, got, want)
		}
	}
}
