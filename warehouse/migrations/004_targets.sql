-- Targets, major projects and life-cycle marts (issue 4). Money DECIMAL(18,4) 万元; months DATE (first day).
-- Parameterised logic lives in table macros so that pages can look at any month ("as of") and the
-- stable mart_ views are the same logic as of the latest data.

-- Per unit and calendar year: 到位资金 over the submitted months (the base of next year's dispatched task).
CREATE VIEW mart_unit_year_funds AS
SELECT unit_code, unit_name, year(month) AS year,
       count(*)                          AS months_submitted,
       min(month)                        AS first_month,
       max(month)                        AS last_month,
       sum(funds_month_wan)::DECIMAL(18,4) AS funds_wan
FROM mart_unit_month
GROUP BY unit_code, unit_name, year(month);

-- One row per project (unit_code, project_id) as known at the end of `as_of_month`: the attributes of its latest
-- reported row (those the analyses use; fact_project_month has them all), its reporting history up to that month,
-- its counted 到位资金 in as_of_month's year (rows whose 资金来源 counts, January through as_of_month) and its
-- unit's latest submitted month.
CREATE MACRO project_state(as_of_month) AS TABLE
WITH g AS (
    SELECT unit_code, project_id,
           arg_max(submission_id, month)                       AS latest_submission_id,
           arg_max(counts_for_funds, month)                    AS counts_for_funds,
           max(month)                                          AS last_month,
           min(month)                                          AS first_month,
           count(*)                                            AS months_reported,
           max(CASE WHEN funds_month_wan > 0 THEN month END)   AS last_money_month,
           max(CASE WHEN status <> '停滞' THEN month END)       AS last_not_stalled_month,
           sum(funds_month_wan)::DECIMAL(18,4)                 AS funds_reported_wan,
           coalesce(sum(funds_month_wan) FILTER (WHERE counts_for_funds AND year(month) = year(as_of_month)),
                    0)::DECIMAL(18,4)                          AS funds_ytd_counted_wan
    FROM fact_project_month WHERE month <= as_of_month
    GROUP BY unit_code, project_id
), unit_last AS (
    SELECT unit_code, max(month) AS unit_last_month
    FROM current_submission WHERE month <= as_of_month GROUP BY unit_code
)
-- The latest row's attributes are fetched by project_rows' primary key (faster than carrying them through
-- the aggregate).
SELECT g.unit_code, u.unit_name, g.project_id, pr.project_name, pr.chain, pr.investor_name, pr.investor_uscc,
       pr.fortune500, pr.fund_source, pr.signing_date, pr.signed_amount_wan, pr.planned_investment_wan, pr.status,
       pr.start_date, pr.production_date, pr.funds_cum_wan, pr.is_high_tech, g.counts_for_funds,
       g.last_month, g.first_month, g.months_reported, g.last_money_month, g.last_not_stalled_month,
       g.funds_reported_wan, g.funds_ytd_counted_wan, ul.unit_last_month
FROM g
JOIN project_rows pr ON pr.submission_id = g.latest_submission_id AND pr.project_id = g.project_id
JOIN unit_last ul USING (unit_code)
JOIN units u USING (unit_code);

-- Every project as of the latest data (funds_ytd_counted_wan: the latest month's year).
CREATE VIEW mart_project_latest AS
SELECT * FROM project_state((SELECT max(month) FROM current_submission));

-- 10亿元以上 projects (计划总投资 >= 100,000 万元, the policy's definition), counted on the 到位资金 basis
-- (资金来源 省外境内 / 境外), as of the latest data, with the size tier and the signing year.
CREATE VIEW mart_major_projects AS
SELECT unit_code, unit_name, project_id, project_name, chain, investor_name, investor_uscc, fortune500, fund_source,
       signing_date, year(signing_date) AS signing_year, signed_amount_wan, planned_investment_wan, status,
       start_date, production_date, funds_cum_wan, is_high_tech, first_month, last_month,
       CASE WHEN planned_investment_wan >= 1000000 THEN '100亿元以上'
            WHEN planned_investment_wan >= 500000 THEN '50亿元以上'
            WHEN planned_investment_wan >= 200000 THEN '20亿元以上'
            ELSE '10亿元以上' END AS size_tier
FROM mart_project_latest
WHERE planned_investment_wan >= 100000 AND counts_for_funds;
