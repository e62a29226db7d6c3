// Command tlogproofcheck checks every C2SP tlog-proof (c2sp.org/tlog-proof@v1)
// in a Hotline disclosure bundle with Go's golang.org/x/mod/sumdb/note and
// sumdb/tlog alone, as a generic transparency-log tool would: it opens each
// proof's checkpoint as a signed note with the log's verifier key, and checks
// the inclusion of the entry's RFC 6962 record hash under its root.
//
// Usage: tlogproofcheck VKEY BUNDLE.json
//
// It prints one line per entry and exits 0 only if every proof verified.
package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type bundle struct {
	Entries []struct {
		Index int64  `json:"index"`
		Entry string `json:"entry"`
		Proof string `json:"proof"`
	} `json:"entries"`
}

func checkProof(v note.Verifier, index int64, entry []byte, text string) error {
	head, checkpoint, ok := strings.Cut(text, "\n\n")
	if !ok {
		return errors.New("no empty line before the checkpoint")
	}
	lines := strings.Split(head, "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" {
		return errors.New("not a c2sp.org/tlog-proof@v1")
	}
	lines = lines[1:]
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return errors.New("no index line")
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(lines[0], "index "), 10, 64)
	if err != nil || n != index {
		return fmt.Errorf("the proof names index %q, not %d", lines[0], index)
	}
	var proof tlog.RecordProof
	for _, l := range lines[1:] {
		h, err := base64.StdEncoding.DecodeString(l)
		if err != nil || len(h) != tlog.HashSize {
			return errors.New("a proof line is not a base64 SHA-256 hash")
		}
		var hh tlog.Hash
		copy(hh[:], h)
		proof = append(proof, hh)
	}
	signed, err := note.Open([]byte(checkpoint), note.VerifierList(v))
	if err != nil {
		return fmt.Errorf("the checkpoint: %v", err)
	}
	body := strings.Split(signed.Text, "\n")
	if len(body) < 4 {
		return errors.New("the checkpoint body is too short")
	}
	size, err := strconv.ParseInt(body[1], 10, 64)
	if err != nil {
		return errors.New("the checkpoint size is not a number")
	}
	root, err := base64.StdEncoding.DecodeString(body[2])
	if err != nil || len(root) != tlog.HashSize {
		return errors.New("the checkpoint root is not a base64 SHA-256 hash")
	}
	var r tlog.Hash
	copy(r[:], root)
	return tlog.CheckRecord(proof, size, r, index, tlog.RecordHash(entry))
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: tlogproofcheck VKEY BUNDLE.json")
		os.Exit(2)
	}
	v, err := note.NewVerifier(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "the verifier key:", err)
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var b bundle
	if err := json.Unmarshal(data, &b); err != nil {
		fmt.Fprintln(os.Stderr, "the bundle:", err)
		os.Exit(2)
	}
	failures := 0
	for _, e := range b.Entries {
		raw, err := base64.StdEncoding.DecodeString(e.Entry)
		if err == nil {
			err = checkProof(v, e.Index, raw, e.Proof)
		}
		if err != nil {
			failures++
			fmt.Printf("FAIL entry %d: %v\n", e.Index, err)
		} else {
			fmt.Printf("ok   entry %d: included in the signed checkpoint\n", e.Index)
		}
	}
	if failures > 0 || len(b.Entries) == 0 {
		os.Exit(1)
	}
}
