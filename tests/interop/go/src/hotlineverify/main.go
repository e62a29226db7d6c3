// Command hotlineverify independently checks what Hotline's log produces,
// using Go's golang.org/x/mod/sumdb/note and sumdb/tlog (Debian's
// golang-golang-x-mod-dev, built offline in GOPATH mode) and the Go
// standard library. It reads a JSON description (see ../README.md) and:
//
//   - opens the checkpoint as a signed note with the log's verifier key;
//   - verifies each cosignature (C2SP tlog-cosignature, type 0x04) with crypto/ed25519;
//   - checks every inclusion proof (tlog.CheckRecord) and consistency proof (tlog.CheckTree);
//   - recomputes the root from the hash tiles on disk (tlog.TileHashReader + tlog.TreeHash),
//     which authenticates every tile it reads, and checks the entry bundles against level 0.
//
// It prints one line per check and exits 0 only if every check passed.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type input struct {
	VKey       string   `json:"vkey"`
	Checkpoint string   `json:"checkpoint"`
	Cosigners  []string `json:"cosigners"`
	TilesDir   string   `json:"tiles_dir"`
	Inclusion  []struct {
		Index    int64    `json:"index"`
		LeafHash string   `json:"leaf_hash"`
		Proof    []string `json:"proof"`
	} `json:"inclusion"`
	Consistency []struct {
		OldSize int64    `json:"old_size"`
		OldRoot string   `json:"old_root"`
		Proof   []string `json:"proof"`
	} `json:"consistency"`
}

var failures int

func check(name string, err error) {
	if err != nil {
		failures++
		fmt.Printf("FAIL %s: %v\n", name, err)
	} else {
		fmt.Printf("ok   %s\n", name)
	}
}

func hash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		return h, fmt.Errorf("bad hash %q", s)
	}
	copy(h[:], b)
	return h, nil
}

func hashes(ss []string) ([]tlog.Hash, error) {
	var out []tlog.Hash
	for _, s := range ss {
		h, err := hash(s)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// parseCheckpoint parses a C2SP tlog-checkpoint body: origin, size, root, extensions.
func parseCheckpoint(text string) (origin string, tree tlog.Tree, err error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return "", tree, errors.New("checkpoint body must have at least three newline-terminated lines")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return "", tree, fmt.Errorf("bad size line %q", lines[1])
	}
	h, err := hash(lines[2])
	if err != nil {
		return "", tree, err
	}
	return lines[0], tlog.Tree{N: n, Hash: h}, nil
}

// verifyCosignature checks a tlog-cosignature/v1 signature line for the given cosigner vkey.
func verifyCosignature(vkey string, msg []byte, body string) error {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return errors.New("bad cosigner vkey")
	}
	name := parts[0]
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x04 {
		return errors.New("cosigner vkey is not an Ed25519 cosignature/v1 key (type 0x04)")
	}
	pk := ed25519.PublicKey(raw[1:])
	idh := sha256.Sum256(append([]byte(name+"\n"), raw...))
	if fmt.Sprintf("%08x", idh[:4]) != parts[1] {
		return errors.New("cosigner key id does not match its key")
	}
	sep := bytes.LastIndex(msg, []byte("\n\n"))
	for _, line := range strings.Split(string(msg[sep+2:]), "\n") {
		if !strings.HasPrefix(line, "— "+name+" ") {
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(line, "— "+name+" "))
		if err != nil || len(sig) != 4+8+64 || !bytes.Equal(sig[:4], idh[:4]) {
			continue
		}
		ts := binary.BigEndian.Uint64(sig[4:12])
		signed := fmt.Sprintf("cosignature/v1\ntime %d\n%s", ts, body)
		if ed25519.Verify(pk, []byte(signed), sig[12:]) {
			return nil
		}
		return errors.New("cosignature does not verify")
	}
	return errors.New("no cosignature by this key")
}

// tileReader reads C2SP tlog-tiles hash tiles from a folder: tile/<L>/<N>[.p/<W>].
type tileReader struct{ dir string }

func (r tileReader) Height() int { return 8 }

func c2spPath(t tlog.Tile) string {
	// Go's Path() is tile/<H>/<L>/<N>[.p/<W>]; C2SP drops the height.
	p := t.Path()
	return "tile/" + strings.SplitN(strings.TrimPrefix(p, "tile/"), "/", 2)[1]
}

func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	var out [][]byte
	for _, t := range tiles {
		data, err := os.ReadFile(filepath.Join(r.dir, c2spPath(t)))
		if err != nil {
			// A full tile replaces the partial one once complete: try it.
			full := t
			full.W = 1 << t.H
			fdata, ferr := os.ReadFile(filepath.Join(r.dir, c2spPath(full)))
			if ferr != nil {
				return nil, err
			}
			data = fdata[:t.W*tlog.HashSize]
		}
		out = append(out, data)
	}
	return out, nil
}

func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

func checkEntries(dir string, tree tlog.Tree, hr tlog.HashReader) error {
	for start := int64(0); start < tree.N; start += 256 {
		w := tree.N - start
		if w > 256 {
			w = 256
		}
		t := tlog.Tile{H: 8, L: -1, N: start / 256, W: int(w)}
		p := filepath.Join(dir, strings.Replace(c2spPath(tlog.Tile{H: 8, L: 0, N: t.N, W: t.W}), "tile/0/", "tile/entries/", 1))
		data, err := os.ReadFile(p)
		if err != nil {
			full := strings.Replace(c2spPath(tlog.Tile{H: 8, L: 0, N: t.N, W: 256}), "tile/0/", "tile/entries/", 1)
			if data, err = os.ReadFile(filepath.Join(dir, full)); err != nil {
				return err
			}
		}
		for i := int64(0); i < w; i++ {
			if len(data) < 2 {
				return fmt.Errorf("entry bundle %d truncated", t.N)
			}
			n := int(binary.BigEndian.Uint16(data))
			if len(data) < 2+n {
				return fmt.Errorf("entry bundle %d truncated", t.N)
			}
			want, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, start+i)})
			if err != nil {
				return err
			}
			if tlog.RecordHash(data[2:2+n]) != want[0] {
				return fmt.Errorf("entry %d does not match its leaf hash", start+i)
			}
			data = data[2+n:]
		}
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: hotlineverify INPUT.json")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var in input
	if err := json.Unmarshal(raw, &in); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	v, err := note.NewVerifier(in.VKey)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad vkey:", err)
		os.Exit(2)
	}
	n, err := note.Open([]byte(in.Checkpoint), note.VerifierList(v))
	check("checkpoint signature (sumdb/note)", err)
	if err != nil {
		fmt.Printf("hotlineverify: %d failed\n", failures)
		os.Exit(1)
	}
	origin, tree, err := parseCheckpoint(n.Text)
	check("checkpoint body "+origin, err)
	for _, c := range in.Cosigners {
		check("cosignature by "+strings.SplitN(c, "+", 2)[0], verifyCosignature(c, []byte(in.Checkpoint), n.Text))
	}
	for _, p := range in.Inclusion {
		leaf, err1 := hash(p.LeafHash)
		proof, err2 := hashes(p.Proof)
		err := firstErr(err1, err2)
		if err == nil {
			err = tlog.CheckRecord(proof, tree.N, tree.Hash, p.Index, leaf)
		}
		check(fmt.Sprintf("inclusion of %d in %d (sumdb/tlog)", p.Index, tree.N), err)
	}
	for _, c := range in.Consistency {
		old, err1 := hash(c.OldRoot)
		proof, err2 := hashes(c.Proof)
		err := firstErr(err1, err2)
		if err == nil {
			err = tlog.CheckTree(proof, tree.N, tree.Hash, c.OldSize, old)
		}
		check(fmt.Sprintf("consistency %d -> %d (sumdb/tlog)", c.OldSize, tree.N), err)
	}
	if in.TilesDir != "" {
		hr := tlog.TileHashReader(tree, tileReader{in.TilesDir})
		root, err := tlog.TreeHash(tree.N, hr)
		if err == nil && root != tree.Hash {
			err = errors.New("root recomputed from tiles differs from the checkpoint")
		}
		check(fmt.Sprintf("root of %d recomputed from tiles", tree.N), err)
		if err == nil {
			check("entry bundles match level-0 tiles", checkEntries(in.TilesDir, tree, hr))
		}
	}
	fmt.Printf("hotlineverify: %d failed\n", failures)
	if failures > 0 {
		os.Exit(1)
	}
}
