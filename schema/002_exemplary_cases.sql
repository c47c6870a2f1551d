-- 002: exemplary cases (典型) that offices report to the Personnel and Deputy
-- Affairs Office for publicity.

CREATE TABLE exemplary_cases (
  id TEXT PRIMARY KEY NOT NULL DEFAULT (printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)) || lower(hex(randomblob(10)))),
  owner TEXT NOT NULL,
  office_id TEXT NOT NULL,
  reported_on TEXT NOT NULL CHECK (reported_on IS date(reported_on, '+0 days')),
  title TEXT NOT NULL CHECK (length(title) > 0),
  description TEXT
) STRICT;
