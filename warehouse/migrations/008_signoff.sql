-- Two-person sign-off (签批) of publications, quarterly and annual. Append-only, one row per step:
-- 'prepared' (an administrator froze the publication) and 'approved' (a leader signed it off; only then is it
-- published). In one-person mode (config/publication.toml) both rows are written together by the preparer.
-- The publications tables themselves (and their content hashes) are not touched.
CREATE TABLE publication_signoffs (
    publication_id VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,         -- quarterly | annual
    step           VARCHAR NOT NULL,         -- prepared | approved
    username       VARCHAR NOT NULL,         -- account username (the CLI's --by when prepared on the command line)
    step_at        TIMESTAMP NOT NULL,
    mode           VARCHAR NOT NULL,         -- two_person | one_person | legacy (published before sign-off existed)
    PRIMARY KEY (publication_id, step)
);

-- Publications made before sign-off existed were published by one person: they stay published.
INSERT INTO publication_signoffs
SELECT publication_id, 'quarterly', step, published_by, published_at, 'legacy'
FROM publications, (VALUES ('prepared'), ('approved')) s(step);

CREATE VIEW mart_signoff AS
SELECT p.publication_id, p.kind, p.username AS prepared_by, p.step_at AS prepared_at, p.mode,
       a.username AS approved_by, a.step_at AS approved_at, a.publication_id IS NOT NULL AS approved
FROM publication_signoffs p
LEFT JOIN publication_signoffs a ON a.publication_id = p.publication_id AND a.step = 'approved'
WHERE p.step = 'prepared';
