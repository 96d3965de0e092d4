package flow

import (
	"errors"
	"strings"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

func TestCheckParameters(t *testing.T) {
	t.Parallel()
	defs := []jenkins.ParamDef{
		{Name: "VERSION", Type: "StringParameterDefinition"},
		{Name: "TARGET", Type: "ChoiceParameterDefinition", Choices: []string{"staging", "production"}},
		{Name: "DRY_RUN", Type: "BooleanParameterDefinition"},
		{Name: "PLAN", Type: "FileParameterDefinition"},
		{Name: "BUNDLE", Type: "Base64FileParameterDefinition"},
		{Name: "MANIFEST", Type: "StashedFileParameterDefinition"},
	}
	p := func(kv ...string) []jenkins.Param {
		var out []jenkins.Param
		for i := 0; i < len(kv); i += 2 {
			out = append(out, jenkins.Param{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	tests := []struct {
		name   string
		defs   []jenkins.ParamDef
		params []jenkins.Param
		files  []jenkins.FileParam
		input  string
		want   []string
	}{
		{"all good", defs, p("VERSION", "1", "TARGET", "production", "DRY_RUN", "TRUE"), []jenkins.FileParam{{Name: "PLAN", Path: "x"}, {Name: "BUNDLE", Path: "y"}, {Name: "MANIFEST", Path: "z"}}, "", nil},
		{"typo", defs, p("VERSON", "1"), nil, "parameters", []string{"did you mean VERSION?"}},
		{"case typo", defs, p("version", "1"), nil, "parameters", []string{"did you mean VERSION?"}},
		{"far off", defs, p("COLOUR", "1"), nil, "parameters", []string{"COLOUR is not a parameter of job (it takes"}},
		{"bad choice", defs, p("TARGET", "prod"), nil, "parameters", []string{"choices: staging, production"}},
		{"bad boolean", defs, p("DRY_RUN", "1"), nil, "parameters", []string{"give true or false"}},
		{"file in parameters", defs, p("BUNDLE", "x"), nil, "parameters", []string{"BUNDLE is a file parameter"}},
		{"string in files", defs, nil, []jenkins.FileParam{{Name: "VERSION", Path: "x"}}, "files", []string{"VERSION is not a file parameter"}},
		{"both at once", defs, p("VERSON", "1"), []jenkins.FileParam{{Name: "TARGET", Path: "x"}}, "parameters", []string{"VERSON", "TARGET is not a file parameter"}},
		{"no parameters defined", nil, p("A", "1"), nil, "parameters", []string{"job takes no parameters"}},
		{"only files, none defined", nil, nil, []jenkins.FileParam{{Name: "F", Path: "x"}}, "files", []string{"job takes no parameters"}},
		{"nothing given, none defined", nil, nil, nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkParameters("job", tt.defs, tt.params, tt.files)
			if tt.input == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var ie *ParamError
			if !errors.As(err, &ie) || ie.Input != tt.input {
				t.Fatalf("err = %v, want an InputError on %s", err, tt.input)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"VERSION", "VERSON", 1}, {"KITTEN", "SITTING", 3}, {"é", "e", 1}, {"", "ABC", 3}} {
		if got := editDistance(tt.a, tt.b); got != tt.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.d)
		}
	}
}
