package flow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

// NotBuildableError means Jenkins would refuse the build: the job is
// disabled, or cannot be built at all.
type NotBuildableError struct{ Job string }

func (e *NotBuildableError) Error() string {
	return fmt.Sprintf("job %s is disabled or cannot be built (buildable: false); a folder or multibranch project is never built itself: name one of its jobs or branches", e.Job)
}

// checkJob reads the job's definition and checks the parameters against it
// before anything is triggered: Jenkins silently drops a name it does not
// define, and fails with a 500 on a choice it does not offer. When the
// definition cannot be read (a build token without read permission), it
// warns and lets the trigger go ahead.
//
// It returns nil, and no error, when the job cannot be read: a caller with
// only a build token must then trigger through /buildByToken/.
func (r *Run) checkJob(ctx context.Context) (*jenkins.JobInfo, error) {
	info, err := r.Client.JobInfo(ctx, r.opts.Job)
	var he *jenkins.HTTPError
	if errors.As(err, &he) && (he.Status == http.StatusForbidden || he.Status == http.StatusNotFound) {
		r.Report.Warning("cannot read the definition of %s (%d), so its parameters are not checked before triggering", r.opts.Job.Name, he.Status)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !info.Buildable {
		return nil, &NotBuildableError{Job: r.opts.Job.Name}
	}
	return info, checkParameters(r.opts.Job.Name, info.Params, r.opts.Params, r.opts.Files)
}

// ParamError is a parameter or file the job would not take as meant: the
// run stops before anything is triggered.
type ParamError struct {
	Input string // "parameters" or "files"
	Err   error
}

func (e *ParamError) Error() string { return e.Err.Error() }
func (e *ParamError) Unwrap() error { return e.Err }

// checkParameters reports, all at once, every given parameter or file the
// job's definitions would not take as meant.
func checkParameters(job string, defs []jenkins.ParamDef, params []jenkins.Param, files []jenkins.FileParam) error {
	if len(defs) == 0 && len(params)+len(files) > 0 {
		input := "parameters"
		if len(params) == 0 {
			input = "files"
		}
		return &ParamError{Input: input, Err: fmt.Errorf("%s takes no parameters", job)}
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
		if near := nearest(name, names); near != "" {
			msg += fmt.Sprintf("; did you mean %s?", near)
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
		return &ParamError{Input: "parameters", Err: errors.New(strings.Join(append(paramProblems, fileProblems...), "; "))}
	case len(fileProblems) > 0:
		return &ParamError{Input: "files", Err: errors.New(strings.Join(fileProblems, "; "))}
	}
	return nil
}

// nearest returns the defined name closest to a misspelt one, if any is
// close enough to be a likely typo.
func nearest(name string, names []string) string {
	best, bestDist := "", len(name)/3+2
	for _, n := range names {
		if d := editDistance(strings.ToUpper(name), strings.ToUpper(n)); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
