-- The mirror holds one chain, so a log's position (block number, log index) identifies it. The
-- first schema keyed raw_logs by (block_hash, log_index) as well: a second unique index, in
-- random order, that every insert had to update. The position index becomes the primary key.
ALTER TABLE raw_logs DROP CONSTRAINT raw_logs_pkey;
ALTER TABLE raw_logs ADD CONSTRAINT raw_logs_pkey PRIMARY KEY USING INDEX raw_logs_position;
