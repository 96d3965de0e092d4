package report

import (
	"fmt"
	"io"

	"github.com/sethvargo/go-githubactions"
)

// github speaks GitHub's workflow commands on stdout.
type github struct {
	action  *githubactions.Action
	stdout  io.Writer
	dotenv  *dotenv
	masks   *masker
	outputs bool // GITHUB_OUTPUT is set; the library panics otherwise
	grouped bool
}

func newGitHub(e Env, d *dotenv, masks *masker) *github {
	return &github{
		action:  githubactions.New(githubactions.WithWriter(e.Stdout), githubactions.WithGetenv(e.Getenv)),
		stdout:  e.Stdout,
		dotenv:  d,
		masks:   masks,
		outputs: e.Getenv("GITHUB_OUTPUT") != "",
	}
}

func (g *github) Mask(secret string) {
	if secret == "" {
		return
	}
	g.masks.add(secret)
	g.action.AddMask(secret)
}

func (g *github) Status(format string, args ...any) {
	fmt.Fprintln(g.stdout, g.masks.apply(fmt.Sprintf(format, args...)))
}

func (g *github) Warning(format string, args ...any) {
	g.action.Warningf("%s", g.masks.apply(fmt.Sprintf(format, args...)))
}

func (g *github) Error(format string, args ...any) {
	g.action.Errorf("%s", g.masks.apply(fmt.Sprintf(format, args...)))
}

func (g *github) Output(name, value string) error {
	if g.outputs {
		g.action.SetOutput(name, value)
	}
	return g.dotenv.set(name, value)
}

func (g *github) BeginConsole(title string) {
	g.action.Group(g.masks.apply(title))
	g.grouped = true
}

func (g *github) Console() io.Writer { return g.stdout }

func (g *github) EndConsole() {
	if g.grouped {
		g.action.EndGroup()
		g.grouped = false
	}
}

func (g *github) Verdict(v Verdict) {
	g.EndConsole()
	line := g.masks.apply(v.line())
	switch v.Result {
	case "SUCCESS":
		fmt.Fprintln(g.stdout, line)
	case "UNSTABLE":
		g.action.Warningf("%s", line)
	default:
		g.action.Errorf("%s", line)
	}
}
