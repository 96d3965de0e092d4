package jenkins

import (
	"errors"
	"fmt"
)

// validator is implemented by answers that can be checked beyond their
// JSON types; decodeJSON refuses those that fail as unusable answers.
type validator interface{ validate() error }

// validate refuses a build number Jenkins never gives: following it could
// only end at the timeout, or stop a build that does not exist.
func (q *QueueItem) validate() error {
	if q.Executable == nil {
		return nil
	}
	if q.Executable.Number <= 0 {
		return fmt.Errorf("queue item %d names build #%d", q.ID, q.Executable.Number)
	}
	if err := q.Executable.validate(); err != nil {
		return fmt.Errorf("queue item %d names %w", q.ID, err)
	}
	return nil
}

func (b *Build) validate() error {
	switch {
	case b.Number <= 0:
		return fmt.Errorf("build #%d", b.Number)
	case b.Duration < 0:
		return errors.New("a negative duration")
	}
	return nil
}
