package report

import (
	"crypto/rand"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// outputCommand is a step output as GITHUB_OUTPUT takes it: a heredoc whose
// delimiter is drawn for this write and is not in the value, as the runner's
// own toolkit writes one (prepareKeyValueMessage in @actions/core's
// file-command.ts). go-githubactions' SetOutput, which is used for nothing
// else, always writes "_GitHubActionsFileCommandDelimeter_": a value with a
// line equal to it would end early, and what follows would be read as lines
// of the file, which the runner rejects.
func outputCommand(name, value string) *githubactions.Command {
	delim := "ghadelimiter_" + rand.Text()
	for strings.Contains(value, delim) {
		delim = "ghadelimiter_" + rand.Text()
	}
	return &githubactions.Command{Name: "output", Message: name + "<<" + delim + githubactions.EOF + value + githubactions.EOF + delim}
}
