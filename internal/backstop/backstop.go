// Package backstop is the second chance a runner gives a step it killed: the
// step saves the queue items and builds it owns as it learns them, and the
// post mode, run by the runner after the step however it ended, cancels or
// stops whatever of them is still queued or running. A step that reached its
// own end says so, and the post mode then leaves every build alone.
package backstop

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sethvargo/go-githubactions"

	"github.com/jenkins-trigger/jenkins-trigger/internal/atomicfile"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

// Owned is a build the step triggered and would stop on a stop
// (abort_on_stop), as far as it is known.
type Owned struct {
	Job jenkins.Job `json:"job"`
	// SentMS is when the trigger was sent, in ms on Jenkins' clock: a
	// trigger whose answer never came is found by it.
	SentMS int64 `json:"sent_ms"`
	// Queue and Build are the queue item and the build; 0 until known.
	Queue int `json:"queue,omitempty"`
	Build int `json:"build,omitempty"`
	// Done is set once the step saw the build end: nothing is left to do.
	Done bool `json:"done,omitempty"`
}

// Record is what a step saves.
type Record struct {
	// Ended says the step reached its own end, having stopped what it had
	// to: the post mode has nothing to do.
	Ended  bool    `json:"ended"`
	Builds []Owned `json:"builds"`
}

// Saver keeps the latest Record where the post mode finds it.
type Saver interface {
	Save(Record) error
}

// stateName is the name the record is saved under in GITHUB_STATE; the
// runner hands it to the post step as STATE_jenkins_trigger.
const stateName = "jenkins_trigger"

// Where says where a step's record is kept: GitHub's GITHUB_STATE when
// the runner gives one, and a file beside it (see fallbackPath); else a
// file beside the dotenv file. It returns nil when there is neither, as
// with a plain docker run: a killed step there has no second chance.
func Where(getenv func(string) string, dotenv string) Saver {
	switch {
	case getenv("GITHUB_STATE") != "":
		return githubState{
			action:   githubactions.New(githubactions.WithGetenv(getenv)),
			path:     getenv("GITHUB_STATE"),
			fallback: fallbackPath(getenv),
		}
	case dotenv != "":
		return stateFile(StatePath(dotenv))
	}
	return nil
}

// StatePath is the file beside the dotenv file that keeps the record off
// GitHub.
func StatePath(dotenv string) string { return dotenv + ".state" }

// fallbackPath is the file that also keeps the record on a runner with
// GITHUB_STATE: in GITHUB_STATE's directory, named from GITHUB_ACTION; ""
// when either is unset.
//
// It is there for runners that run a docker action's post-entrypoint but
// hand it no STATE_ variables: act (v0.2.89, pkg/runner/action.go
// runPostStep calls populateEnvsFromSavedState for node actions only), and
// so its forks that run jobs in production, Gitea's act_runner and
// Forgejo's runner. The directory outlives the main step on every runner:
// act's GITHUB_STATE is /var/run/act/workflow/statecmd.txt for every step
// (step.go), on the volume <job>-env that every step's container of the job
// mounts (run_context.go GetBindsAndMounts); GitHub's runner makes each
// step's file in _temp/_runner_file_commands (FileCommandManager.cs), a
// container action's /github/file_commands (ContainerActionHandler.cs),
// deletes only its own files between steps, and cleans _temp at the job's
// start and end only (TempDirectoryManager.cs). GITHUB_ACTION is the same
// in the main and post steps: act's is the step's id at every stage
// (step.go, rc.CurrentStep); GitHub's is the step's Action.Name
// (StepsRunner.cs), and the post step runs the same Action
// (ActionRunner.cs).
func fallbackPath(getenv func(string) string) string {
	state, action := getenv("GITHUB_STATE"), getenv("GITHUB_ACTION")
	if state == "" || action == "" {
		return ""
	}
	// Only characters that keep the name one plain file name.
	safe := []byte(action)
	for i, c := range safe {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			safe[i] = '_'
		}
	}
	return filepath.Join(filepath.Dir(state), "jenkins-trigger-"+string(safe)+".json")
}

// Load reads the record the main step saved, from each place Where may
// have put it, in turn: STATE_jenkins_trigger as the runner hands it, the
// file beside GITHUB_STATE, the file beside the dotenv file. found is
// false when the step saved nothing.
func Load(getenv func(string) string, dotenv string) (rec Record, found bool, err error) {
	data := []byte(getenv("STATE_" + stateName))
	if len(data) == 0 && fallbackPath(getenv) != "" {
		data, err = readRecord(fallbackPath(getenv))
	}
	if len(data) == 0 && err == nil && dotenv != "" {
		data, err = readRecord(StatePath(dotenv))
	}
	if err != nil {
		return Record{}, false, err
	}
	if len(data) == 0 {
		return Record{}, false, nil
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return Record{}, false, fmt.Errorf("read the step's record: %w", err)
	}
	return rec, true, nil
}

// readRecord reads a saved record's file; a missing one is an empty record.
func readRecord(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the step's record: %w", err)
	}
	return data, nil
}

// Forget removes the file beside GITHUB_STATE once the post mode has
// handled it: act keeps its directory from one run to the next with
// --reuse, and a record left there is no longer true.
func Forget(getenv func(string) string) error {
	path := fallbackPath(getenv)
	if path == "" {
		return nil
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove the step's record: %w", err)
	}
	return nil
}

// githubState saves the record through GITHUB_STATE; the runner keeps the
// last value saved under a name. The record is one line of JSON, which
// can never be a line equal to go-githubactions' fixed delimiter, so
// SaveState is safe here. It also keeps the record in fallback, when set.
type githubState struct {
	action   *githubactions.Action
	path     string
	fallback string
}

func (g githubState) Save(r Record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	// SaveState panics when it cannot write the file.
	if err := catch(func() { g.action.SaveState(stateName, string(data)) }, g.path); err != nil {
		return err
	}
	if g.fallback == "" {
		return nil
	}
	return writeRecord(g.fallback, data)
}

func catch(f func(), path string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write GITHUB_STATE %s: %v", path, p)
		}
	}()
	f()
	return nil
}

// stateFile saves the record in a file.
type stateFile string

func (f stateFile) Save(r Record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return writeRecord(string(f), data)
}

// writeRecord writes a record's file whole, so that a kill at any moment
// leaves one whole record.
func writeRecord(path string, data []byte) error {
	if err := atomicfile.Write(path, data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
