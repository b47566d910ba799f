package api

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// fastSeeds are bodies of the usual shape and near misses of it: escapes,
// duplicate keys, nulls, numbers that are not plain digits, base64 with
// line breaks, trailing data.
var fastSeeds = []string{
	`{"blobs":[{"namespace":"0102030405060708090a","data":"aGVsbG8="}]}`,
	` { "blobs" : [ { "data" : "aGk=" , "namespace" : "0102030405060708090a" , "share_version" : 0 } ] , "timeout" : "5s" } `,
	`{"blobs":[{"namespace":"0102030405060708090a","data":"","share_version":1,"signer":"00112233445566778899aabbccddeeff00112233"}]}`,
	`{"blobs":[{"namespace":"0102030405060708090a","data":"aGk="},{"namespace":"0a","data":"aA=="}],"timeout":"1m"}`,
	`{"blobs":[]}`, `{}`, ``, `{`, `[]`, `null`,
	`{"blobs":[{"namespace":"0102030405060708090a","data":"aGk="}]}x`,
	`{"blobs":[{"namespace":"0102030405060708090a","data":"aGk="}]}{}`,
	`{"blobs":[{"namespace":"0102030405060708090a","data":"aGk="}],"blobs":[]}`,
	`{"blobs":[{"namespace":"01","namespace":"02","data":"aGk="}]}`,
	`{"blobs":[{"namespace":"01","data":null}]}`,
	`{"blobs":null}`,
	`{"blobs":[{"namespace":"01","data":"aGk=","share_version":1.0}]}`,
	`{"blobs":[{"namespace":"01","data":"aGk=","share_version":01}]}`,
	`{"blobs":[{"namespace":"01","data":"aGk=","share_version":256}]}`,
	`{"blobs":[{"namespace":"01","data":"aGk=","share_version":1e0}]}`,
	`{"blobs":[{"namespace":"01","data":"aGk=","share_version":-1}]}`,
	`{"blobs":[{"namespace":"01","data":"aG\nk="}]}`,
	`{"blobs":[{"namespace":"01","data":"aG\\nk="}]}`,
	`{"blobs":[{"namespace":"01","data":"aG\\/k="}]}`,
	`{"blobs":[{"namespace":"0\u0001","data":"aGk="}]}`,
	`{"blobs":[{"namespace":"\u00e9","data":"aGk="}]}`,
	`{"blobs":[{"namespace":"01","data":"aGk"}]}`,
	`{"blobs":[{"namespace":"01","data":"aGk=","extra":1}]}`,
	`{"blobs":[{"namespace":"01","data":"aGk="}],"timeout":5}`,
	`{"blobs":[{"namespace":"01","data":"aGk="},]}`,
	`{"blobs":[{"namespace":"01","data":"aGk=",}]}`,
	"{\"blobs\":[{\"namespace\":\"01\",\"data\":\"aGk=\"}]}\n",
	"{\"blobs\":[{\"namespace\":\"01\",\"data\":\"aGk=\xff\"}]}",
}

// checkFastAgrees fails if fastSubmit accepts a body the careful decoder
// refuses, or decodes it to something else.
func checkFastAgrees(t *testing.T, body []byte) {
	fast, ok := fastSubmit(body)
	if !ok {
		return
	}
	careful, err := decodeSubmit(body)
	if err != nil {
		t.Fatalf("fastSubmit accepts %q, the careful decoder refuses it: %v", body, err)
	}
	for i := range careful.Blobs {
		if careful.Blobs[i].err != nil {
			t.Fatalf("fastSubmit accepts %q, the careful decoder refuses blob %d: %v", body, i, careful.Blobs[i].err)
		}
	}
	if !reflect.DeepEqual(fast, careful) {
		t.Fatalf("%q: fastSubmit gives %+v, the careful decoder %+v", body, fast, careful)
	}
}

func TestFastSubmitAgreesWithTheCarefulDecoder(t *testing.T) {
	for _, s := range fastSeeds {
		checkFastAgrees(t, []byte(s))
	}
	// The agreement means something only if the usual shapes take the
	// fast path: the first four seeds are such.
	for _, s := range fastSeeds[:4] {
		if _, ok := fastSubmit([]byte(s)); !ok {
			t.Errorf("the usual body %s does not take the fast path", s)
		}
	}
}

func FuzzFastSubmit(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkFastAgrees)
}

// BenchmarkParseSubmit decodes a 1 MiB blob's body both ways.
func BenchmarkParseSubmit(b *testing.B) {
	data := bytes.Repeat([]byte("tartan"), 1<<20/6)
	body := []byte(fmt.Sprintf(`{"blobs":[{"namespace":"%s","data":"%s"}]}`, strings.Repeat("ab", 10), base64.StdEncoding.EncodeToString(data)))
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, ok := fastSubmit(body); !ok {
				b.Fatal("not on the fast path")
			}
		}
	})
	b.Run("careful", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := decodeSubmit(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
