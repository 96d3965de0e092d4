package jenkinstest

import (
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkUpload measures how fast the fake takes a multipart file
// parameter: it must not be the bottleneck of the client's upload benchmark.
func BenchmarkUpload(b *testing.B) {
	const size = 256 << 20
	srv := newServer(Options{Users: map[string]User{"alice": {APIToken: aliceToken}}})
	srv.AddJob(JobSpec{FullName: "upload", Params: []ParamDef{{Name: "BUNDLE", Type: "file"}}})
	h := srv.Handler()
	b.SetBytes(size)
	for b.Loop() {
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			fw, _ := mw.CreateFormFile("BUNDLE", "bundle.bin")
			_, _ = io.CopyN(fw, zeroReader{}, size)
			_ = mw.Close()
			_ = pw.Close()
		}()
		req := httptest.NewRequest(http.MethodPost, "/job/upload/buildWithParameters", pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.SetBasicAuth("alice", aliceToken)
		w := &countingDiscard{header: http.Header{}}
		h.ServeHTTP(w, req)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
