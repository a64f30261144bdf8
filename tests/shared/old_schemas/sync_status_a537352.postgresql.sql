-- The tables services/sync_status/tables.py made at a537352 (its models' CREATE statements as SQLAlchemy compiles them for
-- postgresql; captured with `git show a537352:services/sync_status/tables.py`, for the migrations' upgrade tests).

CREATE TABLE provisioning_history (
	message_id VARCHAR NOT NULL,
	tenant_id VARCHAR NOT NULL,
	user_name_key VARCHAR NOT NULL,
	at TIMESTAMP WITH TIME ZONE NOT NULL,
	action VARCHAR NOT NULL,
	status VARCHAR NOT NULL,
	detail VARCHAR,
	asked JSON NOT NULL,
	PRIMARY KEY (message_id)
);
CREATE INDEX ix_history_user ON provisioning_history (tenant_id, user_name_key, at);
CREATE INDEX ix_provisioning_history_at ON provisioning_history (at);

CREATE TABLE user_statuses (
	tenant_id VARCHAR NOT NULL,
	user_name_key VARCHAR NOT NULL,
	user_name VARCHAR NOT NULL,
	user_id VARCHAR,
	status VARCHAR NOT NULL,
	detail VARCHAR,
	last_synced TIMESTAMP WITH TIME ZONE,
	last_attempt TIMESTAMP WITH TIME ZONE NOT NULL,
	scim_active BOOLEAN,
	platform_active BOOLEAN,
	products JSON NOT NULL,
	subscription_set VARCHAR,
	PRIMARY KEY (tenant_id, user_name_key)
);
CREATE INDEX ix_user_statuses_recent ON user_statuses (tenant_id, last_attempt);
CREATE INDEX ix_user_statuses_set ON user_statuses (tenant_id, subscription_set, last_attempt);
CREATE INDEX ix_user_statuses_status ON user_statuses (tenant_id, status, last_attempt);
CREATE INDEX ix_user_statuses_user_id ON user_statuses (tenant_id, user_id);
