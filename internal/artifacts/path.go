package artifacts

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// localPath checks an artifact's relativePath, which the server chose, and
// returns where it goes below the directory, in the system's form.
func localPath(rel string) (string, error) {
	switch {
	case rel == "":
		return "", errors.New("its path is empty")
	case !utf8.ValidString(rel):
		return "", errors.New("its path is not valid UTF-8")
	case strings.ContainsFunc(rel, isControl):
		return "", errors.New("its path has a control character")
	case strings.Contains(rel, `\`):
		return "", errors.New(`its path has a backslash, a separator on Windows`)
	case strings.HasPrefix(rel, "/"):
		return "", errors.New("its path is absolute")
	}
	for i, seg := range strings.Split(rel, "/") {
		switch {
		case seg == "":
			return "", errors.New("its path has an empty segment")
		case seg == "." || seg == "..":
			return "", fmt.Errorf("its path has a %q segment", seg)
		case i == 0 && len(seg) >= 2 && seg[1] == ':' && isLetter(seg[0]):
			return "", errors.New("its path names a drive")
		}
	}
	local := filepath.FromSlash(rel)
	if !filepath.IsLocal(local) {
		return "", errors.New("its path would land outside the directory")
	}
	return local, nil
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// foldKey is what two paths share when a case-insensitive or
// normalization-insensitive file system (macOS, Windows) takes them for
// one file.
func foldKey(rel string) string { return cases.Fold().String(norm.NFC.String(rel)) }

// save writes one file at local below root: to a temporary file beside it,
// renamed once fetch has filled it and its size checks out, so that a
// half-written file never stands under the real name.
func save(root *os.Root, local string, fetch func(Writer) (int64, error)) (int64, error) {
	dir := filepath.Dir(local)
	if dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return 0, err
		}
	}
	tmp := filepath.Join(dir, ".jenkins-trigger-"+rand.Text()[:12]+".part")
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			root.Remove(tmp)
		}
	}()
	size, err := fetch(&fileWriter{f: f})
	if err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if st.Size() != size {
		return 0, fmt.Errorf("wrote %d bytes of %d", st.Size(), size)
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	if err := root.Rename(tmp, local); err != nil {
		return 0, err
	}
	done = true
	return size, nil
}

// fileWriter lets a download start over in its file.
type fileWriter struct{ f *os.File }

func (w *fileWriter) Write(p []byte) (int, error) { return w.f.Write(p) }

func (w *fileWriter) Restart() error {
	if err := w.f.Truncate(0); err != nil {
		return err
	}
	_, err := w.f.Seek(0, io.SeekStart)
	return err
}
