-- carebot's store in PostgreSQL, version 1: the same trees as sled, as rows
-- (see src/store/postgres.rs). Applied once, in a transaction.

CREATE TABLE carebot_records (
    tree  text  NOT NULL,
    key   bytea NOT NULL,
    -- JSON, or sealed with the patient's key (src/store/sealing.rs).
    value bytea NOT NULL,
    PRIMARY KEY (tree, key)
);

-- Outbox and audit ids: increasing, with gaps.
CREATE SEQUENCE carebot_ids;

-- One key per patient, named by a SHA-256 tag of their address. "Forget me"
-- deletes the row, which leaves their sealed records unreadable everywhere,
-- backups included.
CREATE TABLE carebot_patient_keys (
    owner bytea PRIMARY KEY,
    key   bytea NOT NULL
);
