package sampling

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestStatusNames(t *testing.T) {
	// The strings of API.md "Availability", in order.
	want := []string{"pending", "sampling", "available", "unavailable", "fraud", "pruned"}
	all := []Status{StatusPending, StatusSampling, StatusAvailable, StatusUnavailable, StatusFraud, StatusPruned}
	for i, s := range all {
		if s.String() != want[i] {
			t.Errorf("%d.String() = %q, want %q", s, s.String(), want[i])
		}
		got, err := ParseStatus(want[i])
		if err != nil || got != s {
			t.Errorf("ParseStatus(%q) = %v, %v", want[i], got, err)
		}
		b, err := json.Marshal(s)
		if err != nil || string(b) != `"`+want[i]+`"` {
			t.Errorf("json %v = %s, %v", s, b, err)
		}
		var back Status
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("json round trip of %v: %v, %v", s, back, err)
		}
	}
	for _, bad := range []string{"", "Available", "ok", "pending "} {
		if _, err := ParseStatus(bad); !errors.Is(err, ErrStatus) {
			t.Errorf("ParseStatus(%q) = %v, want ErrStatus", bad, err)
		}
	}
	if _, err := Status(0).MarshalText(); !errors.Is(err, ErrStatus) {
		t.Errorf("MarshalText(0) = %v", err)
	}
	if Status(0).Valid() || Status(7).Valid() || Status(7).String() != "Status(7)" {
		t.Error("invalid statuses pass as valid")
	}
}

func FuzzParseStatus(f *testing.F) {
	for _, s := range []string{"pending", "fraud", "pruned", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		s, err := ParseStatus(name)
		if err != nil {
			if !errors.Is(err, ErrStatus) {
				t.Fatalf("error %v does not wrap ErrStatus", err)
			}
			return
		}
		if !s.Valid() || s.String() != name {
			t.Fatalf("ParseStatus(%q) = %v", name, s)
		}
	})
}
