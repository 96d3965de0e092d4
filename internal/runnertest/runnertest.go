// Package runnertest reads what a step writes as the GitHub runner
// (actions/runner) does, for tests: its stdout, line by line, for the
// workflow commands the runner would act on, and its GITHUB_OUTPUT file for
// the outputs it would set. It models the runner's rules, as its source
// states them, strictly: a line that could be taken for a command is one.
package runnertest

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// ParseOutputs reads a GITHUB_OUTPUT file as the runner does on Linux
// (EnvFileKeyValuePairs in src/Runner.Worker/FileCommandManager.cs): lines
// end at LF; "name=value", or "name<<DELIM" then the value's lines up to a
// line equal to DELIM. Anything else is an error, which fails the step.
func ParseOutputs(text string) ([][2]string, error) {
	var out [][2]string
	lines := strings.SplitAfter(text, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSuffix(lines[i], "\n")
		if line == "" {
			continue
		}
		eq, here := strings.Index(line, "="), strings.Index(line, "<<")
		switch {
		case eq >= 0 && (here < 0 || eq < here):
			out = append(out, [2]string{line[:eq], line[eq+1:]})
		case here >= 0:
			name, delim := line[:here], line[here+2:]
			if name == "" || delim == "" {
				return nil, fmt.Errorf("invalid format %q", line)
			}
			var value []string
			for i++; ; i++ {
				if i >= len(lines) {
					return nil, fmt.Errorf("matching delimiter not found %q", delim)
				}
				if !strings.HasSuffix(lines[i], "\n") {
					return nil, errors.New("EOF marker missing new line")
				}
				if l := strings.TrimSuffix(lines[i], "\n"); l == delim {
					break
				} else {
					value = append(value, l)
				}
			}
			out = append(out, [2]string{name, strings.Join(value, "\n")})
		default:
			return nil, fmt.Errorf("invalid format %q", line)
		}
	}
	return out, nil
}

// Lines splits stdout as the runner reads it: lines end at LF, CR or
// CRLF (StreamReader.ReadLine).
func Lines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// CouldCommand reports whether the runner could take a line for a
// workflow command: "::" at its start once white space is trimmed
// (ActionCommand.TryParseV2), or "##[" anywhere (ActionCommand.TryParse).
// Whether the command exists is not asked: none may look like one.
func CouldCommand(line string) bool {
	return strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") || strings.Contains(line, "##[")
}

// Commands reads stdout as the runner would, tracking stop-commands, and
// returns the commands it acts on, with their data unescaped. It fails on
// a line that looks like a command and is none of the reporter's own, and
// on an own command whose data has a line that looks like one.
func Commands(stdout string) ([][2]string, error) {
	own := map[string]bool{"error": true, "warning": true, "notice": true, "group": true, "endgroup": true, "add-mask": true, "stop-commands": true}
	unescape := strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%")
	var out [][2]string
	stopped := ""
	for _, line := range Lines(stdout) {
		if stopped != "" {
			if line == "::"+stopped+"::" {
				stopped = ""
				out = append(out, [2]string{"resume", ""})
			}
			continue
		}
		if !CouldCommand(line) {
			continue
		}
		name, data, ok := strings.Cut(strings.TrimPrefix(line, "::"), "::")
		if !strings.HasPrefix(line, "::") || !ok || !own[name] {
			return nil, fmt.Errorf("a line could form a command: %q", line)
		}
		data = unescape.Replace(data)
		if name == "stop-commands" {
			stopped = data
		}
		for _, l := range Lines(data) {
			if CouldCommand(l) {
				return nil, fmt.Errorf("the data of %q could form a command: %q", line, l)
			}
		}
		out = append(out, [2]string{name, data})
	}
	if stopped != "" {
		return nil, errors.New("commands stay stopped at the end")
	}
	return out, nil
}
