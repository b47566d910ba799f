package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tartan-da/tartan/api"
	"github.com/tartan-da/tartan/settlement"
)

func TestConfigAPICORSOrigins(t *testing.T) {
	for _, tc := range []struct {
		origins []string
		bad     string // in the error; "" when valid
	}{
		{nil, ""},
		{[]string{"https://app.example", "http://localhost:3000"}, ""},
		{[]string{"*"}, ""},
		{[]string{"https://app.example", "https://app.example/"}, `api_cors_origins: [1] "https://app.example/"`},
		{[]string{"app.example"}, `api_cors_origins: [0] "app.example"`},
		{[]string{"*", "https://app.example"}, `api_cors_origins: "*"`},
	} {
		c := DefaultConfig(RoleFull)
		c.APICORSOrigins = tc.origins
		err := c.Validate()
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("%q: %v", tc.origins, err)
		case tc.bad != "" && (!errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.bad)):
			t.Errorf("%q: %v, want an ErrConfig naming %s", tc.origins, err, tc.bad)
		}
	}
}

func TestConfigAPIConnLimits(t *testing.T) {
	d := api.DefaultConfig()
	if d.MaxConnsPerClient <= 16 || d.MaxConnsPerClient >= 1000 || d.MaxConns <= 100 {
		t.Fatalf("the cases below assume 16 < default per client (%d) < 1000 and default total (%d) > 100", d.MaxConnsPerClient, d.MaxConns)
	}
	for _, tc := range []struct {
		total, perClient         int
		wantTotal, wantPerClient int // 0: invalid
	}{
		{0, 0, d.MaxConns, d.MaxConnsPerClient},
		{1000, 0, 1000, d.MaxConnsPerClient},
		{16, 0, 16, 16},
		{0, 100, d.MaxConns, 100},
		{100, 100, 100, 100},
		{10, 20, 0, 0},
		{-1, 0, 0, 0},
		{0, -5, 0, 0},
	} {
		c := DefaultConfig(RoleLight)
		c.APIMaxConns, c.APIMaxConnsPerClient = tc.total, tc.perClient
		err := c.Validate()
		if tc.wantTotal == 0 {
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "api_max_conns") {
				t.Errorf("%d/%d: %v, want an ErrConfig naming api_max_conns", tc.total, tc.perClient, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%d/%d: %v", tc.total, tc.perClient, err)
		}
		if total, per := c.APIConnLimits(); total != tc.wantTotal || per != tc.wantPerClient {
			t.Errorf("%d/%d: limits %d/%d, want %d/%d", tc.total, tc.perClient, total, per, tc.wantTotal, tc.wantPerClient)
		}
	}
}

// rpc_listen: Celestia's address by default, off when empty, a host:port
// otherwise, and not the REST API's.
func TestConfigRPCListen(t *testing.T) {
	if c := DefaultConfig(RoleLight); c.RPCListen != "127.0.0.1:26658" || c.Validate() != nil {
		t.Fatalf("default rpc_listen %q: %v", c.RPCListen, c.Validate())
	}
	for _, tc := range []struct {
		addr, bad string
	}{
		{"", ""},
		{"0.0.0.0:26658", ""},
		{"127.0.0.1:0", ""},
		{"26658", "rpc_listen"},
		{"127.0.0.1:26650", "different ports"},
	} {
		c := DefaultConfig(RoleFull)
		c.RPCListen = tc.addr
		err := c.Validate()
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("%q: %v", tc.addr, err)
		case tc.bad != "" && (!errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.bad)):
			t.Errorf("%q: %v, want an ErrConfig naming %s", tc.addr, err, tc.bad)
		}
	}
}

// flipCase swaps the case of the first letter of a checksummed address,
// breaking its EIP-55 checksum.
func flipCase(a string) string {
	b := []byte(a)
	for i := 2; i < len(b); i++ {
		switch {
		case b[i] >= 'a' && b[i] <= 'f':
			b[i] -= 'a' - 'A'
			return string(b)
		case b[i] >= 'A' && b[i] <= 'F':
			b[i] += 'a' - 'A'
			return string(b)
		}
	}
	return a
}

// A genesis' settlement addresses are Ethereum addresses (a mixed-case
// one with its EIP-55 checksum), one per validator; they may be absent.
func TestGenesisSettlementAddress(t *testing.T) {
	dir := t.TempDir()
	addr, err := SettlementAddress(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := SettlementAddress(dir); err != nil || again != addr {
		t.Fatalf("the settlement key changed: %s then %s (%v)", addr, again, err)
	}
	base := Genesis{ChainID: "c", GenesisTime: time.Now().UTC(), BlockTime: Duration(time.Second), MaxSquareWidth: 64}
	val := func(b byte, a string) GenesisValidator {
		return GenesisValidator{Name: string('a' + b), PubKey: strings.Repeat(fmt.Sprintf("%02x", b+1), 32), Power: 10, SettlementAddress: a}
	}
	for _, tc := range []struct {
		vals []GenesisValidator
		bad  string
	}{
		{[]GenesisValidator{val(0, addr), val(1, "")}, ""},
		{[]GenesisValidator{val(0, strings.ToLower(addr))}, ""},
		{[]GenesisValidator{val(0, addr), val(1, strings.ToLower(addr))}, "shares settlement address"},
		{[]GenesisValidator{val(0, addr[2:])}, "settlement_address"},
		{[]GenesisValidator{val(0, flipCase(addr))}, "checksum"},
		{[]GenesisValidator{val(0, "0x1234")}, "settlement_address"},
	} {
		g := base
		g.Validators = tc.vals
		err := g.Validate()
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("%+v: %v", tc.vals, err)
		case tc.bad != "" && (!errors.Is(err, ErrGenesis) || !strings.Contains(err.Error(), tc.bad)):
			t.Errorf("%+v: %v, want an ErrGenesis naming %s", tc.vals, err, tc.bad)
		}
	}
}

func TestSettlementKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "consensus", settlement.KeyFile)
	k1, err := LoadOrCreateSettlementKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	k2, err := LoadOrCreateSettlementKey(path)
	if err != nil || settlement.AddressOf(k1) != settlement.AddressOf(k2) {
		t.Fatalf("reloaded key %s (%v), want %s", settlement.AddressOf(k2), err, settlement.AddressOf(k1))
	}
	if err := os.WriteFile(path, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSettlementKey(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("a corrupt key file: %v, want an error naming it", err)
	}
}

// "ui" in config.json: absent means on (older configs keep the
// dashboard), false turns it off.
func TestConfigUI(t *testing.T) {
	for _, tc := range []struct {
		json string
		want bool
	}{{``, true}, {`,"ui":true`, true}, {`,"ui":false`, false}} {
		dir := t.TempDir()
		c := DefaultConfig(RoleLight)
		if err := c.Save(dir); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), `"ui"`) {
			t.Fatalf("a default config writes ui: %s", b)
		}
		text := strings.TrimRight(strings.TrimSpace(string(b)), "}") + tc.json + "}"
		if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := LoadConfig(dir)
		if err != nil {
			t.Fatalf("%q: %v", tc.json, err)
		}
		if got.UIEnabled() != tc.want {
			t.Errorf("config with %q: UIEnabled %v, want %v", tc.json, got.UIEnabled(), tc.want)
		}
	}
}
