package flow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/spell"
)

// NotBuildableError means Jenkins would refuse the build: the job is
// disabled, or cannot be built at all.
type NotBuildableError struct{ Job string }

func (e *NotBuildableError) Error() string {
	return fmt.Sprintf("job %s is disabled or cannot be built (buildable: false); a folder or multibranch project is never built itself: name one of its jobs or branches", e.Job)
}

// check reads the job's definition and checks the parameters against it
// before anything is triggered: Jenkins silently drops a name it does not
// define, and fails with a 500 on a choice it does not offer. A job that
// does not exist is an error naming the jobs nearest it. When the
// definition cannot be read (a build token without read permission), it
// warns and lets the trigger go ahead unchecked: a caller with only a build
// token then triggers through /buildByToken/.
func (r *run) check(ctx context.Context) error {
	info, err := r.Client.JobInfo(ctx, r.job)
	var missing *jenkins.NoSuchJobError
	var he *jenkins.HTTPError
	switch {
	case errors.As(err, &missing):
		return err
	case errors.As(err, &he) && (he.Status == http.StatusForbidden || he.Status == http.StatusNotFound):
		r.log.Warning("cannot read the definition of %s (%d), so its parameters are not checked before triggering", r.job.Name, he.Status)
		return nil
	case err != nil:
		return err
	case !info.Buildable:
		return &NotBuildableError{Job: r.job.Name}
	}
	r.info = info
	return checkParameters(r.job.Name, info.Params, r.opts.Params, r.opts.Files)
}

// checkParameters reports, all at once, every given parameter or file the
// job's definitions would not take as meant.
func checkParameters(job string, defs []jenkins.ParamDef, params []build.Param, files []build.File) error {
	if len(defs) == 0 && len(params)+len(files) > 0 {
		input := "parameters"
		if len(params) == 0 {
			input = "files"
		}
		return &contract.InputError{Input: input, Err: fmt.Errorf("%s takes no parameters", job)}
	}
	byName := make(map[string]jenkins.ParamDef, len(defs))
	names := make([]string, 0, len(defs))
	for _, d := range defs {
		byName[d.Name] = d
		names = append(names, d.Name)
	}
	var paramProblems, fileProblems []string
	unknown := func(name string) string {
		msg := fmt.Sprintf("%s is not a parameter of %s", name, job)
		if near := spell.Nearest(name, names, 1); len(near) > 0 {
			msg += fmt.Sprintf("; did you mean %s?", near[0])
		}
		return msg + fmt.Sprintf(" (it takes %s)", strings.Join(names, ", "))
	}
	for _, p := range params {
		d, ok := byName[p.Name]
		switch {
		case !ok:
			paramProblems = append(paramProblems, unknown(p.Name))
		case d.IsFile():
			paramProblems = append(paramProblems, fmt.Sprintf("%s is a file parameter: give it in files as %s=path", p.Name, p.Name))
		case strings.HasSuffix(d.Type, "ChoiceParameterDefinition") && len(d.Choices) > 0 && !slices.Contains(d.Choices, p.Value):
			paramProblems = append(paramProblems, fmt.Sprintf("%q is not a choice of %s (choices: %s)", p.Value, p.Name, strings.Join(d.Choices, ", ")))
		case d.Type == "BooleanParameterDefinition" && !strings.EqualFold(p.Value, "true") && !strings.EqualFold(p.Value, "false"):
			paramProblems = append(paramProblems, fmt.Sprintf("%s is a boolean parameter: give true or false, not %q", p.Name, p.Value))
		}
	}
	for _, f := range files {
		d, ok := byName[f.Name]
		switch {
		case !ok:
			fileProblems = append(fileProblems, unknown(f.Name))
		case !d.IsFile():
			fileProblems = append(fileProblems, fmt.Sprintf("%s is not a file parameter: give it in parameters", f.Name))
		}
	}
	switch {
	case len(paramProblems) > 0:
		return &contract.InputError{Input: "parameters", Err: errors.New(strings.Join(append(paramProblems, fileProblems...), "; "))}
	case len(fileProblems) > 0:
		return &contract.InputError{Input: "files", Err: errors.New(strings.Join(fileProblems, "; "))}
	}
	return nil
}
