// Package entrycodec encodes audit entries for the stores of adapters/memory and
// adapters/bolt, checking that each reads back. It is not part of the public API.
package entrycodec

import (
	"fmt"

	"github.com/releasekit/releasekit/release"
)

// Encode returns the stored form of e ([release.EncodeEntry]) and the entry that form
// reads back as ([release.DecodeEntry]): a store never holds an entry it cannot
// return. An entry that does not encode (a Data or annotation that is not JSON, text
// holding U+0000), or whose stored form would not read back with its own hash (an
// empty, non-nil Annotations map, invalid UTF-8, a hash that is not the content's),
// is refused with [release.ErrInvalid]; store names the store in the error.
func Encode(store string, e release.AuditEntry) ([]byte, release.AuditEntry, error) {
	b, err := release.EncodeEntry(e)
	if err != nil {
		return nil, release.AuditEntry{}, fmt.Errorf("%w: %s: history entry %d of release %s: %v", release.ErrInvalid, store, e.Sequence, e.ReleaseID, err)
	}
	back, err := release.DecodeEntry(b)
	if err != nil {
		return nil, release.AuditEntry{}, fmt.Errorf("%w: %s: history entry %d of release %s would not read back: %v", release.ErrInvalid, store, e.Sequence, e.ReleaseID, err)
	}
	return b, back, nil
}
