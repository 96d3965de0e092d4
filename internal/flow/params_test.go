package flow

import (
	"errors"
	"strings"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
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
	p := func(kv ...string) []build.Param {
		var out []build.Param
		for i := 0; i < len(kv); i += 2 {
			out = append(out, build.Param{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	tests := []struct {
		name   string
		defs   []jenkins.ParamDef
		params []build.Param
		files  []build.File
		input  string
		want   []string
	}{
		{"all good", defs, p("VERSION", "1", "TARGET", "production", "DRY_RUN", "TRUE"), []build.File{{Name: "PLAN", Path: "x"}, {Name: "BUNDLE", Path: "y"}, {Name: "MANIFEST", Path: "z"}}, "", nil},
		{"typo", defs, p("VERSON", "1"), nil, "parameters", []string{"did you mean VERSION?"}},
		{"case typo", defs, p("version", "1"), nil, "parameters", []string{"did you mean VERSION?"}},
		{"far off", defs, p("COLOUR", "1"), nil, "parameters", []string{"COLOUR is not a parameter of job (it takes"}},
		{"bad choice", defs, p("TARGET", "prod"), nil, "parameters", []string{"choices: staging, production"}},
		{"bad boolean", defs, p("DRY_RUN", "1"), nil, "parameters", []string{"give true or false"}},
		{"file in parameters", defs, p("BUNDLE", "x"), nil, "parameters", []string{"BUNDLE is a file parameter"}},
		{"string in files", defs, nil, []build.File{{Name: "VERSION", Path: "x"}}, "files", []string{"VERSION is not a file parameter"}},
		{"both at once", defs, p("VERSON", "1"), []build.File{{Name: "TARGET", Path: "x"}}, "parameters", []string{"VERSON", "TARGET is not a file parameter"}},
		{"no parameters defined", nil, p("A", "1"), nil, "parameters", []string{"job takes no parameters"}},
		{"only files, none defined", nil, nil, []build.File{{Name: "F", Path: "x"}}, "files", []string{"job takes no parameters"}},
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
			var ie *contract.InputError
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
