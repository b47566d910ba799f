package node

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tartan-da/tartan/api"
)

// TokensDir holds a node's API bearer tokens, one file per token named
// <id>.json; it is relative to the node's directory, slash-separated. A file per token means two
// CLI runs never overwrite each other's work, and a revocation is the
// removal of one file, which a running node notices at the next request.
const TokensDir = "auth/tokens"

// TokenPrefix starts every token, so a leaked one is recognisable.
const TokenPrefix = "tartan_"

// TokenInfo describes a token; the token itself is shown once, at
// creation, and never stored.
type TokenInfo struct {
	ID      string    `json:"id"`
	Name    string    `json:"name,omitempty"`
	Created time.Time `json:"created"`
}

// tokenFile is a token's file: its description and the SHA-256 of the
// token. The token has 256 random bits, so a plain hash cannot be
// reversed by guessing.
type tokenFile struct {
	TokenInfo
	SHA256 string `json:"sha256"`
}

// ErrNoToken: no token has that id or name.
var ErrNoToken = errors.New("node: no such token")

var (
	tokenIDRE   = regexp.MustCompile(`^[0-9a-f]{16}$`)
	tokenNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// Tokens are the API bearer tokens of the node in a directory. The same
// value creates, lists and revokes them (the CLI) and checks them (the
// running node, as the api.Authorizer); both sides go through the files,
// so changes made by another process take effect without a restart.
type Tokens struct {
	dir string // the node directory joined with TokensDir
	log *slog.Logger

	mu sync.Mutex // guards the fields below
	// known are the SHA-256 of the tokens read so far, by id; bad are
	// files that could not be read as tokens (warned about once).
	known map[string][sha256.Size]byte
	bad   map[string]bool
}

// NewTokens opens the tokens of the node in nodeDir; nothing is read or
// created until used.
func NewTokens(nodeDir string) *Tokens {
	return &Tokens{dir: filepath.Join(nodeDir, filepath.FromSlash(TokensDir)), log: slog.New(slog.DiscardHandler),
		known: map[string][sha256.Size]byte{}, bad: map[string]bool{}}
}

func (t *Tokens) path(id string) string { return filepath.Join(t.dir, id+".json") }

// Create makes a new token named name (optional; letters, digits, '.',
// '_' and '-', unique) and returns it with its description. The token is
// returned only here.
func (t *Tokens) Create(name string, now time.Time) (string, TokenInfo, error) {
	if name != "" && (!tokenNameRE.MatchString(name) || tokenIDRE.MatchString(name)) {
		return "", TokenInfo{}, fmt.Errorf("%w: token name %q: want 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, and not 16 hex digits (that is what ids look like)", ErrConfig, name)
	}
	all, err := t.List()
	if err != nil {
		return "", TokenInfo{}, err
	}
	if name != "" && slices.ContainsFunc(all, func(i TokenInfo) bool { return i.Name == name }) {
		return "", TokenInfo{}, fmt.Errorf("%w: a token named %q exists; revoke it first or choose another name", ErrConfig, name)
	}
	var secret [32]byte
	var id [8]byte
	rand.Read(secret[:]) // never fails (crypto/rand)
	rand.Read(id[:])
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(secret[:])
	info := TokenInfo{ID: hex.EncodeToString(id[:]), Name: name, Created: now.UTC()}
	sum := sha256.Sum256([]byte(token))
	if err := os.MkdirAll(t.dir, 0o700); err != nil {
		return "", TokenInfo{}, err
	}
	if _, err := os.Lstat(t.path(info.ID)); err == nil {
		return "", TokenInfo{}, fmt.Errorf("token id %s is taken; try again", info.ID)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", TokenInfo{}, err
	}
	// Written to a temporary file and renamed, so a crash leaves either
	// no token or a whole one.
	if err := writeJSON(t.path(info.ID), tokenFile{info, hex.EncodeToString(sum[:])}, 0o600); err != nil {
		return "", TokenInfo{}, err
	}
	if err := syncDir(t.dir); err != nil {
		return "", TokenInfo{}, err
	}
	return token, info, nil
}

// List describes every current token, oldest first.
func (t *Tokens) List() ([]TokenInfo, error) {
	ids, err := t.ids()
	if err != nil {
		return nil, err
	}
	out := make([]TokenInfo, 0, len(ids))
	for _, id := range ids {
		tf, err := t.read(id)
		if errors.Is(err, fs.ErrNotExist) {
			continue // revoked meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, tf.TokenInfo)
	}
	slices.SortFunc(out, func(a, b TokenInfo) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Revoke deletes the token with id or name idOrName and returns its
// description. A running node refuses the token from its next request.
func (t *Tokens) Revoke(idOrName string) (TokenInfo, error) {
	all, err := t.List()
	if err != nil {
		return TokenInfo{}, err
	}
	var match []TokenInfo
	for _, i := range all {
		if i.ID == idOrName {
			match = []TokenInfo{i}
			break
		}
		if i.Name == idOrName {
			match = append(match, i)
		}
	}
	switch len(match) {
	case 0:
		return TokenInfo{}, fmt.Errorf("%w: no token has id or name %q (tartan auth token list shows them)", ErrNoToken, idOrName)
	case 1:
	default:
		ids := make([]string, len(match))
		for i, m := range match {
			ids[i] = m.ID
		}
		return TokenInfo{}, fmt.Errorf("%w: %d tokens are named %q; revoke one by id (%s)", ErrNoToken, len(match), idOrName, strings.Join(ids, ", "))
	}
	if err := os.Remove(t.path(match[0].ID)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return TokenInfo{}, fmt.Errorf("%w: token %s was revoked meanwhile", ErrNoToken, match[0].ID)
		}
		return TokenInfo{}, err
	}
	// A revocation lost in a crash would bring the token back.
	if err := syncDir(t.dir); err != nil {
		return TokenInfo{}, err
	}
	return match[0], nil
}

// Authorize implements api.Authorizer. A token known from an earlier read
// costs one stat of its file (removed by a revoke); an unknown one makes
// it look for files created since (by tartan auth token create).
func (t *Tokens) Authorize(token string) error {
	sum := sha256.Sum256([]byte(token))
	if id, ok := t.match(sum); ok {
		_, err := os.Stat(t.path(id))
		if err == nil {
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("node: checking API token %s: %w", id, err)
		}
	}
	n, err := t.reload()
	if err != nil {
		return fmt.Errorf("node: reading API tokens: %w", err)
	}
	if _, ok := t.match(sum); ok {
		return nil
	}
	if n == 0 {
		return fmt.Errorf("%w: this node has no API tokens (none was created, or all were revoked); its operator creates one with `tartan auth token create --dir <node dir>`", api.ErrUnauthorized)
	}
	return fmt.Errorf("%w: the bearer token is not one of this node's (unknown or revoked)", api.ErrUnauthorized)
}

// match finds the token whose hash is sum. Every known hash is compared
// in constant time, so the answer's timing does not depend on how much of
// a hash matched.
func (t *Tokens) match(sum [sha256.Size]byte) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	found := ""
	for id, hash := range t.known {
		if subtle.ConstantTimeCompare(sum[:], hash[:]) == 1 {
			found = id
		}
	}
	return found, found != ""
}

// reload brings the known tokens in line with the directory: files that
// are gone are forgotten, new ones read. It returns how many tokens there
// are.
func (t *Tokens) reload() (int, error) {
	ids, err := t.ids()
	if err != nil {
		return 0, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	present := map[string]bool{}
	for _, id := range ids {
		present[id] = true
		if _, ok := t.known[id]; ok || t.bad[id] {
			continue
		}
		tf, err := t.read(id)
		if errors.Is(err, fs.ErrNotExist) {
			delete(present, id)
			continue
		}
		var hash []byte
		if err == nil {
			hash, err = hex.DecodeString(tf.SHA256)
			if err == nil && len(hash) != sha256.Size {
				err = fmt.Errorf("sha256 is %d bytes, want %d", len(hash), sha256.Size)
			}
		}
		if err != nil {
			// One bad file must not lock every client out; its token, if
			// any, just does not work.
			t.bad[id] = true
			t.log.Warn("ignoring an unreadable API token file", "file", t.path(id), "err", err)
			continue
		}
		t.known[id] = [sha256.Size]byte(hash)
	}
	for id := range t.known {
		if !present[id] {
			delete(t.known, id)
		}
	}
	for id := range t.bad {
		if !present[id] {
			delete(t.bad, id)
		}
	}
	return len(t.known), nil
}

// ids lists the token files' ids; a missing directory holds none.
func (t *Tokens) ids() ([]string, error) {
	entries, err := os.ReadDir(t.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		// Temporary files of an unfinished write end in .tmp.
		if id, ok := strings.CutSuffix(e.Name(), ".json"); ok && tokenIDRE.MatchString(id) && e.Type().IsRegular() {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func (t *Tokens) read(id string) (tokenFile, error) {
	var tf tokenFile
	b, err := os.ReadFile(t.path(id))
	if err != nil {
		return tf, err
	}
	if err := json.Unmarshal(b, &tf); err != nil {
		return tf, fmt.Errorf("%s: %w", t.path(id), err)
	}
	if tf.ID != id {
		return tf, fmt.Errorf("%s: holds token id %q", t.path(id), tf.ID)
	}
	return tf, nil
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// initAuth sets the API's auth mode and token check from the config, and
// says at start-up whether writes need a token.
func (n *Node) initAuth(acfg *api.Config) {
	t := NewTokens(n.dir)
	t.log = n.log
	acfg.Auth, acfg.Authorizer = api.AuthMode(n.cfg.AuthMode()), t
	if !acfg.AuthRequired() && (acfg.RPCAddr == "" || !acfg.RPCAuthRequired()) {
		n.log.Info("API writes need no token", "api_auth", n.cfg.AuthMode(), "api", acfg.Addr, "rpc", acfg.RPCAddr)
		return
	}
	count, err := t.reload()
	switch {
	case err != nil:
		n.log.Warn("API writes need a token, but the tokens cannot be read", "dir", t.dir, "err", err)
	case count == 0:
		n.log.Warn("API writes need a token and none exists: every write is refused until one is created with tartan auth token create", "api_auth", n.cfg.AuthMode(), "dir", n.dir)
	default:
		n.log.Info("API writes need a bearer token", "api_auth", n.cfg.AuthMode(), "tokens", count)
	}
}
