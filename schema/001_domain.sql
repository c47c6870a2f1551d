-- 001: the deputy network's records. See schema/README.md for the rules every
-- replicated table follows (TEXT id, owner column, STRICT, no REAL or BLOB).

CREATE TABLE offices (
  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 64),
  owner TEXT NOT NULL,
  name TEXT NOT NULL CHECK (length(name) > 0),
  kind TEXT NOT NULL CHECK (kind IN ('city', 'town', 'subdistrict', 'municipal_group')),
  parent_id TEXT,
  lead_department TEXT
) STRICT;

CREATE TABLE deputies (
  id TEXT PRIMARY KEY NOT NULL DEFAULT (printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)) || lower(hex(randomblob(10)))),
  owner TEXT NOT NULL,
  name TEXT NOT NULL CHECK (length(name) > 0),
  level TEXT NOT NULL CHECK (level IN ('city', 'town')),
  office_id TEXT NOT NULL,
  sector TEXT
) STRICT;
CREATE INDEX deputies_office ON deputies (office_id);

CREATE TABLE deputy_groups (
  id TEXT PRIMARY KEY NOT NULL DEFAULT (printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)) || lower(hex(randomblob(10)))),
  owner TEXT NOT NULL,
  name TEXT NOT NULL CHECK (length(name) > 0),
  office_id TEXT NOT NULL,
  venue TEXT
) STRICT;

-- A set: the id is '<group_id>/<deputy_id>', so a membership added twice is one row.
CREATE TABLE group_members (
  id TEXT PRIMARY KEY NOT NULL CHECK (id = group_id || '/' || deputy_id),
  owner TEXT NOT NULL,
  group_id TEXT NOT NULL,
  deputy_id TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('leader', 'member'))
) STRICT;
CREATE INDEX group_members_deputy ON group_members (deputy_id);

CREATE TABLE voters (
  id TEXT PRIMARY KEY NOT NULL DEFAULT (printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)) || lower(hex(randomblob(10)))),
  owner TEXT NOT NULL,
  name TEXT NOT NULL CHECK (length(name) > 0),
  category TEXT NOT NULL
    CHECK (category IN ('worker', 'farmer', 'woman', 'cadre', 'intellectual', 'other')),
  is_representative INTEGER NOT NULL DEFAULT 0 CHECK (is_representative IN (0, 1)),
  office_id TEXT NOT NULL,
  contact TEXT
) STRICT;
CREATE INDEX voters_office ON voters (office_id);

-- The contact chain: city deputy -> town deputy or voter representative -> voter.
-- Exactly one "from" and one "to" end; the id is '<from>><to>', so that the links
-- form a set under merge (a link removed on one replica and added again on another
-- is one row whose last write decides).
CREATE TABLE contact_links (
  id TEXT PRIMARY KEY NOT NULL
    CHECK (id = coalesce(from_deputy_id, from_voter_id) || '>' || coalesce(to_deputy_id, to_voter_id)),
  owner TEXT NOT NULL,
  from_deputy_id TEXT,
  from_voter_id TEXT,
  to_deputy_id TEXT,
  to_voter_id TEXT,
  started_on TEXT NOT NULL CHECK (started_on IS date(started_on, '+0 days')),
  ended_on TEXT CHECK (ended_on IS NULL OR (ended_on IS date(ended_on, '+0 days') AND ended_on >= started_on)),
  CHECK ((from_deputy_id IS NULL) <> (from_voter_id IS NULL)),
  CHECK ((to_deputy_id IS NULL) <> (to_voter_id IS NULL))
) STRICT;
CREATE INDEX contact_links_from ON contact_links (coalesce(from_deputy_id, from_voter_id));

CREATE TABLE activities (
  id TEXT PRIMARY KEY NOT NULL DEFAULT (printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)) || lower(hex(randomblob(10)))),
  owner TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('research', 'observation', 'inspection', 'study',
    'congress_session', 'presidium_meeting', 'supervision', 'other')),
  held_on TEXT NOT NULL CHECK (held_on IS date(held_on, '+0 days')),
  title TEXT NOT NULL CHECK (length(title) > 0),
  summary TEXT,
  group_id TEXT,
  office_id TEXT NOT NULL
) STRICT;
CREATE INDEX activities_office ON activities (office_id, held_on);
CREATE INDEX activities_group ON activities (group_id);

-- A set: the id is '<activity_id>/<deputy_id>'.
CREATE TABLE attendance (
  id TEXT PRIMARY KEY NOT NULL CHECK (id = activity_id || '/' || deputy_id),
  owner TEXT NOT NULL,
  activity_id TEXT NOT NULL,
  deputy_id TEXT NOT NULL
) STRICT;

CREATE TABLE info_reports (
  id TEXT PRIMARY KEY NOT NULL DEFAULT (printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)) || lower(hex(randomblob(10)))),
  owner TEXT NOT NULL,
  deputy_id TEXT NOT NULL,
  reported_on TEXT NOT NULL CHECK (reported_on IS date(reported_on, '+0 days')),
  topic TEXT NOT NULL CHECK (length(topic) > 0),
  content TEXT,
  status TEXT NOT NULL DEFAULT 'submitted'
    CHECK (status IN ('submitted', 'forwarded', 'in_progress', 'handled', 'closed'))
) STRICT;
CREATE INDEX info_reports_deputy ON info_reports (deputy_id);

-- Tailored plan tasks and public commitments of practical deeds.
CREATE TABLE commitments (
  id TEXT PRIMARY KEY NOT NULL DEFAULT (printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)) || lower(hex(randomblob(10)))),
  owner TEXT NOT NULL,
  deputy_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('plan_task', 'commitment')),
  title TEXT NOT NULL CHECK (length(title) > 0),
  due_on TEXT CHECK (due_on IS NULL OR due_on IS date(due_on, '+0 days')),
  status TEXT NOT NULL DEFAULT 'planned'
    CHECK (status IN ('planned', 'in_progress', 'done', 'not_done')),
  reason TEXT
) STRICT;
CREATE INDEX commitments_deputy ON commitments (deputy_id);

-- The city office's evaluation method: criteria per year, with maximum points.
CREATE TABLE criteria (
  id TEXT PRIMARY KEY NOT NULL DEFAULT (printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)) || lower(hex(randomblob(10)))),
  owner TEXT NOT NULL,
  year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  code TEXT NOT NULL,
  title TEXT NOT NULL CHECK (length(title) > 0),
  max_points INTEGER NOT NULL CHECK (max_points > 0)
) STRICT;

-- One score per office, criterion and kind of assessment: the id is
-- '<office_id>/<criterion_id>/<assessment>'. Points, assessor and note are one unit.
CREATE TABLE scores (
  id TEXT PRIMARY KEY NOT NULL CHECK (id = office_id || '/' || criterion_id || '/' || assessment),
  owner TEXT NOT NULL,
  office_id TEXT NOT NULL,
  criterion_id TEXT NOT NULL,
  assessment TEXT NOT NULL CHECK (assessment IN ('self', 'city')),
  points INTEGER NOT NULL CHECK (points >= 0),
  assessor TEXT NOT NULL CHECK (length(assessor) > 0),
  note TEXT
) STRICT;
CREATE INDEX scores_office ON scores (office_id);
