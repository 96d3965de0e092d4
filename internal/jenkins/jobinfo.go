package jenkins

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/spell"
)

// ParamDef is a parameter a job defines.
type ParamDef struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Choices []string `json:"choices"`
}

// IsFile reports whether the parameter takes a file: core
// FileParameterDefinition and the file-parameters plugin's
// Base64FileParameterDefinition and StashedFileParameterDefinition.
func (p ParamDef) IsFile() bool { return strings.HasSuffix(p.Type, "FileParameterDefinition") }

// JobInfo is what the client reads of a job before triggering it.
type JobInfo struct {
	Buildable bool
	Params    []ParamDef
	// Date is Jenkins' clock when it answered.
	Date time.Time
}

// JobInfo reads whether job can be built and which parameters it defines.
// When Jenkins has no such job and the client has a user to ask as, it
// reads the job's folder once and returns a *NoSuchJobError naming the
// jobs nearest the one asked for; without a user, a 404 may only mean the
// job is hidden from anonymous callers, and comes back as it is.
func (c *Client) JobInfo(ctx context.Context, job Job) (*JobInfo, error) {
	var j struct {
		Buildable bool `json:"buildable"`
		Property  []struct {
			ParameterDefinitions []ParamDef `json:"parameterDefinitions"`
		} `json:"property"`
		Date
	}
	err := c.getJSON(ctx, job.Path+"api/json", "buildable,property[parameterDefinitions[name,type,choices]]", &j)
	if errors.Is(err, ErrNotFound) && c.opts.User != "" {
		return nil, c.noSuchJob(ctx, job, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read job %s: %w", job.Name, err)
	}
	info := &JobInfo{Buildable: j.Buildable, Date: j.Date.Date}
	for _, p := range j.Property {
		info.Params = append(info.Params, p.ParameterDefinitions...)
	}
	return info, nil
}

// NoSuchJobError is a job Jenkins does not have, or does not show this
// user: a 404 for its URL.
type NoSuchJobError struct {
	Job string // full name
	// Folder is the full name of the folder it was looked for in; "" for
	// Jenkins' top level.
	Folder string
	// FolderMissing is set when the folder is not there either; Listed
	// when its jobs were read, for Nearest or Others.
	FolderMissing, Listed bool
	// Nearest are the jobs of the folder nearest the name asked for;
	// Others, when none is near, the first few of the folder's jobs, and
	// More how many more it has.
	Nearest, Others []string
	More            int
	Err             error
}

func (e *NoSuchJobError) Error() string {
	folder := "Jenkins' top level"
	if e.Folder != "" {
		folder = "folder " + e.Folder
	}
	msg := "no job " + e.Job + ", or this user may not see it"
	switch {
	case e.FolderMissing:
		msg += fmt.Sprintf("; %s does not exist either", folder)
	case len(e.Nearest) > 0:
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(e.Nearest, ", "))
	case !e.Listed:
	case len(e.Others) == 0:
		msg += fmt.Sprintf("; %s has no job this user may see", folder)
	default:
		msg += fmt.Sprintf("; %s has %s", folder, strings.Join(e.Others, ", "))
		if e.More > 0 {
			msg += fmt.Sprintf(" and %d more", e.More)
		}
	}
	if strings.Contains(e.Job, ",") {
		msg += "; to trigger several jobs, put one job a line"
	}
	return msg
}

func (e *NoSuchJobError) Unwrap() error { return e.Err }

// maxNamed bounds the jobs a NoSuchJobError names.
const maxNamed = 5

// noSuchJob reads the folder of a job that is a 404, for the names it
// holds.
func (c *Client) noSuchJob(ctx context.Context, job Job, notFound error) error {
	folder := job.Folder()
	e := &NoSuchJobError{Job: job.Name, Folder: folder.Name, Err: notFound}
	var f struct {
		Jobs []struct {
			Name string `json:"name"`
		} `json:"jobs"`
	}
	err := c.getJSON(ctx, folder.Path+"api/json", "jobs[name]", &f)
	switch {
	case errors.Is(err, ErrNotFound):
		e.FolderMissing = true
		return e
	case err != nil:
		// The names are a help, not the answer: the 404 stands.
		return e
	}
	e.Listed = true
	names := make([]string, len(f.Jobs))
	for i, j := range f.Jobs {
		names[i] = j.Name
	}
	base := job.Name[strings.LastIndexByte(job.Name, '/')+1:]
	if e.Nearest = spell.Nearest(base, names, 3); len(e.Nearest) == 0 {
		e.Others = names[:min(len(names), maxNamed)]
		e.More = len(names) - len(e.Others)
	}
	return e
}
