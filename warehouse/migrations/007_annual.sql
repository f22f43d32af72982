-- 年终总评 (annual assessment): what administrators enter for a year, and the frozen annual publications.
-- Append-only like the quarterly publications: nothing here is ever updated or deleted. An entry is withdrawn by a
-- new row that names it (`withdraws`); a 半年督查 score is replaced by a newer row for the same unit and year.

-- 加分/扣分 items, each with its evidence note (required).
CREATE TABLE annual_items (
    entry_id    VARCHAR PRIMARY KEY,          -- 'YYYY-I-NNNN'
    year        INTEGER NOT NULL,
    unit_code   VARCHAR NOT NULL,
    item_id     VARCHAR NOT NULL,             -- config/annual.toml [[item]] id
    item_name   VARCHAR NOT NULL,
    points      DECIMAL(9,4) NOT NULL,        -- signed: bonus > 0, penalty < 0
    note        VARCHAR NOT NULL,             -- evidence (证明材料说明)
    entered_by  VARCHAR NOT NULL,
    entered_at  TIMESTAMP NOT NULL,
    withdraws   VARCHAR                       -- entry_id of the entry this row withdraws (points = 0)
);

-- 半年督查 result per unit and year, 0–100 points; the newest row for a unit and year counts.
CREATE TABLE annual_supervision (
    entry_id    VARCHAR PRIMARY KEY,          -- 'YYYY-S-NNNN'
    year        INTEGER NOT NULL,
    unit_code   VARCHAR NOT NULL,
    score       DECIMAL(9,4) NOT NULL,
    note        VARCHAR NOT NULL,
    entered_by  VARCHAR NOT NULL,
    entered_at  TIMESTAMP NOT NULL
);

CREATE TABLE annual_publications (
    publication_id    VARCHAR PRIMARY KEY,    -- 'YYYY-A-NN'
    year              INTEGER NOT NULL,
    group_id          VARCHAR NOT NULL,
    group_name        VARCHAR NOT NULL,
    published_at      TIMESTAMP NOT NULL,
    published_by      VARCHAR NOT NULL,
    note              VARCHAR,
    corrects          VARCHAR,
    incomplete_reason VARCHAR,
    all_complete      BOOLEAN NOT NULL,
    annual_version    VARCHAR NOT NULL,       -- config/annual.toml `version`
    config_sha256     VARCHAR NOT NULL,
    config_text       VARCHAR NOT NULL,
    method_version    VARCHAR NOT NULL,       -- annual engine version
    inputs_json       VARCHAR NOT NULL,       -- quarter scores, year deductions, supervision, items (canonical JSON)
    results_json      VARCHAR NOT NULL,
    request_key       VARCHAR NOT NULL UNIQUE,
    content_hash      VARCHAR NOT NULL
);

CREATE TABLE annual_published_rows (
    publication_id VARCHAR NOT NULL,
    unit_code      VARCHAR NOT NULL,
    unit_name      VARCHAR NOT NULL,
    score          DECIMAL(18,8),
    rank           INTEGER,
    grade          VARCHAR,
    complete       BOOLEAN NOT NULL,
    flags          VARCHAR NOT NULL,
    PRIMARY KEY (publication_id, unit_code)
);

CREATE VIEW mart_annual_publication AS
SELECT p.publication_id, p.year, p.group_id, p.group_name, p.published_at, p.published_by, p.note, p.corrects,
       p.incomplete_reason, p.all_complete,
       (SELECT min(c.publication_id) FROM annual_publications c WHERE c.corrects = p.publication_id) AS corrected_by,
       NOT EXISTS (SELECT 1 FROM annual_publications c WHERE c.corrects = p.publication_id)           AS is_current,
       p.annual_version, p.config_sha256, p.method_version, p.content_hash
FROM annual_publications p;
