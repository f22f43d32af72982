-- Third-party verification findings (抽样核查结果), one row per checked project per sample.
-- Written by the results import (analytics/sampling area); read by the ranking's reporting-discipline deduction.
CREATE TABLE verification_results (
    sample_id            VARCHAR NOT NULL,
    quarter              VARCHAR NOT NULL,       -- 'YYYYQn', the quarter the sample was drawn for
    unit_code            VARCHAR NOT NULL,
    project_id           VARCHAR NOT NULL,
    outcome              VARCHAR NOT NULL,       -- 核实无误 | 存在差异 | 无法核实
    reported_amount_wan  DECIMAL(18,4),
    verified_amount_wan  DECIMAL(18,4),
    note                 VARCHAR,
    imported_at          TIMESTAMP NOT NULL,
    imported_by          VARCHAR NOT NULL,
    PRIMARY KEY (sample_id, unit_code, project_id)
);

-- Per unit and quarter: how many projects were checked and what was found.
CREATE VIEW mart_verification_findings AS
SELECT unit_code, quarter,
       count(*)                                        AS projects_checked,
       count(*) FILTER (WHERE outcome = '存在差异')      AS discrepancies,
       count(*) FILTER (WHERE outcome = '无法核实')      AS unverifiable
FROM verification_results
GROUP BY unit_code, quarter;
