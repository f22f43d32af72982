-- Verification samples (抽样核查样本), METHODS.md §3. A recorded sample is never updated or deleted:
-- the code only inserts, and drawing the same sample again (same quarter, seed, data hash and parameters)
-- returns the recorded one.

CREATE TABLE samples (
    sample_id         VARCHAR PRIMARY KEY,   -- e.g. '2025Q3-001'
    quarter           VARCHAR NOT NULL,      -- 'YYYYQn'
    drawn_at          TIMESTAMP NOT NULL,
    drawn_by          VARCHAR NOT NULL,
    seed              BIGINT NOT NULL,
    method_version    VARCHAR NOT NULL,
    config_version    VARCHAR NOT NULL,
    data_hash         VARCHAR NOT NULL,      -- sha256 over the population frame the sampler saw
    params_json       VARCHAR NOT NULL,      -- every design parameter, including the family weights used
    population_size   INTEGER NOT NULL,
    sample_size       INTEGER NOT NULL,
    certainty_size    INTEGER NOT NULL,
    probability_size  INTEGER NOT NULL
);

-- Population and draws per unit and stratum: the projection's denominators.
CREATE TABLE sample_strata (
    sample_id   VARCHAR NOT NULL,
    unit_code   VARCHAR NOT NULL,
    stratum     VARCHAR NOT NULL,            -- certainty | probability
    population  INTEGER NOT NULL,
    drawn       INTEGER NOT NULL,
    PRIMARY KEY (sample_id, unit_code, stratum)
);

-- One row per sampled project, with what the sampler knew when it drew it.
CREATE TABLE sample_items (
    sample_id           VARCHAR NOT NULL,
    unit_code           VARCHAR NOT NULL,
    project_id          VARCHAR NOT NULL,
    project_name        VARCHAR NOT NULL,
    investor_name       VARCHAR NOT NULL,
    chain               VARCHAR NOT NULL,
    status              VARCHAR NOT NULL,
    stratum             VARCHAR NOT NULL,    -- certainty | probability
    inclusion_prob      DOUBLE NOT NULL,     -- 1 in the certainty stratum
    selection_order     INTEGER NOT NULL,
    risk_score          DOUBLE NOT NULL,
    score_consistency   DOUBLE NOT NULL,
    score_digits        DOUBLE NOT NULL,
    score_timing        DOUBLE NOT NULL,
    score_duplication   DOUBLE NOT NULL,
    score_lifecycle     DOUBLE NOT NULL,
    score_model         DOUBLE NOT NULL,
    reason_codes        VARCHAR[] NOT NULL,
    reasons             VARCHAR[] NOT NULL,  -- Chinese
    selection_reason    VARCHAR NOT NULL,    -- 抽样原因, Chinese
    signed_amount_wan   DECIMAL(18,4) NOT NULL,
    funds_quarter_wan   DECIMAL(18,4) NOT NULL,
    funds_cum_wan       DECIMAL(18,4) NOT NULL,
    PRIMARY KEY (sample_id, unit_code, project_id)
);

-- Sampled projects with their verification outcome (NULL until the firm's results are imported).
CREATE VIEW mart_verification_sample AS
SELECT s.sample_id, s.quarter, s.drawn_at, s.drawn_by, i.unit_code, u.unit_name, i.project_id, i.project_name,
       i.stratum, i.inclusion_prob, i.risk_score, i.selection_reason,
       r.outcome, r.reported_amount_wan, r.verified_amount_wan, r.note, r.imported_at
FROM sample_items i
JOIN samples s USING (sample_id)
JOIN units u USING (unit_code)
LEFT JOIN verification_results r
       ON r.sample_id = i.sample_id AND r.unit_code = i.unit_code AND r.project_id = i.project_id;
