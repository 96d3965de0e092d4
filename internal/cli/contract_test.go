package cli

import (
	"cmp"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/jenkins-trigger/jenkins-trigger/internal/config"
	"github.com/jenkins-trigger/jenkins-trigger/internal/report"
)

// The contract lives in three places users read or run: the configuration
// code, action.yml and README.md. These tests hold them together.

type actionFile struct {
	Inputs map[string]struct {
		Description string  `yaml:"description"`
		Required    bool    `yaml:"required"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Image string `yaml:"image"`
	} `yaml:"runs"`
}

func readAction(t *testing.T) actionFile {
	t.Helper()
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestActionYAMLMatchesInputs(t *testing.T) {
	t.Parallel()
	a := readAction(t)
	var names []string
	for _, in := range config.Inputs() {
		names = append(names, in.Name)
		got, ok := a.Inputs[in.Name]
		if !ok {
			t.Errorf("action.yml has no input %s", in.Name)
			continue
		}
		if got.Required != in.Required {
			t.Errorf("input %s: action.yml required=%v, code %v", in.Name, got.Required, in.Required)
		}
		def := ""
		if got.Default != nil {
			def = *got.Default
		}
		if def != in.Default {
			t.Errorf("input %s: action.yml default %q, code %q", in.Name, def, in.Default)
		}
		if strings.TrimSpace(got.Description) == "" {
			t.Errorf("input %s has no description in action.yml", in.Name)
		}
	}
	for name := range a.Inputs {
		if !slices.Contains(names, name) {
			t.Errorf("action.yml declares input %s, which the code does not read", name)
		}
	}
	if a.Runs.Using != "docker" || !strings.HasPrefix(a.Runs.Image, "docker://") {
		t.Errorf("runs = %+v, want a prebuilt docker image", a.Runs)
	}
}

func TestActionYAMLMatchesOutputs(t *testing.T) {
	t.Parallel()
	a := readAction(t)
	var names []string
	for _, o := range report.Outputs {
		names = append(names, o.Name)
		if _, ok := a.Outputs[o.Name]; !ok {
			t.Errorf("action.yml has no output %s", o.Name)
		}
	}
	for name := range a.Outputs {
		if !slices.Contains(names, name) {
			t.Errorf("action.yml declares output %s, which the code does not write", name)
		}
	}
}

// readmeTable returns the rows of the README table that follows heading.
func readmeTable(t *testing.T, heading string) [][]string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", heading)
	}
	var rows [][]string
	inTable := false
	for line := range strings.SplitSeq(rest, "\n") {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if strings.HasPrefix(cells[0], "---") {
			continue
		}
		rows = append(rows, cells)
	}
	return rows[1:] // the header
}

var codeSpan = regexp.MustCompile("`([^`]*)`")

func unquote(s string) string { return codeSpan.ReplaceAllString(s, "$1") }

func TestREADMEInputs(t *testing.T) {
	t.Parallel()
	rows := readmeTable(t, "## Inputs")
	inputs := config.Inputs()
	if len(rows) != len(inputs) {
		t.Fatalf("README lists %d inputs, the code reads %d", len(rows), len(inputs))
	}
	for i, in := range inputs {
		row := rows[i]
		def := unquote(row[2])
		want := in.Default
		switch {
		case in.DefaultDoc != "":
			want = in.DefaultDoc
		case in.Required:
			want = "required"
		case want == "":
			want = "empty"
		}
		if unquote(row[0]) != in.Name || unquote(row[1]) != in.Env || def != want {
			t.Errorf("README row %q, want %s %s %s", row[:3], in.Name, in.Env, want)
		}
		if unquote(row[3]) != in.Description {
			t.Errorf("input %s: README says %q, code says %q", in.Name, unquote(row[3]), in.Description)
		}
	}
}

func TestREADMEOutputs(t *testing.T) {
	t.Parallel()
	rows := readmeTable(t, "## Outputs")
	if len(rows) != len(report.Outputs) {
		t.Fatalf("README lists %d outputs, the code writes %d", len(rows), len(report.Outputs))
	}
	for i, o := range report.Outputs {
		if unquote(rows[i][0]) != o.Name || unquote(rows[i][1]) != o.Description {
			t.Errorf("README row %q, code %q %q", rows[i], o.Name, o.Description)
		}
	}
}

func TestREADMEExitCodes(t *testing.T) {
	t.Parallel()
	rows := readmeTable(t, "## Exit codes")
	if len(rows) != len(ExitCodes) {
		t.Fatalf("README lists %d exit codes, the code %d", len(rows), len(ExitCodes))
	}
	for i, c := range ExitCodes {
		if rows[i][0] != c.Code || unquote(rows[i][1]) != c.Meaning {
			t.Errorf("README row %q, code %q %q", rows[i], c.Code, c.Meaning)
		}
	}
}

// The binary action (binary/action.yml) and the GitLab component
// (templates/trigger.yml) declare the contract a third and a fourth time.
// Their inputs are checked in order, since users read them in that order.

// sameText compares descriptions as YAML folds them.
func sameText(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}

// mappingKeys returns the keys of a YAML mapping in the order written.
func mappingKeys(t *testing.T, n *yaml.Node) []string {
	t.Helper()
	if n.Kind != yaml.MappingNode {
		t.Fatalf("line %d: not a mapping", n.Line)
	}
	var keys []string
	for i := 0; i < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	return keys
}

func inputNames(inputs []config.Input) []string {
	var names []string
	for _, in := range inputs {
		names = append(names, in.Name)
	}
	return names
}

type compositeAction struct {
	Inputs  yaml.Node `yaml:"inputs"`
	inputs  map[string]actionInput
	Outputs yaml.Node `yaml:"outputs"`
	outputs map[string]compositeOutput
	Runs    compositeRuns `yaml:"runs"`
}

type actionInput struct {
	Description string  `yaml:"description"`
	Required    bool    `yaml:"required"`
	Default     *string `yaml:"default"`
}

type compositeOutput struct {
	Description string `yaml:"description"`
	Value       string `yaml:"value"`
}

type compositeRuns struct {
	Using string `yaml:"using"`
	Steps []struct {
		ID    string            `yaml:"id"`
		Shell string            `yaml:"shell"`
		Env   map[string]string `yaml:"env"`
		Run   string            `yaml:"run"`
	} `yaml:"steps"`
}

func readBinaryAction(t *testing.T) compositeAction {
	t.Helper()
	data, err := os.ReadFile("../../binary/action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a compositeAction
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	if err := a.Inputs.Decode(&a.inputs); err != nil {
		t.Fatal(err)
	}
	if err := a.Outputs.Decode(&a.outputs); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestBinaryActionMatchesInputs(t *testing.T) {
	t.Parallel()
	a := readBinaryAction(t)
	inputs := config.Inputs()
	if got, want := mappingKeys(t, &a.Inputs), inputNames(inputs); !slices.Equal(got, want) {
		t.Errorf("binary/action.yml declares the inputs\n%q\nthe code reads\n%q", got, want)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("binary/action.yml runs.using = %q, want composite", a.Runs.Using)
	}
	// A composite action passes its inputs to nothing by itself: the step
	// that runs the binary must hand each one over as the runner would.
	var env map[string]string
	for _, s := range a.Runs.Steps {
		if s.Shell != "bash" {
			t.Errorf("step %q runs with shell %q; bash is the one every runner OS has", s.ID, s.Shell)
		}
		if s.ID == "run" {
			env = s.Env
		}
	}
	if env == nil {
		t.Fatal(`binary/action.yml has no step with id "run" and an env`)
	}
	for _, in := range inputs {
		got, ok := a.inputs[in.Name]
		if !ok {
			continue // reported above
		}
		if got.Required != in.Required {
			t.Errorf("input %s: binary/action.yml required=%v, code %v", in.Name, got.Required, in.Required)
		}
		def := ""
		if got.Default != nil {
			def = *got.Default
		}
		if def != in.Default {
			t.Errorf("input %s: binary/action.yml default %q, code %q", in.Name, def, in.Default)
		}
		if !sameText(got.Description, in.Description) {
			t.Errorf("input %s: binary/action.yml says %q, code says %q", in.Name, got.Description, in.Description)
		}
		if want := "${{ inputs." + in.Name + " }}"; env[in.GitHubEnv] != want {
			t.Errorf("the run step sets %s=%q, want %q", in.GitHubEnv, env[in.GitHubEnv], want)
		}
	}
	for name := range env {
		if strings.HasPrefix(name, "INPUT_") && !slices.ContainsFunc(inputs, func(in config.Input) bool { return in.GitHubEnv == name }) {
			t.Errorf("the run step sets %s, which is no input of the code", name)
		}
	}
}

func TestBinaryActionMatchesOutputs(t *testing.T) {
	t.Parallel()
	a := readBinaryAction(t)
	var names []string
	for _, o := range report.Outputs {
		names = append(names, o.Name)
	}
	if got := mappingKeys(t, &a.Outputs); !slices.Equal(got, names) {
		t.Errorf("binary/action.yml declares the outputs\n%q\nthe code writes\n%q", got, names)
	}
	for _, name := range names {
		got, ok := a.outputs[name]
		if !ok {
			continue
		}
		// The binary writes the run step's GITHUB_OUTPUT; the action's
		// outputs are that step's.
		if want := "${{ steps.run.outputs." + name + " }}"; got.Value != want {
			t.Errorf("output %s: value %q, want %q", name, got.Value, want)
		}
		if strings.TrimSpace(got.Description) == "" {
			t.Errorf("output %s has no description in binary/action.yml", name)
		}
	}
}

// componentExtras are the component's own inputs, before the contract's.
var componentExtras = []string{"stage", "job_name", "image"}

// componentDefaults are the contract inputs whose default the component
// changes, each from empty: the job publishes these files as reports, so
// by default it writes them.
var componentDefaults = map[string]string{
	"dotenv": "jenkins-trigger.env",
	"junit":  "jenkins-trigger-junit.xml",
}

// componentOptions are the inputs that take one of a few words.
var componentOptions = map[string][]string{
	"wait_for": {"queue", "start", "completion"},
	"on_input": {"wait", "abort", "proceed"},
}

type componentInput struct {
	Type        string    `yaml:"type"`
	Description string    `yaml:"description"`
	Default     yaml.Node `yaml:"default"`
	Options     []string  `yaml:"options"`
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
		When    string   `yaml:"when"`
		Paths   []string `yaml:"paths"`
		Reports struct {
			Dotenv string `yaml:"dotenv"`
			JUnit  string `yaml:"junit"`
		} `yaml:"reports"`
	} `yaml:"artifacts"`
}

// readComponent returns the component's spec:inputs, in order, and its
// jobs. A component file is two YAML documents: the spec, then the jobs.
func readComponent(t *testing.T) (names []string, inputs map[string]componentInput, jobs map[string]componentJob) {
	t.Helper()
	data, err := os.ReadFile("../../templates/trigger.yml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var spec struct {
		Spec struct {
			Inputs yaml.Node `yaml:"inputs"`
		} `yaml:"spec"`
	}
	if err := dec.Decode(&spec); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&jobs); err != nil {
		t.Fatal(err)
	}
	if err := spec.Spec.Inputs.Decode(&inputs); err != nil {
		t.Fatal(err)
	}
	return mappingKeys(t, &spec.Spec.Inputs), inputs, jobs
}

// secretInputs are the inputs config.Secrets masks: the ones that are
// secrets whatever their value.
func secretInputs() []string {
	env := map[string]string{}
	for _, in := range config.Inputs() {
		env[in.Env] = "value-of-" + in.Name
	}
	var names []string
	for _, s := range config.Secrets(env) {
		names = append(names, strings.TrimPrefix(s, "value-of-"))
	}
	return names
}

func TestComponentMatchesInputs(t *testing.T) {
	t.Parallel()
	names, specInputs, jobs := readComponent(t)
	// A component's inputs are written into the pipeline configuration,
	// which anyone who can read the project can read: a secret must stay a
	// masked CI/CD variable (JENKINS_TOKEN, JENKINS_BUILD_TOKEN), never an
	// input.
	secrets := secretInputs()
	if !slices.Contains(secrets, "token") || !slices.Contains(secrets, "build_token") {
		t.Fatalf("config.Secrets masks %q, want token and build_token among them", secrets)
	}
	var contract []config.Input
	for _, in := range config.Inputs() {
		if !slices.Contains(secrets, in.Name) {
			contract = append(contract, in)
		}
	}
	if want := append(slices.Clone(componentExtras), inputNames(contract)...); !slices.Equal(names, want) {
		t.Errorf("templates/trigger.yml declares the inputs\n%q\nwant (the component's own, then the contract's but secrets)\n%q", names, want)
	}

	if len(jobs) != 1 {
		t.Fatalf("templates/trigger.yml has %d jobs, want 1", len(jobs))
	}
	job, ok := jobs["$[[ inputs.job_name ]]"]
	if !ok {
		t.Fatalf("the job is not named by the job_name input: %v", slices.Collect(maps.Keys(jobs)))
	}
	script := strings.Join(job.Script, "\n")

	for _, in := range contract {
		got, ok := specInputs[in.Name]
		if !ok {
			continue // reported above
		}
		want := in.Default
		if d, ok := componentDefaults[in.Name]; ok {
			if in.Default != "" {
				t.Errorf("input %s: the code now defaults it to %q; the component's %q is for an empty one", in.Name, in.Default, d)
			}
			want = d
		}
		// GitLab: an input without a default is required.
		hasDefault := !got.Default.IsZero()
		if hasDefault == in.Required {
			t.Errorf("input %s: the component has a default: %v; the code has it required: %v", in.Name, hasDefault, in.Required)
		}
		boolean := in.Default == "true" || in.Default == "false"
		wantType, wantTag := "string", "!!str"
		if boolean {
			wantType, wantTag = "boolean", "!!bool"
		}
		if typ := cmp.Or(got.Type, "string"); typ != wantType {
			t.Errorf("input %s: type %s, want %s", in.Name, typ, wantType)
		}
		if hasDefault && (got.Default.Value != want || got.Default.ShortTag() != wantTag) {
			t.Errorf("input %s: default %s %q, want %s %q", in.Name, got.Default.ShortTag(), got.Default.Value, wantTag, want)
		}
		// The component may say more, never something else.
		if !strings.HasPrefix(strings.Join(strings.Fields(got.Description), " "), in.Description) {
			t.Errorf("input %s: the component says %q, code says %q", in.Name, got.Description, in.Description)
		}
		if !slices.Equal(got.Options, componentOptions[in.Name]) {
			t.Errorf("input %s: options %q, want %q", in.Name, got.Options, componentOptions[in.Name])
		}

		// Each input reaches the tool as INPUT_<NAME>, which it reads before
		// JENKINS_<NAME>. A boolean becomes text in the script: as a
		// variable's whole value it would stay a YAML boolean.
		ref := "$[[ inputs." + in.Name + " ]]"
		if boolean {
			if !strings.Contains(script, " "+in.GitHubEnv+"="+ref) {
				t.Errorf("the script does not set %s=%s", in.GitHubEnv, ref)
			}
			if _, ok := job.Variables[in.GitHubEnv]; ok {
				t.Errorf("boolean %s is a variable", in.GitHubEnv)
			}
		} else if job.Variables[in.GitHubEnv] != ref {
			t.Errorf("variable %s = %q, want %q", in.GitHubEnv, job.Variables[in.GitHubEnv], ref)
		}
	}
	for name := range job.Variables {
		if !slices.ContainsFunc(contract, func(in config.Input) bool { return in.GitHubEnv == name }) {
			t.Errorf("the job sets variable %s, which is no input of the component", name)
		}
	}
	for _, s := range secrets {
		if strings.Contains(script, "inputs."+s+" ") {
			t.Errorf("the script uses a secret input %s", s)
		}
	}

	// The options are the words the code takes: each is accepted, and so the
	// list cannot name one the tool would refuse.
	for name, opts := range componentOptions {
		in := contract[slices.IndexFunc(contract, func(in config.Input) bool { return in.Name == name })]
		for _, opt := range append(slices.Clone(opts), "bogus") {
			_, err := config.Load(map[string]string{
				"JENKINS_URL": "https://ci.example.com/jenkins", "JENKINS_JOB": "app", in.Env: opt,
			})
			if (err == nil) != (opt != "bogus") {
				t.Errorf("input %s=%s: config.Load says %v", name, opt, err)
			}
		}
	}

	if job.Stage != "$[[ inputs.stage ]]" || job.Image.Name != "$[[ inputs.image ]]" ||
		!slices.Equal(job.Image.Entrypoint, []string{""}) || !slices.Contains(job.Script, "jenkins-trigger") {
		t.Errorf("job = %+v, want the stage and image inputs, entrypoint [\"\"] and jenkins-trigger in the script", job)
	}
	r := job.Artifacts
	if r.When != "always" || r.Reports.Dotenv != "$[[ inputs.dotenv ]]" || r.Reports.JUnit != "$[[ inputs.junit ]]" ||
		!slices.Equal(r.Paths, []string{"$[[ inputs.artifacts_dir ]]/"}) {
		t.Errorf("artifacts = %+v, want always the dotenv and junit reports and the artifacts_dir", r)
	}
}

// The component runs the image of the release action.yml names: the one
// release.yml checks against the tag.
func TestComponentRunsTheActionsImage(t *testing.T) {
	t.Parallel()
	_, inputs, _ := readComponent(t)
	want := strings.TrimPrefix(readAction(t).Runs.Image, "docker://")
	if got := inputs["image"].Default.Value; got != want {
		t.Errorf("templates/trigger.yml's image input defaults to %q, action.yml runs %q", got, want)
	}
}
