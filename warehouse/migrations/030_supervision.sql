-- 督办 of stalled projects (issue 12): the administrator dispatches each unit its stalled-project list; the unit's
-- reporter answers per project. Append-only: a new dispatch replaces the unit's list for answering (the older ones
-- stay), every answer is a new row (the newest per project counts; all stay visible). Nothing is updated or deleted.
CREATE TABLE supervision_dispatches (
    dispatch_id   VARCHAR PRIMARY KEY,        -- 'D-YYYYMM-<unit>-NN'
    unit_code     VARCHAR NOT NULL,
    as_of_month   DATE NOT NULL,              -- the month the stall rules were applied to
    due_date      DATE NOT NULL,              -- answers after this date are 逾期
    note          VARCHAR NOT NULL,
    dispatched_by VARCHAR NOT NULL,
    dispatched_at TIMESTAMP NOT NULL
);

CREATE TABLE supervision_items (
    dispatch_id  VARCHAR NOT NULL,
    unit_code    VARCHAR NOT NULL,
    project_id   VARCHAR NOT NULL,
    project_name VARCHAR,
    rules        VARCHAR NOT NULL,            -- the stall rules the project met (项目全周期)
    detail       VARCHAR NOT NULL,
    PRIMARY KEY (dispatch_id, project_id)
);

CREATE TABLE supervision_answers (
    answer_id   VARCHAR PRIMARY KEY,          -- 'A-<dispatch_id>-NNNN'
    dispatch_id VARCHAR NOT NULL,
    unit_code   VARCHAR NOT NULL,
    project_id  VARCHAR NOT NULL,
    answer      VARCHAR NOT NULL,             -- 已复工 / 推进中 / 拟退出 / 已终止 / 数据有误
    note        VARCHAR NOT NULL,
    answer_date DATE NOT NULL,                -- the date the answer states (e.g. the day work resumed)
    answered_by VARCHAR NOT NULL,
    answered_at TIMESTAMP NOT NULL
);
