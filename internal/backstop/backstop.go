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
// the runner gives one, else a file beside the dotenv file. It returns nil
// when there is neither, as with a plain docker run: a killed step there
// has no second chance.
func Where(getenv func(string) string, dotenv string) Saver {
	switch {
	case getenv("GITHUB_STATE") != "":
		return githubState{action: githubactions.New(githubactions.WithGetenv(getenv)), path: getenv("GITHUB_STATE")}
	case dotenv != "":
		return stateFile(StatePath(dotenv))
	}
	return nil
}

// StatePath is the file beside the dotenv file that keeps the record off
// GitHub.
func StatePath(dotenv string) string { return dotenv + ".state" }

// Load reads the record the main step saved: STATE_jenkins_trigger on
// GitHub, else the file beside the dotenv file. found is false when the
// step saved nothing there.
func Load(getenv func(string) string, dotenv string) (rec Record, found bool, err error) {
	var data []byte
	switch {
	case getenv("GITHUB_ACTIONS") == "true":
		data = []byte(getenv("STATE_" + stateName))
	case dotenv != "":
		data, err = os.ReadFile(StatePath(dotenv))
		if os.IsNotExist(err) {
			return Record{}, false, nil
		}
		if err != nil {
			return Record{}, false, fmt.Errorf("read the step's record: %w", err)
		}
	}
	if len(data) == 0 {
		return Record{}, false, nil
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return Record{}, false, fmt.Errorf("read the step's record: %w", err)
	}
	return rec, true, nil
}

// githubState saves the record through GITHUB_STATE; the runner keeps the
// last value saved under a name. The record is one line of JSON, which
// can never be a line equal to go-githubactions' fixed delimiter, so
// SaveState is safe here.
type githubState struct {
	action *githubactions.Action
	path   string
}

func (g githubState) Save(r Record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	// SaveState panics when it cannot write the file.
	return catch(func() { g.action.SaveState(stateName, string(data)) }, g.path)
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

// stateFile saves the record in a file, whole, so that a kill at any
// moment leaves one whole record.
type stateFile string

func (f stateFile) Save(r Record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(string(f), data); err != nil {
		return fmt.Errorf("write %s: %w", string(f), err)
	}
	return nil
}
