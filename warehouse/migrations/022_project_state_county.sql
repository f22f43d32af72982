-- project_state also says the project's 所在县区 (from its latest row), so that county rankings and views see
-- projects exactly as 项目全周期 does (issue 10 and 14: one definition for every level). Otherwise as in 021.
CREATE OR REPLACE MACRO project_state(as_of_month) AS TABLE
WITH g AS (
    SELECT unit_code, project_id,
           arg_max(submission_id, month)                       AS latest_submission_id,
           arg_max(counts_for_funds, month)                    AS counts_for_funds,
           max(month)                                          AS last_month,
           min(month)                                          AS first_month,
           count(*)                                            AS months_reported,
           max(CASE WHEN funds_month_wan > 0 THEN month END)   AS last_money_month,
           max(CASE WHEN status <> '停滞' THEN month END)       AS last_not_stalled_month,
           sum(funds_month_wan)::DECIMAL(38,4)                 AS funds_reported_wan,
           coalesce(sum(funds_month_wan) FILTER (WHERE counts_for_funds AND year(month) = year(as_of_month)),
                    0)::DECIMAL(38,4)                          AS funds_ytd_counted_wan
    FROM fact_project_month WHERE month <= as_of_month
    GROUP BY unit_code, project_id
), unit_last AS (
    SELECT unit_code, max(month) AS unit_last_month
    FROM current_submission WHERE month <= as_of_month GROUP BY unit_code
)
-- The latest row's attributes are fetched by project_rows' primary key (faster than carrying them through
-- the aggregate).
SELECT g.unit_code, u.unit_name, g.project_id, pr.project_name, pr.chain, pr.county, pr.investor_name, pr.investor_uscc,
       pr.fortune500, pr.fund_source, pr.signing_date, pr.signed_amount_wan, pr.planned_investment_wan, pr.status,
       pr.start_date, pr.production_date, pr.funds_cum_wan, pr.is_high_tech, g.counts_for_funds,
       g.last_month, g.first_month, g.months_reported, g.last_money_month, g.last_not_stalled_month,
       g.funds_reported_wan, g.funds_ytd_counted_wan, ul.unit_last_month
FROM g
JOIN project_rows pr ON pr.submission_id = g.latest_submission_id AND pr.project_id = g.project_id
JOIN unit_last ul USING (unit_code)
JOIN units u USING (unit_code);
