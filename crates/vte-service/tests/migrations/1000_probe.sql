-- A table only the host tests create, to see that migrations run at start-up.
CREATE TABLE host_probe (id bigint PRIMARY KEY);
