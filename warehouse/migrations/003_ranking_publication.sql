-- Published quarterly rankings (季度综合排名发布). Append-only: a publication is never updated or deleted;
-- a correction is a new publication whose `corrects` names the one it corrects (both stay visible).

CREATE TABLE publications (
    publication_id     VARCHAR PRIMARY KEY,      -- 'YYYYQn-NN', NN counts the quarter's publications
    quarter            VARCHAR NOT NULL,
    group_id           VARCHAR NOT NULL,         -- which units were ranked together (config group id)
    group_name         VARCHAR NOT NULL,
    published_at       TIMESTAMP NOT NULL,
    published_by       VARCHAR NOT NULL,
    note               VARCHAR,                  -- the correction reason (required when the quarter was published)
    corrects           VARCHAR,                  -- publication_id of the publication this one corrects
    incomplete_reason  VARCHAR,                  -- required when some unit's data were incomplete
    all_complete       BOOLEAN NOT NULL,
    indicator_version  VARCHAR NOT NULL,         -- config/indicators.toml `version`
    config_sha256      VARCHAR NOT NULL,         -- sha256 of the config file's bytes
    config_text        VARCHAR NOT NULL,         -- the config itself, so the ranking can be recomputed
    method_version     VARCHAR NOT NULL,         -- ranking engine version
    weight_scheme      VARCHAR NOT NULL,         -- expert | entropy | critic
    snapshot_identity  VARCHAR,                  -- the serving snapshot the inputs were read from
    data_cutoff        TIMESTAMP,                -- max received_at of the submissions used
    inputs_json        VARCHAR NOT NULL,         -- indicator values per unit (canonical JSON)
    results_json       VARCHAR NOT NULL,         -- scores, ranks, intervals, contributions (canonical JSON)
    request_key        VARCHAR NOT NULL UNIQUE,  -- idempotency: an identical request maps to the same key
    content_hash       VARCHAR NOT NULL          -- sha256 over the canonical JSON of everything above
);

-- One row per publication × unit.
CREATE TABLE published_ranking (
    publication_id VARCHAR NOT NULL,
    unit_code      VARCHAR NOT NULL,
    unit_name      VARCHAR NOT NULL,
    score          DOUBLE,
    rank           INTEGER,
    rank_median    INTEGER,
    rank_q05       INTEGER,
    rank_q95       INTEGER,
    complete       BOOLEAN NOT NULL,
    adjustment_points DOUBLE NOT NULL,
    flags          VARCHAR NOT NULL,
    PRIMARY KEY (publication_id, unit_code)
);

CREATE VIEW mart_publication AS
SELECT p.publication_id, p.quarter, p.group_id, p.group_name, p.published_at, p.published_by,
       p.note, p.corrects, p.incomplete_reason, p.all_complete,
       (SELECT min(c.publication_id) FROM publications c WHERE c.corrects = p.publication_id) AS corrected_by,
       NOT EXISTS (SELECT 1 FROM publications c WHERE c.corrects = p.publication_id)           AS is_current,
       p.indicator_version, p.config_sha256, p.method_version, p.weight_scheme,
       p.snapshot_identity, p.data_cutoff, p.content_hash,
       (SELECT count(*) FROM published_ranking r WHERE r.publication_id = p.publication_id)    AS units
FROM publications p;

CREATE VIEW mart_published_ranking AS
SELECT r.publication_id, p.quarter, p.group_id, p.published_at, p.published_by,
       NOT EXISTS (SELECT 1 FROM publications c WHERE c.corrects = p.publication_id) AS is_current,
       r.unit_code, r.unit_name, r.score, r.rank, r.rank_median, r.rank_q05, r.rank_q95,
       r.complete, r.adjustment_points, r.flags
FROM published_ranking r JOIN publications p USING (publication_id);
