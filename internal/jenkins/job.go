package jenkins

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Job names a job by its URL path under the client's base URL.
type Job struct {
	// Path is the escaped path below the base URL, "/job/a/job/b/".
	Path string
	// Name is the full name, "a/b", for messages.
	Name string
}

// IsTask reports whether a queue item's task URL, under Jenkins' own root
// URL, is the job: its path ends with the job's, and what comes before is
// the context path, not a folder (deploy is not team/deploy).
func (j Job) IsTask(taskURL string) bool {
	u, err := url.Parse(taskURL)
	if err != nil {
		return false
	}
	context, ok := strings.CutSuffix(u.EscapedPath(), j.Path)
	return ok && !strings.Contains(context+"/", "/job/")
}

// Folder is the folder the job is in: Jenkins' top level has Path "/" and
// Name "".
func (j Job) Folder() Job {
	path := strings.TrimSuffix(j.Path, "/")
	i := strings.LastIndex(path, "/job/")
	if i < 0 {
		return Job{Path: "/"}
	}
	name := ""
	if k := strings.LastIndexByte(j.Name, '/'); k >= 0 {
		name = j.Name[:k]
	}
	return Job{Path: path[:i+1], Name: name}
}

// ParseJob turns the job input into a Job. A full name has its folders
// separated by "/"; each segment is escaped as Jenkins' Util.rawEncode does,
// so a multibranch item name such as "feature%2Flogin" reaches Jenkins as
// "feature%252Flogin". A URL is accepted when it lies under base.
func ParseJob(base *url.URL, job string) (Job, error) {
	job = strings.TrimSpace(job)
	if strings.HasPrefix(job, "http://") || strings.HasPrefix(job, "https://") {
		return parseJobURL(base, job)
	}
	name := strings.Trim(job, "/")
	if name == "" {
		return Job{}, errors.New("is empty")
	}
	var b strings.Builder
	for _, seg := range strings.Split(name, "/") {
		if err := checkSegment(seg); err != nil {
			return Job{}, err
		}
		b.WriteString("/job/")
		b.WriteString(rawEncode(seg))
	}
	b.WriteString("/")
	return Job{Path: b.String(), Name: name}, nil
}

func checkSegment(seg string) error {
	switch seg {
	case "":
		return errors.New("has an empty folder name (two slashes in a row)")
	case ".", "..":
		return fmt.Errorf("has %q as a name", seg)
	}
	return nil
}

func parseJobURL(base *url.URL, raw string) (Job, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Job{}, errors.New("is not a valid URL")
	}
	if !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(u.Host, base.Host) {
		return Job{}, fmt.Errorf("is a URL that is not under the url input (%s)", Redact(base))
	}
	rest, ok := strings.CutPrefix(u.EscapedPath(), base.EscapedPath())
	if !ok || !strings.HasPrefix(rest, "/job/") {
		return Job{}, fmt.Errorf("is a URL that is not a job under the url input (%s)", Redact(base))
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	if len(segs)%2 != 0 {
		return Job{}, errors.New("is a URL that does not end at a job (/job/NAME/)")
	}
	names := make([]string, 0, len(segs)/2)
	var b strings.Builder
	for i := 0; i < len(segs); i += 2 {
		if segs[i] != "job" {
			return Job{}, errors.New("is a URL that does not end at a job (/job/NAME/)")
		}
		name, err := url.PathUnescape(segs[i+1])
		if err != nil {
			return Job{}, errors.New("is a URL with a badly escaped job name")
		}
		if err := checkSegment(name); err != nil {
			return Job{}, err
		}
		names = append(names, name)
		b.WriteString("/job/")
		b.WriteString(rawEncode(name))
	}
	b.WriteString("/")
	return Job{Path: b.String(), Name: strings.Join(names, "/")}, nil
}

// rawEncode escapes one path segment as Jenkins' Util.rawEncode does:
// control characters, space, "#%/:;<>?[\]^`{|}~ and all non-ASCII bytes.
func rawEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if keepRaw(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func keepRaw(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!$&'()*+,-.=@_", c) >= 0
}
