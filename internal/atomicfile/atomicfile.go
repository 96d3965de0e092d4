// Package atomicfile writes a file whole: a process killed at any moment
// leaves either the old version or the new one, never a part.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes data to a new file beside path, syncs it and renames it
// over path. The error is the one of the step that failed, without the
// temporary file's name.
//
// The file is readable by all, as os.Create makes it with the usual
// umask, not private as a temporary file is: a dotenv file is read by the
// steps after, which may run as another user than a container action.
func Write(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return unwrapPath(err)
	}
	err = f.Chmod(0o644)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return unwrapPath(err)
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	if le, ok := err.(*os.LinkError); ok {
		return le.Err
	}
	return err
}
