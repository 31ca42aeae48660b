package attest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseLevels reads the level list of `blockwire testnet --attest` and
// `blockwire sim attest --levels`: comma-separated "L<number>=<required>",
// e.g. "L2=3,L3=1,L4=1,L5=1" (Dragonchain's production quorums). Every
// level gets deadline; levels must ascend.
func ParseLevels(s string, deadline time.Duration) ([]Level, error) {
	var out []Level
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, req, ok := strings.Cut(item, "=")
		if !ok || len(name) < 2 || (name[0] != 'L' && name[0] != 'l') {
			return nil, fmt.Errorf("attest: level %q: want L<number>=<required>", item)
		}
		n, err := strconv.ParseUint(name[1:], 10, 8)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("attest: level %q: number must be 1..255", item)
		}
		r, err := strconv.Atoi(req)
		if err != nil || r < 1 || r > MaxRequired {
			return nil, fmt.Errorf("attest: level %q: required must be 1..%d", item, MaxRequired)
		}
		if len(out) > 0 && uint8(n) <= out[len(out)-1].Number {
			return nil, fmt.Errorf("attest: level %q: levels must ascend", item)
		}
		out = append(out, Level{Number: uint8(n), Required: r, Deadline: deadline})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("attest: no levels in %q", s)
	}
	return out, nil
}

// FormatLevels renders levels in ParseLevels syntax (labels and deadlines
// are not part of it).
func FormatLevels(ls []Level) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = fmt.Sprintf("L%d=%d", l.Number, l.Required)
	}
	return strings.Join(parts, ",")
}
