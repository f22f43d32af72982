-- ETL: load_audit also records reference-list loads (三个500强名录); `kind` tells them from monthly submissions.
ALTER TABLE load_audit ADD COLUMN kind VARCHAR DEFAULT 'submission';
