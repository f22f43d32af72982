-- Schema v1: submissions, their versions, loaded project rows, quarantine, warnings, audit, reference lists.
-- Money is DECIMAL(18,4) 万元; months are DATE (first day); times are Asia/Shanghai local TIMESTAMP.

CREATE TABLE units (
    unit_code  VARCHAR PRIMARY KEY,
    unit_name  VARCHAR NOT NULL,
    sort_order INTEGER NOT NULL
);

CREATE TABLE counted_fund_sources (fund_source VARCHAR PRIMARY KEY);

CREATE SEQUENCE load_id_seq START 1;
CREATE SEQUENCE submission_id_seq START 1;

-- Every load attempt of every file: loaded, duplicate (same bytes) or rejected.
CREATE TABLE load_audit (
    load_id          BIGINT PRIMARY KEY,
    loaded_at        TIMESTAMP NOT NULL,
    actor            VARCHAR NOT NULL,
    file_name        VARCHAR NOT NULL,
    sha256           VARCHAR,
    file_bytes       BIGINT,
    outcome          VARCHAR NOT NULL,     -- loaded | duplicate | rejected
    unit_code        VARCHAR,
    month            DATE,
    submission_id    BIGINT,
    rows_input       INTEGER,
    rows_loaded      INTEGER,
    rows_quarantined INTEGER,
    rows_ignored     INTEGER,
    warnings         INTEGER,
    message          VARCHAR,              -- Chinese summary; the rejection reason for rejected files
    report_json      VARCHAR               -- the full validation report
);

-- One row per accepted file = one version of (unit, month). The latest version supersedes earlier ones.
CREATE TABLE submission_versions (
    submission_id    BIGINT PRIMARY KEY,
    unit_code        VARCHAR NOT NULL,
    month            DATE NOT NULL,
    version          INTEGER NOT NULL,
    received_at      TIMESTAMP NOT NULL,
    deadline         TIMESTAMP NOT NULL,
    is_late          BOOLEAN NOT NULL,
    file_name        VARCHAR NOT NULL,
    sha256           VARCHAR NOT NULL UNIQUE,
    load_id          BIGINT NOT NULL,
    rows_input       INTEGER NOT NULL,
    rows_loaded      INTEGER NOT NULL,
    rows_quarantined INTEGER NOT NULL,
    rows_ignored     INTEGER NOT NULL,
    warnings         INTEGER NOT NULL,
    UNIQUE (unit_code, month, version)
);

-- Loaded rows of every version (superseded versions are kept; views pick the latest).
CREATE TABLE project_rows (
    submission_id           BIGINT NOT NULL,
    row_no                  INTEGER NOT NULL,  -- Excel row number as the reporter sees it
    project_id              VARCHAR NOT NULL,
    project_name            VARCHAR NOT NULL,
    county                  VARCHAR,
    chain                   VARCHAR NOT NULL,
    investor_name           VARCHAR NOT NULL,
    investor_uscc           VARCHAR,
    investor_origin         VARCHAR,
    fortune500              VARCHAR NOT NULL,  -- 无, or list names joined by 、
    fund_source             VARCHAR NOT NULL,
    project_type            VARCHAR NOT NULL,
    signing_date            DATE NOT NULL,
    signed_amount_wan       DECIMAL(18,4) NOT NULL,
    planned_investment_wan  DECIMAL(18,4) NOT NULL,
    status                  VARCHAR NOT NULL,
    start_date              DATE,
    production_date         DATE,
    funds_month_wan         DECIMAL(18,4) NOT NULL,
    funds_cum_wan           DECIMAL(18,4) NOT NULL,
    is_high_tech            BOOLEAN NOT NULL,
    remark                  VARCHAR,
    PRIMARY KEY (submission_id, project_id)
);

-- Rows that could not be loaded, with every reason, and the raw cell texts.
CREATE TABLE quarantine_rows (
    submission_id BIGINT NOT NULL,
    row_no        INTEGER NOT NULL,
    project_id    VARCHAR,
    reasons       VARCHAR NOT NULL,   -- Chinese, '；'-joined
    raw_json      VARCHAR NOT NULL
);

-- Warnings on loaded rows (CONTRACT.md §1): stored, shown, and fed to anomaly detection.
CREATE TABLE row_warnings (
    submission_id BIGINT NOT NULL,
    row_no        INTEGER NOT NULL,
    project_id    VARCHAR,
    code          VARCHAR NOT NULL,   -- machine code, e.g. uscc_check_digit
    column_name   VARCHAR,
    value         VARCHAR,
    message       VARCHAR NOT NULL    -- Chinese
);

-- 三个500强 reference lists (CONTRACT.md §2); reloading a (list, year) replaces it.
CREATE TABLE five_hundred_list (
    list_name    VARCHAR NOT NULL,
    year         INTEGER NOT NULL,
    rank         INTEGER,
    company_name VARCHAR NOT NULL,
    uscc         VARCHAR
);

-- The version of each submission that figures use: the latest one.
CREATE VIEW current_submission AS
SELECT * FROM submission_versions sv
WHERE sv.version = (SELECT max(version) FROM submission_versions s2
                    WHERE s2.unit_code = sv.unit_code AND s2.month = sv.month);

-- Project-month facts from current submissions: the base of every analysis.
CREATE VIEW fact_project_month AS
SELECT cs.unit_code, u.unit_name, cs.month, cs.submission_id, cs.version, pr.row_no,
       pr.project_id, pr.project_name, pr.county, pr.chain, pr.investor_name, pr.investor_uscc,
       pr.investor_origin, pr.fortune500, pr.fund_source, pr.project_type, pr.signing_date,
       pr.signed_amount_wan, pr.planned_investment_wan, pr.status, pr.start_date, pr.production_date,
       pr.funds_month_wan, pr.funds_cum_wan, pr.is_high_tech, pr.remark,
       pr.fund_source IN (SELECT fund_source FROM counted_fund_sources) AS counts_for_funds
FROM current_submission cs
JOIN project_rows pr USING (submission_id)
JOIN units u USING (unit_code);

-- CONTRACT.md §4: one row per (unit, month) that has a submission.
CREATE VIEW mart_unit_month AS
WITH m AS (
    SELECT cs.unit_code, cs.month, cs.version, cs.received_at, cs.is_late,
           cs.rows_loaded, cs.rows_quarantined,
           coalesce((SELECT sum(pr.funds_month_wan) FROM project_rows pr
                     WHERE pr.submission_id = cs.submission_id
                       AND pr.fund_source IN (SELECT fund_source FROM counted_fund_sources)),
                    0)::DECIMAL(18,4) AS funds_month_wan
    FROM current_submission cs
)
SELECT m.unit_code, u.unit_name, m.month, m.funds_month_wan,
       sum(m.funds_month_wan) OVER (PARTITION BY m.unit_code, year(m.month) ORDER BY m.month
                                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)::DECIMAL(18,4) AS funds_ytd_wan,
       m.version, m.received_at, m.is_late, m.rows_loaded, m.rows_quarantined
FROM m JOIN units u USING (unit_code);
