package bolt

// Decoders of stored rows, exported for the fuzz targets in package bolt_test.
var (
	DecodeRelease    = decodeRelease
	DecodeOutboxRow  = func(key, val []byte) error { _, err := decodeOutboxRow(key, val); return err }
	DecodeBooking    = decodeBooking
	DecodeHistoryRow = decodeHistoryEntry
)
