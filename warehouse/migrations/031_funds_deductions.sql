-- 核减 (issue 12): when the third-party verification says a project's reported 累计到位资金 is too high, an
-- administrator records a 核减 traceable to that verification record; from then on every figure built on
-- fact_project_month or mart_unit_month (targets, bulletins, the ranking) uses the corrected amount. The reported
-- amounts stay in the tables and in the reported_* columns; publications made before keep their frozen inputs.
-- Append-only: a 核减 is never updated or deleted.
CREATE TABLE funds_deductions (
    deduction_id      VARCHAR PRIMARY KEY,     -- 'K-<sample_id>-<unit>-<project>'
    sample_id         VARCHAR NOT NULL,        -- the verification record (verification_results) it rests on
    unit_code         VARCHAR NOT NULL,
    project_id        VARCHAR NOT NULL,
    month             DATE NOT NULL,           -- the data month the 核减 is booked in (the checked figure's month)
    reported_cum_wan  DECIMAL(18,4) NOT NULL,  -- 累计到位资金 as reported for that month
    verified_cum_wan  DECIMAL(18,4),           -- as verified (null: 核查未给出金额)
    deduction_wan     DECIMAL(18,4) NOT NULL,  -- > 0 and not above reported_cum_wan
    note              VARCHAR NOT NULL,
    recorded_by       VARCHAR NOT NULL,
    recorded_at       TIMESTAMP NOT NULL
);

-- Same columns as before (001_init.sql), 到位资金 net of 核减, plus the reported amounts and the 核减 itself.
CREATE OR REPLACE VIEW fact_project_month AS
WITH d AS (
    SELECT unit_code, project_id, month, sum(deduction_wan)::DECIMAL(38,4) AS deduction_wan
    FROM funds_deductions GROUP BY ALL)
SELECT cs.unit_code, u.unit_name, cs.month, cs.submission_id, cs.version, pr.row_no,
       pr.project_id, pr.project_name, pr.county, pr.chain, pr.investor_name, pr.investor_uscc,
       pr.investor_origin, pr.fortune500, pr.fund_source, pr.project_type, pr.signing_date,
       pr.signed_amount_wan, pr.planned_investment_wan, pr.status, pr.start_date, pr.production_date,
       (pr.funds_month_wan - coalesce(d.deduction_wan, 0))::DECIMAL(18,4) AS funds_month_wan,
       (pr.funds_cum_wan - coalesce((SELECT sum(x.deduction_wan) FROM funds_deductions x
                                     WHERE x.unit_code = cs.unit_code AND x.project_id = pr.project_id
                                       AND x.month <= cs.month), 0))::DECIMAL(18,4) AS funds_cum_wan,
       pr.is_high_tech, pr.remark,
       pr.fund_source IN (SELECT fund_source FROM counted_fund_sources) AS counts_for_funds,
       pr.funds_month_wan AS reported_funds_month_wan,
       pr.funds_cum_wan AS reported_funds_cum_wan,
       coalesce(d.deduction_wan, 0)::DECIMAL(18,4) AS deduction_wan
FROM current_submission cs
JOIN project_rows pr USING (submission_id)
JOIN units u USING (unit_code)
LEFT JOIN d ON d.unit_code = cs.unit_code AND d.project_id = pr.project_id AND d.month = cs.month;

-- mart_unit_month (CONTRACT.md §7.1): funds_month_wan net of the 核减 of counted rows; the reported sum and the
-- 核减 are new trailing columns.
CREATE OR REPLACE VIEW mart_unit_month AS
WITH m AS (
    SELECT cs.unit_code, cs.month, cs.version, cs.received_at, cs.is_late,
           cs.rows_loaded, cs.rows_quarantined,
           coalesce((SELECT sum(pr.funds_month_wan) FROM project_rows pr
                     WHERE pr.submission_id = cs.submission_id
                       AND pr.fund_source IN (SELECT fund_source FROM counted_fund_sources)),
                    0)::DECIMAL(38,4) AS reported_funds_month_wan,
           coalesce((SELECT sum(d.deduction_wan) FROM funds_deductions d JOIN project_rows pr
                            ON pr.submission_id = cs.submission_id AND pr.project_id = d.project_id
                     WHERE d.unit_code = cs.unit_code AND d.month = cs.month
                       AND pr.fund_source IN (SELECT fund_source FROM counted_fund_sources)),
                    0)::DECIMAL(38,4) AS deduction_wan
    FROM current_submission cs
)
SELECT m.unit_code, u.unit_name, m.month, (m.reported_funds_month_wan - m.deduction_wan)::DECIMAL(38,4) AS funds_month_wan,
       sum(m.reported_funds_month_wan - m.deduction_wan) OVER (
           PARTITION BY m.unit_code, year(m.month) ORDER BY m.month
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)::DECIMAL(38,4) AS funds_ytd_wan,
       m.version, m.received_at, m.is_late, m.rows_loaded, m.rows_quarantined,
       m.reported_funds_month_wan, m.deduction_wan
FROM m JOIN units u USING (unit_code);
