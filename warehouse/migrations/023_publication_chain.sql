-- Tamper evidence for the publication log (issue 15): an HMAC-SHA256 hash chain, append-only.
-- One row per chained record, in order: a quarterly publication (publications row + its published_ranking rows),
-- an annual publication (annual_publications + annual_published_rows), or one sign-off step. Each `mac` covers the
-- predecessor's `mac` and every column of the record (warehouse/chain.py). The existing tables and their content
-- hashes are not touched. Records present when this migration is applied are sealed as they are found
-- (`legacy` = TRUE) by the genesis step that store.migrate runs right after it, followed by one 'genesis' row.
CREATE TABLE publication_chain (
    seq        INTEGER PRIMARY KEY,       -- 1, 2, 3 … without gaps
    kind       VARCHAR NOT NULL,          -- quarterly | annual | signoff | genesis
    record_id  VARCHAR NOT NULL,          -- publication_id; 'publication_id/step' for a sign-off step
    legacy     BOOLEAN NOT NULL,          -- sealed at the genesis step (made before the chain existed)
    chained_at TIMESTAMP NOT NULL,
    prev_mac   VARCHAR NOT NULL,          -- the predecessor's mac ('' for seq 1)
    mac        VARCHAR NOT NULL           -- hex HMAC-SHA256 over prev_mac, seq, kind, record_id, legacy and the record
);
