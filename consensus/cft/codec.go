package cft

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/hashicorp/raft"
)

var errShort = errors.New("short or malformed input")

// appendBytes appends a uvarint length and the bytes.
func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// decoder reads the append-style encodings of this package. The first
// failure sticks in err and every later read returns zero values, so
// callers check err once at the end. Returned slices are copies: raft and
// pebble both reuse the buffers they hand us.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() { d.err, d.b = errShort, nil }

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

// uvarint and varint accept only minimal encodings, so that every value
// (and every change transaction built from them) has exactly one encoding.
func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || n != len(binary.AppendUvarint(nil, v)) {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 || n != len(binary.AppendVarint(nil, v)) {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) fixed(n int) []byte {
	if len(d.b) < n {
		d.fail()
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

// bytes reads a uvarint length and that many bytes; the length is checked
// against what remains before anything is allocated.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	return bytes.Clone(d.fixed(int(n)))
}

// decodeConfiguration is raft.DecodeConfiguration without its panic: bytes
// read back from disk may be damaged, and that is an error, not a crash.
func decodeConfiguration(b []byte) (conf raft.Configuration, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: configuration: %v", ErrCorrupt, r)
		}
	}()
	return raft.DecodeConfiguration(b), nil
}
