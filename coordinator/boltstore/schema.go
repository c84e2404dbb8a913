package boltstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
	bolt "go.etcd.io/bbolt"

	"github.com/pinnsweep/pinnsweep/coordinator/state"
)

// SchemaVersion is the database layout version this build writes (see
// "Buckets" in DESIGN.md). It also reads version 1
// files (JSON trial records, no inputs bucket), and upgrades one to
// version 2 when it opens it read-write: it adds the inputs bucket and
// sets the version, and leaves the records as they are (each is rewritten
// in the binary encoding when its trial next changes).
const SchemaVersion = 2

// schemaVersionJSON is the version of files whose trial records are all
// JSON, which this build reads.
const schemaVersionJSON = 1

// Bucket and meta key names of the bbolt layout.
var (
	bucketMeta    = []byte("meta")
	bucketSweeps  = []byte("sweeps")
	bucketTrials  = []byte("trials")
	bucketResults = []byte("results")
	bucketInputs  = []byte("inputs")

	keySchemaVersion = []byte("schema_version")
	keyNextToken     = []byte("next_token")
	keyApplication   = []byte("application")
	keyCreated       = []byte("created")
	keyPartial       = []byte("partial_submit")

	applicationName = []byte("pinnsweep")
)

// initSchema creates the buckets of a new database, or checks those of an
// existing one.
func initSchema(tx *bolt.Tx, log hclog.Logger) error {
	if tx.Bucket(bucketMeta) != nil {
		if err := checkSchema(tx); err != nil {
			return err
		}
		if v, _ := getU64(tx.Bucket(bucketMeta).Get(keySchemaVersion)); v == schemaVersionJSON {
			if _, err := tx.CreateBucketIfNotExists(bucketInputs); err != nil {
				return err
			}
			if err := tx.Bucket(bucketMeta).Put(keySchemaVersion, u64(SchemaVersion)); err != nil {
				return err
			}
			log.Info("upgraded database", "from_schema_version", v, "schema_version", SchemaVersion)
		}
		return discardPartial(tx, log)
	}
	empty := true
	_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
	if !empty {
		return fmt.Errorf("%w: it has buckets but no %q bucket", ErrForeignDatabase, bucketMeta)
	}
	meta, err := tx.CreateBucket(bucketMeta)
	if err != nil {
		return err
	}
	for _, b := range [][]byte{bucketSweeps, bucketTrials, bucketResults, bucketInputs} {
		if _, err := tx.CreateBucket(b); err != nil {
			return err
		}
	}
	for k, v := range map[string][]byte{
		string(keyApplication):   applicationName,
		string(keySchemaVersion): u64(SchemaVersion),
		string(keyNextToken):     u64(1),
		string(keyCreated):       []byte(time.Now().UTC().Format(time.RFC3339)),
	} {
		if err := meta.Put([]byte(k), v); err != nil {
			return err
		}
	}
	log.Info("initialised new database", "schema_version", SchemaVersion)
	return nil
}

// checkSchema validates the meta bucket and the presence of every bucket.
func checkSchema(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return fmt.Errorf("%w: no %q bucket", ErrForeignDatabase, bucketMeta)
	}
	if app := meta.Get(keyApplication); !bytes.Equal(app, applicationName) {
		return fmt.Errorf("%w: meta application is %q", ErrForeignDatabase, app)
	}
	v, ok := getU64(meta.Get(keySchemaVersion))
	if !ok {
		return fmt.Errorf("%w: missing or malformed schema_version", state.ErrCorrupt)
	}
	if v != SchemaVersion && v != schemaVersionJSON {
		return fmt.Errorf("%w: the file has schema version %d, this pinnsweep supports %d and %d", ErrSchemaVersion, v, schemaVersionJSON, SchemaVersion)
	}
	if _, ok := getU64(meta.Get(keyNextToken)); !ok {
		return fmt.Errorf("%w: missing or malformed next_token", state.ErrCorrupt)
	}
	want := [][]byte{bucketSweeps, bucketTrials, bucketResults}
	if v == SchemaVersion {
		want = append(want, bucketInputs)
	}
	for _, b := range want {
		if tx.Bucket(b) == nil {
			return fmt.Errorf("%w: missing bucket %q", state.ErrCorrupt, b)
		}
	}
	if _, err := readPartial(tx); err != nil {
		return err
	}
	return nil
}

// readPartial returns the interrupted submission recorded in the meta
// bucket (see Commit): for each sweep, the number of its trials before
// the submission. It is empty when there is none.
func readPartial(tx *bolt.Tx) (map[string]int, error) {
	v := tx.Bucket(bucketMeta).Get(keyPartial)
	if v == nil {
		return nil, nil
	}
	var p map[string]int
	if err := json.Unmarshal(v, &p); err != nil {
		return nil, fmt.Errorf("%w: meta %s: %w", state.ErrCorrupt, keyPartial, err)
	}
	return p, nil
}

// discardPartial deletes the trials of an interrupted submission (see
// Commit), and the record of it.
func discardPartial(tx *bolt.Tx, log hclog.Logger) error {
	partial, err := readPartial(tx)
	if err != nil || partial == nil {
		return err
	}
	for sweep, base := range partial {
		tb := tx.Bucket(bucketTrials).Bucket([]byte(sweep))
		ib := inputsBucket(tx, sweep)
		if tb == nil {
			continue
		}
		if base == 0 && tx.Bucket(bucketSweeps).Get([]byte(sweep)) == nil {
			if err := tx.Bucket(bucketTrials).DeleteBucket([]byte(sweep)); err != nil {
				return err
			}
			if ib != nil {
				if err := tx.Bucket(bucketInputs).DeleteBucket([]byte(sweep)); err != nil {
					return err
				}
			}
			log.Warn("discarded an interrupted submission", "sweep", sweep)
			continue
		}
		var drop [][]byte
		var t state.TrialRecord
		if err := tb.ForEach(func(k, v []byte) error {
			if err := decodeTrial(sweep, k, v, &t); err != nil {
				return err
			}
			if t.Index >= base {
				drop = append(drop, bytes.Clone(k))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range drop {
			if err := tb.Delete(k); err != nil {
				return err
			}
			if ib != nil {
				if err := ib.Delete(k); err != nil {
					return err
				}
			}
		}
		log.Warn("discarded an interrupted submission", "sweep", sweep, "trials", len(drop))
	}
	return tx.Bucket(bucketMeta).Delete(keyPartial)
}
