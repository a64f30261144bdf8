-- The tables services/user_store/tables.py made at f9b3d51 (its models' CREATE statements as SQLAlchemy compiles them for
-- sqlite; captured with `git show f9b3d51:services/user_store/tables.py`, for the migrations' upgrade tests).

CREATE TABLE groups (
	id VARCHAR NOT NULL,
	tenant_id VARCHAR NOT NULL,
	external_id VARCHAR,
	resource JSON NOT NULL,
	created DATETIME NOT NULL,
	last_modified DATETIME NOT NULL,
	version INTEGER NOT NULL,
	display_name VARCHAR NOT NULL,
	display_name_key VARCHAR NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_groups_tenant_display_name UNIQUE (tenant_id, display_name_key)
);
CREATE INDEX ix_groups_tenant_external_id ON groups (tenant_id, external_id);
CREATE INDEX ix_groups_tenant_order ON groups (tenant_id, created, id);

CREATE TABLE memberships (
	group_id VARCHAR NOT NULL,
	member_id VARCHAR NOT NULL,
	PRIMARY KEY (group_id, member_id)
);
CREATE INDEX ix_memberships_member ON memberships (member_id, group_id);

CREATE TABLE processed_messages (
	message_id VARCHAR NOT NULL,
	result JSON NOT NULL,
	processed_at DATETIME NOT NULL,
	PRIMARY KEY (message_id)
);
CREATE INDEX ix_processed_messages_processed_at ON processed_messages (processed_at);

CREATE TABLE users (
	id VARCHAR NOT NULL,
	tenant_id VARCHAR NOT NULL,
	external_id VARCHAR,
	resource JSON NOT NULL,
	created DATETIME NOT NULL,
	last_modified DATETIME NOT NULL,
	version INTEGER NOT NULL,
	user_name VARCHAR NOT NULL,
	user_name_key VARCHAR NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_users_tenant_user_name UNIQUE (tenant_id, user_name_key)
);
CREATE INDEX ix_users_tenant_external_id ON users (tenant_id, external_id);
CREATE INDEX ix_users_tenant_order ON users (tenant_id, created, id);
