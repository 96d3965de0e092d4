package cli

import (
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
